/* The reference's fast path (Ziv's strategy, first step): the statistics
 * as unevaluated sums of two doubles with the Ogita-Rump-Oishi bound, the
 * per-row scale in binary128, each output as a double-word number with a
 * proven bound on its error. When [T - err, T + err] lies inside one
 * rounding interval of the storage format and inside one of the double
 * nearest, both results are those of the exact value, the same bits the
 * MPFR path gives; otherwise the row goes to MPFR.
 *
 * Error terms, with u = 2^-53 and gamma_m = m u / (1 - m u):
 *  - Sum2 and Dot2 (Ogita, Rump, Oishi, "Accurate sum and dot product",
 *    SIAM J. Sci. Comput. 26, 2005, Prop. 4.5 and 5.3): p + sigma, left
 *    unevaluated, is within gamma_m^2 sum |terms| of the exact sum of m
 *    terms. TwoSum and TwoProduct are exact without overflow; the ranges
 *    below keep every product far from underflow.
 *  - binary128 operations round once (2^-113); the square root is one
 *    Newton step from the double one (relative error below 2^-105).
 *  - double-word products and sums: at most a few u^2 of their result
 *    (counted at each step below, rounded up to 2^-102 and 2^-104).
 * Every bound is then taken 5% larger, which covers the rounding of the
 * bound's own arithmetic. */
#include "reference_fast.h"
#include "ref_eft.h"
#include "../kernels/kernels.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANES 4

const struct ref_format ref_formats[NB_DTYPE_COUNT] = {
    [NB_F32] = {24, -125, 128},
    [NB_BF16] = {8, -125, 128},
    [NB_F16] = {11, -13, 16},
};

/* ---- rounding to a format, and whether a bound decides it ----
 * On the bits of a double, without libm calls: this runs per output. */

static inline double pow2(int k) /* 2^k, k in the normal range of double */
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline int exponent_of(double a) /* a > 0 normal: a in [2^(e-1), 2^e); 0 if subnormal */
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int biased = (int)(bits >> 52) & 0x7ff;
    return biased ? biased - 1022 : 0;
}

/* a >= 0, a normal double or 0: the format value nearest a as k q (k an
 * integer, q the ulp), choosing the neighbour toward `lean` when a is a
 * midpoint (lean 0: ties to even); *lo and *hi bound the cell of k q. */
static inline __attribute__((always_inline)) double cell_of(double a, double lean, const struct ref_format *f, double *lo, double *hi)
{
    const int e = a == 0 ? (int)f->emin : exponent_of(a);
    const int qe = (e > f->emin ? e : (int)f->emin) - f->p;
    const double q = pow2(qe), x = a * pow2(-qe); /* exact: powers of two */
    double k = (x + 0x1p52) - 0x1p52;             /* rint, ties to even: x < 2^25 */
    if (k - x == 0.5 && lean < 0)
        k -= 1;
    else if (x - k == 0.5 && lean > 0)
        k += 1;
    const double half = 0.5, p_top = pow2(f->p), p_low = pow2(f->p - 1);
    const double r = k * q, top = pow2((int)f->emax);
    if (r >= top) {
        *lo = top - pow2((int)f->emax - f->p - 1);
        *hi = INFINITY;
        return INFINITY;
    }
    *hi = (k == p_top ? k + 1 : k + half) * q;                          /* 2^e: twice the spacing above */
    *lo = (k == p_low && e > f->emin ? k - half / 2 : k - half) * q; /* binade start: half below */
    return r;
}

double ref_round_cell(double v, const struct ref_format *f, double *lo, double *hi)
{
    if (!(fabs(v) <= DBL_MAX)) {
        *lo = *hi = v;
        return v; /* NaN; infinities are their own rounding */
    }
    if (fabs(v) < DBL_MIN) { /* subnormal doubles round to zero in every format */
        const double h = pow2((int)f->emin - f->p - 1);
        *lo = -h;
        *hi = h;
        return copysign(0.0, v);
    }
    double l, h, r = cell_of(fabs(v), 0, f, &l, &h);
    *lo = v < 0 ? -h : l;
    *hi = v < 0 ? -l : h;
    return copysign(r, v);
}

/* Does every real within err of th + tl (|tl| at most half an ulp of th)
 * round to the same format value and to the same double? Then *rounded and
 * *nearest get them. */
