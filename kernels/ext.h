/* Variants that call an external library (isa "ext"): built only when the
 * library is (the Makefile defines NB_HAVE_ONEDNN), listed always. */
#ifndef NB_EXT_H
#define NB_EXT_H

#include "kernel.h"

/* NULL if oneDNN's layer normalization can run on dt here, else why not. */
const char *nb_onednn_unavailable(enum nb_dtype dt);

#endif
