/* Seeded input data: the same seed gives the same tensors on every run and
 * every machine (integer generator, and no libm function in the sampling
 * path: the normal sampler uses only +, *, / and sqrt, which IEEE 754
 * rounds the same everywhere). */
#ifndef NB_DATAGEN_H
#define NB_DATAGEN_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/kernel.h"

enum nb_dist { NB_DIST_NORMAL, NB_DIST_UNIFORM, NB_DIST_OFFSET, NB_DIST_OUTLIER, NB_DIST_ZEROS,
               NB_DIST_CONSTANT, NB_DIST_COUNT };

struct nb_distribution {
    enum nb_dist kind;
    double scale;      /* every value times this */
    double offset;     /* offset: mean M */
    double factor;     /* outlier: channels scaled by F */
    size_t channels;   /* outlier: k channels */
    double value;      /* constant: the value */
};

struct nb_rng {
    uint64_t state;
};

void rng_seed(struct nb_rng *r, uint64_t seed);
uint64_t rng_u64(struct nb_rng *r);
double rng_unit(struct nb_rng *r);     /* [0, 1) */
double rng_gauss(struct nb_rng *r);    /* standard normal, Marsaglia's polar method */

const char *dist_name(enum nb_dist d);
int dist_parse(const char *name, enum nb_dist *d);

/* Fills rows x n values of dt, rounded once to dt. Outlier channels are the
 * same for every row (channel j is an outlier if it is one of the first k
 * of a seeded permutation), as in real activations. */
/* Values, finite and non-zero as drawn and scaled, that storing in the
 * dtype lost. */
struct datagen_loss {
    size_t overflowed, flushed;   /* to Inf; to zero */
};

/* run's timed data: this many generated rows, repeated (a DRAM tensor has
 * tens of millions of values, and their content does not change the
 * timing); its accuracy check sees the same rows. */
#define DATAGEN_DISTINCT_ROWS 64

/* Returns what storing lost. */
struct datagen_loss datagen_fill(void *x, size_t rows, size_t n, enum nb_dtype dt, const struct nb_distribution *d,
                    uint64_t seed);

/* Gains around 1 (1 + 0.1 N(0,1)), or offsets around 0 for gemma; biases
 * 0.1 N(0,1). */
void datagen_gain(void *g, size_t n, enum nb_dtype dt, int gemma, uint64_t seed);
void datagen_bias(void *b, size_t n, enum nb_dtype dt, uint64_t seed);

#endif
