#include "ceiling.h"

#include <string.h>

void ceiling_copy_scalar(const struct nb_args *a)
{
    memcpy(a->y, a->x, a->rows * a->n * sizeof(float));
}

void ceiling_read_scalar(const struct nb_args *a)
{
    const float *x = a->x;
    size_t total = a->rows * a->n, i = 0;
    float s[8] = {0};
    for (; i + 8 <= total; i += 8)
        for (int l = 0; l < 8; l++)
            s[l] += x[i + l];
    for (; i < total; i++)
        s[0] += x[i];
    ((float *)a->y)[0] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

uint64_t ceiling_add_chain(size_t iters, uint64_t step)
{
    uint64_t v = 0;
    for (size_t i = 0; i < iters; i++) {
        /* the empty asm makes each sum a register value the next add needs:
         * sixteen adds stay sixteen dependent adds, not one add of 16 step */
#pragma GCC unroll 16
        for (int k = 0; k < 16; k++) {
            v += step;
            __asm__ volatile("" : "+r"(v));
        }
    }
    return v;
}
