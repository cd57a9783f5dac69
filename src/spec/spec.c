/* spec: spec_load, the whole flow from the file to the compiled plan; see spec.h. */
#include "spec/spec_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"

#define SPEC_MAX_BYTES (4u << 20)

/* Messages from other modules promise one line; make sure of it. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

/* ------------------------------------------------------------------ */
/* Reading the file and the position tree.                              */

/* Reads the whole file; the bytes go to both libyaml and libcyaml. */
static int read_file(spec_ctx_t *c, char **out, size_t *len)
{
    FILE *f = fopen(c->file, "rb");
    if (!f)
        return diag_fail_line(c, 0, "cannot read the spec: %s", strerror(errno));
    sbuf_t b = SBUF_INIT;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > SPEC_MAX_BYTES)
            rc = diag_fail_line(c, 0, "the spec is larger than 4 MiB; split it");
        else if (sbuf_append(&b, chunk, n) < 0)
            rc = diag_oom(c);
    }
    if (rc == 0 && ferror(f))
        rc = diag_fail_line(c, 0, "cannot read the spec: read error");
    if (rc == 0 && !b.data && sbuf_reserve(&b, 0) < 0)
        rc = diag_oom(c);
    fclose(f);
    if (rc < 0) {
        sbuf_free(&b);
        return -1;
    }
    b.data[b.len] = '\0';
    *out = b.data;
    *len = b.len;
    return 0;
}

