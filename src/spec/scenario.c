/* scenario: a scenario's connect, on_start, on_reconnect, tasks and count; see spec_int.h. */
#include "spec/spec_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_RECONNECT_ATTEMPTS 5u
#define SPEC_RECONNECT_BACKOFF_US 1000000ull
#define SPEC_RECONNECT_MAX_BACKOFF_US 30000000ull

/* ------------------------------------------------------------------ */
/* Tasks: a weighted list of steps and its schedule.                    */

/* A task written as steps: [...]: its steps run in order, then the pause. */
static int compile_task_steps(spec_ctx_t *c, const char *ypath, const raw_task_t *r,
                              spec_task_t *out)
{
    if (r->send || r->expect)
        return diag_fail_at(c, ypath,
                            "%s has both send/expect and steps; move send/expect into steps: [...]",
                            ypath);
    out->steps = calloc(r->steps_count, sizeof(*out->steps));
    if (!out->steps)
        return diag_oom(c);
    out->nsteps = r->steps_count;
    for (unsigned i = 0; i < r->steps_count; i++) {
        char spath[256];
        const raw_step_t *st = &r->steps[i];
        snprintf(spath, sizeof(spath), "%.200s.steps[%u]", ypath, i);
        if (step_compile(c, spath, st, &out->steps[i]) < 0)
            return -1;
    }
    return 0;
}

#define TASK_EVERY_MAX_US 1e15 /* the longest duration units.c accepts */

/* task.rate: a fixed schedule instead of a pause. */
static int compile_task_rate(spec_ctx_t *c, const char *ypath, const raw_task_t *r,
                             spec_task_t *out)
{
    char rpath[256], why[256];
    double per_s;
    snprintf(rpath, sizeof(rpath), "%.200s.rate", ypath);
    if (r->pause)
        return diag_fail_at(c, rpath,
                            "%s has both rate and pause; a fixed-rate task starts every 1/rate "
                            "whatever its replies take: keep rate (e.g. rate: 10/s) or pause",
                            ypath);
    if (units_parse_rate(r->rate, &per_s, why, sizeof(why)) < 0)
        return diag_fail_at(c, rpath, "bad rate for %s: %s", rpath, why);
    if (per_s <= 0)
        return diag_fail_at(c, rpath, "%s must be more than 0; write e.g. rate: 10/s", rpath);
    double every = 1e6 / per_s;
    if (every < 1.0)
        return diag_fail_at(c, rpath,
                            "%s \"%s\" is over 1000000/s per user; write e.g. rate: 100/s", rpath,
                            r->rate);
    if (every > TASK_EVERY_MAX_US) /* also keeps the cast below in range */
        return diag_fail_at(c, rpath,
                            "%s \"%s\" starts the task less than once in 31 years (the longest "
                            "duration); write e.g. rate: 1/h",
                            rpath, r->rate);
    out->every_us = (uint64_t)(every + 0.5);
    return 0;
}

static int compile_task(spec_ctx_t *c, const char *ypath, const raw_task_t *r, spec_task_t *out)
{
    char ppath[256], why[512];
    if (r->name && !(out->name = diag_strdup(c, r->name)))
        return -1;
    if (field_weight(c, ypath, r->weight, &out->weight) < 0)
        return -1;
    snprintf(ppath, sizeof(ppath), "%.200s.pause", ypath);
    if (r->pause && units_parse_pause(r->pause, &out->pause, why, sizeof(why)) < 0)
        return diag_fail_at(c, ppath, "bad pause \"%s\" in %s: %s", r->pause, ppath, why);
    if (r->rate && compile_task_rate(c, ypath, r, out) < 0)
        return -1;
    if (r->steps_count)
        return compile_task_steps(c, ypath, r, out);
    out->steps = calloc(1, sizeof(*out->steps));
    if (!out->steps)
        return diag_oom(c);
    out->nsteps = 1;
    return step_compile_send_expect(c, ypath, r->name, r->send, r->expect, NULL, &out->steps[0]);
}

/* ------------------------------------------------------------------ */
/* connect: the URL, headers, subprotocol, pings and reconnects.        */

