#include "datagen.h"

#include <math.h>
#include <string.h>

void rng_seed(struct nb_rng *r, uint64_t seed)
{
    r->state = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
}

uint64_t rng_u64(struct nb_rng *r) /* splitmix64 */
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double rng_unit(struct nb_rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1p-53;
}

/* ln(s) for s in (0, 1] with basic operations only: s = m 2^e with m in
 * [sqrt(1/2), sqrt(2)), ln m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172,
 * summed to 2^-60. Deterministic wherever doubles are IEEE. */
static double portable_log(double s)
{
    int e = 0;
    while (s < 0.7071067811865476) {
        s *= 2;
        e--;
    }
    double t = (s - 1) / (s + 1), t2 = t * t, term = t, sum = 0;
    for (int k = 1; k < 60; k += 2) {
        sum += term / k;
        term *= t2;
        if (term < 0x1p-60 && term > -0x1p-60)
            break;
    }
    return 2 * sum + e * 0.6931471805599453;
}

double rng_gauss(struct nb_rng *r)
{
    for (;;) {
        double u = 2 * rng_unit(r) - 1, v = 2 * rng_unit(r) - 1, s = u * u + v * v;
        if (s > 0 && s < 1)
            return u * sqrt(-2 * portable_log(s) / s);
    }
}

static const char *const dist_names[NB_DIST_COUNT] = {"normal", "uniform", "offset", "outlier", "zeros",
                                                       "constant"};

const char *dist_name(enum nb_dist d) { return dist_names[d]; }

int dist_parse(const char *name, enum nb_dist *d)
{
    for (int i = 0; i < NB_DIST_COUNT; i++)
        if (strcmp(name, dist_names[i]) == 0) {
            *d = (enum nb_dist)i;
            return 0;
        }
    return -1;
}

struct datagen_loss datagen_fill(void *x, size_t rows, size_t n, enum nb_dtype dt, const struct nb_distribution *d,
                                 uint64_t seed)
{
    struct datagen_loss lost = {0, 0};
    struct nb_rng r;
    rng_seed(&r, seed);
    for (size_t row = 0; row < rows; row++)
        for (size_t i = 0; i < n; i++) {
            double v;
            switch (d->kind) {
            case NB_DIST_UNIFORM: v = 2 * rng_unit(&r) - 1; break;
            case NB_DIST_OFFSET: v = d->offset + rng_gauss(&r); break;
            case NB_DIST_OUTLIER: {
                v = rng_gauss(&r);
                /* channel i is an outlier when its hash falls in the first k of n */
                uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull ^ seed;
                h ^= h >> 29;
                h *= 0xbf58476d1ce4e5b9ull;
                if ((h >> 11) % n < d->channels)
                    v *= d->factor;
                break;
            }
            case NB_DIST_ZEROS: v = 0; break;
            case NB_DIST_CONSTANT: v = d->value; break;
            default: v = rng_gauss(&r); break;
            }
            const double want = v * d->scale;
            nb_store(x, row * n + i, (float)want, dt);
            const float got = nb_load(x, row * n + i, dt);
            lost.overflowed += isfinite(want) && isinf(got);
            lost.flushed += want != 0 && got == 0;
        }
    return lost;
}

void datagen_gain(void *g, size_t n, enum nb_dtype dt, int gemma, uint64_t seed)
{
    struct nb_rng r;
    rng_seed(&r, seed ^ 0x6a09e667u);
    for (size_t i = 0; i < n; i++)
        nb_store(g, i, (float)((gemma ? 0 : 1) + 0.1 * rng_gauss(&r)), dt);
}

void datagen_bias(void *b, size_t n, enum nb_dtype dt, uint64_t seed)
{
    struct nb_rng r;
    rng_seed(&r, seed ^ 0xbb67ae85u);
    for (size_t i = 0; i < n; i++)
        nb_store(b, i, (float)(0.1 * rng_gauss(&r)), dt);
}
