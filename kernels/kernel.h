/* The one interface every kernel variant implements, and the scalar
 * number-format helpers the kernels and the harness share.
 *
 * Kernels know nothing of the harness: they get a pointer to nb_args and
 * normalise args->rows independent rows of args->n values each. */
#ifndef NB_KERNEL_H
#define NB_KERNEL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum nb_norm {
    NB_RMSNORM,       /* y = x / sqrt(mean(x^2) + eps) * g */
    NB_LAYERNORM,     /* y = (x - mu) / sqrt(var + eps) * g + b */
    NB_PRMSNORM,      /* RMS over the first ceil(n*p/100) values only */
    NB_ADDRMSNORM,    /* h = x + residual, written back to residual; y = rmsnorm(h) */
    NB_GEMMARMSNORM,  /* rmsnorm with gain (1 + g), the Gemma convention */
    /* backward passes (README "Backward"): from x, g and dy, dx into y and
     * the row sums dg (and db) */
    NB_RMSNORM_BWD,
    NB_LAYERNORM_BWD,
    NB_NORM_COUNT
};

enum nb_dtype { NB_F32, NB_BF16, NB_F16, NB_DTYPE_COUNT };

/* How bf16/f16 data is computed on (f32 data has only NB_MODE_F32). */
enum nb_mode {
    NB_MODE_F32,   /* f32 storage, f32 arithmetic */
    NB_MODE_UP,    /* widen to f32, compute in f32, round once on store */
    NB_MODE_NAT,   /* every operation rounded to the storage type */
    NB_MODE_EXACT, /* the MPFR reference: exact, rounded once */
    NB_MODE_LLAMA  /* Hugging Face's LlamaRMSNorm: statistics and x r in f32,
                      x r rounded to the storage type, times the stored gain
                      rounded again */
};

struct nb_args {
    size_t rows, n;
    const void *x;      /* rows x n, io dtype */
    void *y;            /* rows x n, io dtype */
    const void *g;      /* n gains */
    const void *b;      /* n biases (layernorm), else unused */
    void *residual;     /* rows x n (addrmsnorm): read, then overwritten with x + residual */
    double eps;         /* the double nearest the eps the user gave */
    double p;           /* prmsnorm: percentage of the row the RMS covers, (0, 100] */
    void *work;         /* scratch for naive variants (nb_workspace_bytes) */
    unsigned ref_prec;  /* reference only: MPFR working precision in bits, 0 = default */
    /* autont kernels: the footprint (bytes of x and y in this call) above
     * which y is written with non-temporal stores, which skip reading each
     * line before overwriting it but bypass the caches. 0: never. The
     * engine sets it from the machine it measured (ceiling_nt_threshold in
     * src/ceilings.c). */
    size_t nt_threshold_bytes;
    /* autont kernels: the L1 data cache of the core, 0 unknown. A row
     * schedule whose working set outgrows it (rmsnorm/autont/avx2: the next
     * row, this row and g) loses half its DRAM bandwidth, and the kernel
     * switches to the blocked schedule (README "blockednt"). */
    size_t l1_bytes;
    /* backward variants (norm *-bwd): x and g are the forward inputs, dy
     * (rows x n) the gradient of y, y receives dx; dg and db (n values,
     * layernorm: db) receive the sums over the rows, written, not added to */
    const void *dy;
    void *dg;
    void *db;
};

/* Bumped whenever nb_args or nb_kernel_fn changes meaning or layout: a
 * kernel library (make lib) built with another value cannot be called. */
#define NB_KERNEL_ABI 4

typedef void (*nb_kernel_fn)(const struct nb_args *args);

/* The row block of the dg and db reductions: each block of this many rows
 * is summed, row after row, into an f32 partial (what a thread of a real
 * kernel owns), and the partials are summed in block order, then rounded
 * once to the io dtype. */
#define NB_BWD_ROW_BLOCK 64

