/* socketio: the keys of protocol socketio (the scenario's socketio:, emit: steps); see spec_int.h.
 */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* True when s, blanks aside, starts with open and ends with close. */
static bool bracketed(const char *s, char open, char close)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n >= 2 && s[0] == open && s[n - 1] == close;
}

/* A JSON value of the packet (auth: an object, args: an array): checked
 * whole when it has no template, by its brackets otherwise. */
static int json_tmpl(spec_ctx_t *c, const char *kpath, const char *v, bool object, tmpl_t **out)
{
    const char *want = object ? "an object" : "an array";
    const char *eg = object ? "auth: '{\"token\": \"{{token}}\"}'" : "args: '[{\"msg\": \"hi\"}]'";
    if (!bracketed(v, object ? '{' : '[', object ? '}' : ']'))
        return diag_fail_at(c, kpath, "%s must be %s in JSON; write e.g. %s", kpath, want, eg);
    if (field_tmpl(c, kpath, v, out) < 0)
        return -1;
    if (!tmpl_is_constant(*out))
        return 0;
    cJSON *j = cJSON_Parse(v);
    bool ok = object ? cJSON_IsObject(j) : cJSON_IsArray(j);
    cJSON_Delete(j);
    return ok ? 0
              : diag_fail_at(c, kpath, "%s is not valid JSON (%s); write e.g. %s", kpath, want, eg);
}

/* socketio.path: where the Engine.IO endpoint is, "/socket.io/" by default. */
static int conn_path(spec_ctx_t *c, const char *base, const char *v, spec_sio_conn_t *sc)
{
    char kpath[256];
    snprintf(kpath, sizeof(kpath), "%.200s.socketio.path", base);
    if (!v)
        v = "/socket.io/";
    if (v[0] != '/' || strpbrk(v, "?# \t\r\n"))
        return diag_fail_at(c, kpath,
                            "%s \"%.60s\" is not a path; write e.g. path: /socket.io/ (the query "
                            "EIO=4&transport=websocket is added)",
                            kpath, v);
    sc->path = diag_strdup(c, v);
    return sc->path ? 0 : -1;
}

/* socketio.namespace: "/" by default, else "/name" (no comma: it ends the
 * namespace in a packet). */
static int conn_nsp(spec_ctx_t *c, const char *base, const char *v, spec_sio_conn_t *sc)
{
    char kpath[256];
    snprintf(kpath, sizeof(kpath), "%.200s.socketio.namespace", base);
    if (!v)
        v = "/";
    if (v[0] != '/' || strpbrk(v, ", \t\r\n\"\\"))
        return diag_fail_at(c, kpath,
                            "%s \"%.60s\" is not a namespace; write e.g. namespace: /chat "
                            "(a slash, no comma, quote or blank)",
                            kpath, v);
    sc->nsp = diag_strdup(c, v);
    return sc->nsp ? 0 : -1;
}

int sio_compile_conn(spec_ctx_t *c, const char *base, const raw_sio_conn_t *r, spec_scenario_t *out)
{
    static const raw_sio_conn_t none = { 0 };
    char kpath[256];
    if (!r)
        r = &none;
    if (!(out->socketio = calloc(1, sizeof(*out->socketio))))
        return diag_oom(c);
    spec_sio_conn_t *sc = out->socketio;
    if (conn_path(c, base, r->path, sc) < 0 || conn_nsp(c, base, r->nsp, sc) < 0)
        return -1;
    snprintf(kpath, sizeof(kpath), "%.200s.socketio.auth", base);
    if (r->auth && json_tmpl(c, kpath, r->auth, true, &sc->auth) < 0)
        return -1;
    snprintf(kpath, sizeof(kpath), "%.200s.connect.ping_interval", base);
    if (out->ping_interval_us)
        return diag_fail_at(c, kpath,
                            "%s: Socket.IO keeps the connection alive itself (the server pings, "
                            "wsgate answers); remove ping_interval",
                            kpath);
    return 0;
}

/* emit.event as a JSON string; the names Socket.IO reserves are refused. */
static int compile_event(spec_ctx_t *c, const char *spath, const char *ev, spec_sio_emit_t *e)
{
    static const char *const reserved[] = { "connect",       "connect_error", "disconnect",
                                            "disconnecting", "newListener",   "removeListener" };
    char kpath[300];
    snprintf(kpath, sizeof(kpath), "%s.event", spath);
    if (!ev[0])
        return diag_fail_at(c, kpath, "%s is empty; write e.g. event: chat", kpath);
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(ev, reserved[i]) == 0)
            return diag_fail_at(c, kpath,
                                "%s \"%s\" is reserved by Socket.IO and cannot be emitted; pick "
                                "another name",
                                kpath, ev);
    cJSON *s = cJSON_CreateString(ev);
    e->event = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    return e->event ? 0 : diag_oom(c);
}

/* ack: true: the step waits for its ACK (emit.timeout, 10s). */
static int compile_ack(spec_ctx_t *c, const char *spath, const raw_step_t *st, spec_step_t *out)
{
    char tpath[300], why[256];
    snprintf(tpath, sizeof(tpath), "%s.timeout", spath);
    if (!st->emit->ack)
        return st->emit->timeout
                   ? diag_fail_at(c, tpath, "%s times an ack; add ack: true (or remove timeout:)",
                                  tpath)
                   : 0;
    if (st->expect)
        return diag_fail_at(c, spath,
                            "%s: ack: true times the step to its ack; put the expect in a step "
                            "of its own",
                            spath);
    if (!(out->expect_src = diag_strdup(c, "ACK")))
        return -1;
    if (!(out->expect = pred_compile("ack", why, sizeof(why))))
        return diag_oom(c);
    out->latency_unit_us = 1000;
    return field_timeout(c, tpath, st->emit->timeout, &out->expect_timeout_us);
}

int sio_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char spath[256], kpath[300];
    snprintf(spath, sizeof(spath), "%.200s.emit", ypath);
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (c->protocol != SPEC_PROTO_SOCKETIO)
        return diag_fail_at(
            c, spath, "%s is a Socket.IO event; add protocol: socketio to the scenario", spath);
    if (st->send || st->send_binary || st->sleep || st->close || st->http || st->reconnect ||
        st->stomp)
        return diag_fail_at(c, ypath,
                            "%s has emit beside send, send_binary, sleep, close, http, reconnect "
                            "or stomp; make the emit a step of its own",
                            ypath);
    if (!(out->emit = calloc(1, sizeof(*out->emit))))
        return diag_oom(c);
    out->emit->ack = st->emit->ack;
    snprintf(kpath, sizeof(kpath), "%s.args", spath);
    if (compile_event(c, spath, st->emit->event, out->emit) < 0 ||
        (st->emit->args && json_tmpl(c, kpath, st->emit->args, false, &out->emit->args) < 0) ||
        step_compile_send_expect(c, ypath, st->name, "", st->expect, NULL, out) < 0)
        return -1;
    return compile_ack(c, spath, st, out);
}
