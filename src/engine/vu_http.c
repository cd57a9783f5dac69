/* vu_http: a user's http steps (a login before connecting, calls between messages). */
#include <stdio.h>

#include "base/clock.h"
#include "base/units.h"
#include "engine/http.h"
#include "engine/vu_internal.h"
#include "spec/pred.h"

static const char *step_label(const spec_step_t *st)
{
    return st->name ? st->name : "http";
}

/* Renders the headers as "Name: value\n" lines. */
static int render_http_headers(vu_t *vu, const spec_http_t *h, sbuf_t *out)
{
    for (size_t i = 0; i < h->nheaders; i++)
        if (vu_render(vu, h->headers[i], out) < 0 || sbuf_append(out, "\n", 1) < 0)
            return -1;
    return 0;
}

static void on_response(void *owner, http_call_t *call);
static void http_step_failed(vu_t *vu, uint64_t now);

/* Renders the step's URL, headers and body (NUL-terminated) and starts the
 * request. Returns 0, or -1 with a reason in err. */
static int send_request(vu_t *vu, const spec_http_t *h, sbuf_t b[3], char *err, size_t errlen)
{
    if (vu_render(vu, h->url, &b[0]) < 0 || render_http_headers(vu, h, &b[1]) < 0 ||
        (h->body && vu_render(vu, h->body, &b[2]) < 0) || sbuf_reserve(&b[0], 0) < 0 ||
        sbuf_reserve(&b[1], 0) < 0) {
        snprintf(err, errlen, "out of memory rendering the request");
        return -1;
    }
    http_req_t req = {
        .method = h->method,
        .url = b[0].data,
        .headers = b[1].data,
        .body = h->body ? (b[2].data ? b[2].data : "") : NULL,
        .body_len = b[2].len,
        .content_type = h->content_type,
        .iface = vu_iface(vu),
        .tls_flags = vu_tls_flags(vu->w->run->spec),
        .hosts = vu->w->run->spec->hosts,
    };
    return http_call_start(vu->http, vu->w->ctx, &req, on_response, vu, err, errlen);
}

/* Starts the step's request; the timer bounds it (http.timeout). */
void vu_http_start(vu_t *vu, const spec_step_t *st, uint64_t now)
{
    sbuf_t b[3] = { SBUF_INIT, SBUF_INIT, SBUF_INIT };
    char err[160] = "out of memory";
    vu->state = VU_HTTP;
    vu->t0 = now;
    vu_timer(vu, now + st->http->timeout_us);
    if (!vu->http)
        vu->http = http_call_new();
    int rc = vu->http ? send_request(vu, st->http, b, err, sizeof(err)) : -1;
    for (size_t i = 0; i < 3; i++)
        sbuf_free(&b[i]);
    if (rc < 0) {
        metrics_fail(vu->w->m, st->metric);
        metrics_error(vu->w->m, ERR_PROTOCOL, "%s: %s", step_label(st), err);
        http_step_failed(vu, now);
    }
}

static bool before_connect(const vu_t *vu)
{
    return vu->phase == PHASE_ON_START && vu->step < vu_scenario(vu)->npre_connect && !vu->wsi;
}

/* A failed login before connecting: retry the whole start after the
 * backoff; a failed http step while connected ends its block. */
static void http_step_failed(vu_t *vu, uint64_t now)
{
    if (before_connect(vu))
        vu_backoff(vu, now);
    else
        vu_step_failed(vu, now);
}

static void http_step_next(vu_t *vu, uint64_t now)
{
    if (!before_connect(vu)) {
        vu_step_done(vu, now);
        return;
    }
    vu->step++;
    if (vu->step < vu_scenario(vu)->npre_connect)
        vu_run(vu, now);
    else if (vu_run_over(vu, now) || now >= vu->stop_at)
        vu_schedule_next_interval(vu, now);
    else
        vu_connect(vu, now);
}

void vu_http_timed_out(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    char waited[32];
    http_call_cancel(vu->http, vu->w->in_tick);
    units_format_us((double)st->http->timeout_us, waited, sizeof(waited));
    metrics_fail(vu->w->m, st->metric);
    metrics_error(vu->w->m, ERR_TIMEOUT, "%s: no HTTP response within %s", step_label(st), waited);
    http_step_failed(vu, now);
}

/* Stores every capture of the step. Returns 0, or -1 when one found nothing. */
static int capture_response(vu_t *vu, const spec_step_t *st, const http_call_t *call)
{
    const spec_http_t *h = st->http;
    size_t blen;
    const char *body = http_call_body(call, &blen);
    cJSON *json = NULL;
    int rc = vu_ensure_slots(vu);
    for (size_t i = 0; rc == 0 && i < h->ncaptures; i++) {
        const spec_capture_t *cap = &h->captures[i];
        char *v;
        if (cap->cookie) {
            v = http_call_cookie(call, cap->cookie);
        } else {
            if (!json)
                json = cJSON_ParseWithLength(body, blen);
            v = vu_json_text(pred_path_value(cap->json, json));
        }
        rc = vu_store_capture(vu, cap, v, step_label(st), "found nothing in the response");
    }
    cJSON_Delete(json);
    return rc;
}

/* Error, status, then captures. Returns 0 when the step succeeded. */
static int check_response(vu_t *vu, const spec_step_t *st, const http_call_t *call)
{
    err_kind_t kind;
    const char *why;
    if (http_call_error(call, &kind, &why) < 0) {
        metrics_error(vu->w->m, kind, "%s: %s", step_label(st), why);
        return -1;
    }
    int status = http_call_status(call), want = st->http->expect_status;
    if (want ? status != want : (status < 200 || status > 299)) {
        metrics_error(vu->w->m, ERR_HTTP_STATUS, "%s: HTTP %d", step_label(st), status);
        return -1;
    }
    return capture_response(vu, st, call);
}

static void on_response(void *owner, http_call_t *call)
{
    vu_t *vu = owner;
    if (vu->w->finished || vu->state != VU_HTTP)
        return;
    uint64_t now = clock_mono_us();
    const spec_step_t *st = vu_current_step(vu);
    if (check_response(vu, st, call) < 0) {
        metrics_fail(vu->w->m, st->metric);
        http_step_failed(vu, now);
        return;
    }
    metrics_ok(vu->w->m, st->metric, now - vu->t0);
    http_step_next(vu, now);
}
