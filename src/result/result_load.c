/* result_load: a result.json read back into a result_t. */
#include "result/result_load.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "result/overrides.h"
#include "result/tally.h"

#define SUPPORTED_SCHEMA 1
#define SHARDS_MAX 100000.0 /* as shard.c accepts */

/* Parsing state: the first problem found wins. */
typedef struct loader {
    char *err;
    size_t errlen;
    bool failed;
} loader_t;

__attribute__((format(printf, 2, 3))) static void bad(loader_t *l, const char *fmt, ...)
{
    if (l->failed)
        return;
    l->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
}

static const cJSON *field(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        bad(l, "missing \"%s\" in %s", key, where);
    return v;
}

/* Strings longer than RESULT_STR_MAX are an error (wsgate writes none). */
static bool too_long(loader_t *l, const char *s, const char *key, const char *where)
{
    size_t n = strlen(s);
    if (n > RESULT_STR_MAX)
        bad(l, "\"%s\" in %s is %zu bytes long; at most %d", key, where, n, RESULT_STR_MAX);
    return n > RESULT_STR_MAX;
}

/* A string or null (NULL); anything else is an error. */
static char *opt_str(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = field(l, o, key, where);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        bad(l, "\"%s\" in %s must be a string", key, where);
        return NULL;
    }
    if (too_long(l, v->valuestring, key, where))
        return NULL;
    char *s = strdup(v->valuestring);
    if (!s)
        bad(l, "out of memory");
    return s;
}

static double num(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = field(l, o, key, where);
    if (v && !cJSON_IsNumber(v)) {
        bad(l, "\"%s\" in %s must be a number", key, where);
        return 0;
    }
    return v ? v->valuedouble : 0;
}

/* A whole number in [0, max]; anything else is an error (and never cast:
 * converting an out-of-range double is undefined behaviour). */
static uint64_t count_max(loader_t *l, const cJSON *o, const char *key, const char *where,
                          double max)
{
    double d = num(l, o, key, where);
    if (!isfinite(d) || d < 0 || d > max || d != floor(d)) {
        bad(l, "\"%s\" in %s must be a whole number from 0 to %.0f", key, where, max);
        return 0;
    }
    return (uint64_t)d;
}

static uint64_t count(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    return count_max(l, o, key, where, 18446744073709549568.0); /* largest double < 2^64 */
}

/* A number in [0, max]: rates and durations, which reports print (never
 * inf or nan, which a re-rendered file could not be read back from). */
static double num_max(loader_t *l, const cJSON *o, const char *key, const char *where, double max)
{
    double d = num(l, o, key, where);
    if (!isfinite(d) || d < 0 || d > max) {
        bad(l, "\"%s\" in %s must be a number from 0 to %.0f", key, where, max);
        return 0;
    }
    return d;
}

static unsigned count_u32(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    return (unsigned)count_max(l, o, key, where, 4294967295.0);
}

/* "2024-05-01T12:00:00.250Z" -> seconds since the epoch; null -> 0. */
static double iso_time(loader_t *l, const cJSON *o, const char *key)
{
    const cJSON *v = field(l, o, key, "the result");
    if (!v || cJSON_IsNull(v))
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0, used = 0;
    if (!cJSON_IsString(v) ||
        sscanf(v->valuestring, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
        v->valuestring[used] != '\0') {
        bad(l, "\"%s\" must be a time like 2024-05-01T12:00:00.250Z", key);
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long total_ms = (long long)timegm(&tm) * 1000 + ms;
    return (double)total_ms / 1000.0;
}

/* "stop_signal": "SIGINT", "SIGTERM", null or absent (0); else an error. */
static int opt_signal(loader_t *l, const cJSON *o, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "stop_signal");
    if (!v || cJSON_IsNull(v))
        return 0;
    int sig = cJSON_IsString(v) ? result_signal_from_name(v->valuestring) : 0;
    if (!sig)
        bad(l, "\"stop_signal\" in %s must be \"SIGINT\", \"SIGTERM\" or null", where);
    return sig;
}

static void load_run(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *spec = field(l, root, "spec", "the result");
    if (spec) {
        r->spec_name = opt_str(l, spec, "name", "spec");
        r->spec_path = opt_str(l, spec, "path", "spec");
    }
    r->wsgate_version = opt_str(l, root, "wsgate_version", "the result");
    r->target = opt_str(l, root, "target", "the result");
    r->started_at = iso_time(l, root, "started_at");
    r->ended_at = iso_time(l, root, "ended_at");
    r->duration_s = num(l, root, "duration_s", "the result");
    r->threads = count_u32(l, root, "threads", "the result");
    r->users_planned = count_u32(l, root, "users_planned", "the result");
    if (!isfinite(r->duration_s) || r->duration_s < 0 || r->duration_s > 1e9)
        bad(l, "\"duration_s\" must be a number of seconds from 0 to 1e9");
    const cJSON *planned = cJSON_GetObjectItemCaseSensitive(root, "planned_s");
    if (planned && !cJSON_IsNull(planned)) /* absent or null: unknown */
        r->planned_s = num_max(l, root, "planned_s", "the result", 1e9);
    const cJSON *intr = cJSON_GetObjectItemCaseSensitive(root, "interrupted");
    r->interrupted = cJSON_IsTrue(intr);
    r->stop_signal = opt_signal(l, root, "the result");
    /* absent (older files): verification was on */
    r->tls_insecure = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "tls_verify"));
}

