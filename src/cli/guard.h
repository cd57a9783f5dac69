/* guard: the guard rails for specs someone else wrote (a pull request can
 * change the spec a CI job runs): --allow-hosts, --block-hosts,
 * --allow-env, --max-users, --max-duration and --max-rate, each also a
 * WSGATE_ variable. run and validate take the same flags. */
#ifndef WSGATE_CLI_GUARD_H
#define WSGATE_CLI_GUARD_H

#include "base/hostrule.h"
#include "base/namepat.h"
#include "base/redact.h"
#include "result/result.h"
#include "spec/spec.h"

/* The flags as given, borrowed from argv; NULL when not given. */
typedef struct guard_flags {
    const char *allow_hosts;  /* --allow-hosts, else $WSGATE_ALLOW_HOSTS */
    const char *block_hosts;  /* --block-hosts, else $WSGATE_BLOCK_HOSTS */
    const char *allow_env;    /* --allow-env, else $WSGATE_ALLOW_ENV */
    const char *max_users;    /* --max-users, else $WSGATE_MAX_USERS */
    const char *max_duration; /* --max-duration, else $WSGATE_MAX_DURATION */
    const char *max_rate;     /* --max-rate, else $WSGATE_MAX_RATE */
} guard_flags_t;

/* Where the value of flag arg goes in f, or NULL when arg is no guard flag. */
const char **guard_flag(guard_flags_t *f, const char *arg);

/* The guard rails resolved from the flags and the environment. Owns the
 * lists and the secrets; spec points into them, so a guard stays where
 * cli_guard_init filled it. */
typedef struct cli_guard {
    hostrules_t *allow, *block;
    hostguard_t hosts;
    namepat_t *env;
    redact_secrets_t *secrets; /* what {{env.NAME}} read: never printed */
    spec_guard_t spec;         /* for spec_opts_t.guard */
} cli_guard_t;

/* Fills g from f, falling back to the WSGATE_ variables (an empty variable
 * counts as unset). Returns 0, or EXIT_USAGE after printing the problem
 * with the flag or variable it came from. The caller calls cli_guard_free
 * either way. */
int cli_guard_init(cli_guard_t *g, const guard_flags_t *f);
void cli_guard_free(cli_guard_t *g);

/* Hides, in place, every value a spec read from the environment: call it
 * on any text about the spec or run before printing it. */
void cli_guard_scrub(const cli_guard_t *g, char *text);
/* The same for every text of a finished result that a report shows. */
void cli_guard_scrub_result(const cli_guard_t *g, result_t *r);

/* The flags' lines for run's and validate's --help. */
#define GUARD_HELP                                                                                 \
    "  --allow-hosts L  connects only to these hosts: names, *.example.com, addresses,\n"          \
    "                   ranges such as 10.0.0.0/8 or fd00::/8, each with an optional\n"            \
    "                   :PORT (also $WSGATE_ALLOW_HOSTS); checked after DNS\n"                     \
    "  --block-hosts L  never connects to these (same forms; also $WSGATE_BLOCK_HOSTS)\n"          \
    "  --allow-env L    environment variables {{env.NAME}} may read, * as wildcard\n"              \
    "                   (default WSGATE_*,LOADTEST_*; also $WSGATE_ALLOW_ENV)\n"                   \
    "  --max-users N, --max-duration D, --max-rate R/s  refuse a spec asking for more\n"           \
    "                   (whole spec, all shards; also $WSGATE_MAX_USERS, ...)\n"

#endif
