/* Settings the engine gives kernels that adapt to the machine. */
#include <stdint.h>

#include "kernel.h"

size_t nb_nt_threshold_bytes = SIZE_MAX;
