#include "kernel_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "version.h"

/* The built-in table: the registry's entries that a library would hold. */
static struct nb_library_entry builtin_entries[1024];
static struct nb_kernel_library builtin_table;

void kernel_lib_builtin(struct kernel_lib *kl)
{
    memset(kl, 0, sizeof *kl);
    if (!builtin_table.magic) {
        size_t k = 0;
        for (size_t i = 0; i < registry_count() && k < sizeof builtin_entries / sizeof builtin_entries[0]; i++) {
            const struct nb_variant *v = registry_at(i);
            if (v->fn && v->isa != NB_ISA_MPFR && v->isa != NB_ISA_EXT)
                builtin_entries[k++] = (struct nb_library_entry){v->name, v->fn};
        }
        builtin_table = (struct nb_kernel_library){NB_KERNEL_LIBRARY_MAGIC, NB_KERNEL_ABI, k, builtin_entries, NB_GIT_REV};
    }
    snprintf(kl->label, sizeof kl->label, "built-in");
    snprintf(kl->revision, sizeof kl->revision, "%s", NB_GIT_REV);
    kl->table = &builtin_table;
}

/* dlopen keys loaded objects by file: a private copy makes the same
 * library given twice load twice, and a rebuild during the run harmless */
static int private_copy(const char *path, char *copy, size_t len, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(copy, len, "%s/normbench-lib-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int out = mkstemp(copy), in = open(path, O_RDONLY);
    if (out < 0 || in < 0) {
        snprintf(err, errlen, "%s: %s", out < 0 ? "cannot make a temporary copy" : path, strerror(errno));
        if (out >= 0) {
            close(out);
            unlink(copy);
        }
        if (in >= 0)
            close(in);
        return -1;
    }
    char buf[65536];
    ssize_t got;
    int rc = 0;
    while ((got = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)got) != got) {
            snprintf(err, errlen, "cannot make a temporary copy of %s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
    if (got < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    close(in);
    close(out);
    if (rc)
        unlink(copy);
    return rc;
}

enum kernel_lib_status kernel_lib_open(struct kernel_lib *kl, const char *path, char *err, size_t errlen)
{
    memset(kl, 0, sizeof *kl);
    snprintf(kl->label, sizeof kl->label, "%s", path);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return KLIB_NOT_A_LIBRARY;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return KLIB_NOT_A_LIBRARY;
    }
    char copy[4200];
    if (private_copy(path, copy, sizeof copy, err, errlen))
        return KLIB_ENV;
    kl->handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    const char *why = kl->handle ? NULL : dlerror();
    unlink(copy); /* the mapping stays */
    if (!kl->handle) {
        /* dlerror names the temporary copy: say the user's file instead */
        const char *colon = why ? strrchr(why, ':') : NULL;
        snprintf(err, errlen, "%s: not a loadable shared library (%s)", path, colon ? colon + 2 : "dlopen failed");
        return KLIB_NOT_A_LIBRARY;
    }
    kl->table = dlsym(kl->handle, NB_KERNEL_LIBRARY_SYMBOL);
    if (!kl->table || kl->table->magic != NB_KERNEL_LIBRARY_MAGIC) {
        snprintf(err, errlen, "%s: not a normbench kernel library (no %s table; build one with make lib)", path,
                 NB_KERNEL_LIBRARY_SYMBOL);
        kernel_lib_close(kl);
        return KLIB_NOT_A_LIBRARY;
    }
    if (kl->table->abi != NB_KERNEL_ABI) {
        snprintf(err, errlen, "%s: built for kernel ABI %u, this normbench calls ABI %u (rebuild it with make lib)", path,
                 (unsigned)kl->table->abi, (unsigned)NB_KERNEL_ABI);
        kernel_lib_close(kl);
        return KLIB_WRONG_ABI;
    }
    snprintf(kl->revision, sizeof kl->revision, "%s", kl->table->revision ? kl->table->revision : "unknown");
    return KLIB_OK;
}

void kernel_lib_close(struct kernel_lib *kl)
{
    if (kl->handle)
        dlclose(kl->handle);
    kl->handle = NULL;
    kl->table = NULL;
}

void kernel_lib_name(const struct kernel_lib *kl, size_t i, char *out, size_t len)
{
    snprintf(out, len, "%s", kl->table->entries[i].name);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

static long find_index(const struct kernel_lib *kl, const char *name)
{
    char buf[128];
    for (size_t i = 0; i < kl->table->count; i++) {
        if (!kl->table->entries[i].fn) /* listed, no code in this library */
            continue;
        kernel_lib_name(kl, i, buf, sizeof buf);
        if (!strcmp(buf, name))
            return (long)i;
    }
    return -1;
}

int kernel_lib_has(const struct kernel_lib *kl, const char *name)
{
    return find_index(kl, name) >= 0;
}

nb_kernel_fn kernel_lib_find(const struct kernel_lib *kl, const struct nb_variant *v)
{
    long i = find_index(kl, v->name);
    return i >= 0 ? kl->table->entries[i].fn : NULL;
}
