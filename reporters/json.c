/* json: the whole result as JSON (schema in docs/result-schema.md).
 * Counters are written as raw integer text so values above 2^53 stay exact;
 * histograms are embedded encoded so results can be merged later; the
 * per-second series and the generator's are streamed a second at a time. */
#include "reporters/reporter.h"
#include "reporters/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "result/overrides.h"

#define JSON_SCHEMA_VERSION 1

/* JSON keeps the text as it is, but valid UTF-8 whatever a server sent
 * into an error sample (invalid bytes as U+FFFD); cJSON escapes controls. */
static const text_style_t json_style = { .ascii = NULL, .show_hidden = false };

/* Copy of s in json_style (text_clean). Caller frees; NULL when out of
 * memory. */
static char *json_clean(const char *s)
{
    return text_clean(s, 0, &json_style);
}

/* Each add_* returns false on allocation failure. */
static bool add_str(cJSON *o, const char *key, const char *val)
{
    if (!val)
        return cJSON_AddNullToObject(o, key) != NULL;
    char *clean = json_clean(val);
    bool ok = clean && cJSON_AddStringToObject(o, key, clean) != NULL;
    free(clean);
    return ok;
}

static bool add_u64(cJSON *o, const char *key, uint64_t val)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, val);
    return cJSON_AddRawToObject(o, key, buf) != NULL;
}

/* NaN and infinities have no JSON form: written as null. */
static bool add_num(cJSON *o, const char *key, double val)
{
    if (!isfinite(val))
        return cJSON_AddNullToObject(o, key) != NULL;
    return cJSON_AddNumberToObject(o, key, val) != NULL;
}

static bool add_milli(cJSON *o, const char *key, double v)
{
    return add_num(o, key, round(v * 1000.0) / 1000.0);
}

static bool add_num_or_null(cJSON *o, const char *key, bool present, double val)
{
    return present ? add_num(o, key, val) : cJSON_AddNullToObject(o, key) != NULL;
}

/* "2024-05-01T12:00:00.250Z"; null for an unknown (zero) time. */
static bool add_time(cJSON *o, const char *key, double epoch_s)
{
    if (!(epoch_s > 0) || !isfinite(epoch_s))
        return cJSON_AddNullToObject(o, key) != NULL;
    long long ms = llround(epoch_s * 1000.0);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char date[32], buf[48];
    if (!gmtime_r(&secs, &tm) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return cJSON_AddNullToObject(o, key) != NULL;
    snprintf(buf, sizeof buf, "%s.%03dZ", date, (int)(ms % 1000));
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static bool add_spec(cJSON *root, const result_t *r)
{
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    return spec && add_str(spec, "name", r->spec_name) && add_str(spec, "path", r->spec_path) &&
           add_str(spec, "sha256", r->spec_hash);
}

static bool add_ci(cJSON *root, const result_t *r)
{
    cJSON *ci = cJSON_AddObjectToObject(root, "ci");
    return ci && add_str(ci, "commit", r->git_commit) && add_str(ci, "ref", r->git_ref);
}

/* This run's slice, or null when it ran the whole spec. */
static bool add_shard(cJSON *root, const result_t *r)
{
    if (!r->shard_total)
        return cJSON_AddNullToObject(root, "shard") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "shard");
    return o && add_u64(o, "index", r->shard_index) && add_u64(o, "total", r->shard_total);
}

static bool add_aborted(cJSON *root, const result_t *r)
{
    if (!r->aborted)
        return cJSON_AddNullToObject(root, "aborted") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "aborted");
    return o && add_num(o, "at_s", r->aborted_at_s) && add_str(o, "reason", r->abort_reason);
}

/* What the run took from flags and environment instead of the spec, or
 * null: {users, duration_s, ramp_up_s, max_connecting, vars}, null for a
 * value not set. */
