#include "instr_count.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(x)
#define RUNNING_ON_VALGRIND 0
#endif

extern char **environ;

static int dumps; /* callgrind numbers its dumps from 1 */

int instr_count_under_valgrind(void)
{
    return RUNNING_ON_VALGRIND ? 1 : 0;
}

/* The summary's value of event `name` (callgrind's "events:" line names
 * the columns), NaN if it was not counted. */
static double event_total(const char *events, const char *summary, const char *name)
{
    char ev[512];
    snprintf(ev, sizeof ev, "%s", events);
    const char *p = summary;
    for (char *save = NULL, *tok = strtok_r(ev, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            v = 0; /* callgrind leaves trailing zero columns out */
        if (strcmp(tok, name) == 0)
            return v;
        p = end;
    }
    return NAN;
}

int instr_count_callgrind(nb_kernel_fn fn, const struct nb_args *args, int calls, struct callgrind_counts *out,
                          char *why, size_t whylen)
{
    out->instructions = out->l1_lines = out->l2_lines = NAN;
    const char *dir = getenv("NB_CALLGRIND_DIR");
    if (!dir || !instr_count_under_valgrind()) {
        snprintf(why, whylen, "not running under normbench's callgrind");
        return -1;
    }
    fn(args); /* warm-up, not counted */
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (int c = 0; c < calls; c++)
        fn(args);
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("normbench kernel calls");
    dumps++;
    char path[4200];
    snprintf(path, sizeof path, "%s/cg.%ld.%d", dir, (long)getpid(), dumps);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(why, whylen, "no callgrind dump %s: %s", path, strerror(errno));
        return -1;
    }
    char line[512], events[512] = "";
    int found = 0;
    while (!found && fgets(line, sizeof line, fp))
        if (strncmp(line, "events:", 7) == 0)
            snprintf(events, sizeof events, "%s", line + 7);
        else if (strncmp(line, "summary:", 8) == 0) {
            out->instructions = event_total(events, line + 8, "Ir") / calls;
            if (instr_count_cache_model()) {
                out->l1_lines = (event_total(events, line + 8, "D1mr") + event_total(events, line + 8, "D1mw")) / calls;
                out->l2_lines = (event_total(events, line + 8, "DLmr") + event_total(events, line + 8, "DLmw")) / calls;
            }
            found = 1;
        }
    fclose(fp);
    unlink(path);
    if (!found || isnan(out->instructions) || (instr_count_cache_model() && isnan(out->l1_lines))) {
        snprintf(why, whylen, "%s has no summary line with the events counted", path);
        return -1;
    }
    return 0;
}

const char *instr_count_cache_model(void)
{
    return instr_count_under_valgrind() ? getenv("NB_CALLGRIND_CACHES") : NULL;
}

/* --D1= and --LL= for valgrind from this machine's L1d and L2 (glibc's
 * sysconf, from cpuid on x86), and their description for meta.csv; -1
 * (and why) where a geometry is unknown or one valgrind cannot simulate
 * (it wants a power-of-two number of sets). */
static int cache_args(char *d1, char *ll, size_t len, char *model, size_t model_len, char *why, size_t whylen)
{
    const struct {
        const char *name;
        int size_key, ways_key, line_key; /* sysconf's names */
        char *arg;
        const char *opt;
    } c[2] = {{"L1d", _SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL1_DCACHE_ASSOC, _SC_LEVEL1_DCACHE_LINESIZE, d1, "--D1"},
              {"L2", _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL2_CACHE_ASSOC, _SC_LEVEL2_CACHE_LINESIZE, ll, "--LL"}};
    long v[2][3];
    for (int k = 0; k < 2; k++) {
        v[k][0] = sysconf(c[k].size_key);
        v[k][1] = sysconf(c[k].ways_key);
        v[k][2] = sysconf(c[k].line_key);
        if (v[k][0] <= 0 || v[k][1] <= 0 || v[k][2] <= 0) {
            snprintf(why, whylen, "this machine does not say its %s's size, ways and line size (sysconf)", c[k].name);
            return -1;
        }
        long sets = v[k][0] / (v[k][1] * v[k][2]);
        if (sets <= 0 || (sets & (sets - 1)) || sets * v[k][1] * v[k][2] != v[k][0]) {
            snprintf(why, whylen, "valgrind cannot simulate the %s (%ld bytes, %ld-way, %ld-byte lines: not a power of "
                     "two sets)", c[k].name, v[k][0], v[k][1], v[k][2]);
            return -1;
        }
        snprintf(c[k].arg, len, "%s=%ld,%ld,%ld", c[k].opt, v[k][0], v[k][1], v[k][2]);
    }
    snprintf(model, model_len, "L1d %ld KiB %ld-way, L2 %ld KiB %ld-way, %ld-byte lines; callgrind: LRU, "
             "write-allocate, no prefetcher", v[0][0] / 1024, v[0][1], v[1][0] / 1024, v[1][1], v[0][2]);
    return 0;
}

int instr_count_reexec(int argc, char **argv, int lines)
{
    char d1[64], ll[64], model[200], why[200];
    if (lines && cache_args(d1, ll, sizeof d1, model, sizeof model, why, sizeof why) != 0) {
        fprintf(stderr, "normbench run: --count lines cannot simulate this machine's caches: %s\n", why);
        return 3;
    }
    char dir[] = "/tmp/normbench-callgrind-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "normbench run: cannot create a directory for callgrind: %s\n", strerror(errno));
        return 3;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "normbench run: cannot find this program's path\n");
        rmdir(dir);
        return 3;
    }
    self[len] = '\0';
    char outfile[4200];
    snprintf(outfile, sizeof outfile, "--callgrind-out-file=%s/cg.%%p", dir);
    char **av = calloc((size_t)argc + 12, sizeof *av);
    if (!av)
        return 3;
    int k = 0;
    av[k++] = "valgrind";
    av[k++] = "-q";
    av[k++] = "--tool=callgrind";
    av[k++] = "--collect-atstart=no";
    if (lines) {
        av[k++] = "--cache-sim=yes";
        av[k++] = d1;
        av[k++] = ll;
        setenv("NB_CALLGRIND_CACHES", model, 1);
    } else {
        unsetenv("NB_CALLGRIND_CACHES");
    }
    av[k++] = outfile;
    av[k++] = self;
    av[k++] = "run";
    for (int i = 1; i < argc; i++)
        av[k++] = argv[i];
    av[k] = NULL;
    setenv("NB_CALLGRIND_DIR", dir, 1);
    /* hwloc's x86 backend cannot run under valgrind and says so */
    setenv("HWLOC_COMPONENTS", "-x86", 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "valgrind", NULL, NULL, av, environ);
    free(av);
    int status = 0;
    if (rc != 0) {
        fprintf(stderr, "normbench run: --count %s needs valgrind%s, and valgrind "
                        "cannot be started: %s\n", lines ? "lines" : "instructions",
                lines ? "" : " or PAPI_TOT_INS", strerror(rc));
        status = 3;
    } else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
        status = 3;
    } else {
        status = WEXITSTATUS(status);
    }
    /* the dump callgrind writes at exit */
    char last[4300];
    snprintf(last, sizeof last, "%s/cg.%ld", dir, (long)pid);
    unlink(last);
    rmdir(dir);
    return status;
}
