/* Drawing with gnuplot: the script and data are files in dir, and gnuplot
 * runs there as a child process with an argument vector, never through a
 * shell, so no user-given path reaches a command line or a script. */
#ifndef NB_PLOT_H
#define NB_PLOT_H

#include <stddef.h>

/* Runs `gnuplot SCRIPT` in dir. Returns 0, or -1 with the reason in why. */
int plot_run_gnuplot(const char *dir, const char *script, char *why, size_t whylen);

#endif
