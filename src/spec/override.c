/* override: command-line and environment overrides of the spec, read strictly; see override.h. */
#include "spec/override.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "spec/spec_int.h"

/* How a value is written after from: "--users 10" or "WSGATE_USERS=10". */
static const char *joiner(const char *from)
{
    return from[0] == '-' ? " " : "=";
}

/* A whole number from text into *out, written as from's example shows
 * ("--users 10"); write receives how to write it (for range messages). */
static int read_whole(const char *text, const char *from, const char *example, unsigned *out,
                      char *write, size_t writelen, char *err, size_t errlen)
{
    char msg[320];
    snprintf(write, writelen, "%s%s", from, joiner(from));
    if (scalar_whole(text, write, example, out, msg, sizeof(msg)) < 0) {
        snprintf(err, errlen, "%s %s", from, msg);
        return -1;
    }
    return 0;
}

int override_users(spec_overrides_t *o, const char *text, const char *from, char *err,
                   size_t errlen)
{
    char write[64];
    unsigned v;
    if (read_whole(text, from, "10", &v, write, sizeof(write), err, errlen) < 0)
        return -1;
    if (v == 0) {
        snprintf(err, errlen, "%s must be at least 1; write e.g. %s10", from, write);
        return -1;
    }
    o->users = v;
    o->users_from = from;
    return 0;
}

int override_max_connecting(spec_overrides_t *o, const char *text, const char *from, char *err,
                            size_t errlen)
{
    char write[64];
    unsigned v;
    if (read_whole(text, from, "2000", &v, write, sizeof(write), err, errlen) < 0)
        return -1;
    if (v < 1 || v > SPEC_MAX_CONNECTING) {
        snprintf(err, errlen,
                 "%s must be from 1 to %u connects in flight (%u given); write e.g. %s2000", from,
                 SPEC_MAX_CONNECTING, v, write);
        return -1;
    }
    o->max_connecting = v;
    o->max_connecting_from = from;
    return 0;
}

/* A duration from text; zero_ok allows 0s. */
static int read_duration(const char *text, const char *from, bool zero_ok, uint64_t *out, char *err,
                         size_t errlen)
{
    char why[256];
    if (units_parse_duration(text, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: %s", from, why);
        return -1;
    }
    if (!zero_ok && *out == 0) {
        snprintf(err, errlen, "%s must be more than 0; write e.g. %s%s30s", from, from,
                 joiner(from));
        return -1;
    }
    return 0;
}

int override_duration(spec_overrides_t *o, const char *text, const char *from, char *err,
                      size_t errlen)
{
    if (read_duration(text, from, false, &o->duration_us, err, errlen) < 0)
        return -1;
    o->duration_from = from;
    return 0;
}

int override_ramp_up(spec_overrides_t *o, const char *text, const char *from, char *err,
                     size_t errlen)
{
    if (read_duration(text, from, true, &o->ramp_up_us, err, errlen) < 0)
        return -1;
    o->ramp_up_from = from;
    return 0;
}

/* Checks NAME of --var NAME=VALUE; 0 or -1 with err set. */
static int check_var_name(const spec_overrides_t *o, const char *name, char *err, size_t errlen)
{
    if (!field_is_ident(name)) {
        snprintf(err, errlen,
                 "--var \"%.60s\": the name is not usable in {{ }}; use letters, digits and _ "
                 "(e.g. --var room_id=42)",
                 name);
        return -1;
    }
    if (field_is_reserved_var(name)) {
        snprintf(err, errlen, "--var %.60s: the name is reserved; choose another name", name);
        return -1;
    }
    for (size_t i = 0; i < o->nvars; i++) {
        if (strcmp(o->vars[i].name, name) == 0) {
            snprintf(err, errlen, "--var %.60s is given twice; keep one", name);
            return -1;
        }
    }
    return 0;
}

int override_var(spec_overrides_t *o, const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "--var \"%.60s\" needs NAME=VALUE; write e.g. --var room=support",
                 arg);
        return -1;
    }
    if (!eq[1]) {
        snprintf(err, errlen, "--var %.60s has no value; write e.g. --var %.*sVALUE", arg,
                 (int)(eq - arg + 1), arg);
        return -1;
    }
    if (o->nvars >= OVERRIDE_MAX_VARS) {
        snprintf(err, errlen, "more than %d --var; put the rest under variables: in the spec",
                 OVERRIDE_MAX_VARS);
        return -1;
    }
    char *name = strndup(arg, (size_t)(eq - arg)), *value = strdup(eq + 1);
    override_var_t *vars = realloc(o->vars, (o->nvars + 1) * sizeof(*vars));
    if (vars)
        o->vars = vars;
    if (!name || !value || !vars) {
        free(name);
        free(value);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (check_var_name(o, name, err, errlen) < 0) {
        free(name);
        free(value);
        return -1;
    }
    o->vars[o->nvars++] = (override_var_t){ name, value };
    return 0;
}

int override_any(const spec_overrides_t *o)
{
    return o && (o->users_from || o->duration_from || o->ramp_up_from || o->max_connecting_from ||
                 o->nvars);
}

void override_free(spec_overrides_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nvars; i++) {
        free(o->vars[i].name);
        free(o->vars[i].value);
    }
    free(o->vars);
    memset(o, 0, sizeof(*o));
}
