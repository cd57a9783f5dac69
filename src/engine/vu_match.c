/* vu_match: a user's received messages: reassembly, counts, expect matching, captures. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/vu_internal.h"
#include "spec/pred.h"

#define MAX_MESSAGE_BYTES (1u << 20) /* a hostile server must not exhaust memory */

/* A captured JSON value as text: strings as they are, numbers and
 * booleans printed; NULL for anything else. */
char *vu_json_text(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        /* the range check first: converting 1e308 to long long is undefined */
        if (d >= (double)LLONG_MIN && d < (double)LLONG_MAX && d == (double)(long long)d)
            snprintf(buf, sizeof(buf), "%lld", (long long)d);
        else
            snprintf(buf, sizeof(buf), "%.17g", d);
        return strdup(buf);
    }
    if (cJSON_IsBool(v))
        return strdup(cJSON_IsTrue(v) ? "true" : "false");
    return NULL;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

int vu_ensure_slots(vu_t *vu)
{
    size_t n = vu_scenario(vu)->nslots;
    if (!vu->slots && n)
        vu->slots = calloc(n, sizeof(*vu->slots));
    return vu->slots || !n ? 0 : -1;
}

/* Stores v (owned) in cap's slot, or counts a protocol error naming the
 * field, never the value, and frees v. Returns 0, or -1 on the error. */
int vu_store_capture(vu_t *vu, const spec_capture_t *cap, char *v, const char *label,
                     const char *missing)
{
    if (!v || has_control(v)) { /* CR/LF would split a header line */
        metrics_error(vu->w->m, ERR_PROTOCOL, "%s: capture %s %s", label, cap->src,
                      v ? "holds control characters" : missing);
        free(v);
        return -1;
    }
    free(vu->slots[cap->slot]);
    vu->slots[cap->slot] = v;
    return 0;
}

/* Latency of a pushed message: wall clock now minus the timestamp field the
 * server (or the sender) put in it. Clock skew below zero counts as 0. */
static int push_latency(vu_t *vu, const spec_step_t *st, const cJSON *json, const char *msg,
                        size_t len, uint64_t *latency)
{
    double ts;
    if (!pred_path_number(st->latency_from, json, &ts) || ts < 0) {
        metrics_fail(vu->w->m, st->metric);
        metrics_error_data(vu->w->m, ERR_PROTOCOL, msg, len,
                           "%s: latency_from field '%s' is missing or not a number: ",
                           st->name ? st->name : "step", st->latency_from_src);
        return -1;
    }
    double sent_us = ts * (double)st->latency_unit_us;
    double now = (double)clock_wall_us();
    *latency = now > sent_us ? (uint64_t)(now - sent_us) : 0;
    return 0;
}

/* expect.capture / count capture: stores the fields of a matched message
 * in the user's slots; the error sample names the field, not the value.
 * Returns 0, or -1 when one found nothing (earlier values are kept). */
static int msg_capture(vu_t *vu, const spec_step_t *st, const cJSON *json)
{
    int rc = vu_ensure_slots(vu);
    for (size_t i = 0; rc == 0 && i < st->ncaptures; i++) {
        const spec_capture_t *cap = &st->captures[i];
        rc = vu_store_capture(vu, cap, vu_json_text(pred_path_value(cap->json, json)),
                              st->name ? st->name : "step",
                              "found no string, number or boolean in the message");
    }
    return rc;
}

/* p on json, its templates ('id == "{{op_id}}"') rendered for this user
 * as it is now (captures included). */
static bool user_pred(vu_t *vu, const pred_t *p, const cJSON *json)
{
    tmpl_ctx_t ctx;
    vu_tmpl_ctx(vu, &ctx);
    return pred_eval_for(p, json, &ctx);
}

