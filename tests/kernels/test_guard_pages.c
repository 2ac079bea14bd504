/* Kernels never touch memory they do not own. Every tensor of every
 * registered variant (the MPFR references included) is placed against an
 * inaccessible page: once ending on the last byte before it, once starting
 * on the first byte after one, for every n from 1 to 130. A read or write
 * one element out of bounds faults; the handler turns the fault into a
 * failed expectation naming the variant, n and placement, and the test goes
 * on. */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/registry.h"
#include "../test_util.h"

struct guarded {
    char *map;         /* guard page, data pages, guard page */
    size_t map_bytes;
    void *data;
};

static size_t page;

/* bytes of data placed right after the leading guard page (at_start) or
 * right before the trailing one */
static void guarded_alloc(struct guarded *g, size_t bytes, int at_start)
{
    size_t data_pages = (bytes + page - 1) / page;
    if (data_pages == 0)
        data_pages = 1;
    g->map_bytes = (data_pages + 2) * page;
    g->map = mmap(NULL, g->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(g->map, MAP_FAILED);
    cr_assert_eq(mprotect(g->map, page, PROT_NONE), 0);
    cr_assert_eq(mprotect(g->map + (data_pages + 1) * page, page, PROT_NONE), 0);
    char *first = g->map + page, *end = g->map + (data_pages + 1) * page;
    g->data = at_start ? first : end - bytes;
}

static void guarded_free(struct guarded *g)
{
    munmap(g->map, g->map_bytes);
}

static sigjmp_buf fault_jump;

static void on_fault(int sig)
{
    siglongjmp(fault_jump, sig);
}

static struct sigaction old_segv, old_bus;

static void catch_faults(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa = {.sa_handler = on_fault};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

static void release_faults(void)
{
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
}

/* Runs v once with every tensor against a guard. Returns 0, or the signal. */
static int run_guarded(nb_kernel_fn fn, enum nb_dtype dt, size_t work_bytes, size_t rows, size_t n, int at_start)
{
    const size_t es = nb_dtype_size(dt), total = rows * n;
    struct guarded x, y, g, b, res, work;
    guarded_alloc(&x, total * es, at_start);
    guarded_alloc(&y, total * es, at_start);
    guarded_alloc(&g, n * es, at_start);
    guarded_alloc(&b, n * es, at_start);
    guarded_alloc(&res, total * es, at_start);
    guarded_alloc(&work, work_bytes, at_start);
    struct rng r = {n * 31 + (size_t)at_start};
    for (size_t i = 0; i < total; i++) {
        nb_store(x.data, i, (float)rng_normal(&r), dt);
        nb_store(res.data, i, (float)rng_normal(&r), dt);
    }
    for (size_t i = 0; i < n; i++) {
        nb_store(g.data, i, (float)(1.0 + 0.25 * rng_normal(&r)), dt);
        nb_store(b.data, i, (float)(0.5 * rng_normal(&r)), dt);
    }
    struct nb_args a = {.rows = rows, .n = n, .x = x.data, .y = y.data, .g = g.data, .b = b.data,
                        .residual = res.data, .eps = 1e-6, .p = 6.25, .work = work_bytes ? work.data : NULL};
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0)
        fn(&a);
    guarded_free(&x);
    guarded_free(&y);
    guarded_free(&g);
    guarded_free(&b);
    guarded_free(&res);
    guarded_free(&work);
    return sig;
}

Test(guard_pages, every_variant_every_n_up_to_130, .timeout = 600)
{
    catch_faults();
    size_t variants = 0, runs = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *v = registry_at(k);
        if (norm_is_backward(v->norm))
            continue; /* every_backward_variant below */
        if (registry_unavailable(v)) {
            /* only the CPU or a missing library may rule a variant out:
             * the portable kernels and the references run everywhere */
            cr_expect(v->isa != NB_ISA_SCALAR && v->isa != NB_ISA_MPFR, "%s could not run: %s", v->name,
                      registry_unavailable(v));
            continue;
        }
        variants++;
        for (size_t n = 1; n <= 130; n++)
            for (int at_start = 0; at_start < 2; at_start++)
                for (size_t rows = 1; rows <= 2; rows++) {
                    int sig = run_guarded(v->fn, v->dtype, registry_workspace_bytes(v, rows, n), rows, n,
                                          at_start);
                    cr_expect_eq(sig, 0, "%s touched a guard page (signal %d): n=%zu rows=%zu, tensors %s a guard",
                                 v->name, sig, n, rows, at_start ? "starting right after" : "ending right before");
                    runs++;
                }
    }
    release_faults();
    cr_log_info("guard pages: %zu variants, %zu runs", variants, runs);
    cr_assert_gt(variants, 0);
}

