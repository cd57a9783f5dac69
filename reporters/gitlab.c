/* gitlab: the k6-summary-shaped JSON that GitLab's merge request widget
 * reads from an artifacts:reports:load_performance file. The widget shows
 * metrics.http_reqs.rate as RPS, metrics.http_req_waiting "p(90)" and
 * "p(95)" as TTFB P90/P95 and metrics.checks passes/fails as Checks. Here
 * a request is an attempt of the run's main step, its latency the
 * waiting time, and a check an assertion. Written on request only
 * (`report --format gitlab-load-performance`), not into --out DIR. */
#include "reporters/reporter.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* NaN and infinities have no JSON form: written as 0 (the widget wants
 * numbers). */
static bool add_num(cJSON *o, const char *key, double val)
{
    return cJSON_AddNumberToObject(o, key, isfinite(val) ? val : 0) != NULL;
}

/* k6's trend: avg, min, med, max, p(90), p(95), in milliseconds. */
static bool add_trend(cJSON *metrics, const char *key, const hist_t *h)
{
    cJSON *o = cJSON_AddObjectToObject(metrics, key);
    return o && add_num(o, "avg", hist_mean(h) / 1000.0) &&
           add_num(o, "min", (double)hist_min(h) / 1000.0) &&
           add_num(o, "med", (double)hist_percentile(h, 50) / 1000.0) &&
           add_num(o, "max", (double)hist_max(h) / 1000.0) &&
           add_num(o, "p(90)", (double)hist_percentile(h, 90) / 1000.0) &&
           add_num(o, "p(95)", (double)hist_percentile(h, 95) / 1000.0);
}

/* The main step's attempts and their rate over duration_s; its latency
 * when it has samples (otherwise the widget shows no TTFB). */
static bool add_requests(cJSON *metrics, const result_t *r)
{
    if (!r->nsteps)
        return true;
    const res_step_t *s = &r->steps[result_main_step(r)];
    double attempts = (double)s->ok + (double)s->failed;
    cJSON *reqs = cJSON_AddObjectToObject(metrics, "http_reqs");
    if (!reqs || !add_num(reqs, "count", attempts) ||
        !add_num(reqs, "rate", r->duration_s > 0 ? attempts / r->duration_s : 0))
        return false;
    if (!s->latency || !hist_count(s->latency))
        return true;
    return add_trend(metrics, "http_req_waiting", s->latency) &&
           add_trend(metrics, "http_req_duration", s->latency);
}

/* Left out without assertions: the widget would show 0 / 0 as NaN%. */
static bool add_checks(cJSON *metrics, const result_t *r)
{
    if (!r->nassertions)
        return true;
    size_t fails = result_failed_assertions(r), passes = r->nassertions - fails;
    cJSON *o = cJSON_AddObjectToObject(metrics, "checks");
    return o && add_num(o, "passes", (double)passes) && add_num(o, "fails", (double)fails) &&
           add_num(o, "value", (double)passes / (double)r->nassertions);
}

static int gitlab_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *metrics = root ? cJSON_AddObjectToObject(root, "metrics") : NULL;
    if (!metrics || !add_requests(metrics, r) || !add_checks(metrics, r)) {
        cJSON_Delete(root);
        root = NULL;
    }
    return reporter_write_json(root, out, err, errlen);
}

const reporter_t reporter_gitlab = {
    .name = "gitlab-load-performance",
    .filename = NULL,
    .write = gitlab_write,
};
