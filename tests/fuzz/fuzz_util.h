/* Shared by the fuzz targets: inputs as C strings and as files that live in
 * memory (memfd), so a target can hand a path to a reader without touching
 * the disk. */
#ifndef NB_FUZZ_UTIL_H
#define NB_FUZZ_UTIL_H


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tensor_csv.h"

static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Writes data to an anonymous in-memory file; path names it. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

/* A reader's result: a tensor whose shape matches its data (every byte is
 * touched, so a shape larger than the data shows under ASan), or 2 or 3
 * with an error that names the file; else abort. Frees the data. */
static inline void fuzz_check_tensor(int rc, void *tensor_data, size_t rows, size_t n, size_t elem_bytes,
                                     const char *err, const char *path)
{
    if (rc == 0) {
        if (rows == 0 || n == 0 || !tensor_data)
            abort();
        volatile uint8_t sink = 0;
        for (size_t b = 0; b < rows * n * elem_bytes; b++)
            sink ^= ((const uint8_t *)tensor_data)[b];
        (void)sink;
        free(tensor_data);
    } else if ((rc != 2 && rc != 3) || strncmp(err, path, strlen(path)) != 0) {
        abort();
    }
}

static inline void fuzz_memfile_close(int fd)
{
    close(fd);
}

/* One input through a tensor reader in every storage type, each result
 * held to fuzz_check_tensor. */
typedef int (*fuzz_tensor_reader)(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen);

static inline void fuzz_read_each_dtype(const uint8_t *data, size_t size, fuzz_tensor_reader read)
{
    char path[64], err[600];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    static const enum nb_dtype dtypes[] = {NB_F32, NB_BF16, NB_F16};
    for (size_t i = 0; i < 3; i++) {
        struct nb_tensor t = {0};
        int rc = read(path, dtypes[i], &t, err, sizeof err);
        fuzz_check_tensor(rc, t.data, t.rows, t.n, nb_dtype_size(dtypes[i]), err, path);
    }
    fuzz_memfile_close(fd);
}

/* Writes data to a file in dir (a real directory: readers look for
 * siblings there). */
static inline void fuzz_write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.1000s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0)
        abort();
}

/* libFuzzer's entry point, which every target defines */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