/* The control: a kernel that reads one element past x or before it must be
 * caught, or the test above proves nothing. */
static void reads_one_past_x(const struct nb_args *a)
{
    volatile const float *x = a->x;
    (void)x[a->rows * a->n];
}

static void reads_one_before_x(const struct nb_args *a)
{
    volatile const float *x = a->x;
    (void)x[-1];
}

Test(guard_pages, an_overrun_is_caught)
{
    catch_faults();
    cr_expect_neq(run_guarded(reads_one_past_x, NB_F32, 0, 2, 37, 0), 0, "a read one past the end went unnoticed");
    cr_expect_neq(run_guarded(reads_one_before_x, NB_F32, 0, 2, 37, 1), 0, "a read one before the start went unnoticed");
    release_faults();
}

/* The backward passes likewise: x, dy, g, dx, dg, db and the scratch, each
 * against a guard, rows past one dg row block too. */
static int run_bwd_guarded(nb_kernel_fn fn, enum nb_norm norm, enum nb_dtype dt, size_t rows, size_t n, int at_start)
{
    const size_t es = nb_dtype_size(dt), total = rows * n;
    struct guarded x, dy, g, dx, dg, db, work;
    guarded_alloc(&x, total * es, at_start);
    guarded_alloc(&dy, total * es, at_start);
    guarded_alloc(&g, n * es, at_start);
    guarded_alloc(&dx, total * es, at_start);
    guarded_alloc(&dg, n * es, at_start);
    guarded_alloc(&db, n * es, at_start);
    guarded_alloc(&work, nb_bwd_workspace_bytes(rows, n), at_start);
    struct rng r = {n * 37 + (size_t)at_start};
    for (size_t i = 0; i < total; i++) {
        nb_store(x.data, i, (float)rng_normal(&r), dt);
        nb_store(dy.data, i, (float)rng_normal(&r), dt);
    }
    for (size_t i = 0; i < n; i++)
        nb_store(g.data, i, (float)(1.0 + 0.25 * rng_normal(&r)), dt);
    struct nb_args a = {.rows = rows, .n = n, .x = x.data, .y = dx.data, .g = g.data, .eps = 1e-6, .work = work.data,
                        .dy = dy.data, .dg = dg.data, .db = norm_has_db(norm) ? db.data : NULL};
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0)
        fn(&a);
    struct guarded *all[] = {&x, &dy, &g, &dx, &dg, &db, &work};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        guarded_free(all[k]);
    return sig;
}

Test(guard_pages, every_backward_variant, .timeout = 600)
{
    catch_faults();
    static const size_t row_counts[] = {1, 2, NB_BWD_ROW_BLOCK + 1};
    size_t runs = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *v = registry_at(k);
        if (!norm_is_backward(v->norm) || v->isa == NB_ISA_MPFR || registry_unavailable(v))
            continue;
        for (size_t n = 1; n <= 70; n++)
            for (int at_start = 0; at_start < 2; at_start++)
                for (size_t rc = 0; rc < 3; rc++) {
                    int sig = run_bwd_guarded(v->fn, v->norm, v->dtype, row_counts[rc], n, at_start);
                    cr_expect_eq(sig, 0, "%s touched a guard page (signal %d): n=%zu rows=%zu, tensors %s a guard",
                                 v->name, sig, n, row_counts[rc], at_start ? "starting right after" : "ending right before");
                    runs++;
                }
    }
    release_faults();
    cr_assert_gt(runs, 0);
}
