/* The few machine instructions the harness needs, one definition per
 * architecture: flushing a cache line, a full fence, the cycle counter
 * and its name. Everything else in src/ is portable C. */
#ifndef NB_ARCH_H
#define NB_ARCH_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#define NB_ARCH_NAME "x86_64"
#define NB_ARCH_FAMILY "x86" /* isa.def's arch column */
#define NB_ARCH_COUNTER "TSC"
static inline void arch_flush_line(const void *p) { _mm_clflush(p); }
static inline void arch_fence(void) { _mm_mfence(); }
#elif defined(__aarch64__)
#define NB_ARCH_NAME "aarch64"
#define NB_ARCH_FAMILY "aarch64"
#define NB_ARCH_COUNTER "CNTVCT_EL0"
/* clean and invalidate to the point of coherency; Linux lets user space
 * run it (SCTLR_EL1.UCI) */
static inline void arch_flush_line(const void *p) { __asm__ volatile("dc civac, %0" : : "r"(p) : "memory"); }
static inline void arch_fence(void) { __asm__ volatile("dsb ish" : : : "memory"); }
/* the virtual counter: constant rate (CNTFRQ_EL0), readable from EL0 */
static inline int64_t arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return (int64_t)v;
}
#else
#define NB_ARCH_NAME "portable"
#define NB_ARCH_FAMILY "none"
/* nothing evicts a line here: cold mode's check (run.c) warns that its figures are suspect */
#define NB_ARCH_COUNTER "cycle counter"
static inline void arch_flush_line(const void *p) { (void)p; }
static inline void arch_fence(void) { __sync_synchronize(); }
#endif

#endif