static bool add_overrides(cJSON *root, const result_t *r)
{
    const res_overrides_t *o = r->overrides;
    if (!o)
        return cJSON_AddNullToObject(root, "overrides") != NULL;
    cJSON *j = cJSON_AddObjectToObject(root, "overrides"), *vars = NULL;
    bool ok = j && add_num_or_null(j, "users", o->users > 0, o->users) &&
              add_num_or_null(j, "duration_s", o->duration_s > 0, o->duration_s) &&
              add_num_or_null(j, "ramp_up_s", o->has_ramp_up, o->ramp_up_s) &&
              add_num_or_null(j, "max_connecting", o->max_connecting > 0, o->max_connecting) &&
              (vars = cJSON_AddObjectToObject(j, "vars")) != NULL;
    for (size_t i = 0; ok && i < o->nvars; i++)
        ok = add_str(vars, o->var_names[i], o->var_values[i]);
    return ok;
}

static bool add_provenance(cJSON *root, const result_t *r)
{
    return add_ci(root, r) && add_shard(root, r) && add_str(root, "region", r->region) &&
           add_time(root, "start_at", r->start_at) &&
           add_num(root, "start_late_s", r->start_late_s) && add_aborted(root, r) &&
           add_overrides(root, r);
}

static bool add_run(cJSON *root, const result_t *r)
{
    return cJSON_AddNumberToObject(root, "schema_version", JSON_SCHEMA_VERSION) &&
           add_str(root, "wsgate_version", r->wsgate_version) && add_spec(root, r) &&
           add_str(root, "target", r->target) && add_time(root, "started_at", r->started_at) &&
           add_time(root, "ended_at", r->ended_at) && add_num(root, "duration_s", r->duration_s) &&
           add_u64(root, "threads", r->threads) &&
           add_u64(root, "users_planned", r->users_planned) &&
           add_num_or_null(root, "planned_s", r->planned_s > 0, r->planned_s) &&
           add_str(root, "verdict", result_verdict_name(result_verdict(r))) &&
           cJSON_AddBoolToObject(root, "interrupted", r->interrupted) &&
           add_str(root, "stop_signal", result_signal_name(r->stop_signal)) &&
           cJSON_AddBoolToObject(root, "tls_verify", !r->tls_insecure) && add_provenance(root, r);
}

/* Percentiles and extremes are null when the step has no successful sample. */
static bool add_latency(cJSON *step, const hist_t *h)
{
    static const struct {
        const char *key;
        double p;
    } pcts[] = {
        { "p50", 50 }, { "p90", 90 }, { "p95", 95 }, { "p99", 99 }, { "p99_9", 99.9 },
    };
    cJSON *lat = cJSON_AddObjectToObject(step, "latency_us");
    uint64_t count = h ? hist_count(h) : 0;
    bool have = count > 0;
    bool ok = lat && add_u64(lat, "count", count) &&
              add_num_or_null(lat, "min", have, have ? (double)hist_min(h) : 0) &&
              add_num_or_null(lat, "avg", have, have ? hist_mean(h) : 0) &&
              add_num_or_null(lat, "max", have, have ? (double)hist_max(h) : 0);
    for (size_t i = 0; ok && i < sizeof pcts / sizeof pcts[0]; i++) {
        double v = have ? (double)hist_percentile(h, pcts[i].p) : 0;
        ok = add_num_or_null(lat, pcts[i].key, have, v);
    }
    return ok;
}

static bool add_histogram(cJSON *step, const hist_t *h)
{
    if (!h)
        return cJSON_AddNullToObject(step, "histogram") != NULL;
    char *enc = hist_encode(h);
    bool ok = enc && cJSON_AddStringToObject(step, "histogram", enc) != NULL;
    free(enc);
    return ok;
}

static bool add_step(cJSON *steps, const res_step_t *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(steps, o)) {
        cJSON_Delete(o);
        return false;
    }
    uint64_t attempts = s->ok + s->failed;
    double rate = attempts ? 100.0 * (double)s->ok / (double)attempts : 0;
    return add_str(o, "name", s->name) && add_u64(o, "ok", s->ok) &&
           add_u64(o, "failed", s->failed) &&
           add_num_or_null(o, "success_rate", attempts > 0, rate) && add_latency(o, s->latency) &&
           add_histogram(o, s->latency);
}

