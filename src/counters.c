#include "counters.h"
#include "cpu_features.h"

#include <papi.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int library_state; /* 0 not tried, 1 ready, -1 failed */
static char library_error[160];
/* Why PAPI's perf_event component (every preset and perf:: name) is off,
 * or empty. Debian 12's libpfm4 4.13 knows no AMD family 26 (Zen 5): PAPI
 * disables the whole component, software events included, and then no
 * event name resolves, real ones no less than misspelt ones. */
static char perf_event_off[136];

static void note_disabled_perf_event(void)
{
    int n = PAPI_num_components();
    for (int cid = 0; cid < n; cid++) {
        const PAPI_component_info_t *info = PAPI_get_component_info(cid);
        if (info && !strcmp(info->name, "perf_event") && info->disabled)
            snprintf(perf_event_off, sizeof perf_event_off, "PAPI's perf_event component is disabled (%.90s)",
                     info->disabled_reason[0] ? info->disabled_reason : "no reason given");
    }
}

const char *counters_component_off(void)
{
    return perf_event_off;
}

/* PAPI's words for an error; PAPI_strerror gives NULL when the library
 * never initialised, and a NULL must not reach printf. */
static const char *papi_error_text(int rc)
{
    static char unknown[48];
    const char *text = PAPI_strerror(rc);
    if (text)
        return text;
    snprintf(unknown, sizeof unknown, "PAPI error %d", rc);
    return unknown;
}

static unsigned long thread_id(void)
{
    return (unsigned long)pthread_self();
}

int counters_library_init(char *err, size_t errlen)
{
    if (library_state == 0) {
        int rc = PAPI_library_init(PAPI_VER_CURRENT);
        if (rc != PAPI_VER_CURRENT) {
            snprintf(library_error, sizeof library_error, "PAPI_library_init: %s",
                     rc > 0 ? "version mismatch" : papi_error_text(rc));
            library_state = -1;
        } else {
            PAPI_thread_init(thread_id);
            note_disabled_perf_event();
            library_state = 1;
        }
    }
    if (library_state < 0) {
        snprintf(err, errlen, "%s", library_error);
        return -1;
    }
    return 0;
}

int counters_setup(struct counters *c, const char *names, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->event_set = PAPI_NULL;
    snprintf(c->version, sizeof c->version, "%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION),
             PAPI_VERSION_MINOR(PAPI_VERSION), PAPI_VERSION_REVISION(PAPI_VERSION));
    char list[512];
    snprintf(list, sizeof list, "%s", names ? names : "");
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (c->count == NB_MAX_EVENTS) {
            snprintf(err, errlen, "at most %d events", NB_MAX_EVENTS);
            return 2;
        }
        snprintf(c->names[c->count++], sizeof c->names[0], "%s", name);
    }
    if (counters_library_init(c->init_error, sizeof c->init_error) != 0) {
        for (size_t i = 0; i < c->count; i++)
            snprintf(c->why[i], sizeof c->why[i], "%s", c->init_error);
        return 0; /* a run without counters, recorded */
    }
    c->ready = 1;
    int rc = PAPI_create_eventset(&c->event_set);
    if (rc != PAPI_OK) {
        for (size_t i = 0; i < c->count; i++)
            snprintf(c->why[i], sizeof c->why[i], "PAPI_create_eventset: %s", papi_error_text(rc));
        c->ready = 0;
        return 0;
    }
    for (size_t i = 0; i < c->count; i++) {
        int code;
        rc = PAPI_event_name_to_code(c->names[i], &code);
        if (rc != PAPI_OK && cpu_detect()->emulated && !strncmp(c->names[i], "perf::", 6)) {
            /* qemu-user emulates no perf_event_open: PAPI finds no perf
             * event there, the names that exist included */
            snprintf(c->why[i], sizeof c->why[i], "not counted: emulated (qemu-user has no perf_event_open)");
            continue;
        }
        if (rc != PAPI_OK && perf_event_off[0]) {
            snprintf(c->why[i], sizeof c->why[i], "not counted: %s", perf_event_off);
            continue;
        }
        if (rc != PAPI_OK) {
            /* PAPI does not know the name at all (a preset it knows but this
             * machine lacks passes here and fails at PAPI_add_event) */
            char avail[1024];
            counters_list_available(avail, sizeof avail);
            int task_clock;
            int software = PAPI_event_name_to_code("perf::TASK-CLOCK", &task_clock) == PAPI_OK;
            snprintf(err, errlen, "unknown PAPI event '%s' (%s); events this machine can count: %s%s",
                     c->names[i], papi_error_text(rc), avail[0] ? avail : "no preset",
                     software ? ", perf::TASK-CLOCK, ..." : "");
            return 2;
        }
        rc = PAPI_add_event(c->event_set, code);
        if (rc != PAPI_OK) {
            snprintf(c->why[i], sizeof c->why[i], "%s", papi_error_text(rc));
            continue;
        }
        c->available[i] = 1;
        c->active_index[c->active++] = (int)i;
    }
    return 0;
}

int counters_start(struct counters *c)
{
    if (!c->ready || c->active == 0)
        return 0;
    int rc = PAPI_start(c->event_set);
    if (rc != PAPI_OK) {
        /* the set cannot run (e.g. counters taken): drop it, say why */
        for (size_t k = 0; k < c->active; k++) {
            int i = c->active_index[k];
            c->available[i] = 0;
            snprintf(c->why[i], sizeof c->why[i], "PAPI_start: %s", papi_error_text(rc));
        }
        c->active = 0;
        return -1;
    }
    return 0;
}

int counters_stop(struct counters *c, long long *values)
{
    long long raw[NB_MAX_EVENTS] = {0};
    for (size_t i = 0; i < c->count; i++)
        values[i] = -1;
    if (!c->ready || c->active == 0)
        return 0;
    int rc = PAPI_stop(c->event_set, raw);
    if (rc != PAPI_OK)
        return -1;
    for (size_t k = 0; k < c->active; k++)
        values[c->active_index[k]] = raw[k];
    return 0;
}

void counters_note(const struct counters *c, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->count && used < len; i++) {
        if (c->available[i])
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%s: %s", used ? "; " : "", c->names[i], c->why[i]);
    }
}

void counters_list_available(char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    char err[160];
    if (counters_library_init(err, sizeof err) != 0) {
        snprintf(out, len, "none (%s)", err);
        return;
    }
    int code = PAPI_PRESET_MASK;
    if (PAPI_enum_event(&code, PAPI_ENUM_FIRST) != PAPI_OK)
        return;
    /* PAPI lists presets it can define; only those that start here count */
    do {
        PAPI_event_info_t info;
        if (PAPI_get_event_info(code, &info) != PAPI_OK || info.count == 0 || used >= len)
            continue;
        int set = PAPI_NULL;
        long long v;
        if (PAPI_create_eventset(&set) != PAPI_OK)
            break;
        if (PAPI_add_event(set, code) == PAPI_OK && PAPI_start(set) == PAPI_OK && PAPI_stop(set, &v) == PAPI_OK)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", info.symbol);
        PAPI_cleanup_eventset(set);
        PAPI_destroy_eventset(&set);
    } while (PAPI_enum_event(&code, PAPI_PRESET_ENUM_AVAIL) == PAPI_OK);
}

void counters_teardown(struct counters *c)
{
    if (c->ready && c->event_set != PAPI_NULL) {
        PAPI_cleanup_eventset(c->event_set);
        PAPI_destroy_eventset(&c->event_set);
    }
    c->ready = 0;
}
