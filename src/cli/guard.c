/* guard: the guard rail flags and variables of run and validate; see guard.h. */
#include "cli/guard.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "cli/cli_int.h"

#define GUARD_MAX_USERS 100000000u /* more than any run could start */

/* Each flag, its variable and where its value goes. */
static const struct {
    const char *flag;
    const char *var;
    size_t offset;
} guard_opts[] = {
    { "--allow-hosts", "WSGATE_ALLOW_HOSTS", offsetof(guard_flags_t, allow_hosts) },
    { "--block-hosts", "WSGATE_BLOCK_HOSTS", offsetof(guard_flags_t, block_hosts) },
    { "--allow-env", "WSGATE_ALLOW_ENV", offsetof(guard_flags_t, allow_env) },
    { "--max-users", "WSGATE_MAX_USERS", offsetof(guard_flags_t, max_users) },
    { "--max-duration", "WSGATE_MAX_DURATION", offsetof(guard_flags_t, max_duration) },
    { "--max-rate", "WSGATE_MAX_RATE", offsetof(guard_flags_t, max_rate) },
};
#define NGUARD_OPTS (sizeof(guard_opts) / sizeof(guard_opts[0]))

const char **guard_flag(guard_flags_t *f, const char *arg)
{
    for (size_t i = 0; i < NGUARD_OPTS; i++)
        if (strcmp(arg, guard_opts[i].flag) == 0)
            return (const char **)((char *)f + guard_opts[i].offset);
    return NULL;
}

/* The value of option i (the flag, else its variable) and where it came
 * from; NULL when neither is set (an empty variable is unset). */
static const char *value_of(const guard_flags_t *f, size_t i, const char **from)
{
    const char *v = *(const char *const *)((const char *)f + guard_opts[i].offset);
    *from = guard_opts[i].flag;
    if (v)
        return v;
    v = getenv(guard_opts[i].var);
    *from = guard_opts[i].var;
    return v && *v ? v : NULL;
}

static int hosts_option(const guard_flags_t *f, size_t i, hostrules_t **out, const char **from)
{
    char err[CLI_ERRLEN];
    const char *v = value_of(f, i, from);
    if (!v)
        return 0;
    if (!(*out = hostrules_parse(v, err, sizeof(err))))
        return cli_usage_error("%s: %s", *from, err);
    if (hostrules_count(*out) == 0)
        return cli_usage_error("%s has no entries; list hosts such as api.example.com,10.0.0.0/8",
                               *from);
    return 0;
}

static int env_option(const guard_flags_t *f, cli_guard_t *g)
{
    char err[CLI_ERRLEN];
    const char *from;
    const char *v = value_of(f, 2, &from);
    if (!v)
        return 0;
    if (!(g->env = namepat_parse(v, err, sizeof(err))))
        return cli_usage_error("%s: %s", from, err);
    g->spec.env_allow = g->env;
    g->spec.env_allow_from = from;
    return 0;
}

static int users_option(const guard_flags_t *f, spec_guard_t *s)
{
    char *end;
    const char *v = value_of(f, 3, &s->max_users_from);
    if (!v)
        return 0;
    unsigned long n = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 0;
    if (!n || *end || n > GUARD_MAX_USERS)
        return cli_usage_error("%s \"%s\" is not a number of users from 1 to %u", s->max_users_from,
                               v, GUARD_MAX_USERS);
    s->max_users = (unsigned)n;
    return 0;
}

static int duration_option(const guard_flags_t *f, spec_guard_t *s)
{
    char err[CLI_ERRLEN];
    const char *v = value_of(f, 4, &s->max_duration_from);
    if (!v)
        return 0;
    if (units_parse_duration(v, &s->max_duration_us, err, sizeof(err)) < 0)
        return cli_usage_error("%s: %s", s->max_duration_from, err);
    if (!s->max_duration_us)
        return cli_usage_error("%s must be more than 0s; write e.g. 10m", s->max_duration_from);
    return 0;
}

static int rate_option(const guard_flags_t *f, spec_guard_t *s)
{
    char err[CLI_ERRLEN];
    const char *v = value_of(f, 5, &s->max_rate_from);
    if (!v)
        return 0;
    if (units_parse_rate(v, &s->max_rate, err, sizeof(err)) < 0)
        return cli_usage_error("%s: %s", s->max_rate_from, err);
    if (!(s->max_rate > 0))
        return cli_usage_error("%s must be more than 0/s; write e.g. 500/s", s->max_rate_from);
    return 0;
}

int cli_guard_init(cli_guard_t *g, const guard_flags_t *f)
{
    int rc;
    memset(g, 0, sizeof(*g));
    if (!(g->secrets = redact_secrets_new())) {
        fprintf(stderr, "wsgate: out of memory\n");
        return EXIT_CANNOT_RUN;
    }
    g->spec.secrets = g->secrets;
    if ((rc = hosts_option(f, 0, &g->allow, &g->hosts.allow_from)) ||
        (rc = hosts_option(f, 1, &g->block, &g->hosts.block_from)) || (rc = env_option(f, g)) ||
        (rc = users_option(f, &g->spec)) || (rc = duration_option(f, &g->spec)) ||
        (rc = rate_option(f, &g->spec)))
        return rc;
    g->hosts.allow = g->allow;
    g->hosts.block = g->block;
    g->spec.hosts = hostguard_active(&g->hosts) ? &g->hosts : NULL;
    return 0;
}

void cli_guard_free(cli_guard_t *g)
{
    hostrules_free(g->allow);
    hostrules_free(g->block);
    namepat_free(g->env);
    redact_secrets_free(g->secrets);
    memset(g, 0, sizeof(*g));
}

void cli_guard_scrub(const cli_guard_t *g, char *text)
{
    redact_secrets_scrub(g->secrets, text);
}

void cli_guard_scrub_result(const cli_guard_t *g, result_t *r)
{
    cli_guard_scrub(g, r->target);
    cli_guard_scrub(g, r->abort_reason);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        for (unsigned i = 0; i < r->errors[k].nsamples; i++)
            cli_guard_scrub(g, r->errors[k].samples[i]);
    for (size_t i = 0; i < r->nassertions; i++) {
        cli_guard_scrub(g, r->assertions[i].observed_text);
        cli_guard_scrub(g, r->assertions[i].expected_text);
    }
}