/* The verdict as written: "pass" and "fail" (the only ones of older files)
 * give r->passed; "aborted" and "interrupted" set their flag, and r->passed
 * comes from the assertions. Runs after load_assertions and
 * load_provenance, so result_verdict(r) gives back the written verdict. */
static void load_verdict(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *v = field(l, root, "verdict", "the result");
    int verdict = v && cJSON_IsString(v) ? result_verdict_from_name(v->valuestring) : -1;
    if (verdict < 0) {
        bad(l, "\"verdict\" must be \"pass\", \"fail\", \"aborted\" or \"interrupted\"");
        return;
    }
    r->passed = verdict == RES_VERDICT_PASS ||
                (verdict != RES_VERDICT_FAIL && result_failed_assertions(r) == 0);
    r->aborted |= verdict == RES_VERDICT_ABORTED;
    r->interrupted |= verdict == RES_VERDICT_INTERRUPTED;
}

static void load_step(loader_t *l, const cJSON *o, res_step_t *s, size_t i)
{
    char where[32], why[160];
    snprintf(where, sizeof(where), "steps[%zu]", i);
    s->name = opt_str(l, o, "name", where);
    if (!s->name)
        bad(l, "\"name\" in %s must be a string", where);
    s->ok = count(l, o, "ok", where);
    s->failed = count(l, o, "failed", where);
    const cJSON *h = field(l, o, "histogram", where);
    if (!h || !cJSON_IsString(h)) {
        bad(l, "\"histogram\" in %s must be an encoded string", where);
        return;
    }
    s->latency = hist_decode(h->valuestring, why, sizeof(why));
    if (!s->latency)
        bad(l, "%s: %s", where, why);
}

static void load_steps(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *steps = field(l, root, "steps", "the result");
    if (!steps || !cJSON_IsArray(steps)) {
        bad(l, "\"steps\" must be an array");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(steps);
    r->steps = calloc(n ? n : 1, sizeof(res_step_t));
    if (!r->steps) {
        bad(l, "out of memory");
        return;
    }
    r->nsteps = n;
    size_t i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, steps) load_step(l, s, &r->steps[i], i), i++;
    for (size_t a = 0; !l->failed && a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(r->steps[a].name, r->steps[b].name) == 0) {
                bad(l, "steps[%zu] repeats the step name \"%s\"", b, r->steps[a].name);
                return;
            }
}

static void load_traffic(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *m = field(l, root, "messages", "the result");
    const cJSON *c = field(l, root, "connections", "the result");
    if (!m || !c)
        return;
    r->msgs_sent = count(l, m, "sent", "messages");
    r->msgs_received = count(l, m, "received", "messages");
    r->bytes_sent = count(l, m, "bytes_sent", "messages");
    r->bytes_received = count(l, m, "bytes_received", "messages");
    r->peak_active = count(l, c, "peak", "connections");
    /* added later: absent from older results */
    if (cJSON_GetObjectItemCaseSensitive(c, "abandoned"))
        r->connect_abandoned = count(l, c, "abandoned", "connections");
    if (cJSON_GetObjectItemCaseSensitive(c, "reconnect_attempts"))
        r->reconnect_attempts = count(l, c, "reconnect_attempts", "connections");
    if (cJSON_GetObjectItemCaseSensitive(c, "tls_handshakes"))
        r->tls_handshakes = count(l, c, "tls_handshakes", "connections");
    if (cJSON_GetObjectItemCaseSensitive(c, "tls_resumed"))
        r->tls_resumed = count(l, c, "tls_resumed", "connections");
    if (cJSON_GetObjectItemCaseSensitive(c, "attempts")) {
        r->counts_known = true;
        r->connect_attempts = count(l, c, "attempts", "connections");
        r->connect_unstarted = count(l, c, "unstarted", "connections");
    }
}

/* "wire" (added later: absent from older results, read as zeros). */
static void load_wire(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "wire");
    if (!w)
        return;
    if (!cJSON_IsObject(w)) {
        bad(l, "\"wire\" must be an object");
        return;
    }
    r->wire.connections = count(l, w, "connections", "wire");
    r->wire.bytes_sent = count(l, w, "bytes_sent", "wire");
    r->wire.bytes_received = count(l, w, "bytes_received", "wire");
    r->wire.payload_sent = count(l, w, "payload_sent", "wire");
    r->wire.payload_received = count(l, w, "payload_received", "wire");
    r->wire.deflate_offered = count(l, w, "deflate_offered", "wire");
    r->wire.deflate_accepted = count(l, w, "deflate_accepted", "wire");
}

static void load_errors(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *errors = field(l, root, "errors", "the result");
    for (int k = 0; errors && k < ERR_KIND_COUNT; k++) {
        const char *name = err_kind_name((err_kind_t)k);
        if (k >= ERR_BLOCKED && !cJSON_GetObjectItemCaseSensitive(errors, name))
            continue; /* added later: absent from older results */
        const cJSON *e = field(l, errors, name, "errors");
        if (!e)
            return;
        r->errors[k].count = count(l, e, "count", name);
        const cJSON *samples = field(l, e, "samples", name), *s;
        cJSON_ArrayForEach(s, samples)
        {
            if (r->errors[k].nsamples < RES_MAX_SAMPLES && cJSON_IsString(s) &&
                !too_long(l, s->valuestring, "samples", name))
                r->errors[k].samples[r->errors[k].nsamples++] = strdup(s->valuestring);
        }
    }
}

