/* prom: renders the Prometheus text exposition of a running test. */
#include "live/prom.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "result/hist.h"

const double prom_le_s[PROM_NLE] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                     0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                     1,      2.5,     5,      10,    30,     60 };

int prom_label_value(sbuf_t *out, const char *s)
{
    int rc = 0;
    for (; s && *s && rc == 0; s++) {
        if (*s == '\\')
            rc = sbuf_puts(out, "\\\\");
        else if (*s == '"')
            rc = sbuf_puts(out, "\\\"");
        else if (*s == '\n')
            rc = sbuf_puts(out, "\\n");
        else
            rc = sbuf_putc(out, *s);
    }
    return rc;
}

/* "# HELP" and "# TYPE" of one family. */
static int family(sbuf_t *out, const char *name, const char *type, const char *help)
{
    return sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} n, or name n when label is NULL. */
static int sample(sbuf_t *out, const char *name, const char *label, const char *value, uint64_t n)
{
    if (!label)
        return sbuf_printf(out, "%s %" PRIu64 "\n", name, n);
    if (sbuf_printf(out, "%s{%s=\"", name, label) < 0 || prom_label_value(out, value) < 0)
        return -1;
    return sbuf_printf(out, "\"} %" PRIu64 "\n", n);
}

static int run_info(sbuf_t *out, const live_run_t *run)
{
    char shard[32] = "";
    if (run->shard_total)
        snprintf(shard, sizeof shard, "%u/%u", run->shard_index, run->shard_total);
    bool ok =
        family(out, "wsgate_run_info", "gauge",
               "The run being watched: spec name, shard K/N and region (empty: none).") == 0 &&
        sbuf_puts(out, "wsgate_run_info{spec=\"") == 0 && prom_label_value(out, run->spec) == 0 &&
        sbuf_puts(out, "\",shard=\"") == 0 && prom_label_value(out, shard) == 0 &&
        sbuf_puts(out, "\",region=\"") == 0 && prom_label_value(out, run->region) == 0 &&
        sbuf_puts(out, "\"} 1\n") == 0;
    return ok ? 0 : -1;
}

static int gauges(sbuf_t *out, const engine_live_t *lv)
{
    bool ok =
        family(out, "wsgate_elapsed_seconds", "gauge", "Seconds since the load started.") == 0 &&
        sbuf_printf(out, "wsgate_elapsed_seconds %.3f\n", lv ? lv->elapsed_s : 0.0) == 0 &&
        family(out, "wsgate_connections_open", "gauge", "WebSocket connections open now.") == 0 &&
        sample(out, "wsgate_connections_open", NULL, NULL, lv ? lv->active : 0) == 0;
    return ok ? 0 : -1;
}

/* The generator's own health in the last second (result/gen.h). */
static int generator(sbuf_t *out, const engine_live_t *lv)
{
    const res_gen_sec_t *g = &lv->gen;
    bool ok =
        family(out, "wsgate_generator_loop_lag_p99_seconds", "gauge",
               "Event loop lag p99 over the workers in the last second.") == 0 &&
        sbuf_printf(out, "wsgate_generator_loop_lag_p99_seconds %.6f\n",
                    g->loop_lag_p99_ms / 1000) == 0 &&
        family(out, "wsgate_generator_loop_lag_max_seconds", "gauge",
               "Largest event loop lag in the last second.") == 0 &&
        sbuf_printf(out, "wsgate_generator_loop_lag_max_seconds %.6f\n",
                    g->loop_lag_max_ms / 1000) == 0 &&
        family(out, "wsgate_generator_loop_lag_limit_seconds", "gauge",
               "Loop lag p99 above which a second counts as saturated.") == 0 &&
        sbuf_printf(out, "wsgate_generator_loop_lag_limit_seconds %.6f\n",
                    lv->lag_limit_ms / 1000) == 0 &&
        family(out, "wsgate_generator_saturated", "gauge",
               "1 when the last second was saturated (its latencies include runner delay).") == 0 &&
        sample(out, "wsgate_generator_saturated", NULL, NULL, g->saturated) == 0 &&
        family(out, "wsgate_generator_saturated_seconds_total", "counter",
               "Seconds so far in which the generator was saturated.") == 0 &&
        sample(out, "wsgate_generator_saturated_seconds_total", NULL, NULL, lv->saturated_secs) ==
            0 &&
        family(out, "wsgate_generator_cpu_seconds_total", "counter",
               "CPU time of the wsgate process, user and system.") == 0 &&
        sbuf_printf(out, "wsgate_generator_cpu_seconds_total %.3f\n", lv->cpu_s) == 0 &&
        family(out, "wsgate_generator_resident_memory_bytes", "gauge",
               "Resident memory of the wsgate process.") == 0 &&
        sbuf_printf(out, "wsgate_generator_resident_memory_bytes %.0f\n", g->rss_mb * 1048576.0) ==
            0;
    return ok ? 0 : -1;
}