/* Scratch a backward kernel may use: the partials of dg and db for every
 * row block, and three rows x n f32 temporaries for the naive variants. */
static inline size_t nb_bwd_workspace_bytes(size_t rows, size_t n)
{
    size_t blocks = (rows + NB_BWD_ROW_BLOCK - 1) / NB_BWD_ROW_BLOCK;
    return (2 * blocks * n + 3 * rows * n + 2 * rows + 2 * n) * sizeof(float) + 8 * 64;
}

/* prmsnorm's statistics cover k = ceil(n * p / 100) values, clamped to
 * [1, n]. Computed exactly: n * p is exact in double for any n the tool
 * accepts, and the two integer checks undo any rounding of the division. */
static inline size_t nb_prms_k(size_t n, double p)
{
    double np = (double)n * p;
    size_t k = (size_t)ceil(np / 100.0);
    while (k > 0 && (double)(k - 1) * 100.0 >= np)
        k--;
    while ((double)k * 100.0 < np)
        k++;
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return k;
}

static inline size_t nb_dtype_size(enum nb_dtype dt)
{
    return dt == NB_F32 ? 4 : 2;
}

static inline uint32_t nb_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float nb_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline float nb_bf16_to_f32(uint16_t h)
{
    return nb_bits_f32((uint32_t)h << 16);
}

/* Round to nearest even; NaN stays NaN (quietened), overflow goes to Inf. */
static inline uint16_t nb_f32_to_bf16(float f)
{
    uint32_t u = nb_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float nb_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f)
        return nb_bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        /* zero or subnormal: man * 2^-24, exact in f32 */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return nb_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

/* Round to nearest even with subnormals and overflow to Inf. */
static inline uint16_t nb_f32_to_f16(float f)
{
    uint32_t u = nb_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) /* >= 65520, the midpoint above 65504: Inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2^-14: subnormal or zero in f16 */
        if (a < 0x33000000u) /* at most 2^-25, half the smallest subnormal: ties to 0 */
            return sign;
        uint32_t e = a >> 23;
        uint32_t m = (a & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e; /* so that the result is m * 2^-24 units */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (q & 1u)))
            q++;
        return (uint16_t)(sign | q);
    }
    /* normal: rebias the exponent, round the 13 dropped bits to even */
    uint32_t r = a - 0x38000000u;
    r += 0xfffu + ((r >> 13) & 1u);
    return (uint16_t)(sign | (r >> 13));
}

/* Generic access for portable kernels: with dt a compile-time constant at
 * the call site these fold to a single load or store. */
static inline float nb_load(const void *p, size_t i, enum nb_dtype dt)
{
    switch (dt) {
    case NB_BF16: return nb_bf16_to_f32(((const uint16_t *)p)[i]);
    case NB_F16:  return nb_f16_to_f32(((const uint16_t *)p)[i]);
    default:      return ((const float *)p)[i];
    }
}

static inline void nb_store(void *p, size_t i, float v, enum nb_dtype dt)
{
    switch (dt) {
    case NB_BF16: ((uint16_t *)p)[i] = nb_f32_to_bf16(v); break;
    case NB_F16:  ((uint16_t *)p)[i] = nb_f32_to_f16(v); break;
    default:      ((float *)p)[i] = v; break;
    }
}

/* Rounds an f32 value to dt and back. One f32 operation followed by this
 * rounding equals the operation correctly rounded in dt: f32's 24 bits are
 * at least 2p + 2 for bf16 (p = 8) and f16 (p = 11), so the double rounding
 * is innocuous for + - * / and sqrt (Figueroa, 1995). */
static inline float nb_round_to(float v, enum nb_dtype dt)
{
    switch (dt) {
    case NB_BF16: return nb_bf16_to_f32(nb_f32_to_bf16(v));
    case NB_F16:  return nb_f16_to_f32(nb_f32_to_f16(v));
    default:      return v;
    }
}

#endif
