/* oneDNN's layer normalization as normbench variants (layernorm/onednn/ext/
 * f32 and bf16-up): forward inference with scale and shift, timed by the
 * same engine as every kernel and checked against the same reference.
 *
 * What is timed is what a framework pays per call once its primitive
 * exists: pointing the memory objects at this call's tensors, converting
 * bf16 gains to the f32 oneDNN takes, and the execution. Creating the
 * primitive is not timed: it is cached per thread and per shape, as a
 * framework caches it. oneDNN parallelises with OpenMP; each calling thread
 * asks it for one thread, so a one-thread measurement is one thread and
 * --threads N gives each of normbench's pinned threads its own rows. */
#include "ext.h"
#include "kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef NB_HAVE_ONEDNN
#include <dnnl.h>
#include <math.h>
#include <pthread.h>

#include "../src/cpu_features.h"

void omp_set_num_threads(int n); /* libgomp: oneDNN's threading runtime here */

struct ln_primitive {
    size_t rows, n;
    dnnl_data_type_t dt;
    float eps;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst, scale, shift;
    float *scale_f32, *shift_f32; /* bf16 gains converted */
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void ln_release(struct ln_primitive *c)
{
    if (c->prim)
        dnnl_primitive_destroy(c->prim);
    dnnl_memory_t *mems[4] = {&c->src, &c->dst, &c->scale, &c->shift};
    for (int i = 0; i < 4; i++)
        if (*mems[i])
            dnnl_memory_destroy(*mems[i]);
    free(c->scale_f32);
    free(c->shift_f32);
    if (c->stream)
        dnnl_stream_destroy(c->stream);
    dnnl_engine_t engine = c->engine;
    memset(c, 0, sizeof *c);
    c->engine = engine;
}

static void cache_destroy(void *p)
{
    struct ln_primitive *c = p;
    ln_release(c);
    if (c->engine)
        dnnl_engine_destroy(c->engine);
    free(c);
}

static void cache_key_create(void)
{
    pthread_key_create(&cache_key, cache_destroy);
}

/* Builds the primitive for rows x n of dt. Returns dnnl_success or why not. */
static dnnl_status_t ln_build(struct ln_primitive *c, size_t rows, size_t n, dnnl_data_type_t dt, float eps)
{
    ln_release(c);
    dnnl_status_t st = dnnl_success;
    if (!c->engine && (st = dnnl_engine_create(&c->engine, dnnl_cpu, 0)) != dnnl_success)
        return st;
    if ((st = dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags)) != dnnl_success)
        return st;
    dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)n}, gdims = {(dnnl_dim_t)n};
    dnnl_memory_desc_t data_md, gain_md;
    dnnl_layer_normalization_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    if ((st = dnnl_memory_desc_init_by_tag(&data_md, 2, dims, dt, dnnl_ab)) != dnnl_success ||
        (st = dnnl_memory_desc_init_by_tag(&gain_md, 1, gdims, dnnl_f32, dnnl_a)) != dnnl_success ||
        (st = dnnl_layer_normalization_forward_desc_init(&desc, dnnl_forward_inference, &data_md, NULL, eps,
                                                         dnnl_use_scale | dnnl_use_shift)) != dnnl_success ||
        (st = dnnl_primitive_desc_create(&pd, &desc, NULL, c->engine, NULL)) != dnnl_success)
        return st;
    st = dnnl_primitive_create(&c->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success ||
        (st = dnnl_memory_create(&c->src, &data_md, c->engine, DNNL_MEMORY_NONE)) != dnnl_success ||
        (st = dnnl_memory_create(&c->dst, &data_md, c->engine, DNNL_MEMORY_NONE)) != dnnl_success ||
        (st = dnnl_memory_create(&c->scale, &gain_md, c->engine, DNNL_MEMORY_NONE)) != dnnl_success ||
        (st = dnnl_memory_create(&c->shift, &gain_md, c->engine, DNNL_MEMORY_NONE)) != dnnl_success)
        return st;
    if (dt != dnnl_f32) {
        c->scale_f32 = malloc(n * sizeof(float));
        c->shift_f32 = malloc(n * sizeof(float));
        if (!c->scale_f32 || !c->shift_f32)
            return dnnl_out_of_memory;
    }
    c->rows = rows;
    c->n = n;
    c->dt = dt;
    c->eps = eps;
    return dnnl_success;
}