static bool add_steps(cJSON *root, const result_t *r)
{
    cJSON *steps = cJSON_AddArrayToObject(root, "steps");
    bool ok = steps != NULL;
    for (size_t i = 0; ok && i < r->nsteps; i++)
        ok = add_step(steps, &r->steps[i]);
    return ok;
}

/* connections.attempts and unstarted: only when the result knows them
 * (not a baseline or a merge of files from before them). */
static bool add_attempts(cJSON *c, const result_t *r)
{
    if (!r->counts_known)
        return true;
    return add_u64(c, "attempts", r->connect_attempts) &&
           add_u64(c, "unstarted", r->connect_unstarted);
}

static bool add_traffic(cJSON *root, const result_t *r)
{
    cJSON *m = cJSON_AddObjectToObject(root, "messages");
    cJSON *c = cJSON_AddObjectToObject(root, "connections");
    return m && c && add_attempts(c, r) && add_u64(m, "sent", r->msgs_sent) &&
           add_u64(m, "received", r->msgs_received) && add_u64(m, "bytes_sent", r->bytes_sent) &&
           add_u64(m, "bytes_received", r->bytes_received) && add_u64(c, "peak", r->peak_active) &&
           add_u64(c, "abandoned", r->connect_abandoned) &&
           add_u64(c, "reconnect_attempts", r->reconnect_attempts) &&
           add_u64(c, "tls_handshakes", r->tls_handshakes) &&
           add_u64(c, "tls_resumed", r->tls_resumed);
}

/* "wire": TCP counts of the connections closed during the run and the
 * permessage-deflate offers (result/result.h res_wire_t). */
static bool add_wire(cJSON *root, const result_t *r)
{
    const res_wire_t *w = &r->wire;
    cJSON *o = cJSON_AddObjectToObject(root, "wire");
    return o && add_u64(o, "connections", w->connections) &&
           add_u64(o, "bytes_sent", w->bytes_sent) &&
           add_u64(o, "bytes_received", w->bytes_received) &&
           add_u64(o, "payload_sent", w->payload_sent) &&
           add_u64(o, "payload_received", w->payload_received) &&
           add_u64(o, "deflate_offered", w->deflate_offered) &&
           add_u64(o, "deflate_accepted", w->deflate_accepted);
}

/* "connect": the ramp's plan vs what happened and the connect queue
 * (result/ramp.h); null when unknown (a file from before it). */
static bool add_connect(cJSON *root, const result_t *r)
{
    const res_ramp_t *p = &r->ramp;
    if (!p->known)
        return cJSON_AddNullToObject(root, "connect") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "connect");
    return o && add_u64(o, "max_connecting", p->max_connecting) &&
           add_u64(o, "planned", p->planned) && add_milli(o, "ramp_start_s", p->start_s) &&
           add_milli(o, "ramp_end_s", p->end_s) &&
           add_milli(o, "planned_per_s", ramp_planned_per_s(p)) &&
           add_u64(o, "connected", p->connected) &&
           add_milli(o, "last_connected_s", p->last_connected_s) &&
           add_milli(o, "achieved_per_s", ramp_achieved_per_s(p)) &&
           cJSON_AddBoolToObject(o, "behind", ramp_behind(p)) && add_u64(o, "waited", p->waited) &&
           add_u64(o, "max_waiting", p->max_waiting) && add_milli(o, "max_wait_s", p->max_wait_s);
}

/* "load": which model ran; "arrivals": the open model's counts (null in
 * the closed model). */
static bool add_load(cJSON *root, const result_t *r)
{
    cJSON *o = cJSON_AddObjectToObject(root, "load");
    if (!o || !add_str(o, "model", r->open_model ? "open" : "closed"))
        return false;
    if (!r->open_model)
        return cJSON_AddNullToObject(root, "arrivals") != NULL;
    cJSON *a = cJSON_AddObjectToObject(root, "arrivals");
    return add_num(o, "rate_min_per_s", r->rate_min) && add_num(o, "rate_max_per_s", r->rate_max) &&
           add_u64(o, "max_users", r->users_planned) &&
           add_u64(o, "session_iterations", r->session_iterations) &&
           add_num_or_null(o, "session_s", r->session_s > 0, r->session_s) && a &&
           add_u64(a, "planned", r->arrivals_planned) &&
           add_u64(a, "started", r->arrivals_started) && add_u64(a, "dropped", r->arrivals_dropped);
}