static void load_assertion(loader_t *l, const cJSON *o, res_assertion_t *a, size_t i)
{
    char where[32];
    snprintf(where, sizeof(where), "assertions[%zu]", i);
    a->text = opt_str(l, o, "text", where);
    if (!a->text)
        bad(l, "\"text\" in %s must be a string", where);
    a->passed = cJSON_IsTrue(field(l, o, "passed", where));
    const cJSON *obs = field(l, o, "observed", where);
    a->has_observed = cJSON_IsNumber(obs);
    a->observed = a->has_observed ? obs->valuedouble : 0;
    a->threshold = num(l, o, "threshold", where);
    a->observed_text = opt_str(l, o, "observed_text", where);
    a->expected_text = opt_str(l, o, "expected_text", where);
}

static void load_assertions(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *arr = field(l, root, "assertions", "the result");
    if (!arr || !cJSON_IsArray(arr)) {
        bad(l, "\"assertions\" must be an array");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    r->assertions = calloc(n ? n : 1, sizeof(res_assertion_t));
    if (!r->assertions) {
        bad(l, "out of memory");
        return;
    }
    r->nassertions = n;
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) load_assertion(l, a, &r->assertions[i], i), i++;
}

/* Keys added after the first files were written are optional: absent
 * means the default (no shard, no series, ...). */
static const cJSON *opt_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

static char *opt_key_str(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    return opt_field(o, key) ? opt_str(l, o, key, where) : NULL;
}

/* The run's main step: absent or null in older files (unknown), else one
 * of the steps. */
static void load_main_step(loader_t *l, const cJSON *root, result_t *r)
{
    r->main_step = opt_key_str(l, root, "main_step", "the result");
    if (r->main_step && !l->failed && result_find_step(r, r->main_step) < 0)
        bad(l, "\"main_step\" \"%s\" is not one of the steps", r->main_step);
}

static void load_provenance(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *spec = opt_field(root, "spec"), *ci = opt_field(root, "ci");
    if (spec)
        r->spec_hash = opt_key_str(l, spec, "sha256", "spec");
    if (ci) {
        r->git_commit = opt_key_str(l, ci, "commit", "ci");
        r->git_ref = opt_key_str(l, ci, "ref", "ci");
    }
    const cJSON *shard = opt_field(root, "shard"), *ab = opt_field(root, "aborted");
    if (shard) {
        r->shard_total = (unsigned)count_max(l, shard, "total", "shard", SHARDS_MAX);
        r->shard_index = (unsigned)count_max(l, shard, "index", "shard", SHARDS_MAX);
        if (!l->failed && (r->shard_index < 1 || r->shard_index > r->shard_total))
            bad(l, "shard index %u is not within 1..%u", r->shard_index, r->shard_total);
    }
    r->region = opt_key_str(l, root, "region", "the result");
    if (opt_field(root, "start_at"))
        r->start_at = iso_time(l, root, "start_at");
    if (opt_field(root, "start_late_s"))
        r->start_late_s = num(l, root, "start_late_s", "the result");
    if (ab) {
        r->aborted = true;
        r->aborted_at_s = num(l, ab, "at_s", "aborted");
        r->abort_reason = opt_key_str(l, ab, "reason", "aborted");
    }
}

#define OVERRIDE_MAX_S 1e9 /* far above any duration units.c reads */

/* The variables of "overrides": an object of strings. */
static void load_override_vars(loader_t *l, const cJSON *vars, res_overrides_t *o)
{
    if (!vars || !cJSON_IsObject(vars)) {
        bad(l, "\"vars\" in overrides must be an object of strings");
        return;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (!cJSON_IsString(v)) {
            bad(l, "\"%s\" in overrides.vars must be a string", v->string);
            return;
        }
        if (too_long(l, v->string, "vars", "overrides") ||
            too_long(l, v->valuestring, v->string, "overrides.vars"))
            return;
        if (res_overrides_add_var(o, v->string, v->valuestring) < 0) {
            bad(l, "out of memory");
            return;
        }
    }
}

/* "overrides": null or absent (older files) when the run took none. */
static void load_overrides(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "overrides");
    if (!o)
        return;
    if (!cJSON_IsObject(o) || !(r->overrides = res_overrides_new())) {
        bad(l, r->overrides || !cJSON_IsObject(o) ? "\"overrides\" must be an object or null"
                                                  : "out of memory");
        return;
    }
    res_overrides_t *ov = r->overrides;
    if (opt_field(o, "users"))
        ov->users = count_u32(l, o, "users", "overrides");
    if (opt_field(o, "duration_s"))
        ov->duration_s = num_max(l, o, "duration_s", "overrides", OVERRIDE_MAX_S);
    if ((ov->has_ramp_up = opt_field(o, "ramp_up_s") != NULL))
        ov->ramp_up_s = num_max(l, o, "ramp_up_s", "overrides", OVERRIDE_MAX_S);
    if (opt_field(o, "max_connecting")) /* absent in older files */
        ov->max_connecting = count_u32(l, o, "max_connecting", "overrides");
    load_override_vars(l, field(l, o, "vars", "overrides"), ov);
}

#define RATE_MAX_PER_S 1e7 /* the highest rate a spec may give (units.c) */

