/* Shared test helpers: a seeded generator and problem set-up. The tests
 * keep a generator of their own (Box-Muller with libm), apart from
 * src/datagen.c's, so that the kernel tests' data does not move when the
 * tool's generator changes. */
#ifndef NB_TEST_UTIL_H
#define NB_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernel.h"
#include "../src/registry.h"

struct rng {
    uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double rng_uniform(struct rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static inline double rng_normal(struct rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* A rows x n problem for one norm and storage type, with every buffer
 * offset by `misalign` elements from a 64-byte boundary. */
struct problem {
    size_t rows, n;
    enum nb_dtype dt;
    enum nb_norm norm;
    char *blocks[6];
    void *x, *g, *b, *residual, *residual_ref;
    void *work;
    size_t work_bytes;
};

static inline void *offset_alloc(char **block, size_t bytes, size_t offset)
{
    *block = aligned_alloc(64, (bytes + offset + 64) / 64 * 64 + 64);
    memset(*block, 0, (bytes + offset + 64) / 64 * 64);
    return *block + offset;
}

static inline void problem_init(struct problem *p, enum nb_norm norm, enum nb_dtype dt, size_t rows,
                                size_t n, size_t misalign, uint64_t seed)
{
    struct rng r = {seed};
    size_t es = nb_dtype_size(dt), total = rows * n, off = misalign * es;
    memset(p, 0, sizeof *p);
    p->rows = rows;
    p->n = n;
    p->dt = dt;
    p->norm = norm;
    p->x = offset_alloc(&p->blocks[0], total * es, off);
    p->g = offset_alloc(&p->blocks[1], n * es, off);
    p->b = offset_alloc(&p->blocks[2], n * es, off);
    p->residual = offset_alloc(&p->blocks[3], total * es, off);
    p->residual_ref = offset_alloc(&p->blocks[4], total * es, off);
    for (size_t i = 0; i < total; i++) {
        nb_store(p->x, i, (float)rng_normal(&r), dt);
        nb_store(p->residual, i, (float)rng_normal(&r), dt);
    }
    memcpy(p->residual_ref, p->residual, total * es);
    for (size_t i = 0; i < n; i++) {
        /* gains around 1 but not 1; gemma's are offsets from 1 */
        double g = norm == NB_GEMMARMSNORM ? 0.5 * rng_normal(&r) : 1.0 + 0.25 * rng_normal(&r);
        nb_store(p->g, i, (float)g, dt);
        nb_store(p->b, i, (float)(0.5 * rng_normal(&r)), dt);
    }
    p->work_bytes = 3 * total * 4 + 2 * rows * 4 + n * 4 + 6 * 64;
    p->work = aligned_alloc(64, (p->work_bytes + 63) / 64 * 64);
}

static inline void problem_free(struct problem *p)
{
    for (int i = 0; i < 6; i++)
        free(p->blocks[i]);
    free(p->work);
}

static inline struct nb_args problem_args(struct problem *p, void *y, void *residual, double eps)
{
    struct nb_args a = {.rows = p->rows, .n = p->n, .x = p->x, .y = y, .g = p->g, .b = p->b,
                        .residual = residual, .eps = eps, .p = 6.25, .work = p->work};
    return a;
}

/* the same double, bit for bit (so +0 and -0 differ), or both NaN */
static inline int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

#endif