static bool add_error_kind(cJSON *errors, const char *kind, const res_errors_t *e)
{
    cJSON *o = cJSON_AddObjectToObject(errors, kind);
    if (!o || !add_u64(o, "count", e->count))
        return false;
    cJSON *samples = cJSON_AddArrayToObject(o, "samples");
    bool ok = samples != NULL;
    for (unsigned i = 0; ok && i < e->nsamples && i < RES_MAX_SAMPLES; i++) {
        char *clean = e->samples[i] ? json_clean(e->samples[i]) : NULL;
        cJSON *str = clean ? cJSON_CreateString(clean) : NULL;
        free(clean);
        ok = str && cJSON_AddItemToArray(samples, str);
        if (!ok)
            cJSON_Delete(str);
    }
    return ok;
}

/* Every kind is listed, zero or not, so consumers need no defaults. */
static bool add_errors(cJSON *root, const result_t *r)
{
    cJSON *errors = cJSON_AddObjectToObject(root, "errors");
    bool ok = errors != NULL;
    for (int k = 0; ok && k < ERR_KIND_COUNT; k++)
        ok = add_error_kind(errors, err_kind_name((err_kind_t)k), &r->errors[k]);
    return ok;
}

static bool add_assertion(cJSON *arr, const res_assertion_t *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    return add_str(o, "text", a->text) && cJSON_AddBoolToObject(o, "passed", a->passed) &&
           add_num_or_null(o, "observed", a->has_observed, a->observed) &&
           add_num(o, "threshold", a->threshold) && add_str(o, "observed_text", a->observed_text) &&
           add_str(o, "expected_text", a->expected_text);
}

static bool add_assertions(cJSON *root, const result_t *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "assertions");
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < r->nassertions; i++)
        ok = add_assertion(arr, &r->assertions[i]);
    return ok;
}

/* Per-second percentiles in ms, and the second's histogram for merges. */
static bool add_second_step(cJSON *steps, const result_t *r, const res_second_t *s, size_t i)
{
    hist_t *h = res_second_hist(s, r->nsteps, i);
    if (!h)
        return true;
    char *key = json_clean(r->steps[i].name);
    cJSON *o = key ? cJSON_AddObjectToObject(steps, key) : NULL;
    free(key);
    bool ok = o && add_u64(o, "count", hist_count(h)) &&
              add_num(o, "p50_ms", (double)hist_percentile(h, 50) / 1000.0) &&
              add_num(o, "p95_ms", (double)hist_percentile(h, 95) / 1000.0) &&
              add_num(o, "p99_ms", (double)hist_percentile(h, 99) / 1000.0) &&
              add_str(o, "histogram", s->step_hist[i]);
    hist_free(h);
    return ok;
}

/* {"timeout": 2, ...}: the kinds with errors in the second only. */
static bool add_errors_by_kind(cJSON *o, const res_second_t *s)
{
    cJSON *kinds = cJSON_AddObjectToObject(o, "errors_by_kind");
    for (int k = 0; kinds && k < ERR_KIND_COUNT; k++)
        if (s->errors_by_kind[k] &&
            !add_u64(kinds, err_kind_name((err_kind_t)k), s->errors_by_kind[k]))
            return false;
    return kinds != NULL;
}

