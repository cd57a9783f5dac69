/* override_args: the flags --users, --duration, --ramp-up,
 * --max-connecting and --var that run and validate share, their variables,
 * and the record a result keeps of them. */
#ifndef WSGATE_OVERRIDE_ARGS_H
#define WSGATE_OVERRIDE_ARGS_H

#include <stddef.h>

#include "result/overrides.h"
#include "spec/override.h"

/* The override flags as given; the strings are borrowed from argv. */
typedef struct override_flags {
    const char *users;                   /* --users, else $WSGATE_USERS */
    const char *duration;                /* --duration, else $WSGATE_DURATION */
    const char *ramp_up;                 /* --ramp-up */
    const char *max_connecting;          /* --max-connecting */
    const char *vars[OVERRIDE_MAX_VARS]; /* --var NAME=VALUE, repeatable */
    size_t nvars;
} override_flags_t;

/* Takes arg (and its value val, NULL after the last argument) when it is
 * an override flag. Returns 1 when it took both, 0 when arg is no override
 * flag, or EXIT_USAGE after printing the problem. */
int override_flag(override_flags_t *f, const char *arg, const char *val);

/* Reads the flags, else their variables, into o strictly, as the spec's
 * own values are read. Returns 0, or EXIT_USAGE after printing the
 * problem; the caller frees o with override_free() either way. */
int override_resolve(const override_flags_t *f, spec_overrides_t *o);

/* What a result records of o: NULL when o sets nothing, and when out of
 * memory (*oom then set). */
res_overrides_t *override_record(const spec_overrides_t *o, int *oom);

/* The lines of --help for the flags above. */
#define OVERRIDE_HELP                                                                              \
    "  --users N        load.users instead of the spec's (also $WSGATE_USERS); over\n"             \
    "                   stages, scales each stage so the peak is N; not for the\n"                 \
    "                   open model (arrival_rate)\n"                                               \
    "  --duration D     the load's duration, ramp-up included (also\n"                             \
    "                   $WSGATE_DURATION); over stages, scales each one's share\n"                 \
    "  --ramp-up D      load.ramp_up instead of the spec's (users + duration only)\n"              \
    "  --max-connecting N\n"                                                                       \
    "                   load.max_connecting instead of the spec's: connects in\n"                  \
    "                   flight at most, all threads (1 to 1000000)\n"                              \
    "  --var NAME=VALUE sets or replaces variables.NAME (repeatable)\n"

#endif
