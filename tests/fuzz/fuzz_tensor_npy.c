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
    fuzz_read_each_dtype(data, size, tensor_npy_read);
    return 0;
}