/* Second t of the series as its own object; NULL when out of memory. */
static cJSON *second_object(const result_t *r, const res_second_t *s, size_t t)
{
    cJSON *o = cJSON_CreateObject(), *steps = NULL;
    bool ok = o && add_u64(o, "t", t) && add_u64(o, "active", s->active) &&
              add_u64(o, "sent", s->sent) && add_u64(o, "received", s->received) &&
              add_u64(o, "errors", s->errors) && add_errors_by_kind(o, s) &&
              (steps = cJSON_AddObjectToObject(o, "steps")) != NULL;
    for (size_t i = 0; ok && i < r->nsteps; i++)
        ok = add_second_step(steps, r, s, i);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The series is not built into the document: "series" is left an empty
 * array there and json_write streams its seconds into that place, so a
 * long run's result.json takes no more memory to write than a short one's. */
static bool add_series(cJSON *root)
{
    return cJSON_AddArrayToObject(root, "series") != NULL;
}

static bool add_shard_row(cJSON *arr, const res_shard_t *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    return add_u64(o, "index", s->index) && add_u64(o, "total", s->total) &&
           add_str(o, "region", s->region) && add_time(o, "started_at", s->started_at) &&
           add_time(o, "ended_at", s->ended_at) &&
           cJSON_AddBoolToObject(o, "interrupted", s->interrupted) &&
           add_str(o, "stop_signal", result_signal_name(s->stop_signal)) &&
           add_num(o, "start_late_s", s->start_late_s) &&
           add_u64(o, "peak_active", s->peak_active) && add_u64(o, "sent", s->msgs_sent) &&
           add_u64(o, "received", s->msgs_received) && add_u64(o, "errors", s->errors) &&
           add_u64(o, "ok", s->ok) && add_u64(o, "failed", s->failed);
}

/* Present in merged results only. */
static bool add_shards(cJSON *root, const result_t *r)
{
    if (!r->nshards)
        return true;
    cJSON *arr = cJSON_AddArrayToObject(root, "shards");
    bool ok = arr != NULL && add_str(root, "missing_shards", r->missing_shards);
    for (size_t i = 0; ok && i < r->nshards; i++)
        ok = add_shard_row(arr, &r->shards[i]);
    return ok;
}

/* Second t of the generator's series as its own object (milliseconds and
 * MiB to 0.001: readable and small); NULL when out of memory. */
static cJSON *gen_second_object(const res_gen_sec_t *s, size_t t)
{
    cJSON *o = cJSON_CreateObject();
    if (o && add_u64(o, "t", t) && add_milli(o, "cpu_pct", s->cpu_pct) &&
        add_milli(o, "loop_lag_p99_ms", s->loop_lag_p99_ms) &&
        add_milli(o, "loop_lag_max_ms", s->loop_lag_max_ms) && add_milli(o, "rss_mb", s->rss_mb) &&
        cJSON_AddBoolToObject(o, "saturated", s->saturated))
        return o;
    cJSON_Delete(o);
    return NULL;
}

/* [[from, to], ...]: the run's seconds from..to-1 were saturated. */
static bool add_gen_ranges(cJSON *o, const res_gen_t *g)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "saturated_seconds");
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < g->nranges; i++) {
        int pair[2] = { (int)g->ranges[i].from, (int)g->ranges[i].to };
        cJSON *p = cJSON_CreateIntArray(pair, 2);
        ok = p && cJSON_AddItemToArray(arr, p);
        if (!ok)
            cJSON_Delete(p);
    }
    return ok;
}

/* The summary, shared by the run and each shard of a merge. */
static bool add_gen_summary(cJSON *o, const res_gen_t *g)
{
    return add_u64(o, "cores", g->cores) && add_milli(o, "lag_limit_ms", g->lag_limit_ms) &&
           cJSON_AddBoolToObject(o, "saturated", g->saturated) && add_gen_ranges(o, g) &&
           add_milli(o, "cpu_pct_max", g->cpu_pct_max) &&
           add_milli(o, "cpu_all_cores_pct_max", gen_cpu_all_cores_pct(g)) &&
           add_milli(o, "loop_lag_p99_ms", g->loop_lag_p99_ms) &&
           add_milli(o, "loop_lag_max_ms", g->loop_lag_max_ms) &&
           add_milli(o, "rss_max_mb", g->rss_max_mb);
}

