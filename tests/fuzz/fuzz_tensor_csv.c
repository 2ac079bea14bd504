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
    fuzz_read_each_dtype(data, size, tensor_csv_read);
    /* one value on its own, as the command line gives --eps and friends */
    char *text = fuzz_cstring(data, size < 64 ? size : 64);
    float v;
    int inexact;
    parse_value(text, NB_F16, &v, &inexact);
    free(text);
    return 0;
}