/* "load" and "arrivals" (absent in older files: the closed model). */
static void load_load(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "load"), *a = opt_field(root, "arrivals");
    const cJSON *model = o ? opt_field(o, "model") : NULL;
    if (!model)
        return;
    if (!cJSON_IsString(model) ||
        (strcmp(model->valuestring, "open") != 0 && strcmp(model->valuestring, "closed") != 0)) {
        bad(l, "\"model\" in load must be \"open\" or \"closed\"");
        return;
    }
    r->open_model = strcmp(model->valuestring, "open") == 0;
    if (!r->open_model)
        return;
    r->rate_min = num_max(l, o, "rate_min_per_s", "load", RATE_MAX_PER_S);
    r->rate_max = num_max(l, o, "rate_max_per_s", "load", RATE_MAX_PER_S);
    r->session_iterations = count_u32(l, o, "session_iterations", "load");
    if (opt_field(o, "session_s"))
        r->session_s = num_max(l, o, "session_s", "load", 1e9);
    if (!a) {
        bad(l, "\"arrivals\" must be an object in an open-model result");
        return;
    }
    r->arrivals_planned = count(l, a, "planned", "arrivals");
    r->arrivals_started = count(l, a, "started", "arrivals");
    r->arrivals_dropped = count(l, a, "dropped", "arrivals");
}

/* One series entry's step histograms, by step name. */
static void load_second_steps(loader_t *l, const cJSON *o, const result_t *r, res_second_t *sec,
                              size_t t)
{
    const cJSON *steps = opt_field(o, "steps"), *st;
    if (!(sec->step_hist = calloc(r->nsteps ? r->nsteps : 1, sizeof(char *)))) {
        bad(l, "out of memory");
        return;
    }
    cJSON_ArrayForEach(st, steps)
    {
        int i = result_find_step(r, st->string);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(st, "histogram");
        char why[160];
        if (i < 0 || !cJSON_IsString(h) || sec->step_hist[i]) {
            bad(l, "series[%zu]: step \"%s\" is unknown, repeated or has no histogram", t,
                st->string ? st->string : "?");
            return;
        }
        hist_t *check = hist_decode(h->valuestring, why, sizeof(why));
        if (!check) {
            bad(l, "series[%zu].steps.%s: %s", t, st->string, why);
            return;
        }
        hist_free(check);
        if (!(sec->step_hist[i] = strdup(h->valuestring)))
            bad(l, "out of memory");
    }
}

/* A second's "errors_by_kind" (absent in older files): known kinds only,
 * and together no more than the second's errors. */
static void load_second_kinds(loader_t *l, const cJSON *o, res_second_t *sec, size_t t)
{
    const cJSON *kinds = opt_field(o, "errors_by_kind"), *e;
    if (!kinds)
        return;
    if (!cJSON_IsObject(kinds)) {
        bad(l, "series[%zu]: \"errors_by_kind\" must be an object", t);
        return;
    }
    uint64_t sum = 0;
    cJSON_ArrayForEach(e, kinds)
    {
        int k = err_kind_from_name(e->string);
        if (k < 0) {
            bad(l, "series[%zu].errors_by_kind: unknown error kind \"%s\"", t, e->string);
            return;
        }
        sec->errors_by_kind[k] = count(l, kinds, e->string, "series.errors_by_kind");
        sum += sec->errors_by_kind[k];
    }
    if (sum > sec->errors)
        bad(l, "series[%zu]: errors_by_kind adds up to more than its errors", t);
}

static void load_series(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *arr = opt_field(root, "series"), *o;
    if (arr && !cJSON_IsArray(arr)) {
        bad(l, "\"series\" must be an array");
        return;
    }
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (n == 0 || l->failed)
        return;
    if (!(r->series = calloc(n, sizeof(res_second_t)))) {
        bad(l, "out of memory");
        return;
    }
    r->nseconds = n;
    size_t t = 0;
    cJSON_ArrayForEach(o, arr)
    {
        if (l->failed)
            return;
        res_second_t *sec = &r->series[t];
        sec->active = count(l, o, "active", "series");
        sec->sent = count(l, o, "sent", "series");
        sec->received = count(l, o, "received", "series");
        sec->errors = count(l, o, "errors", "series");
        load_second_kinds(l, o, sec, t);
        load_second_steps(l, o, r, sec, t++);
    }
}

static void load_shard_row(loader_t *l, const cJSON *o, res_shard_t *s)
{
    s->index = (unsigned)count_max(l, o, "index", "shards", SHARDS_MAX);
    s->total = (unsigned)count_max(l, o, "total", "shards", SHARDS_MAX);
    s->region = opt_key_str(l, o, "region", "shards");
    s->started_at = opt_field(o, "started_at") ? iso_time(l, o, "started_at") : 0;
    s->ended_at = opt_field(o, "ended_at") ? iso_time(l, o, "ended_at") : 0;
    s->interrupted = cJSON_IsTrue(opt_field(o, "interrupted")); /* absent in older files */
    s->stop_signal = opt_signal(l, o, "shards");
    s->start_late_s = num(l, o, "start_late_s", "shards");
    s->peak_active = count(l, o, "peak_active", "shards");
    s->msgs_sent = count(l, o, "sent", "shards");
    s->msgs_received = count(l, o, "received", "shards");
    s->errors = count(l, o, "errors", "shards");
    s->ok = count(l, o, "ok", "shards");
    s->failed = count(l, o, "failed", "shards");
}

static void load_shards(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *arr = opt_field(root, "shards"), *o;
    if (arr && !cJSON_IsArray(arr)) {
        bad(l, "\"shards\" must be an array");
        return;
    }
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (n == 0)
        return;
    if (!(r->shards = calloc(n, sizeof(res_shard_t)))) {
        bad(l, "out of memory");
        return;
    }
    r->nshards = n;
    size_t i = 0;
    cJSON_ArrayForEach(o, arr) load_shard_row(l, o, &r->shards[i++]);
    r->missing_shards = opt_key_str(l, root, "missing_shards", "the result");
}

