/* The registry: kernels/variants.def expanded into a const table. */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#include "../kernels/ext.h"
#include "../kernels/kernels.h"
#include "arch.h"
#include "cpu_features.h"

/* Lower-case aliases so that the table's tokens name the enum values. */
enum {
    nb_norm_rmsnorm = NB_RMSNORM, nb_norm_layernorm = NB_LAYERNORM,
    nb_norm_prmsnorm = NB_PRMSNORM, nb_norm_addrmsnorm = NB_ADDRMSNORM,
    nb_norm_gemmarmsnorm = NB_GEMMARMSNORM, nb_norm_rmsnorm_bwd = NB_RMSNORM_BWD,
    nb_norm_layernorm_bwd = NB_LAYERNORM_BWD,
};
/* isa.def's tokens as the enum's values */
enum {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) nb_isa_##name = NB_ISA_##NAME,
#include "../kernels/isa.def"
#undef NB_ISA
};
enum {
    nb_dtype_f32 = NB_F32, nb_dtype_bf16 = NB_BF16, nb_dtype_f16 = NB_F16,
    nb_dtype_bf16_up = NB_BF16, nb_dtype_f16_up = NB_F16,
    nb_dtype_bf16_nat = NB_BF16, nb_dtype_f16_nat = NB_F16,
    nb_dtype_bf16_llama = NB_BF16, nb_dtype_f16_llama = NB_F16,
};
enum {
    nb_mode_f32 = NB_MODE_F32, nb_mode_bf16 = NB_MODE_EXACT, nb_mode_f16 = NB_MODE_EXACT,
    nb_mode_bf16_up = NB_MODE_UP, nb_mode_f16_up = NB_MODE_UP,
    nb_mode_bf16_nat = NB_MODE_NAT, nb_mode_f16_nat = NB_MODE_NAT,
    nb_mode_bf16_llama = NB_MODE_LLAMA, nb_mode_f16_llama = NB_MODE_LLAMA,
};

static const unsigned isa_needs[NB_ISA_COUNT] = {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) [NB_ISA_##NAME] = needs,
#include "../kernels/isa.def"
#undef NB_ISA
};

static const char *const isa_arch[NB_ISA_COUNT] = {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) [NB_ISA_##NAME] = #arch,
#include "../kernels/isa.def"
#undef NB_ISA
};

static const int isa_under_valgrind[NB_ISA_COUNT] = {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) [NB_ISA_##NAME] = valgrind,
#include "../kernels/isa.def"
#undef NB_ISA
};

/* f32 ref is exact mode too: the isa decides, not the dtype token */
#define NB_VARIANT(norm, alg, isa, dt, bound, partner, flags)                              \
    {#norm "/" #alg "/" #isa "/" #dt, #alg, #dt, (enum nb_norm)nb_norm_##norm,               \
     (enum nb_isa)nb_isa_##isa, (enum nb_dtype)nb_dtype_##dt,                                 \
     (int)nb_isa_##isa == (int)NB_ISA_MPFR ? NB_MODE_EXACT : (enum nb_mode)nb_mode_##dt,     \
     norm##_##alg##_##isa##_##dt, 0, bound, #partner, flags},
static struct nb_variant table[] = {
#include "../kernels/variants.def"
};
#undef NB_VARIANT

#define TABLE_SIZE (sizeof table / sizeof table[0])

/* Names are written with '-' for '_' ("rmsnorm-bwd", "bf16-up") and the needs come
 * from the isa; both are filled in once, before first use. */
static char names[TABLE_SIZE][64];
static char dtypes[TABLE_SIZE][16];

/* name and dtype_name with '-' for '_', in the slot's buffers */
static void dash_names(size_t slot, const char **name, const char **dtype)
{
    snprintf(names[slot], sizeof names[slot], "%s", *name);
    snprintf(dtypes[slot], sizeof dtypes[slot], "%s", *dtype);
    for (char *p = names[slot]; *p; p++)
        if (*p == '_')
            *p = '-';
    for (char *p = dtypes[slot]; *p; p++)
        if (*p == '_')
            *p = '-';
    *name = names[slot];
    *dtype = dtypes[slot];
}

static void registry_init(void)
{
    static int done;
    if (done)
        return;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        dash_names(i, &table[i].name, &table[i].dtype_name);
        table[i].needs = isa_needs[table[i].isa];
    }
    done = 1;
}

size_t registry_count(void)
{
    return TABLE_SIZE;
}

const struct nb_variant *registry_at(size_t i)
{
    registry_init();
    return i < TABLE_SIZE ? &table[i] : NULL;
}

