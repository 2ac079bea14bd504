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

static inline void fuzz_memfile_close(int fd)
{
    close(fd);
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
