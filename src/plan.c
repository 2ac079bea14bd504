#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "cpu_features.h"
#include "instr_count.h"

static int dtype_selected(const struct nb_suite *s, const struct nb_variant *v)
{
    return s->dtypes[0] == '\0' || glob_list_match(s->dtypes, v->dtype_name);
}

size_t plan_stream_bytes(const struct nb_variant *v, size_t n)
{
    return n * nb_dtype_size(v->dtype) * (norm_is_backward(v->norm) ? 3 : 2);
}

static size_t plan_row_bytes(const struct nb_variant *v, size_t n)
{
    const size_t es = nb_dtype_size(v->dtype);
    /* forward: x read, y written (and the residual read and written);
     * backward: x and dy read, dx written */
    return n * es * (norm_is_backward(v->norm) ? 3 : norm_uses_residual(v->norm) ? 4 : 2);
}

size_t plan_footprint_bytes(const struct nb_variant *v, size_t rows, size_t n)
{
    const size_t es = nb_dtype_size(v->dtype);
    /* the n-vectors: g (and b) read; backward: g read, dg (and db) written once per call */
    const size_t vectors = norm_is_backward(v->norm) ? 2 + (size_t)norm_has_db(v->norm) : norm_uses_bias(v->norm) ? 2 : 1;
    return rows * plan_row_bytes(v, n) + n * es * vectors;
}

static enum plan_status select_variants(const struct nb_suite *s, struct run_plan *p,
                                        int (*keep)(const void *ctx, const struct nb_variant *v), const void *ctx,
                                        char *err, size_t errlen)
{
    p->vars = calloc(registry_count(), sizeof *p->vars);
    if (!p->vars)
        return PLAN_NOMEM;
    for (size_t i = 0; i < registry_count(); i++) {
        const struct nb_variant *v = registry_at(i);
        if (v->isa == NB_ISA_MPFR || !glob_list_match(s->kernels, v->name) || !dtype_selected(s, v) ||
            (keep && !keep(ctx, v)))
            continue;
        p->matched++;
        if (registry_other_arch(v) && !v->fn) {
            p->other_arch++;
            continue;
        }
        const char *why = registry_unavailable(v);
        if (why) {
            fprintf(stderr, "skipped %s: %s%s\n", v->name, why,
                    s->count_instructions && cpu_detect()->under_valgrind
                        ? " (not counted; the CI's time gate, normbench ab, times it on machines with AVX-512)" : "");
            continue;
        }
        p->vars[p->nvar++] = v;
    }
    if (p->other_arch)
        fprintf(stderr, "skipped %zu matching variants of another architecture's ISAs (normbench list shows them)\n",
                p->other_arch);
    if (p->matched == 0) {
        char where[600] = "";
        if (s->kernels_line > 0) /* the globs came from a file: say where */
            snprintf(where, sizeof where, "%.500s:%d: kernels: ", s->source, s->kernels_line);
        snprintf(err, errlen, "%sno variant matches '%s'%s%s", where, s->kernels, s->dtypes[0] ? " with dtype " : "",
                 s->dtypes);
        return PLAN_NO_MATCH;
    }
    if (p->nvar == 0) {
        snprintf(err, errlen, "none of the %zu matching variants can run on this machine", p->matched);
        return PLAN_NONE_RUNNABLE;
    }
    return PLAN_OK;
}

/* The rows of variant v in shape slot `slot` (a tier with rows = auto, else
 * an index into s->rows); 0 when the tier cannot hold one row. */
static size_t rows_for(const struct nb_suite *s, const struct nb_topology *topo, const struct nb_variant *v,
                       size_t n, size_t slot, enum nb_tier *tier)
{
    if (!s->rows_auto) {
        *tier = tier_of_footprint(topo, plan_footprint_bytes(v, s->rows[slot], n));
        return s->rows[slot];
    }
    /* the same rows for every variant of a dtype and pass: x and y, g and
     * b (backward: x, dy and dx, g, dg and db), so speedups compare like
     * with like */
    *tier = (enum nb_tier)slot;
    return tier_rows(topo, *tier, plan_stream_bytes(v, n), plan_stream_bytes(v, n));
}

/* A footprint at a cache's edge (row counts a user gave, or a tier sized
 * to four times the level below when that is more than half its own level):
 * there the copy ceiling (and a kernel less so) changes from process to
 * process, which pairing within a run cannot cancel, so say it once per
 * shape. */
