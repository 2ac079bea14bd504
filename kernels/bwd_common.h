/* What the backward kernels share: the scratch layout, and the dg and db
 * reductions over rows in NB_BWD_ROW_BLOCK blocks (kernel.h). */
#ifndef NB_BWD_COMMON_H
#define NB_BWD_COMMON_H

#include "kernel.h"
#include "scalar_common.h"

static inline size_t bwd_blocks(size_t rows)
{
    return (rows + NB_BWD_ROW_BLOCK - 1) / NB_BWD_ROW_BLOCK;
}

/* The scratch's regions, each 64-byte aligned: 0 dg partials and 1 db
 * partials (blocks x n each), 2 to 4 rows x n temporaries, 5 two per-row
 * vectors (rows x 2), 6 two n vectors. */
static inline float *bwd_region(const struct nb_args *a, int k)
{
    const size_t sizes[7] = {bwd_blocks(a->rows) * a->n, bwd_blocks(a->rows) * a->n, a->rows * a->n,
                             a->rows * a->n, a->rows * a->n, 2 * a->rows, 2 * a->n};
    uintptr_t p = (uintptr_t)a->work;
    for (int i = 0; i < k; i++)
        p = (p + 63) / 64 * 64 + sizes[i] * sizeof(float);
    return (float *)((p + 63) / 64 * 64);
}

/* partials of one kind zeroed: blocks x n floats */
static inline float *bwd_partials(const struct nb_args *a, int kind)
{
    float *p = bwd_region(a, kind);
    memset(p, 0, bwd_blocks(a->rows) * a->n * sizeof *p);
    return p;
}

/* blocks [lo, hi) of column p (stride n) summed pairwise: halves, each
 * summed the same way, then added */
static inline float bwd_pairwise(const float *p, size_t n, size_t lo, size_t hi)
{
    if (hi - lo == 1)
        return p[lo * n];
    const size_t mid = lo + (hi - lo) / 2;
    return bwd_pairwise(p, n, lo, mid) + bwd_pairwise(p, n, mid, hi);
}

/* out[i] = the block partials of column i summed pairwise (the tree a
 * reduction over threads takes; one after another, the errors of equal
 * partials add up: 18 ULP over 257 blocks), rounded once to dt */
static inline void bwd_reduce(const float *partials, size_t rows, size_t n, void *out, enum nb_dtype dt)
{
    const size_t blocks = bwd_blocks(rows);
    for (size_t i = 0; i < n; i++)
        nb_store(out, i, blocks ? bwd_pairwise(partials + i, n, 0, blocks) : 0.0f, dt);
}

/* sum of u_j v_j (w_j - c) over j < k in two levels (scalar_common.h's
 * order); w NULL: of u_j v_j */
static inline float bwd_dot_two_level(const void *u, const void *v, const void *w, float c, size_t k,
                                      enum nb_dtype dt)
{
    float tot[8] = {0};
    size_t j = 0;
    while (j < k) {
        const size_t end = k - j > NB_SUM_BLOCK ? j + NB_SUM_BLOCK : k;
        float acc[8] = {0};
        for (int l = 0; j < end; j++, l = (l + 1) & 7) {
            float t = nb_load(u, j, dt) * nb_load(v, j, dt);
            acc[l] += w ? t * (nb_load(w, j, dt) - c) : t;
        }
        for (int l = 0; l < 8; l++)
            tot[l] += acc[l];
    }
    return ((tot[0] + tot[1]) + (tot[2] + tot[3])) + ((tot[4] + tot[5]) + (tot[6] + tot[7]));
}

#endif
