/* A run's output directory: made and probed before anything is measured,
 * data files taken back when meta.csv cannot vouch for them. */
#ifndef NB_RUN_DIR_H
#define NB_RUN_DIR_H

#include <stddef.h>

/* requested, or results/<UTC stamp>-<name>; created and checked writable.
 * 0 or 3 (said on stderr as "normbench CMD: ..."). */
int run_dir_make(const char *cmd, char *out, size_t len, const char *requested, const char *name);
/* Removes perf.csv, samples.csv and accuracy.csv (and ab.csv) from dir. */
void run_dir_remove_data(const char *dir);
/* results/latest -> dir (a directory under results/). */
void run_dir_point_latest(const char *dir);

#endif