static void note_edge(const struct nb_topology *topo, struct run_plan *p, size_t rows, size_t n, size_t footprint,
                      int *said)
{
    const int level = tier_edge_level(topo, footprint);
    if (level < 0 || (*said & 2))
        return;
    *said |= 2;
    fprintf(stderr, "note: rows = %zu, n = %zu: the footprint (%.2f MiB) is near the L%d (%.2f MiB); how much of it "
                    "stays in cache differs from process to process, so its figures may not reproduce across runs\n",
            rows, n, (double)footprint / (1 << 20), level + 1, (double)topo->cache_bytes[level] / (1 << 20));
    const size_t len = strlen(p->edge_shapes);
    if (len + 64 < sizeof p->edge_shapes)
        snprintf(p->edge_shapes + len, sizeof p->edge_shapes - len, "%s%zu x %zu (%.2f MiB, L%d %.2f MiB)",
                 len ? "; " : "", rows, n, (double)footprint / (1 << 20), level + 1,
                 (double)topo->cache_bytes[level] / (1 << 20));
}

static void add_group(const struct nb_suite *s, const struct nb_topology *topo, struct run_plan *p, size_t n,
                      size_t slot, double eps, int *said)
{
    size_t first = p->njobs;
    for (size_t vi = 0; vi < p->nvar; vi++) {
        const struct nb_variant *v = p->vars[vi];
        enum nb_tier tier;
        size_t rows = rows_for(s, topo, v, n, slot, &tier);
        if (rows == 0) {
            if (!(*said & 1)) {
                size_t es = nb_dtype_size(v->dtype);
                fprintf(stderr, "skipped tier %s for n = %zu: one row (%zu bytes with g and b) does not fit in %zu bytes\n",
                        tier_name(tier), n, 4 * n * es, tier_target_bytes(topo, tier));
                *said |= 1;
            }
            continue;
        }
        /* rows given explicitly are what the user asked for: the cap is on the tiers */
        const size_t footprint = plan_footprint_bytes(v, rows, n);
        if (s->rows_auto && s->max_footprint && footprint > s->max_footprint) {
            if (!(*said & 1))
                fprintf(stderr, "skipped tier %s for n = %zu: its footprint, %.1f MiB, is above max_footprint (%.1f MiB)\n",
                        tier_name(tier), n, (double)footprint / (1 << 20), (double)s->max_footprint / (1 << 20));
            if (footprint > p->tiers_capped[tier])
                p->tiers_capped[tier] = footprint;
            *said |= 1;
            continue;
        }
        note_edge(topo, p, rows, n, footprint, said);
        for (size_t tc = 0; tc < s->nthread_counts; tc++)
            p->jobs[p->njobs++] = (struct job){v, n, rows, eps, tier, s->thread_counts[tc]};
        p->tiers_used[tier] = 1;
    }
    if (p->njobs > first) {
        p->groups[p->ngroups] = (struct shape_group){first, p->njobs - first, p->ngroups};
        p->ngroups++;
        size_t need = plan_group_bytes(p, &p->groups[p->ngroups - 1]);
        if (need > p->biggest)
            p->biggest = need;
    }
}

enum plan_status plan_build(const struct nb_suite *s, const struct nb_topology *topo, struct run_plan *p,
                            char *err, size_t errlen)
{
    return plan_build_filtered(s, topo, p, NULL, NULL, err, errlen);
}

enum plan_status plan_build_filtered(const struct nb_suite *s, const struct nb_topology *topo, struct run_plan *p,
                                     int (*keep)(const void *ctx, const struct nb_variant *v), const void *ctx,
                                     char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    enum plan_status st = select_variants(s, p, keep, ctx, err, errlen);
    if (st != PLAN_OK)
        return st;
    const size_t slots = s->rows_auto ? NB_TIER_COUNT : s->nrows;
    size_t cap = p->nvar * s->nhidden * slots * s->neps * s->nthread_counts;
    p->jobs = calloc(cap ? cap : 1, sizeof *p->jobs);
    p->groups = calloc(s->nhidden * slots * s->neps + 1, sizeof *p->groups);
    if (!p->jobs || !p->groups) {
        snprintf(err, errlen, "out of memory planning %zu measurements", cap);
        return PLAN_NOMEM;
    }
    for (size_t h = 0; h < s->nhidden; h++)
        for (size_t slot = 0; slot < slots; slot++) {
            int said = 0;
            for (size_t e = 0; e < s->neps; e++)
                add_group(s, topo, p, s->hidden[h], slot, s->eps[e], &said);
        }
    if (p->njobs == 0) {
        snprintf(err, errlen, "no shape fits: every (hidden size, tier) was skipped");
        return PLAN_NO_SHAPE;
    }
    return PLAN_OK;
}

