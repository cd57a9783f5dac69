/* observe: the spec's observe: section, the server metrics a run scrapes;
 * see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "result/observed.h"

#define OBSERVE_DEFAULT_INTERVAL_US 5000000ull
#define OBSERVE_MIN_INTERVAL_US 100000ull

/* observe[i].prometheus: a constant http:// or https:// URL the host rules
 * allow (https:// is checked with the spec's tls: settings). */
static int compile_url(spec_ctx_t *c, const char *ypath, const char *src, char **out)
{
    tmpl_t *t = NULL;
    sbuf_t b = SBUF_INIT;
    int rc = -1;
    if (field_tmpl(c, ypath, src, &t) < 0)
        return -1;
    if (!tmpl_is_constant(t)) {
        diag_fail_at(c, ypath,
                     "%s renders the same for the whole run: use spec variables, env.NAME "
                     "and target_http only, e.g. \"{{target_http}}/metrics\"",
                     ypath);
        goto out;
    }
    if (field_url(c, ypath, t, false) < 0)
        goto out;
    if (tmpl_render(t, NULL, &b) < 0) {
        diag_oom(c);
        goto out;
    }
    *out = b.data;
    b.data = NULL;
    rc = 0;
out:
    sbuf_free(&b);
    tmpl_free(t);
    return rc;
}

/* True when name is a selector of an entry before entry `upto` (or of
 * this one before metric `k`). */
static bool seen_before(const spec_t *s, size_t upto, size_t k, const char *name)
{
    for (size_t i = 0; i <= upto && i < s->nobserve; i++)
        for (size_t j = 0; j < (i == upto ? k : s->observe[i].nmetrics); j++)
            if (strcmp(s->observe[i].metrics[j], name) == 0)
                return true;
    return false;
}

static int compile_metrics(spec_ctx_t *c, size_t i, const raw_observe_t *r)
{
    spec_observe_t *o = &c->s->observe[i];
    o->metrics = calloc(r->metrics_count, sizeof(char *));
    if (!o->metrics)
        return diag_oom(c);
    for (unsigned k = 0; k < r->metrics_count; k++) {
        char ypath[80], norm[1024], why[256];
        snprintf(ypath, sizeof(ypath), "observe[%zu].metrics[%u]", i, k);
        if (obs_selector_norm(r->metrics[k], norm, sizeof(norm), why, sizeof(why)) < 0)
            return diag_fail_at(c, ypath,
                                "%s: %s; write a metric name, optionally with labels, e.g. "
                                "http_requests_total{code=\"500\"}",
                                ypath, why);
        if (seen_before(c->s, i, k, norm))
            return diag_fail_at(c, ypath, "%s: %s is observed twice; keep one", ypath, norm);
        if (!(o->metrics[k] = diag_strdup(c, norm)))
            return -1;
        o->nmetrics++;
    }
    return 0;
}

static int compile_one(spec_ctx_t *c, size_t i, const raw_observe_t *r)
{
    spec_observe_t *o = &c->s->observe[i];
    char ypath[64];
    snprintf(ypath, sizeof(ypath), "observe[%zu]", i);
    o->line = yloc_line(c->root, ypath);
    o->interval_us = OBSERVE_DEFAULT_INTERVAL_US;
    snprintf(ypath, sizeof(ypath), "observe[%zu].prometheus", i);
    if (compile_url(c, ypath, r->prometheus, &o->url) < 0)
        return -1;
    snprintf(ypath, sizeof(ypath), "observe[%zu].interval", i);
    if (r->interval && field_duration(c, ypath, r->interval, &o->interval_us) < 0)
        return -1;
    if (o->interval_us < OBSERVE_MIN_INTERVAL_US)
        return diag_fail_at(c, ypath, "%s is at least 100ms, e.g. interval: 5s", ypath);
    return compile_metrics(c, i, r);
}

int observe_compile(spec_ctx_t *c, const raw_spec_t *raw)
{
    spec_t *s = c->s;
    if (raw->observe_count == 0)
        return 0;
    s->observe = calloc(raw->observe_count, sizeof(*s->observe));
    if (!s->observe)
        return diag_oom(c);
    for (unsigned i = 0; i < raw->observe_count; i++) {
        s->nobserve++;
        if (compile_one(c, i, &raw->observe[i]) < 0)
            return -1;
    }
    return 0;
}

int observe_check_assertion(const spec_t *s, const asrt_t *a, char *why, size_t whylen)
{
    if (!asrt_is_server(a))
        return 0;
    size_t n = 0, used = 0;
    for (size_t i = 0; i < s->nobserve; i++)
        for (size_t k = 0; k < s->observe[i].nmetrics; k++) {
            if (strcmp(s->observe[i].metrics[k], a->metric) == 0)
                return 0;
            n++;
        }
    if (n == 0) {
        snprintf(why, whylen,
                 "server.%s is not observed: add an observe: entry, e.g. observe: "
                 "[{prometheus: \"{{target_http}}/metrics\", metrics: [%s]}]",
                 a->metric, a->metric);
        return -1;
    }
    used = (size_t)snprintf(why, whylen, "unknown metric \"server.%s\"; observed: ", a->metric);
    for (size_t i = 0; i < s->nobserve; i++)
        for (size_t k = 0; k < s->observe[i].nmetrics && used < whylen; k++)
            used += (size_t)snprintf(why + used, whylen - used, "%sserver.%s", i + k ? ", " : "",
                                     s->observe[i].metrics[k]);
    return -1;
}