static bool add_gen_shard(cJSON *arr, const res_gen_shard_t *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    if (!add_u64(o, "index", s->index))
        return false;
    if (!s->gen) /* that input had no generator figures */
        return cJSON_AddNullToObject(o, "saturated") != NULL;
    return add_gen_summary(o, s->gen);
}

/* null when unknown (a result merged from files without it). Its "series"
 * is left empty, streamed into place by json_write like the run's. */
static bool add_generator(cJSON *root, const result_t *r)
{
    const res_gen_t *g = r->generator;
    if (!g)
        return cJSON_AddNullToObject(root, "generator") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "generator");
    bool ok = o && add_gen_summary(o, g) && cJSON_AddArrayToObject(o, "series");
    if (ok && g->nshards) {
        cJSON *arr = cJSON_AddArrayToObject(o, "shards");
        ok = arr != NULL;
        for (size_t i = 0; ok && i < g->nshards; i++)
            ok = add_gen_shard(arr, &g->shards[i]);
    }
    return ok;
}

/* [t, v]: v null when it is NaN or infinite. */
static bool add_obs_point(cJSON *arr, double t, double v)
{
    cJSON *p = cJSON_CreateArray();
    if (!p || !cJSON_AddItemToArray(arr, p)) {
        cJSON_Delete(p);
        return false;
    }
    cJSON *tv = cJSON_CreateNumber(t),
          *vv = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
    bool ok = tv && vv && cJSON_AddItemToArray(p, tv);
    if (!ok)
        cJSON_Delete(tv);
    ok = ok && cJSON_AddItemToArray(p, vv);
    if (!ok)
        cJSON_Delete(vv);
    return ok;
}

static bool add_obs_series(cJSON *arr, const res_obs_series_t *s)
{
    cJSON *o = cJSON_CreateObject(), *pts = NULL;
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return false;
    }
    bool ok = add_str(o, "metric", s->name) && add_str(o, "url", s->url) &&
              (pts = cJSON_AddArrayToObject(o, "samples"));
    for (size_t i = 0; ok && i < s->n; i++)
        ok = add_obs_point(pts, s->t[i], s->v[i]);
    return ok;
}

/* The spec's observe: what was scraped of the server; null without it. */
static bool add_server(cJSON *root, const result_t *r)
{
    const res_server_t *srv = r->server;
    if (!srv)
        return cJSON_AddNullToObject(root, "server") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "server"), *arr = NULL;
    bool ok = o && add_num(o, "window_start_s", srv->window_start_s) &&
              add_num(o, "window_end_s", srv->window_end_s) &&
              add_u64(o, "scrapes", srv->scrapes) &&
              add_u64(o, "scrape_errors", srv->scrape_errors) &&
              (arr = cJSON_AddArrayToObject(o, "series"));
    for (size_t i = 0; ok && i < srv->nseries; i++)
        ok = add_obs_series(arr, &srv->series[i]);
    return ok;
}

/* The baseline's own figures, so deltas re-render from this file alone. */
static bool add_baseline(cJSON *root, const result_t *r)
{
    if (!r->baseline)
        return cJSON_AddNullToObject(root, "baseline") != NULL;
    const result_t *b = r->baseline;
    cJSON *o = cJSON_AddObjectToObject(root, "baseline");
    return o && add_str(o, "path", r->baseline_path) && add_spec(o, b) && add_ci(o, b) &&
           add_time(o, "started_at", b->started_at) && add_time(o, "ended_at", b->ended_at) &&
           add_num(o, "duration_s", b->duration_s) && add_steps(o, b) && add_traffic(o, b) &&
           add_errors(o, b);
}

/* "slow_consumers": the unread bytes of users that read slowly or paused
 * reading; null when the spec had none. */
static bool add_slow(cJSON *root, const result_t *r)
{
    const res_slow_t *s = &r->slow;
    if (!s->known)
        return cJSON_AddNullToObject(root, "slow_consumers") != NULL;
    cJSON *o = cJSON_AddObjectToObject(root, "slow_consumers");
    return o && add_u64(o, "samples", s->samples) &&
           add_u64(o, "unread_bytes_total", s->unread_total) &&
           add_u64(o, "unread_bytes_max", s->unread_max);
}