static int parse_tree(spec_ctx_t *c, const char *data, size_t len, yloc_node_t **root)
{
    char why[512];
    int line;
    if (yloc_parse(data, len, root, &line, why, sizeof(why)) < 0)
        return diag_fail_line(c, line, "YAML syntax error: %s", why);
    if (!*root)
        return diag_fail_line(c, 1,
                              "the spec is empty; start with name:, target:, load: and "
                              "scenarios:");
    if ((*root)->kind != YLOC_MAP)
        return diag_fail_line(c, (*root)->line,
                              "the spec must be a mapping of keys (name:, "
                              "load:, scenarios:, ...), not a %s",
                              diag_kind_name((*root)->kind));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Compiling the raw spec into spec_t, part by part.                    */

static int check_version(spec_ctx_t *c, const raw_spec_t *raw)
{
    if (field_present(c, "version") && raw->version != 1)
        return diag_fail_at(c, "version", "version %u is not supported; write version: 1",
                            raw->version);
    return 0;
}

/* Protocol-level pings, when any scenario sends them, are the "ws.ping"
 * metric (round trip of a WebSocket ping frame to its pong). */
static int add_ping_metric(spec_ctx_t *c)
{
    c->s->ping_metric = -1;
    for (size_t i = 0; i < c->s->nscenarios; i++) {
        if (c->s->scenarios[i].ping_interval_us) {
            c->s->ping_metric = (int)c->s->nmetrics;
            return names_push_metric(c, "ws.ping", 0);
        }
    }
    return 0;
}

/* Whether some scenario reads slowly: a read_rate or a pause_reading step. */
static bool steps_pause(const spec_step_t *st, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (st[i].pause_reading_us)
            return true;
    return false;
}

/* Sets s->slow_readers; returns 0 (a step of compile()'s chain). */
static int find_slow_readers(spec_t *s)
{
    for (size_t i = 0; i < s->nscenarios; i++) {
        const spec_scenario_t *sc = &s->scenarios[i];
        bool slow = sc->read_rate || steps_pause(sc->on_start, sc->non_start) ||
                    steps_pause(sc->on_reconnect, sc->non_reconnect);
        for (size_t t = 0; !slow && t < sc->ntasks; t++)
            slow = steps_pause(sc->tasks[t].steps, sc->tasks[t].nsteps);
        s->slow_readers |= slow;
    }
    return 0;
}

/* Automatic reconnects, when any scenario has a policy, are the
 * "reconnects" metric. */
static int add_reconnect_metric(spec_ctx_t *c)
{
    c->s->reconnect_metric = -1;
    for (size_t i = 0; i < c->s->nscenarios; i++) {
        if (c->s->scenarios[i].reconnect.max_attempts) {
            c->s->reconnect_metric = (int)c->s->nmetrics;
            return names_push_metric(c, "reconnects", 0);
        }
    }
    return 0;
}

static int compile_assertions(spec_ctx_t *c, const raw_spec_t *raw)
{
    spec_t *s = c->s;
    if (raw->assertions_count == 0)
        return 0;
    s->assertions = calloc(raw->assertions_count, sizeof(*s->assertions));
    if (!s->assertions)
        return diag_oom(c);
    for (unsigned i = 0; i < raw->assertions_count; i++) {
        char ypath[64], why[1024];
        const char *text = raw->assertions[i];
        snprintf(ypath, sizeof(ypath), "assertions[%u]", i);
        if (asrt_parse(text, &s->assertions[i], why, sizeof(why)) < 0)
            return diag_fail_at(c, ypath, "bad assertion \"%s\": %s", text, why);
        s->nassertions++;
        s->assertions[i].line = yloc_line(c->root, ypath);
        if (asrt_check(&s->assertions[i], (const char *const *)s->metric_names, s->nmetrics, why,
                       sizeof(why)) < 0 ||
            observe_check_assertion(s, &s->assertions[i], why, sizeof(why)) < 0)
            return diag_fail_at(c, ypath, "assertion \"%s\": %s", text, why);
        if (asrt_is_arrivals(&s->assertions[i]) && !s->open_model)
            return diag_fail_at(
                c, ypath,
                "assertion \"%s\": arrivals.* counts open-model arrivals; use it with "
                "load: {arrival_rate: {rate: 10/s, duration: 30s, max_users: 100}}, or "
                "assert on connections.peak for users",
                text);
        if (asrt_is_slow(&s->assertions[i]) && !s->slow_readers)
            return diag_fail_at(c, ypath,
                                "assertion \"%s\": slow_consumers.* counts the bytes slow readers "
                                "leave unread; give a scenario connect.read_rate (e.g. 16KB/s) or "
                                "a pause_reading step",
                                text);
    }
    return 0;
}

static spec_t *compile(spec_ctx_t *c, const raw_spec_t *raw, const spec_opts_t *opts)
{
    spec_t *s = calloc(1, sizeof(*s));
    if (!s) {
        diag_oom(c);
        return NULL;
    }
    c->s = s;
    if (check_version(c, raw) < 0)
        goto fail;
    if (!raw->name[0]) {
        diag_fail_at(c, "name", "name is empty; write e.g. name: my-load-test");
        goto fail;
    }
    if (!(s->path = diag_strdup(c, c->file)) || !(s->name = diag_strdup(c, raw->name)))
        goto fail;
    if (settings_target(c, raw, opts) < 0 || settings_variables(c) < 0 ||
        settings_data(c, raw->data) < 0 || settings_tls(c, raw->tls) < 0 ||
        shape_compile(c, raw->load) < 0 || names_push_metric(c, "connect", 0) < 0 ||
        scenario_compile_all(c, raw) < 0 || add_ping_metric(c) < 0 || add_reconnect_metric(c) < 0 ||
        observe_compile(c, raw) < 0 || find_slow_readers(s) < 0 || compile_assertions(c, raw) < 0 ||
        spec_guard_limits(c) < 0)
        goto fail;
    s->hosts = c->guard ? c->guard->hosts : NULL;
    return s;
fail:
    spec_free(s);
    c->s = NULL;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Loading.                                                             */

static void ctx_clear(spec_ctx_t *c)
{
    for (size_t i = 0; i < c->nvars; i++) {
        free(c->var_names[i]);
        free(c->var_values[i]);
    }
    free(c->var_names);
    free(c->var_values);
    free(c->metric_lines);
}

spec_t *spec_load(const char *path, const spec_opts_t *opts, char *err, size_t errlen)
{
    char dummy[1];
    spec_ctx_t c = { .file = path, .err = err, .errlen = errlen };
    c.guard = opts ? opts->guard : NULL;
    c.ovr = opts ? opts->overrides : NULL;
    if (c.guard) {
        c.scope.env_allow = c.guard->env_allow;
        c.scope.env_allow_from = c.guard->env_allow_from;
        c.scope.env_secrets = c.guard->secrets;
    }
    char *data = NULL;
    size_t len = 0;
    yloc_node_t *root = NULL;
    raw_spec_t *raw = NULL;
    spec_t *s = NULL;

    if (!err || errlen == 0) {
        c.err = dummy;
        c.errlen = sizeof(dummy);
    }
    c.err[0] = '\0';
    if (read_file(&c, &data, &len) < 0 || parse_tree(&c, data, len, &root) < 0)
        goto out;
    c.root = root;
    if (scalar_check_all(&c) < 0 || schema_load_raw(&c, data, len, &raw) < 0)
        goto out;
    s = compile(&c, raw, opts);
out:
    schema_free_raw(raw);
    yloc_free(root);
    free(data);
    ctx_clear(&c);
    one_line(c.err);
    return s;
}

/* ------------------------------------------------------------------ */
/* Questions about a compiled plan.                                     */

static bool step_is_https(const spec_step_t *st)
{
    return st->http && st->http->https;
}

static bool step_is_http(const spec_step_t *st)
{
    return st->http != NULL;
}

static bool steps_any(const spec_step_t *steps, size_t n, bool (*is)(const spec_step_t *))
{
    for (size_t i = 0; i < n; i++)
        if (is(&steps[i]))
            return true;
    return false;
}

/* True when some step of some scenario (on_start, on_reconnect, tasks)
 * satisfies is. */
static bool spec_any_step(const spec_t *s, bool (*is)(const spec_step_t *))
{
    for (size_t i = 0; i < s->nscenarios; i++) {
        const spec_scenario_t *sc = &s->scenarios[i];
        if (steps_any(sc->on_start, sc->non_start, is) ||
            steps_any(sc->on_reconnect, sc->non_reconnect, is))
            return true;
        for (size_t t = 0; t < sc->ntasks; t++)
            if (steps_any(sc->tasks[t].steps, sc->tasks[t].nsteps, is))
                return true;
    }
    return false;
}

bool spec_http_uses_tls(const spec_t *s)
{
    return spec_any_step(s, step_is_https);
}

bool spec_uses_http(const spec_t *s)
{
    return spec_any_step(s, step_is_http);
}