size_t plan_group_bytes(const struct run_plan *p, const struct shape_group *g)
{
    size_t data[NB_DTYPE_COUNT] = {0}, work = 0, copy = 0;
    for (size_t k = g->first; k < g->first + g->count; k++) {
        const struct job *j = &p->jobs[k];
        const size_t es = nb_dtype_size(j->v->dtype), xy = 2 * j->rows * j->n * es;
        /* x and y (and the residual or dy), g, the Gemma gain and b of the
         * dtype, a dg and db per thread */
        const int extra = norm_uses_residual(j->v->norm) || norm_is_backward(j->v->norm);
        size_t bytes = xy + (extra ? xy / 2 : 0) + 3 * j->n * es + 2 * j->threads * j->n * es;
        if (bytes > data[j->v->dtype])
            data[j->v->dtype] = bytes;
        size_t w = registry_workspace_bytes(j->v, (j->rows + j->threads - 1) / j->threads, j->n) * j->threads;
        if (w > work)
            work = w;
        if (xy > copy)
            copy = xy;
    }
    size_t sum = work + copy;
    for (int d = 0; d < NB_DTYPE_COUNT; d++)
        sum += data[d];
    return sum;
}

void plan_free(struct run_plan *p)
{
    free(p->vars);
    free(p->jobs);
    free(p->groups);
    memset(p, 0, sizeof *p);
}

uint64_t plan_job_hash(const struct run_plan *p, const struct nb_suite *s)
{
    uint64_t h = NB_HASH_INIT;
    h = hash_text(h, "seed %llu reps %zu cache %d dist %d %a %a accuracy %zu %d schedule %d passes %zu p %a\n",
                   (unsigned long long)s->seed, s->reps, s->cold, (int)s->dist.kind, s->dist.scale, s->dist.offset,
                   s->accuracy_rows, s->full, (int)s->schedule, s->passes, s->p);
    if (s->dy_is_x) /* only then: the hashes of earlier runs stay */
        h = hash_text(h, "dy x\n");
    for (size_t i = 0; i < p->njobs; i++) {
        const struct job *j = &p->jobs[i];
        h = hash_text(h, "%s %zu %zu %a %d %zu\n", j->v->name, j->n, j->rows, j->eps, (int)j->tier, j->threads);
    }
    return h;
}

enum plan_status plan_shard(struct run_plan *p, const struct nb_suite *s, size_t index, size_t count, char *err,
                            size_t errlen)
{
    p->full_jobs = p->njobs;
    p->full_groups = p->ngroups;
    p->job_hash = plan_job_hash(p, s);
    if (count <= 1)
        return PLAN_OK;
    size_t jobs = 0, groups = 0;
    memset(p->tiers_used, 0, sizeof p->tiers_used);
    p->biggest = 0;
    for (size_t gi = 0; gi < p->ngroups; gi++) {
        struct shape_group g = p->groups[gi];
        if (g.id % count != index)
            continue;
        memmove(&p->jobs[jobs], &p->jobs[g.first], g.count * sizeof *p->jobs);
        g.first = jobs;
        jobs += g.count;
        p->groups[groups++] = g;
        for (size_t k = g.first; k < g.first + g.count; k++)
            p->tiers_used[p->jobs[k].tier] = 1;
        size_t need = plan_group_bytes(p, &g);
        if (need > p->biggest)
            p->biggest = need;
    }
    p->njobs = jobs;
    p->ngroups = groups;
    if (groups == 0) {
        snprintf(err, errlen, "shard %zu/%zu has no shape: the suite has %zu shape%s, so at most %zu shard%s", index,
                 count, p->full_groups, p->full_groups == 1 ? "" : "s", p->full_groups,
                 p->full_groups == 1 ? "" : "s");
        return PLAN_NO_SHAPE;
    }
    return PLAN_OK;
}