static int compile_headers(spec_ctx_t *c, const char *base, const raw_connect_t *r,
                           spec_scenario_t *out)
{
    if (r->headers_count == 0)
        return 0;
    out->headers = calloc(r->headers_count, sizeof(*out->headers));
    if (!out->headers)
        return diag_oom(c);
    out->nheaders = r->headers_count;
    for (unsigned i = 0; i < r->headers_count; i++) {
        char hpath[256];
        snprintf(hpath, sizeof(hpath), "%.200s.connect.headers[%u]", base, i);
        if (!field_is_header(r->headers[i]))
            return diag_fail_at(c, hpath,
                                "header \"%s\" is not \"Name: value\"; write e.g. "
                                "\"X-Client-Version: web-2.14.0\"",
                                r->headers[i]);
        if (field_tmpl(c, hpath, r->headers[i], &out->headers[i]) < 0)
            return -1;
    }
    return 0;
}

/* connect.subprotocol: one token for Sec-WebSocket-Protocol. */
static int compile_subprotocol(spec_ctx_t *c, const char *base, const char *name,
                               spec_scenario_t *out)
{
    char ppath[256];
    snprintf(ppath, sizeof(ppath), "%.200s.connect.subprotocol", base);
    bool ok = name[0] != '\0' && strlen(name) < 64;
    for (const char *p = name; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p);
    if (!ok)
        return diag_fail_at(c, ppath,
                            "%s \"%.60s\" is not one protocol token; write e.g. subprotocol: "
                            "graphql-ws",
                            ppath, name);
    out->subprotocol = diag_strdup(c, name);
    return out->subprotocol ? 0 : -1;
}

/* connect.reconnect.jitter: "N%" with 0 <= N <= 100. */
static int parse_jitter(spec_ctx_t *c, const char *jpath, const char *text, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || !isdigit((unsigned char)text[0]) || strcmp(end, "%") != 0 || v > 100)
        return diag_fail_at(c, jpath,
                            "%s \"%.40s\" is not a percentage from 0%% to 100%%; write e.g. "
                            "jitter: 50%%",
                            jpath, text);
    *out = (unsigned)v;
    return 0;
}

/* connect.reconnect: {max_attempts, backoff, max_backoff, jitter}. */
static int compile_reconnect(spec_ctx_t *c, const char *base, const raw_reconnect_t *r,
                             spec_reconnect_t *out)
{
    char kpath[320], rpath[256];
    snprintf(rpath, sizeof(rpath), "%.200s.connect.reconnect", base);
    snprintf(kpath, sizeof(kpath), "%s.max_attempts", rpath);
    out->max_attempts = field_present(c, kpath) ? r->max_attempts : SPEC_RECONNECT_ATTEMPTS;
    if (out->max_attempts == 0 || out->max_attempts > 1000)
        return diag_fail_at(
            c, kpath,
            "%s is %u; write a number from 1 to 1000, e.g. max_attempts: 5 (or leave "
            "reconnect: out for no automatic reconnects)",
            kpath, out->max_attempts);
    snprintf(kpath, sizeof(kpath), "%s.backoff", rpath);
    out->backoff_us = SPEC_RECONNECT_BACKOFF_US;
    if (r->backoff && field_duration(c, kpath, r->backoff, &out->backoff_us) < 0)
        return -1;
    if (out->backoff_us == 0)
        return diag_fail_at(c, kpath, "%s must be more than 0; write e.g. backoff: 200ms", kpath);
    snprintf(kpath, sizeof(kpath), "%s.max_backoff", rpath);
    out->max_backoff_us = SPEC_RECONNECT_MAX_BACKOFF_US > out->backoff_us
                              ? SPEC_RECONNECT_MAX_BACKOFF_US
                              : out->backoff_us;
    if (r->max_backoff && field_duration(c, kpath, r->max_backoff, &out->max_backoff_us) < 0)
        return -1;
    if (out->max_backoff_us < out->backoff_us)
        return diag_fail_at(c, kpath, "%s %s is below backoff %s; write max_backoff: %s or more",
                            kpath, r->max_backoff, r->backoff ? r->backoff : "1s",
                            r->backoff ? r->backoff : "1s");
    snprintf(kpath, sizeof(kpath), "%s.jitter", rpath);
    return r->jitter ? parse_jitter(c, kpath, r->jitter, &out->jitter_pct) : 0;
}

