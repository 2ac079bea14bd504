/* CPU feature detection. A CPUID bit alone is not enough: the OS must also
 * have enabled saving the vector registers (XCR0), or the first AVX
 * instruction faults. NORMBENCH_DISABLE=avx512,avx2,... switches features off
 * by name, to test the fallbacks on a machine that has them. */
#include "cpu_features.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NB_X86 1
#endif

#if defined(__aarch64__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
#define NB_AARCH64 1
#endif

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

static const struct {
    unsigned bit;
    const char *name;
} feature_names[] = {
    {NB_CPU_AVX2, "avx2"},         {NB_CPU_FMA, "fma"},
    {NB_CPU_F16C, "f16c"},         {NB_CPU_AVX512F, "avx512f"},
    {NB_CPU_AVX512BW, "avx512bw"}, {NB_CPU_AVX512VL, "avx512vl"},
    {NB_CPU_AVX512_BF16, "avx512_bf16"}, {NB_CPU_OS_YMM, "os_ymm_state"},
    {NB_CPU_OS_ZMM, "os_zmm_state"}, {NB_CPU_ASIMD, "asimd"},
    {NB_CPU_ASIMDHP, "asimdhp"},   {NB_CPU_SVE, "sve"},
    {NB_CPU_BF16, "bf16"},         {NB_CPU_AVX512_FP16, "avx512_fp16"},
};

const char *cpu_feature_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if (feature_names[i].bit == bit)
            return feature_names[i].name;
    return "?";
}

void cpu_features_format(unsigned features, char *out, size_t len)
{
    size_t used = 0;
    if (len)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0] && used < len; i++)
        if (features & feature_names[i].bit) {
            int w = snprintf(out + used, len - used, " %s", feature_names[i].name);
            used += w > 0 ? (size_t)w : 0;
        }
}

#ifdef NB_X86
static unsigned long long read_xcr0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned detect_x86(void)
{
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (c & (1u << 12)) f |= NB_CPU_FMA;
    if (c & (1u << 29)) f |= NB_CPU_F16C;
    if (osxsave && avx) {
        unsigned long long xcr0 = read_xcr0();
        if ((xcr0 & 0x6) == 0x6) f |= NB_CPU_OS_YMM;
        if ((xcr0 & 0xe6) == 0xe6) f |= NB_CPU_OS_ZMM;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (b & (1u << 5)) f |= NB_CPU_AVX2;
        if (b & (1u << 16)) f |= NB_CPU_AVX512F;
        if (b & (1u << 30)) f |= NB_CPU_AVX512BW;
        if (b & (1u << 31)) f |= NB_CPU_AVX512VL;
        if (d & (1u << 23)) f |= NB_CPU_AVX512_FP16;
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5)))
        f |= NB_CPU_AVX512_BF16;
    /* Without the OS state the instructions fault: drop them. */
    if (!(f & NB_CPU_OS_YMM))
        f &= ~(NB_CPU_AVX2 | NB_CPU_FMA | NB_CPU_F16C);
    if (!(f & NB_CPU_OS_ZMM))
        f &= ~NB_CPU_AVX512_ALL;
    return f;
}
#endif

#ifdef NB_AARCH64
static unsigned detect_aarch64(void)
{
    const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    unsigned f = 0;
    if (hw & HWCAP_ASIMD) f |= NB_CPU_ASIMD;
    if ((hw & HWCAP_ASIMDHP) && (hw & HWCAP_FPHP)) f |= NB_CPU_ASIMDHP;
    if (hw & HWCAP_SVE) f |= NB_CPU_SVE;
    if (hw2 & HWCAP2_BF16) f |= NB_CPU_BF16;
    return f;
}

/* qemu-user runs an aarch64 binary on another host and leaves that host's
 * /proc/cpuinfo in place: x86's fields give it away */
static const char *detect_emulator(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    const char *why = NULL;
    while (f && !why && fgets(line, sizeof line, f))
        if (!strncmp(line, "vendor_id", 9))
            why = "an aarch64 binary on a host whose /proc/cpuinfo is x86's (qemu-user): timings measure the "
                  "emulator, not a CPU";
    if (f)
        fclose(f);
    return why;
}
#endif

/* A name NORMBENCH_DISABLE does not know switches nothing off: say so, or
 * a typo ("avx-512") leaves the user measuring what they meant to exclude */
static void warn_unknown_disabled(const char *list)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int known = !strcmp(t, "avx512");
        for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0] && !known; i++)
            known = !strcmp(t, feature_names[i].name);
        if (!known) {
            fprintf(stderr, "warning: NORMBENCH_DISABLE: unknown feature '%s' (known: avx512", t);
            for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
                fprintf(stderr, ", %s", feature_names[i].name);
            fprintf(stderr, ")\n");
        }
    }
}

static unsigned parse_disabled(const char *list)
{
    unsigned off = 0;
    if (!list)
        return 0;
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        const char *name = feature_names[i].name;
        size_t len = strlen(name);
        for (const char *p = list; (p = strstr(p, name)) != NULL; p += len) {
            /* "avx512" alone disables every AVX-512 feature */
            int starts = p == list || p[-1] == ',';
            int ends = p[len] == '\0' || p[len] == ',';
            if (starts && ends)
                off |= feature_names[i].bit;
        }
    }
    for (const char *p = list; (p = strstr(p, "avx512")) != NULL; p += 6)
        if ((p == list || p[-1] == ',') && (p[6] == '\0' || p[6] == ','))
            off |= NB_CPU_AVX512_ALL;
    warn_unknown_disabled(list);
    return off;
}

const struct nb_cpu *cpu_detect(void)
{
    static struct nb_cpu cpu;
    static int done;
    if (done)
        return &cpu;
#ifdef NB_X86
    cpu.features = detect_x86();
#endif
#ifdef NB_AARCH64
    cpu.features = detect_aarch64();
    cpu.emulated = detect_emulator();
#endif
    cpu.under_valgrind = RUNNING_ON_VALGRIND ? 1 : 0;
    cpu.disabled = parse_disabled(getenv("NORMBENCH_DISABLE"));
    cpu.features &= ~cpu.disabled;
    done = 1;
    return &cpu;
}
