/* A suite: what `run` measures. Read from an INI file (inih) or the
 * embedded default; command-line options override it. */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "datagen.h"
#include "reference.h"
#include "rounds.h"

#define NB_MAX_LIST 32

#define NB_MAX_SCALES 512

struct nb_suite {
    char name[64];
    char kernels[1024];          /* comma-separated globs */
    char dtypes[128];            /* comma-separated dtype globs (f32, bf16-up, ...); "" = all */
    size_t hidden[NB_MAX_LIST], nhidden;
    size_t rows[NB_MAX_LIST], nrows;
    int rows_auto;               /* rows chosen per cache tier */
    double eps[NB_MAX_LIST];
    size_t neps;
    size_t reps;
    double min_time_s, warmup_s;
    size_t thread_counts[NB_MAX_LIST], nthread_counts; /* each shape is measured at each */
    size_t threads;              /* the largest of thread_counts */
    int cpu;                     /* first PU; -1 = auto: the last PU, away from CPU 0's housekeeping */
    int cold;                    /* cache = cold */
    enum nb_schedule schedule;   /* interleaved rounds (default) or sequential */
    size_t passes;               /* interleaved: each shape's rounds spread over this many passes (passes.h) */
    size_t max_footprint;        /* bytes; a rows = auto tier whose footprint is larger is skipped; 0 = no limit */
    char events[256];
    double p;                    /* prmsnorm percentage */
    int dy_is_x;                 /* backward: dy = x (dg's terms all of one sign), else N(0, 1) */
    size_t accuracy_rows;        /* rows checked against the reference when not full, 0 = none */
    int full;                    /* check every row (the default; [accuracy] rows = N samples) */
    enum ref_method ref_method;  /* [accuracy] reference = fast (default) or mpfr */
    struct nb_distribution dist;
    uint64_t seed;
    char source[512];            /* the file, or "embedded default" */
    int kernels_line;            /* the source's line of `kernels`, 0 when given on the command line */
    /* sweep grids ([sweep] section) */
    double scales[NB_MAX_SCALES];
    size_t nscales;
    enum nb_dist dists[NB_DIST_COUNT];
    size_t ndists;
    double offsets[NB_MAX_LIST];
    size_t noffsets;
    size_t sweep_rows;
    int has_sweep;               /* the file had a [sweep] section */
    int count_instructions;      /* run --count instructions (or lines) */
    int count_lines;             /* run --count lines: callgrind's cache simulation too */
    char json_path[1024];        /* run --json FILE: Google Benchmark's format */
    /* run and sweep --shard I/N: only part I (0 .. N-1) of the job list;
     * shard_count 0: the whole list */
    size_t shard_index, shard_count;
};

/* The built-in default suite, also shipped as configs/default.ini. */
extern const char nb_default_suite_ini[];

void suite_defaults(struct nb_suite *s);

/* Loads an INI file over the defaults. Returns 0, or 2 with
 * "file:line: what is wrong" in err. */
int suite_load_file(struct nb_suite *s, const char *path, char *err, size_t errlen);
int suite_load_string(struct nb_suite *s, const char *text, const char *name, char *err, size_t errlen);

/* Sets one key (section "run" or "accuracy") from text: shared by the INI
 * parser and the command-line options. Returns 0 or -1 with err set. */
int suite_set(struct nb_suite *s, const char *section, const char *key, const char *value, char *err,
              size_t errlen);

#endif