static int counters(sbuf_t *out, const result_t *r)
{
    bool ok =
        family(out, "wsgate_connects_total", "counter",
               "WebSocket connects that succeeded or failed.") == 0 &&
        sample(out, "wsgate_connects_total", "result", "ok", r->steps[0].ok) == 0 &&
        sample(out, "wsgate_connects_total", "result", "failed", r->steps[0].failed) == 0 &&
        family(out, "wsgate_messages_sent_total", "counter", "Messages sent.") == 0 &&
        sample(out, "wsgate_messages_sent_total", NULL, NULL, r->msgs_sent) == 0 &&
        family(out, "wsgate_messages_received_total", "counter", "Messages received.") == 0 &&
        sample(out, "wsgate_messages_received_total", NULL, NULL, r->msgs_received) == 0 &&
        family(out, "wsgate_bytes_sent_total", "counter", "Message bytes sent.") == 0 &&
        sample(out, "wsgate_bytes_sent_total", NULL, NULL, r->bytes_sent) == 0 &&
        family(out, "wsgate_bytes_received_total", "counter", "Message bytes received.") == 0 &&
        sample(out, "wsgate_bytes_received_total", NULL, NULL, r->bytes_received) == 0;
    return ok ? 0 : -1;
}

/* wsgate_step_total{step="name",result="ok|failed"} */
static int step_totals(sbuf_t *out, const result_t *r)
{
    if (family(out, "wsgate_step_total", "counter",
               "Step attempts by result (connect is a step).") < 0)
        return -1;
    for (size_t i = 0; i < r->nsteps; i++)
        for (int failed = 0; failed < 2; failed++)
            if (sbuf_puts(out, "wsgate_step_total{step=\"") < 0 ||
                prom_label_value(out, r->steps[i].name) < 0 ||
                sbuf_printf(out, "\",result=\"%s\"} %" PRIu64 "\n", failed ? "failed" : "ok",
                            failed ? r->steps[i].failed : r->steps[i].ok) < 0)
                return -1;
    return 0;
}

/* name{step="..."<,le="...">} value: the series name up to the value. */
static int step_series(sbuf_t *out, const char *name, const char *step)
{
    if (sbuf_printf(out, "%s{step=\"", name) < 0 || prom_label_value(out, step) < 0)
        return -1;
    return sbuf_putc(out, '"');
}

/* Cumulative buckets from the log-linear histogram, +Inf == _count. */
static int step_histogram(sbuf_t *out, const res_step_t *st)
{
    uint64_t le_us[PROM_NLE], cum[PROM_NLE];
    for (size_t k = 0; k < PROM_NLE; k++)
        le_us[k] = (uint64_t)(prom_le_s[k] * 1e6 + 0.5);
    hist_counts_le(st->latency, le_us, PROM_NLE, cum);
    uint64_t count = hist_count(st->latency);
    const char *b = "wsgate_step_latency_seconds_bucket";
    for (size_t k = 0; k < PROM_NLE; k++)
        if (step_series(out, b, st->name) < 0 ||
            sbuf_printf(out, ",le=\"%g\"} %" PRIu64 "\n", prom_le_s[k], cum[k]) < 0)
            return -1;
    double sum_s = hist_mean(st->latency) * (double)count / 1e6;
    bool ok = step_series(out, b, st->name) == 0 &&
              sbuf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", count) == 0 &&
              step_series(out, "wsgate_step_latency_seconds_sum", st->name) == 0 &&
              sbuf_printf(out, "} %.6f\n", sum_s) == 0 &&
              step_series(out, "wsgate_step_latency_seconds_count", st->name) == 0 &&
              sbuf_printf(out, "} %" PRIu64 "\n", count) == 0;
    return ok ? 0 : -1;
}

static int latencies(sbuf_t *out, const result_t *r)
{
    if (family(out, "wsgate_step_latency_seconds", "histogram",
               "Latency of successful step attempts (connect: the upgrade).") < 0)
        return -1;
    for (size_t i = 0; i < r->nsteps; i++)
        if (step_histogram(out, &r->steps[i]) < 0)
            return -1;
    return 0;
}

static int errors(sbuf_t *out, const result_t *r)
{
    if (family(out, "wsgate_errors_total", "counter", "Errors by kind.") < 0)
        return -1;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (sample(out, "wsgate_errors_total", "kind", err_kind_name((err_kind_t)k),
                   r->errors[k].count) < 0)
            return -1;
    return 0;
}

int prom_render(sbuf_t *out, const live_run_t *run, const engine_live_t *lv)
{
    if (run_info(out, run) < 0 || gauges(out, lv) < 0 || (lv && generator(out, lv) < 0))
        return -1;
    const result_t *r = lv ? lv->sofar : NULL;
    if (!r || r->nsteps == 0)
        return 0;
    bool ok = counters(out, r) == 0 && step_totals(out, r) == 0 && latencies(out, r) == 0 &&
              errors(out, r) == 0;
    return ok ? 0 : -1;
}
