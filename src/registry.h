/* The table of kernel variants (built from kernels/variants.def) and what
 * the harness needs to know about each. */
#ifndef NB_REGISTRY_H
#define NB_REGISTRY_H

#include <stddef.h>
#include "../kernels/kernel.h"

#define NB_REPORTED (-1.0)

/* nb_variant.flags, from the list's last column */
#define NB_V_SCRATCH 1u   /* needs nb_args.work: registry_workspace_bytes */
#define NB_V_BASELINE 2u  /* the speedups of its norm and dtype are against it */
#define NB_V_LANES8 4u    /* nat: sums in eight lanes, then pairwise (kernels/nat_lanes_scalar.c);
                             other nat variants sum sequentially, one term after another */
#define NB_V_NATIVE8 8u   /* nat in the hardware's fp16: eight lanes of fused multiply-adds, then
                             pairwise (kernels/rmsnorm_neonfp16.c) */

/* ext: an external library (kernels/NAME_ext.c), such as oneDNN */
/* kernels/isa.def: NB_ISA_SCALAR, NB_ISA_AVX2, ... */
enum nb_isa {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) NB_ISA_##NAME,
#include "../kernels/isa.def"
#undef NB_ISA
    NB_ISA_COUNT
};

struct nb_variant {
    const char *name;        /* norm/algorithm/isa/dtype; norm rmsnorm-bwd ... for a backward pass */
    const char *algorithm;
    const char *dtype_name;  /* f32, bf16-up, f16-nat, bf16 (reference) ... */
    enum nb_norm norm;
    enum nb_isa isa;
    enum nb_dtype dtype;
    enum nb_mode mode;
    nb_kernel_fn fn;         /* NULL when this build has no code for the isa */
    unsigned needs;          /* nb_cpu_feature bits */
    double ulp_bound;        /* NB_REPORTED: measured, not bounded */
    const char *partner;     /* the algorithm it equals bit for bit (same norm, isa, dtype), "none" */
    unsigned flags;          /* NB_V_SCRATCH, NB_V_BASELINE */
};

size_t registry_count(void);
const struct nb_variant *registry_at(size_t i);
const struct nb_variant *registry_find(const char *name);
/* The MPFR reference of a norm and storage type. */
const struct nb_variant *registry_reference(enum nb_norm norm, enum nb_dtype dt);

/* 1 when the variant's ISA belongs to another architecture (an aarch64 ISA
 * in an x86-64 build): commands that match globs skip those without a line
 * each (list still shows them). */
int registry_other_arch(const struct nb_variant *v);

/* NULL if the variant can run here, else why not (a static string). */
const char *registry_unavailable(const struct nb_variant *v);

/* Scratch the variant needs in nb_args.work for a rows x n call. */
size_t registry_workspace_bytes(const struct nb_variant *v, size_t rows, size_t n);

const char *norm_name(enum nb_norm norm);
const char *isa_name(enum nb_isa isa);
const char *dtype_name(enum nb_dtype dt);
const char *mode_name(enum nb_mode mode);
/* How a nat variant's sums are ordered: "sequential" or "8 lanes" (README
 * "Compute modes" spells both out); "-" for other modes, which sum in f32. */
const char *registry_sum_order(const struct nb_variant *v);
int norm_uses_bias(enum nb_norm norm);
/* rmsnorm-bwd and layernorm-bwd: nb_args' dy in, dx (in y), dg and db out */
int norm_is_backward(enum nb_norm norm);
int norm_has_db(enum nb_norm norm);
/* the norm a backward pass differentiates; a forward norm itself */
enum nb_norm norm_forward(enum nb_norm norm);
int norm_uses_residual(enum nb_norm norm);

#endif