#define GEN_NUM_MAX 1e9 /* ms, %, MiB: far above anything real */

/* "saturated_seconds": [[from, to], ...]. */
static void load_gen_ranges(loader_t *l, const cJSON *o, res_gen_t *g, const char *where)
{
    const cJSON *arr = field(l, o, "saturated_seconds", where), *pair;
    if (arr && !cJSON_IsArray(arr))
        bad(l, "\"saturated_seconds\" in %s must be an array of [from, to] pairs", where);
    if (!arr || l->failed)
        return;
    cJSON_ArrayForEach(pair, arr)
    {
        const cJSON *from = cJSON_GetArrayItem(pair, 0), *to = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(from) ||
            !cJSON_IsNumber(to) || from->valuedouble < 0 || to->valuedouble <= from->valuedouble ||
            to->valuedouble > 4294967295.0 || from->valuedouble != floor(from->valuedouble) ||
            to->valuedouble != floor(to->valuedouble)) {
            bad(l,
                "\"saturated_seconds\" in %s must hold [from, to] pairs of whole seconds, "
                "from < to",
                where);
            return;
        }
        if (gen_add_range(g, (uint32_t)from->valuedouble, (uint32_t)to->valuedouble) < 0) {
            bad(l, "out of memory");
            return;
        }
    }
}

static void load_gen_summary(loader_t *l, const cJSON *o, res_gen_t *g, const char *where)
{
    g->cores = count_u32(l, o, "cores", where);
    g->lag_limit_ms = num_max(l, o, "lag_limit_ms", where, GEN_NUM_MAX);
    g->saturated = cJSON_IsTrue(field(l, o, "saturated", where));
    g->cpu_pct_max = num_max(l, o, "cpu_pct_max", where, GEN_NUM_MAX);
    g->loop_lag_p99_ms = num_max(l, o, "loop_lag_p99_ms", where, GEN_NUM_MAX);
    g->loop_lag_max_ms = num_max(l, o, "loop_lag_max_ms", where, GEN_NUM_MAX);
    g->rss_max_mb = num_max(l, o, "rss_max_mb", where, GEN_NUM_MAX);
    load_gen_ranges(l, o, g, where);
}

static void load_gen_series(loader_t *l, const cJSON *o, res_gen_t *g)
{
    const cJSON *arr = opt_field(o, "series"), *s;
    if (arr && !cJSON_IsArray(arr))
        bad(l, "\"series\" in generator must be an array");
    size_t n = arr && cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (n == 0 || l->failed)
        return;
    if (!(g->secs = calloc(n, sizeof(*g->secs)))) {
        bad(l, "out of memory");
        return;
    }
    g->nsecs = n;
    size_t t = 0;
    cJSON_ArrayForEach(s, arr)
    {
        res_gen_sec_t *sec = &g->secs[t++];
        sec->cpu_pct = num_max(l, s, "cpu_pct", "generator.series", GEN_NUM_MAX);
        sec->loop_lag_p99_ms = num_max(l, s, "loop_lag_p99_ms", "generator.series", GEN_NUM_MAX);
        sec->loop_lag_max_ms = num_max(l, s, "loop_lag_max_ms", "generator.series", GEN_NUM_MAX);
        sec->rss_mb = num_max(l, s, "rss_mb", "generator.series", GEN_NUM_MAX);
        sec->saturated = cJSON_IsTrue(opt_field(s, "saturated"));
    }
}

/* A merge's inputs: index and summary, or "saturated": null (unknown). */
static void load_gen_shards(loader_t *l, const cJSON *o, res_gen_t *g)
{
    const cJSON *arr = opt_field(o, "shards"), *s;
    size_t n = arr && cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (arr && !cJSON_IsArray(arr))
        bad(l, "\"shards\" in generator must be an array");
    if (n == 0 || l->failed)
        return;
    if (!(g->shards = calloc(n, sizeof(*g->shards)))) {
        bad(l, "out of memory");
        return;
    }
    g->nshards = n;
    size_t i = 0;
    cJSON_ArrayForEach(s, arr)
    {
        res_gen_shard_t *sh = &g->shards[i++];
        sh->index = (unsigned)count_max(l, s, "index", "generator.shards", SHARDS_MAX);
        if (l->failed || !opt_field(s, "saturated")) /* null: unknown */
            continue;
        if (!(sh->gen = calloc(1, sizeof(res_gen_t)))) {
            bad(l, "out of memory");
            return;
        }
        load_gen_summary(l, s, sh->gen, "generator.shards");
    }
}

/* "connect": absent or null (older files) leaves it unknown. The rates are
 * derived again from the counts and times (result/ramp.h). */
static void load_connect(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "connect");
    if (!o || cJSON_IsNull(o) || l->failed)
        return;
    if (!cJSON_IsObject(o)) {
        bad(l, "\"connect\" must be an object or null");
        return;
    }
    res_ramp_t *p = &r->ramp;
    ramp_init(p);
    p->max_connecting = count(l, o, "max_connecting", "connect");
    p->planned = count(l, o, "planned", "connect");
    p->start_s = num_max(l, o, "ramp_start_s", "connect", 1e9);
    p->end_s = num_max(l, o, "ramp_end_s", "connect", 1e9);
    p->connected = count(l, o, "connected", "connect");
    p->last_connected_s = num_max(l, o, "last_connected_s", "connect", 1e9);
    p->waited = count(l, o, "waited", "connect");
    p->max_waiting = count(l, o, "max_waiting", "connect");
    p->max_wait_s = num_max(l, o, "max_wait_s", "connect", 1e9);
}