/* connect.read_rate: "16KB/s", a size (units_parse_bytes) per second. */
static int compile_read_rate(spec_ctx_t *c, const char *base, const char *text,
                             spec_scenario_t *out)
{
    char rpath[256], why[256], size[64];
    snprintf(rpath, sizeof(rpath), "%.200s.connect.read_rate", base);
    const char *slash = strchr(text, '/');
    double bytes = 0;
    size_t n = slash ? (size_t)(slash - text) : 0;
    if (!slash || strcmp(slash, "/s") != 0 || n == 0 || n >= sizeof(size))
        return diag_fail_at(c, rpath, "%s \"%.60s\" is not a rate of bytes; write e.g. 16KB/s",
                            rpath, text);
    memcpy(size, text, n);
    size[n] = '\0';
    if (units_parse_bytes(size, &bytes, why, sizeof(why)) < 0)
        return diag_fail_at(c, rpath, "bad read rate \"%.60s\" for %s: %s", text, rpath, why);
    if (bytes < 1 || bytes > 1099511627776.0)
        return diag_fail_at(c, rpath, "%s must be from 1B/s to 1TB/s; write e.g. 16KB/s", rpath);
    out->read_rate = (uint64_t)bytes;
    return 0;
}

static int compile_connect(spec_ctx_t *c, const char *base, const raw_connect_t *r,
                           spec_scenario_t *out)
{
    char upath[256], tpath[256];
    snprintf(upath, sizeof(upath), "%.200s.connect.url", base);
    snprintf(tpath, sizeof(tpath), "%.200s.connect.timeout", base);
    if (strncmp(r->url, "{{", 2) != 0 && !field_is_ws_url(r->url))
        return diag_fail_at(c, upath,
                            "%s \"%s\" must start with ws://, wss:// or {{target}}; "
                            "write e.g. url: \"{{target}}/ws\"",
                            upath, r->url);
    if (field_tmpl(c, upath, r->url, &out->url) < 0 || field_url(c, upath, out->url, true) < 0 ||
        compile_headers(c, base, r, out) < 0)
        return -1;
    if (r->subprotocol && compile_subprotocol(c, base, r->subprotocol, out) < 0)
        return -1;
    out->tls_resume = r->tls_resume ? *r->tls_resume : true;
    if (r->ping_interval) {
        char ppath[256];
        snprintf(ppath, sizeof(ppath), "%.200s.connect.ping_interval", base);
        if (field_timeout(c, ppath, r->ping_interval, &out->ping_interval_us) < 0)
            return -1;
    }
    if (r->reconnect && compile_reconnect(c, base, r->reconnect, &out->reconnect) < 0)
        return -1;
    if (r->read_rate && compile_read_rate(c, base, r->read_rate, out) < 0)
        return -1;
    if (deflate_compile(c, base, r, out) < 0)
        return -1;
    return field_timeout(c, tpath, r->timeout, &out->connect_timeout_us);
}

/* ------------------------------------------------------------------ */
/* The step lists: on_start, on_reconnect, tasks and count.             */

static int compile_on_start(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                            spec_scenario_t *out)
{
    if (r->on_start_count == 0)
        return 0;
    out->on_start = calloc(r->on_start_count, sizeof(*out->on_start));
    if (!out->on_start)
        return diag_oom(c);
    out->non_start = r->on_start_count;
    for (unsigned i = 0; i < r->on_start_count; i++) {
        char ypath[256];
        const raw_step_t *st = &r->on_start[i];
        snprintf(ypath, sizeof(ypath), "%.200s.on_start[%u]", base, i);
        if (st->reconnect)
            return diag_fail_at(c, ypath, "%s: reconnect belongs in a task's steps, not on_start",
                                ypath);
        if (step_compile(c, ypath, st, &out->on_start[i]) < 0)
            return -1;
    }
    return 0;
}

/* on_reconnect: steps run after an automatic reconnect, before the tasks
 * resume; only with connect.reconnect. */
static int compile_on_reconnect(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                                spec_scenario_t *out)
{
    char ypath[256];
    snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect", base);
    if (field_present(c, ypath) && !out->reconnect.max_attempts)
        return diag_fail_at(c, ypath,
                            "%s runs only after automatic reconnects; add connect.reconnect: "
                            "{max_attempts: 5, backoff: 200ms}",
                            ypath);
    if (r->on_reconnect_count == 0)
        return 0;
    out->on_reconnect = calloc(r->on_reconnect_count, sizeof(*out->on_reconnect));
    if (!out->on_reconnect)
        return diag_oom(c);
    out->non_reconnect = r->on_reconnect_count;
    for (unsigned i = 0; i < r->on_reconnect_count; i++) {
        const raw_step_t *st = &r->on_reconnect[i];
        snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect[%u]", base, i);
        if (st->reconnect)
            return diag_fail_at(c, ypath,
                                "%s: reconnect belongs in a task's steps, not on_reconnect", ypath);
        if (step_compile(c, ypath, st, &out->on_reconnect[i]) < 0)
            return -1;
    }
    return 0;
}

