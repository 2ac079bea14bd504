/* Opening a file the user named for reading. Only regular files: a FIFO
 * would block, /dev/zero or /dev/urandom would never end, a directory is a
 * mistake. Every reader of user input (configs, CSV) opens through here. */
#ifndef NB_INPUT_FILE_H
#define NB_INPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Returns the open file, or NULL with "path: why" in err. max_bytes = 0
 * means no size limit. */
FILE *input_file_open(const char *path, unsigned long long max_bytes, char *err, size_t errlen);

#endif
