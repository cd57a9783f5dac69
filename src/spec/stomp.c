/* stomp: the keys of protocol stomp (the scenario's CONNECT, stomp: steps); see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOMP_HEARTBEAT_MAX_US 3600000000ull /* an hour: the header is in ms */

/* A header value STOMP's CONNECT frame cannot escape: a line break would
 * end the header. Returns 0 or -1 with c->err set. */
static int one_line(spec_ctx_t *c, const char *ypath, const char *v)
{
    if (v && strpbrk(v, "\r\n"))
        return diag_fail_at(c, ypath, "%s holds a line break, which a STOMP header cannot carry",
                            ypath);
    return 0;
}

/* An optional one-line template at base.key into *out (NULL when absent). */
static int conn_value(spec_ctx_t *c, const char *base, const char *key, const char *v, tmpl_t **out)
{
    char kpath[256];
    snprintf(kpath, sizeof(kpath), "%.200s.stomp.%s", base, key);
    if (!v)
        return 0;
    return one_line(c, kpath, v) < 0 ? -1 : field_tmpl(c, kpath, v, out);
}

int stomp_compile_conn(spec_ctx_t *c, const char *base, const raw_stomp_conn_t *r,
                       spec_scenario_t *out)
{
    static const raw_stomp_conn_t none = { 0 };
    char hpath[256];
    if (!r)
        r = &none;
    if (!(out->stomp = calloc(1, sizeof(*out->stomp))))
        return diag_oom(c);
    spec_stomp_conn_t *sc = out->stomp;
    if (conn_value(c, base, "login", r->login, &sc->login) < 0 ||
        conn_value(c, base, "passcode", r->passcode, &sc->passcode) < 0 ||
        conn_value(c, base, "host", r->host ? r->host : "/", &sc->host) < 0)
        return -1;
    snprintf(hpath, sizeof(hpath), "%.200s.stomp.heartbeat", base);
    if (r->heartbeat && field_duration(c, hpath, r->heartbeat, &sc->heartbeat_us) < 0)
        return -1;
    if (sc->heartbeat_us && (sc->heartbeat_us < 1000 || sc->heartbeat_us > STOMP_HEARTBEAT_MAX_US))
        return diag_fail_at(c, hpath,
                            "%s must be 1ms to 1h (or 0 for none); write e.g. "
                            "heartbeat: 10s",
                            hpath);
    if (sc->heartbeat_us && out->ping_interval_us)
        return diag_fail_at(c, hpath,
                            "%s and connect.ping_interval both keep the connection alive; keep "
                            "one (STOMP heart-beats are the protocol's own)",
                            hpath);
    return 0;
}

/* stomp.headers: extra "Name: value" lines of the frame. */
static int frame_headers(spec_ctx_t *c, const char *spath, const raw_stomp_step_t *r,
                         spec_stomp_frame_t *f)
{
    if (!r->headers_count)
        return 0;
    if (!(f->headers = calloc(r->headers_count, sizeof(*f->headers))))
        return diag_oom(c);
    f->nheaders = r->headers_count;
    for (unsigned i = 0; i < r->headers_count; i++) {
        char hpath[300];
        snprintf(hpath, sizeof(hpath), "%s.headers[%u]", spath, i);
        if (!field_is_header(r->headers[i]))
            return diag_fail_at(c, hpath,
                                "header \"%.60s\" is not \"Name: value\"; write e.g. "
                                "\"content-type: application/json\"",
                                r->headers[i]);
        if (one_line(c, hpath, r->headers[i]) < 0 ||
            field_tmpl(c, hpath, r->headers[i], &f->headers[i]) < 0)
            return -1;
    }
    return 0;
}

/* nack_if: a predicate on each MESSAGE of the subscription (no templates:
 * it is evaluated by the protocol, outside any user); needs an ack mode
 * that acknowledges. */
static int compile_nack_if(spec_ctx_t *c, const char *spath, const char *src, spec_stomp_frame_t *f)
{
    char kpath[300], why[1024];
    snprintf(kpath, sizeof(kpath), "%s.nack_if", spath);
    if (strcmp(f->ack, "auto") == 0)
        return diag_fail_at(c, kpath,
                            "%s needs messages that are acknowledged; add ack: client-individual "
                            "(or client)",
                            kpath);
    if (!(f->nack_if = pred_compile(src, why, sizeof(why))))
        return diag_fail_at(c, kpath, "bad predicate in %s: %s", kpath, why);
    return 0;
}