static inline __attribute__((always_inline)) int decide(double th, double tl, double err, const struct ref_format *f, double *rounded,
                         double *nearest)
{
    const double a = fabs(th), al = th < 0 ? -tl : tl; /* mirrored to a > 0 */
    if (!(a >= 0x1p-960 && a <= DBL_MAX) || !(err >= 0))
        return 0; /* far below any format's range: the bounds' own terms would underflow */
    double lo, hi, r = cell_of(a, al, f, &lo, &hi);
    /* distances to the cell's ends, each computed with two roundings */
    const double a1 = a - lo, d1 = a1 + al;
    if (!(d1 - 0x1p-51 * (a1 + fabs(al)) > err))
        return 0;
    if (hi != INFINITY) {
        const double a2 = hi - a, d2 = a2 - al;
        if (!(d2 - 0x1p-51 * (a2 + fabs(al)) > err))
            return 0;
    }
    /* the double nearest: th's own interval, narrower below a power of two */
    const int e = exponent_of(a);
    const double half_ulp = pow2(e - 54), below = a == pow2(e - 1) ? half_ulp / 2 : half_ulp;
    if (!(al + err < half_ulp * (1 - 0x1p-50) && err - al < below * (1 - 0x1p-50)))
        return 0;
    *rounded = th < 0 ? -r : r;
    *nearest = th;
    return 1;
}

int ref_fast_decide(double th, double tl, double err, const struct ref_format *f, double *rounded, double *nearest)
{
    return decide(th, tl, err, f, rounded, nearest);
}

/* ---- the per-row scale ---- */

struct row_scale {
    double rh, rl;     /* R = 1 / sqrt(N / K), as a double-word number */
    double eps_r;      /* |R computed - R exact| <= eps_r R */
    double mh, ml;     /* layernorm: the mean */
    double e_mu;       /* |mean computed - mean exact| <= e_mu */
};

/* R from M = N / K and its relative error; 0 when outside the range the
 * bounds cover */
static int scale_from(quad m, double rel_m, struct row_scale *s)
{
    double md = (double)m;
    if (!(md >= 0x1p-900 && md <= 0x1p900) || !(rel_m < 0x1p-60))
        return 0;
    double s0 = sqrt(md);
    quad root = ((quad)s0 + m / (quad)s0) / 2; /* one Newton step: 2^-105 */
    quad r = 1 / root;
    s->rh = (double)r;
    s->rl = (double)(r - (quad)s->rh);
    if (!(s->rh >= 0x1p-400 && s->rh <= 0x1p400))
        return 0;
    /* sqrt halves M's error; then the Newton step, 1/root, the split */
    s->eps_r = 0.51 * rel_m + 0x1p-103;
    return 1;
}

FAST_CLONES static int rms_scale(const struct ref_fast_ctx *c, const double *h, struct row_scale *s)
{
    double p[LANES] = {0}, sg[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= c->count; j += LANES)
        for (int l = 0; l < LANES; l++) {
            double e;
            two_sum(p[l], h[j + l] * h[j + l], &p[l], &e); /* x^2 is exact: 48 bits */
            sg[l] += e;
        }
    for (; j < c->count; j++) {
        double e;
        two_sum(p[0], h[j] * h[j], &p[0], &e);
        sg[0] += e;
    }
    quad q = 0;
    for (int l = 0; l < LANES; l++)
        q += (quad)p[l] + (quad)sg[l];
    /* Sum2 over at most count / LANES + 1 terms a lane, every term >= 0;
     * 2 LANES binary128 additions */
    double rel_q = 1.05 * (gamma_sq(c->count / LANES + 1) + 0x1p-108);
    const double k = (double)c->count;
    quad m = (q + (quad)k * (quad)c->a->eps) / (quad)k; /* K eps is exact */
    return scale_from(m, rel_q + 0x1p-111, s);
}


/* The mean mu and the variance about it, through a shift c (an f32 value
 * near mu): x - c = a + b exactly, P1 = sum (a + b) = S - n c and P2 =
 * sum (a + b)^2 by Sum2 and Dot2; then sum (x - mu)^2 = P2 - P1^2 / n. */
