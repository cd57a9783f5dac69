/* ndjson: renders the NDJSON lines of --live from the engine's live feed. */
#include "live/ndjson.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

static bool add_u64(cJSON *o, const char *key, uint64_t val)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, val);
    return cJSON_AddRawToObject(o, key, buf) != NULL;
}

/* RFC 3339 UTC to the millisecond, like result.json's times. */
static bool add_ts(cJSON *o, double epoch_s)
{
    long long ms = llround(epoch_s * 1000.0);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char date[32], buf[48];
    if (!gmtime_r(&secs, &tm) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return cJSON_AddNullToObject(o, "ts") != NULL;
    snprintf(buf, sizeof buf, "%s.%03dZ", date, (int)(ms % 1000));
    return cJSON_AddStringToObject(o, "ts", buf) != NULL;
}

/* A new object with "event" and "ts" first; NULL when out of memory. */
static cJSON *line_new(const char *event, double ts_s)
{
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddStringToObject(o, "event", event) && add_ts(o, ts_s))
        return o;
    cJSON_Delete(o);
    return NULL;
}

/* Prints o on one line into out and frees it. */
static int line_put(sbuf_t *out, cJSON *o, bool ok)
{
    char *text = ok && o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    int rc = text && sbuf_puts(out, text) == 0 && sbuf_putc(out, '\n') == 0 ? 0 : -1;
    cJSON_free(text);
    return rc;
}

static bool add_str_or_null(cJSON *o, const char *key, const char *s)
{
    return (s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key)) != NULL;
}

int ndjson_start(sbuf_t *out, const live_run_t *run, double ts_s)
{
    cJSON *o = line_new("start", ts_s);
    char shard[32];
    snprintf(shard, sizeof shard, "%u/%u", run->shard_index, run->shard_total);
    bool ok = o && add_str_or_null(o, "spec", run->spec) &&
              add_str_or_null(o, "wsgate_version", run->version) &&
              add_str_or_null(o, "shard", run->shard_total ? shard : NULL) &&
              add_str_or_null(o, "region", run->region) &&
              cJSON_AddNumberToObject(o, "duration_s", run->duration_s);
    return line_put(out, o, ok);
}

/* Percentile p of h in ms, or null without samples. */
static bool add_pct(cJSON *o, const char *key, const hist_t *h, double p)
{
    if (!h || hist_count(h) == 0)
        return cJSON_AddNullToObject(o, key) != NULL;
    return cJSON_AddNumberToObject(o, key, (double)hist_percentile(h, p) / 1000.0) != NULL;
}

static bool add_step(cJSON *steps, const engine_live_t *lv, size_t i)
{
    const res_step_t *st = &lv->sofar->steps[i];
    const hist_t *h = lv->lat[i];
    cJSON *o = cJSON_AddObjectToObject(steps, st->name);
    return o && add_u64(o, "count", h ? hist_count(h) : 0) && add_pct(o, "p50_ms", h, 50) &&
           add_pct(o, "p95_ms", h, 95) && add_pct(o, "p99_ms", h, 99) &&
           add_u64(o, "ok_total", st->ok) && add_u64(o, "failed_total", st->failed);
}

static bool add_totals(cJSON *line, const engine_live_t *lv)
{
    const result_t *r = lv->sofar;
    cJSON *o = cJSON_AddObjectToObject(line, "total");
    cJSON *errors = NULL;
    bool ok = o && add_u64(o, "connections_open", lv->active) &&
              add_u64(o, "connects_ok", r->nsteps ? r->steps[0].ok : 0) &&
              add_u64(o, "connects_failed", r->nsteps ? r->steps[0].failed : 0) &&
              add_u64(o, "sent", r->msgs_sent) && add_u64(o, "received", r->msgs_received) &&
              add_u64(o, "bytes_sent", r->bytes_sent) &&
              add_u64(o, "bytes_received", r->bytes_received) &&
              (errors = cJSON_AddObjectToObject(o, "errors")) != NULL;
    for (int k = 0; ok && k < ERR_KIND_COUNT; k++)
        ok = add_u64(errors, err_kind_name((err_kind_t)k), r->errors[k].count);
    return ok;
}

/* "generator": the second's as result.json's generator.secs holds it. */
static bool add_gen(cJSON *line, const engine_live_t *lv)
{
    const res_gen_sec_t *g = &lv->gen;
    cJSON *o = cJSON_AddObjectToObject(line, "generator");
    return o && cJSON_AddNumberToObject(o, "cpu_pct", round(g->cpu_pct * 1000) / 1000) &&
           cJSON_AddNumberToObject(o, "rss_mb", round(g->rss_mb * 1000) / 1000) &&
           cJSON_AddNumberToObject(o, "loop_lag_p99_ms", g->loop_lag_p99_ms) &&
           cJSON_AddNumberToObject(o, "loop_lag_max_ms", g->loop_lag_max_ms) &&
           cJSON_AddBoolToObject(o, "saturated", g->saturated) &&
           add_u64(o, "saturated_seconds", lv->saturated_secs);
}

int ndjson_second(sbuf_t *out, const engine_live_t *lv, double ts_s)
{
    const res_second_t *s = lv->sec;
    cJSON *o = line_new("second", ts_s);
    cJSON *steps = NULL;
    bool ok = o && s && add_u64(o, "t", lv->t) &&
              cJSON_AddNumberToObject(o, "elapsed_s", round(lv->elapsed_s * 1000) / 1000) &&
              add_u64(o, "active", s->active) && add_u64(o, "sent", s->sent) &&
              add_u64(o, "received", s->received) && add_u64(o, "errors", s->errors) &&
              (steps = cJSON_AddObjectToObject(o, "steps")) != NULL;
    for (size_t i = 0; ok && i < lv->sofar->nsteps; i++)
        ok = add_step(steps, lv, i);
    ok = ok && add_gen(o, lv) && add_totals(o, lv);
    return line_put(out, o, ok);
}

/* result.json's verdict; "error" when the run did not finish. */
static const char *verdict(const result_t *r)
{
    const char *v = r ? result_verdict_name(result_verdict(r)) : NULL;
    return v ? v : "error";
}

int ndjson_end(sbuf_t *out, const result_t *r, int exit_status, double ts_s)
{
    cJSON *o = line_new("end", ts_s);
    bool ok = o && cJSON_AddStringToObject(o, "verdict", verdict(r)) &&
              cJSON_AddNumberToObject(o, "exit_status", exit_status);
    if (ok && r)
        ok = cJSON_AddBoolToObject(o, "passed", r->passed) &&
             add_u64(o, "failed_assertions", result_failed_assertions(r));
    return line_put(out, o, ok);
}
