/* overrides: what a run took from flags and environment, as results record it; see overrides.h. */
#include "result/overrides.h"

#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"

res_overrides_t *res_overrides_new(void)
{
    return calloc(1, sizeof(res_overrides_t));
}

int res_overrides_add_var(res_overrides_t *o, const char *name, const char *value)
{
    char **names = realloc(o->var_names, (o->nvars + 1) * sizeof(char *));
    if (names)
        o->var_names = names;
    char **values = realloc(o->var_values, (o->nvars + 1) * sizeof(char *));
    if (values)
        o->var_values = values;
    char *n = strdup(name), *v = strdup(value);
    if (!names || !values || !n || !v) {
        free(n);
        free(v);
        return -1;
    }
    o->var_names[o->nvars] = n;
    o->var_values[o->nvars++] = v;
    return 0;
}

char *res_overrides_text(const res_overrides_t *o)
{
    sbuf_t b = SBUF_INIT;
    const char *sep = "";
    int rc = sbuf_reserve(&b, 0);
    if (o && o->users) {
        rc |= sbuf_printf(&b, "users %u", o->users);
        sep = ", ";
    }
    if (o && o->duration_s > 0) {
        rc |= sbuf_printf(&b, "%sduration %gs", sep, o->duration_s);
        sep = ", ";
    }
    if (o && o->has_ramp_up) {
        rc |= sbuf_printf(&b, "%sramp-up %gs", sep, o->ramp_up_s);
        sep = ", ";
    }
    if (o && o->max_connecting) {
        rc |= sbuf_printf(&b, "%smax-connecting %u", sep, o->max_connecting);
        sep = ", ";
    }
    for (size_t i = 0; o && i < o->nvars; i++) {
        rc |= sbuf_printf(&b, "%svar %s=%s", sep, o->var_names[i], o->var_values[i]);
        sep = ", ";
    }
    if (rc) {
        sbuf_free(&b);
        return NULL;
    }
    return b.data;
}

bool res_overrides_equal(const res_overrides_t *a, const res_overrides_t *b)
{
    char *ta = res_overrides_text(a), *tb = res_overrides_text(b);
    bool same = ta && tb && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

res_overrides_t *res_overrides_dup(const res_overrides_t *o)
{
    if (!o)
        return NULL;
    res_overrides_t *d = res_overrides_new();
    if (!d)
        return NULL;
    d->users = o->users;
    d->duration_s = o->duration_s;
    d->has_ramp_up = o->has_ramp_up;
    d->ramp_up_s = o->ramp_up_s;
    d->max_connecting = o->max_connecting;
    for (size_t i = 0; i < o->nvars; i++) {
        if (res_overrides_add_var(d, o->var_names[i], o->var_values[i]) < 0) {
            res_overrides_free(d);
            return NULL;
        }
    }
    return d;
}

void res_overrides_free(res_overrides_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nvars; i++) {
        free(o->var_names[i]);
        free(o->var_values[i]);
    }
    free(o->var_names);
    free(o->var_values);
    free(o);
}
