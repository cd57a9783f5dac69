/* names: metric names (built-ins and named steps) and per-user capture slots; see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Metric names: "connect", the named steps, then the built-ins.        */

static bool is_reserved_metric(const char *name)
{
    static const char *const reserved[] = { "connect",    "ws.ping",     "errors",
                                            "messages",   "connections", "arrivals",
                                            "reconnects", "generator",   "slow_consumers" };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

int names_push_metric(spec_ctx_t *c, const char *name, int line)
{
    spec_t *s = c->s;
    char **names = realloc(s->metric_names, (s->nmetrics + 1) * sizeof(*names));
    if (!names)
        return diag_oom(c);
    s->metric_names = names;
    int *lines = realloc(c->metric_lines, (s->nmetrics + 1) * sizeof(*lines));
    if (!lines)
        return diag_oom(c);
    c->metric_lines = lines;
    if (!(names[s->nmetrics] = diag_strdup(c, name)))
        return -1;
    lines[s->nmetrics] = line;
    s->nmetrics++;
    return 0;
}

/* Registers a named step as a metric; names are unique in the spec. */
int names_step_metric(spec_ctx_t *c, const char *name, const char *ypath, int *metric)
{
    char npath[256];
    snprintf(npath, sizeof(npath), "%.200s.name", ypath);
    int line = yloc_line(c->root, npath);
    if (!name[0])
        return diag_fail_at(c, npath, "%s is empty; give the step a name or leave name: out",
                            npath);
    if (is_reserved_metric(name))
        return diag_fail_at(c, npath,
                            "step name \"%s\" is reserved for a built-in metric; "
                            "choose another name",
                            name);
    for (size_t i = 1; i < c->s->nmetrics; i++)
        if (strcmp(c->s->metric_names[i], name) == 0)
            return diag_fail_at(c, npath,
                                "duplicate step name \"%s\" (also on line %d); give "
                                "each step its own name",
                                name, c->metric_lines[i]);
    *metric = (int)c->s->nmetrics;
    return names_push_metric(c, name, line);
}

/* ------------------------------------------------------------------ */
/* Capture slots: per-user values a scenario's templates can use.       */

int names_find_slot(const spec_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->scope.nslots; i++)
        if (strcmp(c->scope.slot_names[i], name) == 0)
            return (int)i;
    return -1;
}

/* A capture name must be usable in {{ }} and mean one thing. what is the
 * kind of value the capture takes, for messages. */
static int check_slot_name(spec_ctx_t *c, const yloc_node_t *kv, const char *what)
{
    if (!field_is_ident(kv->key) || field_is_reserved_var(kv->key))
        return diag_fail_line(c, kv->key_line,
                              "capture name \"%s\" is not usable in {{ }} or is reserved; use "
                              "letters, digits and _ (e.g. access_token)",
                              kv->key);
    for (size_t i = 0; i + 2 < c->nvars; i++) /* the last two are target, target_http */
        if (strcmp(c->var_names[i], kv->key) == 0)
            return diag_fail_line(c, kv->key_line,
                                  "capture name \"%s\" is also a variable; rename one of them",
                                  kv->key);
    if (kv->kind != YLOC_SCALAR)
        return diag_fail_line(c, kv->key_line, "capture %s must be %s, not a %s", kv->key, what,
                              diag_kind_name(kv->kind));
    return 0;
}

/* Adds the names of the capture map at cpath to the scenario's slots. */
static int add_slots_at(spec_ctx_t *c, const char *cpath, bool http, spec_scenario_t *sc)
{
    const char *what = http ? "json.FIELD or cookie.NAME" : "a field path of the message";
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map))
        return 0;
    if (map->kind != YLOC_MAP)
        return diag_fail_at(c, cpath, "%s must be a mapping of name: %s, e.g. capture: %s", cpath,
                            what,
                            http ? "{access_token: json.access_token}" : "{last_seq: sequence}");
    for (size_t i = 0; i < map->nkids; i++) {
        const char *name = map->kids[i]->key;
        bool seen = false;
        if (check_slot_name(c, map->kids[i], what) < 0)
            return -1;
        for (size_t j = 0; j < sc->nslots && !seen; j++)
            seen = strcmp(sc->slot_names[j], name) == 0;
        if (seen)
            continue;
        char **names = realloc(sc->slot_names, (sc->nslots + 1) * sizeof(*names));
        if (!names)
            return diag_oom(c);
        sc->slot_names = names;
        if (!(names[sc->nslots] = diag_strdup(c, name)))
            return -1;
        sc->nslots++;
    }
    return 0;
}

/* The http.capture and expect.capture names of the step at ypath. */
static int add_slots_of(spec_ctx_t *c, const char *ypath, spec_scenario_t *sc)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.http.capture", ypath);
    if (add_slots_at(c, cpath, true, sc) < 0)
        return -1;
    snprintf(cpath, sizeof(cpath), "%.200s.expect.capture", ypath);
    return add_slots_at(c, cpath, false, sc);
}

/* Every http.capture name of the scenario becomes a per-user slot, known
 * to all its templates (connect.url and headers included). */
int names_collect_slots(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                        spec_scenario_t *out)
{
    char ypath[256];
    for (unsigned i = 0; i < r->on_start_count; i++) {
        snprintf(ypath, sizeof(ypath), "%.200s.on_start[%u]", base, i);
        if (add_slots_of(c, ypath, out) < 0)
            return -1;
    }
    for (unsigned i = 0; i < r->on_reconnect_count; i++) {
        snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect[%u]", base, i);
        if (add_slots_of(c, ypath, out) < 0)
            return -1;
    }
    for (unsigned t = 0; t < r->tasks_count; t++) {
        snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u]", base, t);
        if (add_slots_of(c, ypath, out) < 0) /* the send:/expect: form */
            return -1;
        for (unsigned i = 0; i < r->tasks[t].steps_count; i++) {
            snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u].steps[%u]", base, t, i);
            if (add_slots_of(c, ypath, out) < 0)
                return -1;
        }
    }
    for (unsigned i = 0; i < r->count_count; i++) {
        char cpath[256];
        snprintf(cpath, sizeof(cpath), "%.200s.count[%u].capture", base, i);
        if (add_slots_at(c, cpath, false, out) < 0)
            return -1;
    }
    c->scope.slot_names = (const char *const *)out->slot_names;
    c->scope.nslots = out->nslots;
    return 0;
}