FAST_CLONES static int layer_scale(const struct ref_fast_ctx *c, const double *h, struct row_scale *s)
{
    const size_t n = c->a->n;
    double plain = 0;
    for (size_t j = 0; j < n; j++)
        plain += h[j];
    const double shift = (double)(float)(plain / (double)n);
    if (!isfinite(shift))
        return 0;
    double p1[LANES] = {0}, s1[LANES] = {0}, p2[LANES] = {0}, s2[LANES] = {0}, abs_a = 0;
    size_t extra = 0; /* lanes' terms beyond one (P1) and one product (P2) an element */
    for (size_t j = 0; j < n; j++) {
        const int l = (int)(j % LANES);
        double a, b, e;
        two_sum(h[j], -shift, &a, &b);
        two_sum(p1[l], a, &p1[l], &e);
        s1[l] += e;
        abs_a += fabs(a);
        dot2_add(a, a, &p2[l], &s2[l]);
        if (b != 0) { /* x and the shift 30 binades apart: rare */
            two_sum(p1[l], b, &p1[l], &e);
            s1[l] += e;
            dot2_add(2 * a, b, &p2[l], &s2[l]);
            dot2_add(b, b, &p2[l], &s2[l]);
            extra += 2;
        }
    }
    quad q1 = 0, q2 = 0;
    for (int l = 0; l < LANES; l++) {
        q1 += (quad)p1[l] + (quad)s1[l];
        q2 += (quad)p2[l] + (quad)s2[l];
    }
    const double gm = gamma_sq(n / LANES + 1 + extra);
    /* sum |terms| of P1 <= abs_a (1 + gamma_n + u), of P2 about P2 */
    const double e1 = 1.05 * (gm + 0x1p-108) * abs_a, e2 = 1.05 * (gm + 0x1p-108) * (double)q2;
    const double nd = (double)n;
    quad sq = q1 * q1 / (quad)nd, v = q2 - sq;
    double ev = e2 + (2 * fabs((double)q1) * e1 + e1 * e1) / nd + 0x1p-110 * ((double)q2 + (double)sq);
    quad m = v / (quad)nd + (quad)c->a->eps;
    double md = (double)m;
    if (!(md > 0))
        return 0;
    double em = 1.05 * (ev / nd + 0x1p-111 * (fabs((double)v) / nd + md));
    if (!scale_from(m, em / md, s))
        return 0;
    quad mu = (quad)shift + q1 / (quad)nd;
    s->mh = (double)mu;
    s->ml = (double)(mu - (quad)s->mh);
    s->e_mu = 1.05 * (e1 / nd + 0x1p-111 * (fabs(shift) + fabs((double)q1) / nd) + 0x1p-105 * fabs(s->mh));
    return 1;
}

/* ---- outputs ---- */

/* t = (zh + zl) (rh + rl) as th + tl: 8 u^2 of t */
static inline __attribute__((always_inline)) void dw_mul(double zh, double zl, const struct row_scale *s, double *th, double *tl)
{
    double ph, pl;
    two_prod(zh, s->rh, &ph, &pl);
    double q = zh * s->rl + zl * s->rh;
    fast_two_sum(ph, pl + q, th, tl);
}

static inline __attribute__((always_inline)) void store(const struct ref_fast_ctx *c, void *y, double *exact, size_t k, double r, double d)
{
    if (y) {
        if (c->dt == NB_F32)
            ((float *)y)[k] = (float)r;
        else
            nb_store(y, k, (float)r, c->dt); /* r is a value of the format: exact */
    }
    if (exact)
        exact[k] = d;
}

FAST_CLONES static enum ref_fast_status rms_row(const struct ref_fast_ctx *c, const double *h, size_t base, void *y,
                                    double *exact, size_t *unsure)
{
    struct row_scale s;
    if (!rms_scale(c, h, &s))
        return REF_FAST_SPECIAL;
    const struct ref_format *f = &ref_formats[c->dt];
    const double rel = 1.05 * (s.eps_r + 0x1p-102);
    size_t missed = 0;
    for (size_t i = 0; i < c->a->n; i++) {
        double bh, bl = 0;
        if (c->wide_gain)
            two_prod(h[i], c->g[i], &bh, &bl); /* x (1 + g): up to 77 bits */
        else
            bh = h[i] * c->g[i]; /* 48 bits: exact */
        if (bh == 0) { /* +-0 / s + 0 is +0, as in the MPFR path */
            store(c, y, exact, base + i, 0.0, 0.0);
            continue;
        }
        double th, tl, r, d;
        dw_mul(bh, bl, &s, &th, &tl);
        if (!decide(th, tl, rel * fabs(th), f, &r, &d)) {
            missed++;
            continue;
        }
        store(c, y, exact, base + i, r, d);
    }
    *unsure = missed;
    return missed ? REF_FAST_UNSURE : REF_FAST_DONE;
}