static int compile_tasks(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                         spec_scenario_t *out)
{
    if (r->tasks_count == 0)
        return 0;
    out->tasks = calloc(r->tasks_count, sizeof(*out->tasks));
    if (!out->tasks)
        return diag_oom(c);
    out->ntasks = r->tasks_count;
    for (unsigned i = 0; i < r->tasks_count; i++) {
        char ypath[256];
        snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u]", base, i);
        if (compile_task(c, ypath, &r->tasks[i], &out->tasks[i]) < 0)
            return -1;
        out->task_weight_sum += out->tasks[i].weight;
    }
    return 0;
}

/* count: entries are named receive-only steps that see every message. */
static int compile_count(spec_ctx_t *c, const char *base, const raw_count_t *r, spec_step_t *out)
{
    char mpath[256], why[1024];
    snprintf(mpath, sizeof(mpath), "%.200s.match", base);
    out->metric = -1;
    out->line = yloc_line(c->root, base);
    if (!(out->name = diag_strdup(c, r->name)) ||
        names_step_metric(c, r->name, base, &out->metric) < 0)
        return -1;
    if (!(out->expect_src = diag_strdup(c, r->match)))
        return -1;
    out->expect = pred_compile_scoped(r->match, &c->scope, why, sizeof(why));
    if (!out->expect)
        return diag_fail_at(c, mpath, "bad predicate in %s: %s", mpath, why);
    snprintf(mpath, sizeof(mpath), "%.200s.capture", base);
    if (step_captures(c, mpath, out) < 0)
        return -1;
    return step_latency_from(c, base, r->latency_from, r->unit, out);
}