const struct nb_variant *registry_find(const char *name)
{
    registry_init();
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const struct nb_variant *registry_reference(enum nb_norm norm, enum nb_dtype dt)
{
    registry_init();
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (table[i].isa == NB_ISA_MPFR && table[i].norm == norm && table[i].dtype == dt)
            return &table[i];
    return NULL;
}

static const char *unavailable(int built, enum nb_isa isa, unsigned needs, enum nb_dtype dt)
{
    static char why[160];
    const struct nb_cpu *cpu = cpu_detect();
    if (!built && strcmp(isa_arch[isa], "any") != 0 && strcmp(isa_arch[isa], NB_ARCH_FAMILY) != 0) {
        /* registry_other_arch */
        snprintf(why, sizeof why, "not built: an %s ISA, and this build is for %s", isa_arch[isa], NB_ARCH_NAME);
        return why;
    }
    if (!built)
        return "not built: this build has no code for the isa";
    if (isa == NB_ISA_EXT)
        return nb_onednn_unavailable(dt);
    unsigned missing = needs & ~cpu->features;
    if (!missing)
        return NULL;
    if (cpu->under_valgrind && !isa_under_valgrind[isa])
        return "valgrind's emulated CPU has no AVX-512";
    size_t len = 0;
    const char *lead = (missing & cpu->disabled) ? "disabled by NORMBENCH_DISABLE:" : "CPU lacks";
    len += (size_t)snprintf(why, sizeof why, "%s", lead);
    for (unsigned bit = 1; bit && len < sizeof why; bit <<= 1)
        if (missing & bit)
            len += (size_t)snprintf(why + len, sizeof why - len, " %s", cpu_feature_name(bit));
    return why;
}

int registry_other_arch(const struct nb_variant *v)
{
    return strcmp(isa_arch[v->isa], "any") != 0 && strcmp(isa_arch[v->isa], NB_ARCH_FAMILY) != 0;
}

const char *registry_unavailable(const struct nb_variant *v)
{
    return unavailable(v->fn != NULL, v->isa, v->needs, v->dtype);
}

size_t registry_workspace_bytes(const struct nb_variant *v, size_t rows, size_t n)
{
    /* the naive (eager) variants materialise up to three rows x n f32
     * temporaries, two per-row vectors and a gain vector, each region
     * starting on a 64-byte boundary */
    if (!(v->flags & NB_V_SCRATCH))
        return 0;
    if (norm_is_backward(v->norm))
        return nb_bwd_workspace_bytes(rows, n);
    return 3 * rows * n * sizeof(float) + 2 * rows * sizeof(float) + n * sizeof(float) + 6 * 64;
}

static const char *const norm_names[NB_NORM_COUNT] = {
    [NB_RMSNORM] = "rmsnorm", [NB_LAYERNORM] = "layernorm", [NB_PRMSNORM] = "prmsnorm",
    [NB_ADDRMSNORM] = "addrmsnorm", [NB_GEMMARMSNORM] = "gemmarmsnorm",
    [NB_RMSNORM_BWD] = "rmsnorm-bwd", [NB_LAYERNORM_BWD] = "layernorm-bwd",
};

const char *norm_name(enum nb_norm norm) { return norm_names[norm]; }

const char *isa_name(enum nb_isa isa)
{
    static const char *const names_[NB_ISA_COUNT] = {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) [NB_ISA_##NAME] = #name,
#include "../kernels/isa.def"
#undef NB_ISA
    };
    return names_[isa];
}

const char *dtype_name(enum nb_dtype dt)
{
    static const char *const names_[NB_DTYPE_COUNT] = {"f32", "bf16", "f16"};
    return names_[dt];
}

const char *registry_sum_order(const struct nb_variant *v)
{
    if (v->mode != NB_MODE_NAT)
        return "-";
    return v->flags & NB_V_LANES8 ? "8 lanes" : v->flags & NB_V_NATIVE8 ? "8 fma lanes" : "sequential";
}

const char *mode_name(enum nb_mode mode)
{
    static const char *const names_[] = {"f32", "up", "nat", "exact", "llama"};
    return names_[mode];
}

int norm_uses_bias(enum nb_norm norm) { return norm == NB_LAYERNORM; }
int norm_is_backward(enum nb_norm norm) { return norm == NB_RMSNORM_BWD || norm == NB_LAYERNORM_BWD; }
int norm_has_db(enum nb_norm norm) { return norm == NB_LAYERNORM_BWD; }

enum nb_norm norm_forward(enum nb_norm norm)
{
    return norm == NB_RMSNORM_BWD ? NB_RMSNORM : norm == NB_LAYERNORM_BWD ? NB_LAYERNORM : norm;
}
int norm_uses_residual(enum nb_norm norm) { return norm == NB_ADDRMSNORM; }