/* The sign of x_i - mu exactly, from S = sum x_j as an integer multiple
 * of the row's smallest ulp; 2 when the row spans too many binades for
 * 128 bits. Computed once per row, when first needed. */
struct exact_sum {
    int ready, ok, lsb;
    int neg_zero; /* S is -0: every x_j is -0 */
    __int128 s;
};

static int dev_sign_exact(const struct ref_fast_ctx *c, const double *h, struct exact_sum *es, size_t i)
{
    const size_t n = c->a->n;
    if (!es->ready) {
        es->ready = 1;
        int lo = INT_MAX, hi = INT_MIN;
        for (size_t j = 0; j < n; j++)
            if (h[j] != 0) {
                int e = ilogb(h[j]);
                lo = e < lo ? e : lo;
                hi = e > hi ? e : hi;
            }
        es->lsb = lo == INT_MAX ? 0 : (lo - 23 < -149 ? -149 : lo - 23); /* every x_j is a multiple */
        es->ok = n <= ((size_t)1 << 20) && (lo == INT_MAX || hi - es->lsb + 22 <= 126);
        es->s = 0;
        es->neg_zero = 1;
        for (size_t j = 0; es->ok && j < n; j++) {
            es->s += (__int128)ldexp(h[j], -es->lsb);
            es->neg_zero &= h[j] == 0 && signbit(h[j]);
        }
    }
    if (!es->ok)
        return 2;
    __int128 v = (__int128)n * (__int128)ldexp(h[i], -es->lsb) - es->s;
    if (v == 0 && h[i] == 0) /* (+-0) - (+-0): -0 only for -0 - (+0) */
        return signbit(h[i]) && !es->neg_zero ? -1 : 0;
    return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/* y_i = g (x_i - mu) R + b with b = +-0: zero exactly when x_i = mu (or
 * g = 0), with the sign IEEE (and MPFR) give t + b, t = (n x_i - S) g / s;
 * dev_sign_exact gives -1 for n x_i - S = -0. */
static int zero_bias_output(const struct ref_fast_ctx *c, const double *h, struct exact_sum *es, size_t i,
                            double yh, double yl, double err, double *r, double *d)
{
    const double g = c->g[i];
    if (g != 0 && decide(yh, yl, err, &ref_formats[c->dt], r, d))
        return 1;
    if (!(fabs(yh) <= err) && g != 0)
        return 0; /* not zero: a near-tie elsewhere */
    const int sign = dev_sign_exact(c, h, es, i);
    const int zero_dev = sign == 0 || (sign == -1 && h[i] == 0 && !es->s);
    if (sign == 2 || (!zero_dev && g != 0))
        return 0;
    const double t = copysign(0.0, (sign < 0 ? -1.0 : 1.0) * (signbit(g) ? -1.0 : 1.0));
    *r = *d = t + c->b[i];
    return 1;
}

FAST_CLONES static enum ref_fast_status layer_row(const struct ref_fast_ctx *c, const double *h, size_t base, void *y,
                                      double *exact, size_t *unsure)
{
    struct row_scale s;
    if (!layer_scale(c, h, &s))
        return REF_FAST_SPECIAL;
    const struct ref_format *f = &ref_formats[c->dt];
    const double rel = s.eps_r + 0x1p-102;
    /* first every output's approximation and bound, in a loop without
     * branches that the compiler can vectorize, then the decisions */
    double *wh = c->work, *wl = c->work + c->a->n, *we = c->work + 2 * c->a->n;
    for (size_t i = 0; i < c->a->n; i++) {
        const double g = c->g[i], bias = c->b[i];
        /* x - mu: 2^-106 (|x - mu| + |mu|) beyond mu's own error */
        double sh, se, dh, dl;
        two_sum(h[i], -s.mh, &sh, &se);
        two_sum(sh, se - s.ml, &dh, &dl);
        const double e_dev = s.e_mu + 0x1p-105 * (fabs(dh) + fabs(s.mh));
        /* z = (x - mu) g: 3 u^2; t = z R: 8 u^2 more */
        double zh, zl, th, tl;
        two_prod(dh, g, &zh, &zl);
        fast_two_sum(zh, zl + dl * g, &zh, &zl);
        dw_mul(zh, zl, &s, &th, &tl);
        /* y = t + b: u^2 (|y| + |t|) */
        double yh, ye, yl;
        two_sum(th, bias, &yh, &ye);
        two_sum(yh, ye + tl, &yh, &yl);
        wh[i] = yh;
        wl[i] = yl;
        we[i] = 1.05 * (fabs(g) * s.rh * e_dev + fabs(th) * rel + 0x1p-104 * (fabs(yh) + fabs(th)));
    }
    size_t missed = 0;
    struct exact_sum es = {0};
    for (size_t i = 0; i < c->a->n; i++) {
        double r, d;
        if (c->b[i] == 0 ? !zero_bias_output(c, h, &es, i, wh[i], wl[i], we[i], &r, &d)
                         : !decide(wh[i], wl[i], we[i], f, &r, &d)) {
            missed++;
            continue;
        }
        store(c, y, exact, base + i, r, d);
    }
    *unsure = missed;
    return missed ? REF_FAST_UNSURE : REF_FAST_DONE;
}

/* h = the row the norm sees; addrmsnorm's x + residual rounded once: the
 * double sum is exact, or the smaller term is below 2^-29 of the larger's
 * ulp and both roundings give the larger */
static int load_row(const struct ref_fast_ctx *c, size_t base, double *h)
{
    const struct nb_args *a = c->a;
    int finite = 1;
    for (size_t j = 0; j < a->n; j++) {
        double v = nb_load(a->x, base + j, c->dt);
        if (c->norm == NB_ADDRMSNORM) {
            double lo, hi;
            v = ref_round_cell(v + nb_load(a->residual, base + j, c->dt), &ref_formats[c->dt], &lo, &hi);
        }
        h[j] = v;
        finite &= isfinite(v);
    }
    return finite;
}

int ref_fast_init(struct ref_fast_ctx *c, enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a)
{
    const size_t n = a->n;
    c->norm = norm;
    c->dt = dt;
    c->a = a;
    c->count = norm == NB_PRMSNORM ? nb_prms_k(n, a->p) : n;
    c->h = malloc((n ? n : 1) * sizeof *c->h);
    c->g = malloc((n ? n : 1) * sizeof *c->g);
    c->b = malloc((n ? n : 1) * sizeof *c->b);
    c->work = malloc((n ? 3 * n : 1) * sizeof *c->work);
    c->wide_gain = norm == NB_GEMMARMSNORM;
    if (!c->h || !c->g || !c->b || !c->work) {
        ref_fast_free(c);
        return -1;
    }
    c->shared_ok = isfinite(a->eps) && a->eps >= 0 && a->eps <= 0x1p500;
    for (size_t i = 0; i < n; i++) {
        double g = nb_load(a->g, i, dt);
        c->b[i] = norm == NB_LAYERNORM ? nb_load(a->b, i, dt) : 0;
        if (c->wide_gain) {
            double lo;
            two_sum(1.0, g, &c->g[i], &lo);
            c->shared_ok &= lo == 0; /* |g| < 2^-29: 1 + g needs two doubles, left to MPFR */
        } else {
            c->g[i] = g;
        }
        c->shared_ok &= isfinite(g) && isfinite(c->b[i]);
    }
    return 0;
}

void ref_fast_free(struct ref_fast_ctx *c)
{
    free(c->h);
    free(c->g);
    free(c->b);
    free(c->work);
    c->h = c->g = c->b = c->work = NULL;
}

enum ref_fast_status ref_fast_row(const struct ref_fast_ctx *c, size_t row, void *y, double *exact,
                                  size_t *unsure)
{
    const size_t base = row * c->a->n;
    *unsure = 0;
    if (!c->shared_ok || c->count == 0 || !load_row(c, base, c->h))
        return REF_FAST_SPECIAL;
    enum ref_fast_status st = c->norm == NB_LAYERNORM ? layer_row(c, c->h, base, y, exact, unsure)
                                                      : rms_row(c, c->h, base, y, exact, unsure);
    if (st == REF_FAST_DONE && c->norm == NB_ADDRMSNORM)
        for (size_t j = 0; j < c->a->n; j++)
            nb_store(c->a->residual, base + j, (float)c->h[j], c->dt);
    return st;
}