/* "warnings": the figures that do not add up (result/tally.h); [] when none. */
static bool add_warnings(cJSON *root, const result_t *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "warnings");
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < r->nwarnings; i++) {
        cJSON *s = cJSON_CreateString(r->warnings[i]);
        ok = s && cJSON_AddItemToArray(arr, s);
        if (!ok)
            cJSON_Delete(s);
    }
    return ok;
}

static cJSON *build(const result_t *r)
{
    cJSON *root = cJSON_CreateObject();
    if (root && add_run(root, r) && add_load(root, r) && add_steps(root, r) &&
        add_str(root, "main_step", r->main_step) && add_traffic(root, r) && add_wire(root, r) &&
        add_connect(root, r) && add_slow(root, r) && add_errors(root, r) &&
        add_assertions(root, r) && add_series(root) && add_generator(root, r) &&
        add_server(root, r) && add_shards(root, r) && add_baseline(root, r) &&
        add_warnings(root, r))
        return root;
    cJSON_Delete(root);
    return NULL;
}

/* Where the streamed seconds go in the printed document: just after
 * the top-level `"series":\t[` (the only key one tab deep with that name;
 * printed strings hold no raw newline), and after the first key of that
 * name two tabs deep past `"generator":\t{`. */
#define SERIES_SLOT "\n\t\"series\":\t["
#define GENERATOR_KEY "\n\t\"generator\":\t{"
#define GEN_SERIES_SLOT "\n\t\t\"series\":\t["

typedef struct stream {
    const result_t *r;
    FILE *out;
} stream_t;

/* Writes one array element o (taken, freed) as cJSON_Print would inside the
 * whole document: after ", " unless first, each line `tabs` deeper.
 * Returns 0, or -2 when out of memory (o NULL included). */
static int stream_item(cJSON *o, bool first, const char *tabs, FILE *out)
{
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return -2;
    if (!first)
        fputs(", ", out);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        fwrite(p, 1, n, out);
        if (nl)
            fputs(tabs, out);
        p += n;
    }
    cJSON_free(text);
    return 0;
}

static int stream_second(const res_second_t *s, size_t t, void *ctx)
{
    stream_t *st = ctx;
    return stream_item(second_object(st->r, s, t), t == 0, "\t\t", st->out);
}

static int stream_gen(const res_gen_t *g, FILE *out)
{
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < g->nsecs; t++)
        rc = stream_item(gen_second_object(&g->secs[t], t), t == 0, "\t\t\t", out);
    return rc;
}

/* The document as cJSON_Print gives it for the whole result, with the
 * series read one second at a time (result_series_each) and the
 * generator's series one second at a time: no tree of either is built. */
static int json_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    cJSON *root = build(r);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    char *slot = text ? strstr(text, SERIES_SLOT) : NULL;
    char *gen = slot && r->generator ? strstr(slot, GENERATOR_KEY) : NULL;
    char *gslot = gen ? strstr(gen, GEN_SERIES_SLOT) : NULL;
    if (!slot || (r->generator && !gslot)) {
        cJSON_free(text);
        snprintf(err, errlen, "out of memory while building JSON");
        return -1;
    }
    errno = 0;
    slot += strlen(SERIES_SLOT);
    fwrite(text, 1, (size_t)(slot - text), out);
    stream_t st = { r, out };
    int rc = result_series_each(r, stream_second, &st);
    if (gslot && rc == 0) {
        gslot += strlen(GEN_SERIES_SLOT);
        fwrite(slot, 1, (size_t)(gslot - slot), out);
        rc = stream_gen(r->generator, out);
        slot = gslot;
    }
    fputs(slot, out);
    fputc('\n', out);
    cJSON_free(text);
    if (rc == -2) {
        snprintf(err, errlen, "out of memory while building JSON");
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen,
                 "cannot read the run's per-second series back from its temporary "
                 "file (set TMPDIR to a directory with room)");
        return -1;
    }
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_json = {
    .name = "json",
    .filename = "result.json",
    .write = json_write,
};
