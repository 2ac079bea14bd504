/* Executes a suite: plans the shapes, measures the ceilings and every
 * variant, checks accuracy on sampled rows, writes the run directory. */
#ifndef NB_RUN_H
#define NB_RUN_H

#include "config.h"

/* out_dir NULL: results/<run-id>, and results/latest points at it; the
 * directory used is copied to dir_used. Returns an exit status (SPEC.md
 * section 9; 130/143 when interrupted). */
int run_suite(const struct nb_suite *s, const char *out_dir, char *dir_used, size_t len);

/* Set by SIGINT/SIGTERM: the run stops between repetitions and keeps what
 * it measured. */
void run_install_signal_handlers(void);
/* Has SIGINT or SIGTERM arrived? */
int run_interrupted(void);
/* 128 + the signal that arrived (130, 143), 0 if none. */
int run_stop_status(void);

#endif