/* "slow_consumers": absent or null (older files, specs without slow
 * readers) leaves it unknown. */
static void load_slow(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "slow_consumers");
    if (!o || cJSON_IsNull(o) || l->failed)
        return;
    if (!cJSON_IsObject(o)) {
        bad(l, "\"slow_consumers\" must be an object or null");
        return;
    }
    r->slow.known = true;
    r->slow.samples = count(l, o, "samples", "slow_consumers");
    r->slow.unread_total = count(l, o, "unread_bytes_total", "slow_consumers");
    r->slow.unread_max = count(l, o, "unread_bytes_max", "slow_consumers");
}

/* "warnings" (added later: absent from older results): strings. */
static void load_warnings(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *arr = opt_field(root, "warnings");
    if (!arr || l->failed)
        return;
    if (!cJSON_IsArray(arr)) {
        bad(l, "\"warnings\" must be an array of strings");
        return;
    }
    if (cJSON_GetArraySize(arr) > RESULT_WARNINGS_MAX) {
        bad(l, "\"warnings\" has %d entries; at most %d", cJSON_GetArraySize(arr),
            RESULT_WARNINGS_MAX);
        return;
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, arr)
    {
        if (!cJSON_IsString(w) || too_long(l, w->valuestring, "warnings", "the result")) {
            if (!l->failed)
                bad(l, "\"warnings\" must be an array of strings");
            return;
        }
        if (tally_add(r, w->valuestring) < 0) {
            bad(l, "out of memory");
            return;
        }
    }
}

/* "generator": absent or null (older files) leaves it unknown (NULL). The
 * marks and maxima are derived again from the series by the one rule. */
static void load_generator(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "generator");
    if (!o || cJSON_IsNull(o) || l->failed)
        return;
    if (!cJSON_IsObject(o)) {
        bad(l, "\"generator\" must be an object or null");
        return;
    }
    res_gen_t *g = r->generator = calloc(1, sizeof(res_gen_t));
    if (!g) {
        bad(l, "out of memory");
        return;
    }
    load_gen_summary(l, o, g, "generator");
    load_gen_series(l, o, g);
    load_gen_shards(l, o, g);
    bool saturated = g->saturated;
    if (!l->failed && gen_summarize(g) < 0)
        bad(l, "out of memory");
    g->saturated |= saturated;
}

#define OBS_SAMPLES_MAX 10000000 /* a week of scrapes every 100 ms, and more */

static void load_obs_series(loader_t *l, const cJSON *o, res_obs_series_t *s)
{
    const cJSON *pts = field(l, o, "samples", "server.series"), *p;
    s->name = opt_str(l, o, "metric", "server.series");
    s->url = opt_str(l, o, "url", "server.series");
    if (!l->failed && (!s->name || !s->url))
        bad(l, "\"metric\" and \"url\" in server.series must be strings");
    if (l->failed || !cJSON_IsArray(pts) || cJSON_GetArraySize(pts) > OBS_SAMPLES_MAX) {
        if (!l->failed)
            bad(l, "\"samples\" in server.series must be an array of [t, value]");
        return;
    }
    cJSON_ArrayForEach(p, pts)
    {
        const cJSON *t = cJSON_GetArrayItem(p, 0), *v = cJSON_GetArrayItem(p, 1);
        if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 || !cJSON_IsNumber(t) ||
            !isfinite(t->valuedouble) || (!cJSON_IsNumber(v) && !cJSON_IsNull(v))) {
            bad(l, "\"samples\" in server.series must be an array of [t, value]");
            return;
        }
        if (obs_series_push(s, t->valuedouble, cJSON_IsNumber(v) ? v->valuedouble : NAN) < 0) {
            bad(l, "out of memory");
            return;
        }
    }
}

/* "server": absent or null (no observe:, or an older file) leaves it NULL. */
static void load_server(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *o = opt_field(root, "server"), *series, *s;
    if (!o || l->failed)
        return;
    series = cJSON_GetObjectItemCaseSensitive(o, "series");
    if (!cJSON_IsObject(o) || !cJSON_IsArray(series)) {
        bad(l, "\"server\" must be an object with a \"series\" array, or null");
        return;
    }
    res_server_t *srv = r->server = calloc(1, sizeof(res_server_t));
    int n = cJSON_GetArraySize(series);
    if (!srv || (n > 0 && !(srv->series = calloc((size_t)n, sizeof(res_obs_series_t))))) {
        bad(l, "out of memory");
        return;
    }
    srv->window_start_s = num(l, o, "window_start_s", "server");
    srv->window_end_s = num(l, o, "window_end_s", "server");
    srv->scrapes = count(l, o, "scrapes", "server");
    srv->scrape_errors = count(l, o, "scrape_errors", "server");
    cJSON_ArrayForEach(s, series)
    {
        if (l->failed)
            return;
        load_obs_series(l, s, &srv->series[srv->nseries++]);
    }
}

