/* A kernel library loaded at run time (make lib), or the binary's own
 * kernels presented the same way: what `ab` measures side by side. */
#ifndef NB_KERNEL_LIB_H
#define NB_KERNEL_LIB_H

#include <stddef.h>

#include "../kernels/library.h"
#include "registry.h"

struct kernel_lib {
    char label[4096];        /* the path given, or "built-in" */
    char revision[64];
    void *handle;            /* NULL for the built-in kernels */
    const struct nb_kernel_library *table;
};

enum kernel_lib_status {
    KLIB_OK,
    KLIB_NOT_A_LIBRARY,   /* not a shared object, or not normbench's: input error */
    KLIB_WRONG_ABI,       /* built for another nb_args: input error */
    KLIB_ENV,             /* cannot copy or read the file: environment error */
};

/* Loads a private copy of path (so that the same file given twice is two
 * libraries, each with its own code in memory) and checks its table; err
 * says what is wrong, naming the file. */
enum kernel_lib_status kernel_lib_open(struct kernel_lib *kl, const char *path, char *err, size_t errlen);
/* The binary's own kernels. */
void kernel_lib_builtin(struct kernel_lib *kl);
void kernel_lib_close(struct kernel_lib *kl);

/* The library's code for variant v (matched by name), or NULL. */
nb_kernel_fn kernel_lib_find(const struct kernel_lib *kl, const struct nb_variant *v);
/* Does the library have a variant of this registry name ('-' in the dtype)? */
int kernel_lib_has(const struct kernel_lib *kl, const char *name);
/* The i-th name of the library, with '-' in the dtype, into out. */
void kernel_lib_name(const struct kernel_lib *kl, size_t i, char *out, size_t len);

#endif
