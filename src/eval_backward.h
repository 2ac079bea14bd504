/* eval of a backward variant (src/eval_backward.c). */
#ifndef NB_EVAL_BACKWARD_H
#define NB_EVAL_BACKWARD_H

#include "registry.h"
#include "tensor_csv.h"

struct eval_bwd_paths {
    const char *x, *dy, *g;            /* inputs: CSV or .npy */
    const char *dx_out;                /* NULL: stdout */
    const char *dg_out, *db_out;       /* NULL: not written */
};

/* Reads a CSV or .npy input of eval as dt; errors said on stderr naming
 * the file and what it was for (x, g, ...). 0 or an exit status. */
int eval_read_tensor(const char *path, const char *what, enum nb_dtype dt, struct nb_tensor *t);

/* Runs v, writes dx (and dg, db where asked), says the errors on stderr.
 * 0, or an exit status (said on stderr). */
int eval_backward(const struct nb_variant *v, const struct eval_bwd_paths *paths, double eps, int hex);

#endif