static void load_baseline(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *b = opt_field(root, "baseline");
    if (!b)
        return;
    if (!(r->baseline = calloc(1, sizeof(result_t)))) {
        bad(l, "out of memory");
        return;
    }
    r->baseline_path = opt_key_str(l, b, "path", "baseline");
    const cJSON *spec = field(l, b, "spec", "baseline");
    if (spec) {
        r->baseline->spec_name = opt_str(l, spec, "name", "baseline.spec");
        r->baseline->spec_path = opt_str(l, spec, "path", "baseline.spec");
        r->baseline->spec_hash = opt_key_str(l, spec, "sha256", "baseline.spec");
    }
    const cJSON *ci = opt_field(b, "ci"); /* absent in files of older versions */
    if (ci) {
        r->baseline->git_commit = opt_key_str(l, ci, "commit", "baseline.ci");
        r->baseline->git_ref = opt_key_str(l, ci, "ref", "baseline.ci");
    }
    r->baseline->started_at = iso_time(l, b, "started_at");
    r->baseline->ended_at = iso_time(l, b, "ended_at");
    r->baseline->duration_s = num(l, b, "duration_s", "baseline");
    load_steps(l, b, r->baseline);
    load_traffic(l, b, r->baseline);
    load_errors(l, b, r->baseline);
}

/* ---- where a text stops being JSON ---- */

/* "LINE:COLUMN" of byte offset at in text (both from 1; columns count bytes). */
static void position(const char *text, size_t at, char *out, size_t outlen)
{
    unsigned long line = 1, col = 1;
    for (size_t i = 0; i < at; i++, col++)
        if (text[i] == '\n')
            line++, col = 0;
    snprintf(out, outlen, "%lu:%lu", line, col);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}

/* A token that more text could still complete: part of true, false, null
 * or a number. */
static bool value_prefix(const char *t, size_t n)
{
    if (n <= 4 && (strncmp(t, "true", n) == 0 || strncmp(t, "null", n) == 0))
        return true;
    if (n <= 5 && strncmp(t, "false", n) == 0)
        return true;
    return strspn(t, "-+.0123456789eE") >= n;
}

/* What the text is still inside at its end, innermost first: a string
 * (opened at str), a value that more text could complete (from run) and
 * an object or an array (NULL when all were closed). */
typedef struct json_tail {
    bool in_str, in_value;
    size_t str, run;
    const char *container;
} json_tail_t;

static json_tail_t tail_of(const char *text, size_t len)
{
    char open[CJSON_NESTING_LIMIT];
    size_t depth = 0;
    json_tail_t t = { false, false, 0, 0, NULL };
    bool esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (t.in_str) {
            esc = !esc && c == '\\';
            t.in_str = esc || c != '"';
        } else if (c == '"') {
            t.in_str = true, t.str = i;
        } else if (c == '{' || c == '[') {
            if (depth < sizeof(open))
                open[depth] = c;
            depth++;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
        }
        if (!token_char(c) || i == 0 || !token_char(text[i - 1]))
            t.run = i;
    }
    t.in_value =
        !t.in_str && len && token_char(text[len - 1]) && value_prefix(text + t.run, len - t.run);
    if (depth)
        t.container = open[depth > sizeof(open) ? sizeof(open) - 1 : depth - 1] == '{' ? "an object"
                                                                                       : "an array";
    return t;
}

/* What the text ends inside when parsing stopped in its unfinished tail
 * (at: where cJSON stopped), or NULL when the text is malformed instead. */
static const char *truncated_inside(const char *text, size_t len, size_t at)
{
    json_tail_t t = tail_of(text, len);
    if (t.in_str) /* cJSON blames a string it cannot end just past its quote */
        return at == t.str || at == t.str + 1 ? "a string" : NULL;
    if (t.in_value && at == t.run)
        return "a value";
    return t.container && at >= len ? t.container : NULL;
}

/* cJSON points one past a character that should have opened an object's
 * key (after '{' or ','): whether that is where it stopped. */
static bool key_missing_at(const char *text, size_t at)
{
    if (at == 0 || is_space(text[at - 1]) || strchr("\"{},[]:", text[at - 1]))
        return false;
    size_t k = at - 1;
    while (k > 0 && is_space(text[k - 1]))
        k--;
    if (k == 0 || (text[k - 1] != '{' && text[k - 1] != ','))
        return false;
    json_tail_t t = tail_of(text, k);
    return !t.in_str && t.container && strcmp(t.container, "an object") == 0;
}

/* Why text (len bytes) is not JSON, given the offset cJSON stopped at:
 * "empty file", "L:C: truncated JSON (ends inside ...)" (L:C just after
 * the last character) or "L:C: malformed JSON (...)". */
static void json_why(const char *text, size_t len, size_t at, char *why, size_t whylen)
{
    char pos[48], what[48];
    size_t end = len;
    while (end > 0 && is_space(text[end - 1]))
        end--;
    if (end == 0) {
        snprintf(why, whylen, "empty file (is this a wsgate result.json?)");
        return;
    }
    const char *inside = truncated_inside(text, len, at);
    if (inside) {
        position(text, end, pos, sizeof(pos));
        snprintf(why, whylen, "%s: truncated JSON (ends inside %s)", pos, inside);
        return;
    }
    if (at >= end) /* cJSON stopped past the end: blame the last character */
        at = end - 1;
    if (key_missing_at(text, at))
        at--;
    unsigned char c = (unsigned char)text[at];
    if (c == '\0')
        snprintf(what, sizeof(what), "a NUL byte: is this a text file?");
    else if (c < 0x20 || c >= 0x7f)
        snprintf(what, sizeof(what), "unexpected byte 0x%02x", c);
    else
        snprintf(what, sizeof(what), "unexpected '%c'", c);
    position(text, at, pos, sizeof(pos));
    snprintf(why, whylen, "%s: malformed JSON (%s)", pos, what);
}

