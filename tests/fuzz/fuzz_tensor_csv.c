/* libFuzzer target: eval's tensor reader (libcsv, decimal and hex-float
 * values, rounding to f32, bf16 and f16). Every input must give a tensor
 * whose shape matches its data, or 2 with "path:row:col: what". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tensor_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[600];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    static const enum nb_dtype dtypes[] = {NB_F32, NB_BF16, NB_F16};
    for (size_t i = 0; i < 3; i++) {
        struct nb_tensor t = {0};
        int rc = tensor_csv_read(path, dtypes[i], &t, err, sizeof err);
        fuzz_check_tensor(rc, t.data, t.rows, t.n, nb_dtype_size(dtypes[i]), err, path);
    }
    fuzz_memfile_close(fd);
    /* one value on its own, as the command line gives --eps and friends */
    char *text = fuzz_cstring(data, size < 64 ? size : 64);
    float v;
    int inexact;
    parse_value(text, NB_F16, &v, &inexact);
    free(text);
    return 0;
}
