/* A run's output directory: made and probed before anything is measured,
 * data files taken back when meta.csv cannot vouch for them. */
#ifndef NB_RUN_DIR_H
#define NB_RUN_DIR_H

#include <stddef.h>

/* requested, or results/<UTC stamp>-<name>; created and checked writable.
 * A requested directory that exists must be empty or hold a normbench run
 * (a meta.csv with a status): that run's files are removed first, so none
 * of them can stand beside the new run's; anything else is refused (2).
 * 0, 2 or 3 (said on stderr as "normbench CMD: ..."). */
int run_dir_make(const char *cmd, char *out, size_t len, const char *requested, const char *name);
/* Can a file be created at path (its directory writable, path not a
 * directory)? 0, or -1 with the reason in err. Checked before measuring. */
int run_dir_check_output(const char *path, char *err, size_t errlen);
/* Removes perf.csv, samples.csv and accuracy.csv (and ab.csv) from dir. */
void run_dir_remove_data(const char *dir);
/* results/latest -> dir (a directory under results/). */
void run_dir_point_latest(const char *dir);

#endif
