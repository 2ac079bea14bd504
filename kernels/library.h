/* The table a kernel library (make lib: build/libnormbench-kernels.so)
 * exports: every variant of variants.def it has code for, by name. `ab`
 * loads two of them and times the same variant from both. */
#ifndef NB_LIBRARY_H
#define NB_LIBRARY_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

#define NB_KERNEL_LIBRARY_MAGIC 0x6e626b6cu /* "nbkl" */
#define NB_KERNEL_LIBRARY_SYMBOL "nb_kernel_library"

struct nb_library_entry {
    const char *name;   /* norm/algorithm/isa/dtype as in variants.def ('_' for '-') */
    nb_kernel_fn fn;
};

struct nb_kernel_library {
    uint32_t magic;     /* NB_KERNEL_LIBRARY_MAGIC */
    uint32_t abi;       /* NB_KERNEL_ABI of the build */
    size_t count;
    const struct nb_library_entry *entries;
    const char *revision; /* git revision of the build */
};

#endif
