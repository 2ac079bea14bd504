/* The memory schedules' tile sizes, shared by every ISA's kernels. */
#ifndef NB_TILES_H
#define NB_TILES_H

/* The blocked kernels' tile: statistics of NB_BLOCK_ROWS rows, then those
 * rows normalised NB_BLOCK_COLS columns at a time, so that the gains'
 * block (2 KiB f32, twice that with layernorm's bias) stays in L1 across
 * the group while x and y stream. */
#define NB_BLOCK_ROWS 8
#define NB_BLOCK_COLS 512

/* How far ahead the prefetching kernels ask for lines: 16 lines, enough
 * to cover L2's latency at the rate a pass consumes them. */
#define NB_PREFETCH_AHEAD 1024

#endif