/* The parsed text (len bytes, NUL-terminated), or NULL with the reason. */
static cJSON *parse_text(const char *text, size_t len, char *why, size_t whylen)
{
    const char *end = NULL;
    size_t nul = strlen(text);
    cJSON *root = nul == len ? cJSON_ParseWithOpts(text, &end, 1) : NULL;
    if (!root) {
        json_why(text, len, nul < len ? nul : (size_t)(end ? end - text : 0), why, whylen);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(why, whylen,
                 "not a JSON object (the file holds %s; is this a wsgate result.json?)",
                 cJSON_IsArray(root) ? "an array" : "a single value");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static void load_all(loader_t *l, const cJSON *root, result_t *r)
{
    double schema = num(l, root, "schema_version", "the result");
    if (!l->failed && schema != SUPPORTED_SCHEMA)
        bad(l, "schema_version %g is not supported; this wsgate reads %d", schema,
            SUPPORTED_SCHEMA);
    load_run(l, root, r);
    load_steps(l, root, r);
    load_main_step(l, root, r);
    load_traffic(l, root, r);
    load_wire(l, root, r);
    load_connect(l, root, r);
    load_slow(l, root, r);
    load_errors(l, root, r);
    load_assertions(l, root, r);
    load_provenance(l, root, r);
    load_overrides(l, root, r);
    load_load(l, root, r);
    load_series(l, root, r);
    load_shards(l, root, r);
    load_generator(l, root, r);
    load_server(l, root, r);
    load_baseline(l, root, r);
    load_warnings(l, root, r);
    load_verdict(l, root, r);
}

/* result_from_json for a text of len bytes (a NUL inside is an error). */
static int from_text(const char *text, size_t len, result_t *r, char *err, size_t errlen)
{
    loader_t l = { err, errlen, false };
    memset(r, 0, sizeof(*r));
    cJSON *root = parse_text(text, len, err, errlen);
    if (!root)
        return -1;
    load_all(&l, root, r);
    cJSON_Delete(root);
    if (l.failed)
        result_clear(r);
    return l.failed ? -1 : 0;
}

int result_from_json(const char *text, result_t *r, char *err, size_t errlen)
{
    return from_text(text ? text : "", text ? strlen(text) : 0, r, err, errlen);
}

/* ---- reading the file ---- */

int result_max_mb(size_t *mb, char *err, size_t errlen)
{
    const char *v = getenv("WSGATE_MAX_RESULT_MB");
    *mb = RESULT_MAX_MB_DEFAULT;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end || errno || n < 1 || n > RESULT_MAX_MB_LIMIT ||
        n > (SIZE_MAX >> 20) - 1) {
        snprintf(err, errlen,
                 "WSGATE_MAX_RESULT_MB=\"%.40s\" is not a whole number of MiB from 1 to %u", v,
                 RESULT_MAX_MB_LIMIT);
        return -1;
    }
    *mb = (size_t)n;
    return 0;
}

/* Reads f up to limit+1 bytes (so a pipe or /dev/zero stops there) into a
 * malloc'd NUL-terminated buffer of *len bytes; NULL on a read error or
 * when out of memory (errno says which). */
static char *read_upto(FILE *f, size_t limit, size_t *len)
{
    struct stat st;
    size_t cap = 65536, want = limit + 2; /* limit+1 bytes and the NUL */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < want)
        cap = (size_t)st.st_size + 2; /* one read and one look for more */
    cap = cap < want ? cap : want;
    char *buf = malloc(cap);
    *len = 0;
    while (buf) {
        size_t got = fread(buf + *len, 1, cap - 1 - *len, f);
        *len += got;
        if (got == 0 || *len == want - 1)
            break;
        if (*len < cap - 1)
            continue;
        size_t grown_cap = cap > want / 2 ? want : cap * 2;
        char *grown = grown_cap > cap ? realloc(buf, grown_cap) : buf;
        if (!grown)
            free(buf);
        buf = grown, cap = grown_cap;
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[*len] = '\0';
    return buf;
}

/* The file's text in a malloc'd buffer of *len bytes, or NULL with err
 * starting with the path. */
static char *read_result(const char *path, size_t *len, char *err, size_t errlen)
{
    size_t mb;
    if (result_max_mb(&mb, err, errlen) < 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    errno = 0;
    char *text = read_upto(f, mb << 20, len);
    int e = errno;
    fclose(f);
    if (!text)
        snprintf(err, errlen, "%s: cannot read the file: %s", path,
                 e == ENOMEM || !e ? "out of memory" : strerror(e));
    else if (*len > mb << 20)
        snprintf(err, errlen, "%s: larger than %zu MiB (WSGATE_MAX_RESULT_MB raises the limit)",
                 path, mb);
    if (text && *len > mb << 20) {
        free(text);
        return NULL;
    }
    return text;
}

int result_load_file(const char *path, result_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    size_t len;
    char *text = read_result(path, &len, err, errlen);
    if (!text)
        return -1;
    char why[400];
    int rc = from_text(text, len, r, why, sizeof(why));
    /* "PATH:LINE:COL: ..." when the reason has a position */
    if (rc < 0)
        snprintf(err, errlen, "%s%s%s", path, why[0] >= '0' && why[0] <= '9' ? ":" : ": ", why);
    free(text);
    return rc;
}
