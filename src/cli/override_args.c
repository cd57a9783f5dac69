/* override_args: --users, --duration, --ramp-up, --max-connecting, --var and their variables. */
#include "cli/override_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

int override_flag(override_flags_t *f, const char *arg, const char *val)
{
    const char **slot = NULL;
    if (strcmp(arg, "--users") == 0)
        slot = &f->users;
    else if (strcmp(arg, "--duration") == 0)
        slot = &f->duration;
    else if (strcmp(arg, "--ramp-up") == 0)
        slot = &f->ramp_up;
    else if (strcmp(arg, "--max-connecting") == 0)
        slot = &f->max_connecting;
    else if (strcmp(arg, "--var") != 0)
        return 0;
    if (!val)
        return cli_usage_error("%s needs a value", arg);
    if (!*val) /* in CI, an unset variable: never fall back silently */
        return cli_usage_error("%s is empty; give a value or leave the flag out", arg);
    if (slot) {
        *slot = val;
        return 1;
    }
    if (f->nvars == OVERRIDE_MAX_VARS)
        return cli_usage_error("more than %d --var; put the rest under variables: in the spec",
                               OVERRIDE_MAX_VARS);
    f->vars[f->nvars++] = val;
    return 1;
}

/* The flag's value with its name in *from, else the variable's; NULL
 * when neither is set. An empty variable is an error (1). */
static int pick(const char *flag, const char *flag_name, const char *var, const char **text,
                const char **from)
{
    *text = flag;
    *from = flag_name;
    if (flag || !var)
        return 0;
    *text = getenv(var);
    *from = var;
    if (*text && !**text) {
        fprintf(stderr, "wsgate: %s is set but empty; set it to a value or unset it\n", var);
        return 1;
    }
    return 0;
}

int override_resolve(const override_flags_t *f, spec_overrides_t *o)
{
    char err[CLI_ERRLEN];
    const char *text, *from;
    memset(o, 0, sizeof(*o));
    if (pick(f->users, "--users", "WSGATE_USERS", &text, &from))
        return EXIT_USAGE;
    if (text && override_users(o, text, from, err, sizeof(err)) < 0)
        goto fail;
    if (pick(f->duration, "--duration", "WSGATE_DURATION", &text, &from))
        return EXIT_USAGE;
    if (text && override_duration(o, text, from, err, sizeof(err)) < 0)
        goto fail;
    if (f->ramp_up && override_ramp_up(o, f->ramp_up, "--ramp-up", err, sizeof(err)) < 0)
        goto fail;
    if (f->max_connecting &&
        override_max_connecting(o, f->max_connecting, "--max-connecting", err, sizeof(err)) < 0)
        goto fail;
    for (size_t i = 0; i < f->nvars; i++)
        if (override_var(o, f->vars[i], err, sizeof(err)) < 0)
            goto fail;
    return 0;
fail:
    fprintf(stderr, "wsgate: %s\n", err);
    return EXIT_USAGE;
}

res_overrides_t *override_record(const spec_overrides_t *o, int *oom)
{
    *oom = 0;
    if (!override_any(o))
        return NULL;
    res_overrides_t *r = res_overrides_new();
    if (!r)
        goto fail;
    r->users = o->users_from ? o->users : 0;
    r->duration_s = o->duration_from ? (double)o->duration_us / 1e6 : 0;
    r->has_ramp_up = o->ramp_up_from != NULL;
    r->ramp_up_s = (double)o->ramp_up_us / 1e6;
    r->max_connecting = o->max_connecting_from ? o->max_connecting : 0;
    for (size_t i = 0; i < o->nvars; i++)
        if (res_overrides_add_var(r, o->vars[i].name, o->vars[i].value) < 0)
            goto fail;
    return r;
fail:
    res_overrides_free(r);
    *oom = 1;
    return NULL;
}