static int compile_counts(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                          spec_scenario_t *out)
{
    if (r->count_count == 0)
        return 0;
    out->counts = calloc(r->count_count, sizeof(*out->counts));
    if (!out->counts)
        return diag_oom(c);
    out->ncounts = r->count_count;
    for (unsigned i = 0; i < r->count_count; i++) {
        char ypath[256];
        snprintf(ypath, sizeof(ypath), "%.200s.count[%u]", base, i);
        if (compile_count(c, ypath, &r->count[i], &out->counts[i]) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* A whole scenario.                                                    */

const char *spec_protocol_name(spec_protocol_t p)
{
    static const char *const names[SPEC_PROTO_COUNT] = { "json",     "text",    "stomp",
                                                         "socketio", "graphql", "graphql-apollo" };
    return (unsigned)p < SPEC_PROTO_COUNT ? names[p] : "json";
}

/* protocol: json (default), text or stomp; stomp: belongs to stomp only. */
static int compile_protocol(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                            spec_scenario_t *out)
{
    char ppath[256];
    snprintf(ppath, sizeof(ppath), "%.200s.protocol", base);
    out->protocol = SPEC_PROTO_JSON;
    for (unsigned p = 0; r->protocol && p < SPEC_PROTO_COUNT; p++)
        if (strcmp(r->protocol, spec_protocol_name((spec_protocol_t)p)) == 0)
            out->protocol = (spec_protocol_t)p;
    if (r->protocol && strcmp(r->protocol, spec_protocol_name(out->protocol)) != 0)
        return diag_fail_at(c, ppath,
                            "%s \"%.40s\" is not json, text, stomp, socketio, graphql or "
                            "graphql-apollo; write e.g. protocol: stomp",
                            ppath, r->protocol);
    c->protocol = out->protocol;
    if (out->protocol == SPEC_PROTO_SOCKETIO && sio_compile_conn(c, base, r->socketio, out) < 0)
        return -1;
    snprintf(ppath, sizeof(ppath), "%.200s.socketio", base);
    if (r->socketio && out->protocol != SPEC_PROTO_SOCKETIO)
        return diag_fail_at(c, ppath, "%s is for protocol: socketio; add protocol: socketio to %s",
                            ppath, base);
    snprintf(ppath, sizeof(ppath), "%.200s.graphql", base);
    bool gql = out->protocol == SPEC_PROTO_GRAPHQL || out->protocol == SPEC_PROTO_GRAPHQL_APOLLO;
    if (r->graphql && !gql)
        return diag_fail_at(c, ppath, "%s is for protocol: graphql; add protocol: graphql to %s",
                            ppath, base);
    if (gql && graphql_compile_conn(c, base, r->graphql, out) < 0)
        return -1;
    if (out->protocol == SPEC_PROTO_STOMP)
        return stomp_compile_conn(c, base, r->stomp, out);
    snprintf(ppath, sizeof(ppath), "%.200s.stomp", base);
    if (r->stomp)
        return diag_fail_at(c, ppath, "%s is for protocol: stomp; add protocol: stomp to %s", ppath,
                            base);
    return 0;
}

/* The fields msg_keys collects into, and whether memory ran out. */
typedef struct key_set {
    spec_scenario_t *sc;
    bool oom;
} key_set_t;

static void add_msg_key(const char *key, void *arg)
{
    key_set_t *ks = arg;
    spec_scenario_t *sc = ks->sc;
    for (size_t i = 0; i < sc->nmsg_keys; i++)
        if (strcmp(sc->msg_keys[i], key) == 0)
            return;
    char **grown = realloc(sc->msg_keys, (sc->nmsg_keys + 1) * sizeof(*grown));
    char *copy = strdup(key);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            sc->msg_keys = grown;
        ks->oom = true;
        return;
    }
    sc->msg_keys = grown;
    sc->msg_keys[sc->nmsg_keys++] = copy;
}

static void step_msg_keys(const spec_step_t *st, key_set_t *ks)
{
    pred_root_keys(st->expect, add_msg_key, ks);
    pred_root_keys(st->fail_if, add_msg_key, ks);
    pred_root_keys(st->latency_from, add_msg_key, ks);
    for (size_t i = 0; i < st->ncaptures; i++)
        pred_root_keys(st->captures[i].json, add_msg_key, ks);
}

/* msg_keys: every field a step, task or count of the scenario reads. */
static int collect_msg_keys(spec_ctx_t *c, spec_scenario_t *sc)
{
    key_set_t ks = { .sc = sc };
    for (size_t i = 0; i < sc->non_start; i++)
        step_msg_keys(&sc->on_start[i], &ks);
    for (size_t i = 0; i < sc->non_reconnect; i++)
        step_msg_keys(&sc->on_reconnect[i], &ks);
    for (size_t t = 0; t < sc->ntasks; t++)
        for (size_t i = 0; i < sc->tasks[t].nsteps; i++)
            step_msg_keys(&sc->tasks[t].steps[i], &ks);
    for (size_t i = 0; i < sc->ncounts; i++)
        step_msg_keys(&sc->counts[i], &ks);
    return ks.oom ? diag_oom(c) : 0;
}

static int compile_scenario_body(spec_ctx_t *c, unsigned i, const raw_scenario_t *r,
                                 spec_scenario_t *out)
{
    char base[64];
    snprintf(base, sizeof(base), "scenarios[%u]", i);
    if (!r->name[0])
        return diag_fail_at(c, base, "%s.name is empty; write e.g. name: chatter", base);
    if (!(out->name = diag_strdup(c, r->name)))
        return -1;
    if (field_weight(c, base, r->weight, &out->weight) < 0 ||
        names_collect_slots(c, base, r, out) < 0 || compile_connect(c, base, r->connect, out) < 0 ||
        compile_protocol(c, base, r, out) < 0 || compile_on_start(c, base, r, out) < 0 ||
        compile_on_reconnect(c, base, r, out) < 0 || compile_tasks(c, base, r, out) < 0 ||
        compile_counts(c, base, r, out) < 0 || collect_msg_keys(c, out) < 0)
        return -1;
    while (out->npre_connect < out->non_start && out->on_start[out->npre_connect].http)
        out->npre_connect++;
    c->s->scenario_weight_sum += out->weight;
    return 0;
}

/* The scenario's slots are in c->scope only while it compiles. */
static int compile_scenario(spec_ctx_t *c, unsigned i, const raw_scenario_t *r,
                            spec_scenario_t *out)
{
    int rc = compile_scenario_body(c, i, r, out);
    c->scope.slot_names = NULL;
    c->scope.nslots = 0;
    return rc;
}

int scenario_compile_all(spec_ctx_t *c, const raw_spec_t *raw)
{
    spec_t *s = c->s;
    s->scenarios = calloc(raw->scenarios_count, sizeof(*s->scenarios));
    if (!s->scenarios)
        return diag_oom(c);
    s->nscenarios = raw->scenarios_count;
    for (unsigned i = 0; i < raw->scenarios_count; i++)
        if (compile_scenario(c, i, &raw->scenarios[i], &s->scenarios[i]) < 0)
            return -1;
    return 0;
}