static struct ln_primitive *thread_cache(void)
{
    pthread_once(&cache_once, cache_key_create);
    struct ln_primitive *c = pthread_getspecific(cache_key);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c || pthread_setspecific(cache_key, c) != 0) {
            free(c);
            return NULL;
        }
        omp_set_num_threads(1);
    }
    return c;
}

static dnnl_status_t ln_run(const struct nb_args *a, dnnl_data_type_t dt)
{
    struct ln_primitive *c = thread_cache();
    if (!c)
        return dnnl_out_of_memory;
    dnnl_status_t st;
    float eps = (float)a->eps;
    if (!c->prim || c->rows != a->rows || c->n != a->n || c->dt != dt || c->eps != eps)
        if ((st = ln_build(c, a->rows, a->n, dt, eps)) != dnnl_success) {
            ln_release(c);
            return st;
        }
    void *scale = (void *)a->g, *shift = (void *)a->b;
    if (dt != dnnl_f32) {
        for (size_t i = 0; i < a->n; i++) {
            c->scale_f32[i] = nb_bf16_to_f32(((const uint16_t *)a->g)[i]);
            c->shift_f32[i] = nb_bf16_to_f32(((const uint16_t *)a->b)[i]);
        }
        scale = c->scale_f32;
        shift = c->shift_f32;
    }
    dnnl_memory_set_data_handle(c->src, (void *)a->x);
    dnnl_memory_set_data_handle(c->dst, a->y);
    dnnl_memory_set_data_handle(c->scale, scale);
    dnnl_memory_set_data_handle(c->shift, shift);
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, c->src}, {DNNL_ARG_DST, c->dst}, {DNNL_ARG_SCALE, c->scale}, {DNNL_ARG_SHIFT, c->shift}};
    if ((st = dnnl_primitive_execute(c->prim, c->stream, 4, args)) != dnnl_success)
        return st;
    return dnnl_stream_wait(c->stream);
}

/* A call that fails leaves NaN in y: the accuracy check then says so; a
 * silent wrong number would not. Availability is probed first, so this is
 * for failures nobody foresaw. */
static void ln_call(const struct nb_args *a, dnnl_data_type_t dt, enum nb_dtype io)
{
    dnnl_status_t st = ln_run(a, dt);
    if (st == dnnl_success)
        return;
    static int said;
    if (!said++)
        fprintf(stderr, "warning: oneDNN layer normalization failed (dnnl status %d): outputs are NaN\n", (int)st);
    for (size_t i = 0; i < a->rows * a->n; i++)
        nb_store(a->y, i, NAN, io);
}

void layernorm_onednn_ext_f32(const struct nb_args *a)
{
    ln_call(a, dnnl_f32, NB_F32);
}

void layernorm_onednn_ext_bf16_up(const struct nb_args *a)
{
    ln_call(a, dnnl_bf16, NB_BF16);
}

const char *nb_onednn_unavailable(enum nb_dtype dt)
{
    static char why[NB_DTYPE_COUNT][120];
    static int probed[NB_DTYPE_COUNT];
    if (cpu_detect()->under_valgrind)
        return "oneDNN's JIT code is not run under valgrind";
    if (dt != NB_F32 && dt != NB_BF16)
        return "oneDNN has no such variant here";
    if (!probed[dt]) {
        /* one tiny primitive on this CPU: oneDNN refuses bf16 where it has
         * no kernel for it */
        struct ln_primitive c = {0};
        dnnl_status_t st = ln_build(&c, 1, 16, dt == NB_F32 ? dnnl_f32 : dnnl_bf16, 1e-5f);
        if (st != dnnl_success)
            snprintf(why[dt], sizeof why[dt], "oneDNN %d.%d cannot create it here (status %d)",
                     dnnl_version()->major, dnnl_version()->minor, (int)st);
        ln_release(&c);
        if (c.engine)
            dnnl_engine_destroy(c.engine);
        probed[dt] = 1;
    }
    return why[dt][0] ? why[dt] : NULL;
}

#else /* built without oneDNN: listed, never run */

void layernorm_onednn_ext_f32(const struct nb_args *a)
{
    (void)a;
    abort();
}

void layernorm_onednn_ext_bf16_up(const struct nb_args *a)
{
    (void)a;
    abort();
}

const char *nb_onednn_unavailable(enum nb_dtype dt)
{
    (void)dt;
    return "built without oneDNN (install libdnnl-dev and rebuild)";
}

#endif
