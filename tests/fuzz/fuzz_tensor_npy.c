/* libFuzzer target: eval's .npy reader (header dict, dtype, shape, data
 * length). Every input must give a tensor whose shape matches its data, or
 * 2 (3) with an error that names the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tensor_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[600];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    static const enum nb_dtype dtypes[] = {NB_F32, NB_BF16, NB_F16};
    for (size_t i = 0; i < 3; i++) {
        struct nb_tensor t = {0};
        int rc = tensor_npy_read(path, dtypes[i], &t, err, sizeof err);
        fuzz_check_tensor(rc, t.data, t.rows, t.n, nb_dtype_size(dtypes[i]), err, path);
    }
    fuzz_memfile_close(fd);
    return 0;
}
