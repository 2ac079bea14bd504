/* PAPI event counters around a timed region. Events the machine does not
 * have are recorded with PAPI's reason and never counted: no zeros, no
 * invented numbers. */
#ifndef NB_COUNTERS_H
#define NB_COUNTERS_H

#include <stddef.h>

#define NB_MAX_EVENTS 8

struct counters {
    int ready;                       /* PAPI initialised */
    char init_error[160];            /* why not, in PAPI's words */
    size_t count;                    /* requested events */
    char names[NB_MAX_EVENTS][64];
    int available[NB_MAX_EVENTS];    /* in the running event set */
    char why[NB_MAX_EVENTS][160];    /* for the unavailable */
    int event_set;
    size_t active;                   /* events in the set */
    int active_index[NB_MAX_EVENTS]; /* requested index of each set slot */
    char version[32];
};

/* Initialises PAPI (once per process). */
int counters_library_init(char *err, size_t errlen);

/* Why PAPI's perf_event component is disabled here, or "" when it is on
 * (valid after counters_library_init). */
const char *counters_component_off(void);

/* Parses a comma-separated list of event names and builds the event set
 * from those that exist here. Returns 0; an event that PAPI does not know
 * at all is a usage error: returns 2 and err names it, unless PAPI's
 * perf_event component is disabled, when no name can be checked and each
 * is recorded as not counted, with the reason. */
int counters_setup(struct counters *c, const char *names, char *err, size_t errlen);

/* Starts and stops the set around a region; values[i] gets requested
 * event i's count, or -1 where it is not available. */
int counters_start(struct counters *c);
int counters_stop(struct counters *c, long long *values);

/* "PAPI_TOT_CYC: Event does not exist; ..." for the note column; empty
 * when every event counted. */
void counters_note(const struct counters *c, char *out, size_t len);

/* Writes the names of the preset events this machine can count, comma
 * separated, to out. */
void counters_list_available(char *out, size_t len);

void counters_teardown(struct counters *c);

#endif
