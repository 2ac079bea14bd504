/* The memory schedules' tile sizes, shared by every ISA's kernels. */
#ifndef NB_TILES_H
#define NB_TILES_H

/* The blocked kernels' tile: statistics of NB_BLOCK_ROWS rows, then those
 * rows normalised NB_BLOCK_COLS columns at a time, so that the gains'
 * block (2 KiB f32, twice that with layernorm's bias) stays in L1 across
 * the group while x and y stream. */
#define NB_BLOCK_ROWS 8
#define NB_BLOCK_COLS 512

/* The SIMD kernels' sums in two levels: the lane accumulators restart
 * every NB_SIMD_SUM_BLOCK values, their block totals summed apart (the
 * scalar kernels' NB_SUM_BLOCK idea). At n = 8192 a value then passes
 * through at most 8 + 16 roundings (AVX-512's 64 lanes; AVX2's 32: 16 + 16)
 * instead of 128 (256): on constant rows, where every lane adds the same
 * rounding, the f32 kernels went from 9.8 ULP to 4.2 (README "ULP
 * bounds"). A multiple of 64, so that every SIMD block ends on it. */
#define NB_SIMD_SUM_BLOCK 512

/* How far ahead the prefetching kernels ask for lines: 16 lines, enough
 * to cover L2's latency at the rate a pass consumes them. */
#define NB_PREFETCH_AHEAD 1024

/* How far ahead the AVX2 nt pipelined kernels (rmsnorm pipelinednt,
 * layernorm pipeonepassnt, and pipelined2 when autont streams) ask for
 * the next row's lines: that row comes from L3 or DRAM while this row's
 * come from L2, and on Zen 3 the hardware prefetchers alone left f16-up
 * 9-26% and LayerNorm 3-15% slower there (ab, README "On AMD Zen 3"; 1,
 * 2 and 3 KiB ahead measured alike for them). */
#define NB_STREAM_AHEAD 2048

/* f32 RMSNorm's (pipelinednt) is nearer: 2 KiB ahead cost it 9-11% in
 * DRAM at n = 768 against no prefetch, and 1 KiB takes 4-6% less time
 * than 2 KiB in DRAM at n = 768 and 4096 (none at 8192) for 2-7% more in
 * L3 (ab, README "Prefetching the next row"); f16-up and LayerNorm lost
 * up to 16% and 8% at 1 KiB. */
#define NB_STREAM_AHEAD_RMS_F32 1024

#endif
