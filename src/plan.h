/* What a run will measure: the variants selected, and the jobs (variant x
 * shape x thread count) grouped by shape. The jobs of one group are
 * measured in the same rounds, on shared buffers, beside the copy ceiling
 * at the same footprint. */
#ifndef NB_PLAN_H
#define NB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "registry.h"
#include "topology.h"

struct job {
    const struct nb_variant *v;
    size_t n, rows;
    double eps;
    enum nb_tier tier;
    size_t threads;
};

/* jobs[first .. first + count) share n, eps and the tier (rows = auto) or
 * the row count (fixed rows) */
struct shape_group {
    size_t first, count;
    size_t id; /* its index in the whole (unsharded) plan: the seed of its
                  rounds and its round_group, the same in every shard */
};

struct run_plan {
    const struct nb_variant **vars;
    size_t nvar, matched;
    size_t other_arch;           /* matched, but of another architecture's ISAs: skipped quietly */
    struct job *jobs;
    size_t njobs;
    struct shape_group *groups;
    size_t ngroups;
    int tiers_used[NB_TIER_COUNT];
    size_t tiers_capped[NB_TIER_COUNT]; /* a tier's footprint when max_footprint skipped it, else 0 */
    char edge_shapes[512];   /* shapes whose footprint sits at a cache's edge (tier_edge_level) */
    size_t biggest;   /* bytes the largest group allocates at once */
    /* the whole job list, before plan_shard: its size and a hash of it and
     * of the settings that shape its rows (merge refuses shards whose
     * hashes differ) */
    size_t full_jobs, full_groups;
    uint64_t job_hash;
};

enum plan_status {
    PLAN_OK,
    PLAN_NO_MATCH,       /* no variant matches the globs (usage) */
    PLAN_NONE_RUNNABLE,  /* matches, but none can run here (environment) */
    PLAN_NO_SHAPE,       /* every (hidden size, tier) was skipped (usage) */
    PLAN_NOMEM,
};

/* Fills p (plan_free) and says on stderr which variants and tiers are
 * skipped and why; err gets the reason for any status but PLAN_OK. */
enum plan_status plan_build(const struct nb_suite *s, const struct nb_topology *topo, struct run_plan *p,
                            char *err, size_t errlen);
/* The same over the variants keep(ctx, v) accepts (ab: those both
 * libraries have). */
enum plan_status plan_build_filtered(const struct nb_suite *s, const struct nb_topology *topo, struct run_plan *p,
                                     int (*keep)(const void *ctx, const struct nb_variant *v), const void *ctx,
                                     char *err, size_t errlen);
void plan_free(struct run_plan *p);

/* FNV-1a 64 of the job list and the suite's settings that shape the rows
 * (seed, reps, cache, data, accuracy rows, schedule, passes, p). */
uint64_t plan_job_hash(const struct run_plan *p, const struct nb_suite *s);
/* Keeps the shape groups whose id is index mod count (each shape's
 * variants stay in one shard, measured in the same rounds); fills
 * full_jobs, full_groups and job_hash first. PLAN_NO_SHAPE with err set
 * when the shard gets no group. */
enum plan_status plan_shard(struct run_plan *p, const struct nb_suite *s, size_t index, size_t count, char *err,
                            size_t errlen);

/* Bytes of one row's streams that rows = auto sizes the tiers by and the
 * copy ceiling matches: x and y (backward: x, dy and dx). */
size_t plan_stream_bytes(const struct nb_variant *v, size_t n);
/* Bytes of one job's call: its rows, plus g and b (backward: g, dg and db,
 * each read or written once per call). */
size_t plan_footprint_bytes(const struct nb_variant *v, size_t rows, size_t n);
/* Bytes the whole group allocates: shared x, y, g, b per dtype, the largest
 * workspace, and the ceiling's source and destination. */
size_t plan_group_bytes(const struct run_plan *p, const struct shape_group *g);

#endif
