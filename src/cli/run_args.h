/* run_args: the options of `wsgate run`, parsed from its arguments. Only the
 * flags: environment fallbacks are resolved when the run is planned. */
#ifndef WSGATE_RUN_ARGS_H
#define WSGATE_RUN_ARGS_H

#include <stdbool.h>

#include "cli/guard.h"
#include "cli/override_args.h"

/* Options of `wsgate run`, each named after its flag; the strings are
 * borrowed from argv. */
typedef struct run_args {
    const char *spec;           /* SPEC */
    const char *target;         /* --target */
    const char *out_dir;        /* --out, else $WSGATE_OUT */
    const char *baseline;       /* --baseline, else $WSGATE_BASELINE */
    const char *shard;          /* --shard */
    const char *region;         /* --region, else $WSGATE_REGION */
    const char *start_at;       /* --start-at, else $WSGATE_START_AT */
    const char *source_addrs;   /* --source-addrs, else $WSGATE_SOURCE_ADDRS */
    const char *live;           /* --live, else $WSGATE_LIVE */
    const char *metrics_listen; /* --metrics-listen, else $WSGATE_METRICS_LISTEN */
    unsigned threads;           /* --threads; 0: one per core */
    unsigned long long seed;    /* --seed */
    bool serve;                 /* --serve */
    bool quiet;                 /* --quiet */
    guard_flags_t guard;        /* --allow-hosts, --block-hosts, --allow-env, --max-* */
    override_flags_t ovr;       /* --users, --duration, --ramp-up, --var */
} run_args_t;

/* Fills a from the arguments after "run". Returns 0, or EXIT_USAGE after
 * printing the problem on stderr. */
int run_args_parse(int argc, char **argv, run_args_t *a);

#endif