/* SUBSCRIBE's id, ack and nack_if. */
static int subscribe_keys(spec_ctx_t *c, const char *spath, const raw_stomp_step_t *r,
                          spec_stomp_frame_t *f)
{
    char kpath[300];
    snprintf(kpath, sizeof(kpath), "%s.body", spath);
    if (r->body)
        return diag_fail_at(c, kpath, "%s: a SUBSCRIBE frame has no body; remove body:", kpath);
    snprintf(kpath, sizeof(kpath), "%s.ack", spath);
    const char *ack = r->ack ? r->ack : "auto";
    if (strcmp(ack, "auto") != 0 && strcmp(ack, "client") != 0 &&
        strcmp(ack, "client-individual") != 0)
        return diag_fail_at(c, kpath, "%s \"%.40s\" is not auto, client or client-individual",
                            kpath, ack);
    snprintf(kpath, sizeof(kpath), "%s.id", spath);
    if (one_line(c, kpath, r->id) < 0)
        return -1;
    f->id = diag_strdup(c, r->id ? r->id : "sub-0");
    f->ack = f->id ? diag_strdup(c, ack) : NULL;
    if (!f->ack)
        return -1;
    return r->nack_if ? compile_nack_if(c, spath, r->nack_if, f) : 0;
}

/* The frame of a stomp: step: SUBSCRIBE (subscribe:) or SEND (send:). */
static int compile_frame(spec_ctx_t *c, const char *spath, const raw_stomp_step_t *r,
                         spec_stomp_frame_t *f)
{
    char kpath[300];
    if (!r->subscribe == !r->send)
        return diag_fail_at(c, spath,
                            "%s needs exactly one of subscribe: and send:; write e.g. stomp: "
                            "{subscribe: /topic/x} or stomp: {send: /topic/x, body: '...'}",
                            spath);
    f->command = r->subscribe ? SPEC_STOMP_SUBSCRIBE : SPEC_STOMP_SEND;
    snprintf(kpath, sizeof(kpath), "%s.%s", spath, r->subscribe ? "subscribe" : "send");
    const char *dest = r->subscribe ? r->subscribe : r->send;
    if (one_line(c, kpath, dest) < 0 || field_tmpl(c, kpath, dest, &f->destination) < 0)
        return -1;
    if (frame_headers(c, spath, r, f) < 0)
        return -1;
    if (f->command == SPEC_STOMP_SUBSCRIBE)
        return subscribe_keys(c, spath, r, f);
    snprintf(kpath, sizeof(kpath), "%s.id", spath);
    if (r->id || r->ack || r->nack_if)
        return diag_fail_at(c, kpath, "%s: id, ack and nack_if belong to subscribe:", spath);
    snprintf(kpath, sizeof(kpath), "%s.body", spath);
    return r->body ? field_tmpl_bytes(c, kpath, r->body, &f->body) : 0;
}

/* receipt: true: the step waits for its RECEIPT (stomp.timeout, 10s). */
static int compile_receipt(spec_ctx_t *c, const char *spath, const raw_step_t *st, spec_step_t *out)
{
    char tpath[300], why[256];
    snprintf(tpath, sizeof(tpath), "%s.timeout", spath);
    if (!st->stomp->receipt)
        return st->stomp->timeout ? diag_fail_at(c, tpath,
                                                 "%s times a receipt; add receipt: true (or "
                                                 "remove timeout:)",
                                                 tpath)
                                  : 0;
    if (st->expect)
        return diag_fail_at(c, spath,
                            "%s: receipt: true times the step to its RECEIPT; put the expect "
                            "in a step of its own",
                            spath);
    if (!(out->expect_src = diag_strdup(c, "RECEIPT")))
        return -1;
    if (!(out->expect = pred_compile("command == \"RECEIPT\"", why, sizeof(why))))
        return diag_oom(c);
    out->latency_unit_us = 1000;
    return field_timeout(c, tpath, st->stomp->timeout, &out->expect_timeout_us);
}

int stomp_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char spath[256];
    snprintf(spath, sizeof(spath), "%.200s.stomp", ypath);
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (c->protocol != SPEC_PROTO_STOMP)
        return diag_fail_at(c, spath, "%s is a STOMP frame; add protocol: stomp to the scenario",
                            spath);
    if (st->send || st->send_binary || st->sleep || st->close || st->http || st->reconnect)
        return diag_fail_at(c, ypath,
                            "%s has stomp beside send, send_binary, sleep, close, http or "
                            "reconnect; make the stomp frame a step of its own",
                            ypath);
    if (!(out->stomp = calloc(1, sizeof(*out->stomp))))
        return diag_oom(c);
    out->stomp->receipt = st->stomp->receipt;
    if (compile_frame(c, spath, st->stomp, out->stomp) < 0 ||
        step_compile_send_expect(c, ypath, st->name, "", st->expect, NULL, out) < 0)
        return -1;
    return compile_receipt(c, spath, st, out);
}
