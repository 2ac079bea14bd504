/* How fast this core converts between f16 and f32 (F16C), the count that
 * limits rmsnorm's f16-up kernels in L1 and L2 and keeps them below 1.6x
 * f32 in L3 (README "On AMD Zen 3"). Not part of normbench: a probe of
 * one instruction mix.
 *
 *   gcc -O2 scripts/f16c-rate.c -o build/f16c-rate && build/f16c-rate
 *
 * Each loop issues independent instructions (no result feeds another), so
 * what it times is issue throughput, not latency (the FMA starts from a
 * zeroed register, which breaks its chain). Times are TSC cycles,
 * the clock normbench's tsc_cycles_per_element uses; the core's own clock
 * may run faster, so compare mixes with each other, not with a datasheet. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>

#define ITERATIONS 20000000L
#define X8(s) s s s s s s s s
#define CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6"

/* TSC cycles per pass of `body`, which holds 8 copies of one mix */
#define MIX(name, body)                                         \
    static double name(void)                                    \
    {                                                           \
        const uint64_t t0 = __rdtsc();                          \
        for (long i = 0; i < ITERATIONS; i++)                   \
            __asm__ volatile(X8(body)::: CLOBBERS);             \
        return (double)(__rdtsc() - t0) / (8.0 * ITERATIONS);   \
    }

MIX(widen_only, "vcvtph2ps %%xmm8, %%ymm0\n")
MIX(narrow_only, "vcvtps2ph $0, %%ymm8, %%xmm0\n")
MIX(mul_only, "vmulps %%ymm8, %%ymm9, %%ymm0\n vmulps %%ymm9, %%ymm10, %%ymm1\n")
/* rmsnorm/pipelined/avx2/f16-up per 8 values: x of the next row and x and
 * g of this row widened, y narrowed, with its two products and one FMA */
MIX(pipelined_f16, "vcvtph2ps %%xmm8, %%ymm0\n vcvtph2ps %%xmm9, %%ymm1\n vcvtph2ps %%xmm10, %%ymm2\n"
                   "vmulps %%ymm8, %%ymm9, %%ymm3\n vmulps %%ymm9, %%ymm10, %%ymm4\n"
                   "vxorps %%ymm5, %%ymm5, %%ymm5\n vfmadd213ps %%ymm10, %%ymm11, %%ymm5\n vcvtps2ph $0, %%ymm11, %%xmm6\n")
/* the same with g already f32: one widening fewer */
MIX(pipelined_f16_wide_g, "vcvtph2ps %%xmm8, %%ymm0\n vcvtph2ps %%xmm9, %%ymm1\n"
                          "vmulps %%ymm8, %%ymm9, %%ymm3\n vmulps %%ymm9, %%ymm10, %%ymm4\n"
                          "vxorps %%ymm5, %%ymm5, %%ymm5\n vfmadd213ps %%ymm10, %%ymm11, %%ymm5\n vcvtps2ph $0, %%ymm11, %%xmm6\n")

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
    const double s0 = seconds();
    const uint64_t c0 = __rdtsc();
    const double widen = widen_only(), narrow = narrow_only(), mul = mul_only() / 2.0;
    const double mix = pipelined_f16(), wide_g = pipelined_f16_wide_g();
    const double tsc_ghz = (double)(__rdtsc() - c0) / (seconds() - s0) / 1e9;
    printf("TSC %.2f GHz; TSC cycles per instruction: vcvtph2ps ymm %.2f, vcvtps2ph ymm %.2f, vmulps ymm %.2f\n", tsc_ghz,
           widen, narrow, mul);
    printf("pipelined f16-up mix: %.2f TSC cycles per 8 values (%.1f G values/s); with f32 gains %.2f (%.1f G values/s)\n",
           mix, 8.0 * tsc_ghz / mix, wide_g, 8.0 * tsc_ghz / wide_g);
    return 0;
}
#else
int main(void)
{
    puts("f16c-rate: x86-64 only");
    return 0;
}
#endif