static void match_message(vu_t *vu, const cJSON *json, const char *msg, size_t len)
{
    const spec_step_t *st = vu_current_step(vu);
    bool hit = user_pred(vu, st->expect, json);
    bool bad = !hit && st->fail_if && user_pred(vu, st->fail_if, json);
    uint64_t now = clock_mono_us();
    uint64_t latency = now - vu->t0;
    int lat_rc = hit && st->latency_from ? push_latency(vu, st, json, msg, len, &latency) : 0;
    if (bad) {
        metrics_fail(vu->w->m, st->metric);
        metrics_error_data(vu->w->m, ERR_UNEXPECTED_MESSAGE, msg, len,
                           "%s: got a message matching '%s': ", st->name ? st->name : "step",
                           st->fail_if_src);
        vu_step_failed(vu, now);
        return;
    }
    if (!hit)
        return; /* other traffic: counted as received, not a failure */
    if (lat_rc < 0) {
        vu_step_failed(vu, now);
        return;
    }
    if (st->ncaptures && msg_capture(vu, st, json) < 0) {
        metrics_fail(vu->w->m, st->metric);
        vu_step_failed(vu, now);
        return;
    }
    metrics_ok(vu->w->m, st->metric, latency);
    vu_step_done(vu, now);
}

/* The scenario's count: entries see every message, whatever the user does. */
static void count_message(vu_t *vu, const cJSON *json, const char *msg, size_t len)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    for (size_t i = 0; i < sc->ncounts; i++) {
        const spec_step_t *cnt = &sc->counts[i];
        uint64_t latency;
        if (!user_pred(vu, cnt->expect, json))
            continue;
        if (cnt->ncaptures)
            msg_capture(vu, cnt, json); /* a miss is a protocol error; counted all the same */
        if (!cnt->latency_from)
            vu->w->m->ok[cnt->metric]++; /* counted, no latency sample */
        else if (push_latency(vu, cnt, json, msg, len, &latency) == 0)
            metrics_ok(vu->w->m, cnt->metric, latency);
    }
}

/* Parses a complete message once, through the scenario's protocol, for
 * the counts and the awaited step (json: cJSON_ParseWithLength, no copy). */
static void on_message(vu_t *vu, const char *msg, size_t len)
{
    const proto_t *pr = vu_proto(vu);
    bool awaiting = vu->state == VU_AWAITING;
    /* after the end, only replies to requests sent before it are measured */
    bool wanted = awaiting || (vu_scenario(vu)->ncounts && !vu->w->ending);
    if (!wanted && !pr->parse_always)
        return;
    sbuf_t reply = SBUF_INIT;
    proto_rx_t rx = { .event = PROTO_EV_NONE, .reply = &reply, .metric = -1 };
    cJSON *json = pr->parse(vu->pstate, msg, len, &rx);
    if (rx.metric >= 0)
        metrics_ok(vu->w->m, rx.metric, rx.latency_us);
    if (reply.len)
        vu_proto_reply(vu, reply.data, reply.len);
    sbuf_free(&reply);
    if (rx.event != PROTO_EV_NONE || !wanted) {
        if (rx.event != PROTO_EV_NONE)
            vu_proto_event(vu, &rx, msg, len);
        cJSON_Delete(json);
        return;
    }
    count_message(vu, json, msg, len);
    if (awaiting)
        match_message(vu, json, msg, len);
    cJSON_Delete(json);
}

void vu_receive(vu_t *vu, struct lws *wsi, const char *in, size_t len)
{
    metrics_t *m = vu->w->m;
    m->bytes_received += len;
    vu->conn_rx += len;
    bool final = lws_is_final_fragment(wsi);
    if (vu->rx_oversize || vu->rx.len + len > MAX_MESSAGE_BYTES) {
        if (!vu->rx_oversize)
            metrics_error(m, ERR_PROTOCOL, "connection (%s): message over %u bytes dropped",
                          vu_scenario(vu)->name, MAX_MESSAGE_BYTES);
        sbuf_free(&vu->rx);
        vu->rx_oversize = !final;
        return;
    }
    if (!final || vu->rx.len) {
        if (sbuf_append(&vu->rx, in, len) < 0) {
            sbuf_free(&vu->rx);
            return;
        }
        if (!final)
            return;
        in = vu->rx.data;
        len = vu->rx.len;
    }
    m->received++;
    on_message(vu, in, len);
    if (vu->rx.cap > 65536)
        sbuf_free(&vu->rx);
    else
        sbuf_truncate(&vu->rx, 0);
}
