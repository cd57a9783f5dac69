/* proto_socketio: protocol socketio, Socket.IO v5 over Engine.IO v4 on one WebSocket; see proto.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/proto/proto.h"
#include "engine/proto/socketio.h"

#define SIO_QUERY "EIO=4&transport=websocket"

/* One connection's Engine.IO session and its namespace. */
typedef struct sio_conn {
    const spec_sio_conn_t *spec; /* the scenario's socketio: (borrowed) */
    bool opened;                 /* the open packet came */
    bool connected;              /* the namespace answered 40 */
    bool awaiting;               /* a step waits for the ack awaited */
    unsigned pending;            /* binary attachments still to come */
    uint64_t acks;               /* ack ids used on this connection */
    uint64_t awaited;
    uint64_t ping_limit_us; /* pingInterval + pingTimeout: a later ping is missing */
    uint64_t last_ping;     /* when the server last pinged (or opened) */
    size_t connect_len;     /* the namespace connect packet, sent after the open packet */
    char connect_pkt[1024];
} sio_conn_t;

/* The JSON payload of a packet, all of it (bytes after the value: NULL). */
static cJSON *parse_whole(const char *data, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, false);
    while (j && end < data + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (j && end != data + len) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int sio_open(void *st, const spec_scenario_t *sc, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    sio_conn_t *s = st;
    *s = (sio_conn_t){ .spec = sc->socketio };
    const char *nsp = s->spec ? s->spec->nsp : "/";
    sbuf_t pkt = SBUF_INIT;
    int rc = sbuf_puts(&pkt, "40");
    if (rc == 0 && strcmp(nsp, "/") != 0)
        rc = sbuf_printf(&pkt, "%s,", nsp);
    if (rc == 0 && s->spec && s->spec->auth)
        rc = tmpl_render(s->spec->auth, ctx, &pkt);
    if (rc == 0 && pkt.len <= sizeof(s->connect_pkt)) {
        memcpy(s->connect_pkt, pkt.data, pkt.len);
        s->connect_len = pkt.len;
    } else if (rc == 0) {
        rc = sbuf_append(out, pkt.data, pkt.len); /* too long to keep: it goes at once */
    }
    sbuf_free(&pkt);
    return rc < 0 ? -1 : 1;
}

/* The open packet 0{"sid":...,"pingInterval":...,"pingTimeout":...}:
 * answered with the namespace connect. */
static void on_open(sio_conn_t *s, const sio_packet_t *p, proto_rx_t *rx)
{
    cJSON *j = parse_whole(p->data, p->data_len);
    const cJSON *iv = cJSON_GetObjectItemCaseSensitive(j, "pingInterval");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(j, "pingTimeout");
    if (s->opened) {
        rx->event = PROTO_EV_BAD;
        snprintf(rx->why, sizeof(rx->why), "a second Engine.IO open packet");
    } else if (!cJSON_IsNumber(iv) || !cJSON_IsNumber(to) || iv->valuedouble <= 0 ||
               to->valuedouble < 0 || iv->valuedouble + to->valuedouble > 86400000.0) {
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why),
                 "Engine.IO open packet without a valid pingInterval and pingTimeout");
    } else {
        s->opened = true;
        s->ping_limit_us = (uint64_t)(iv->valuedouble + to->valuedouble) * 1000;
        s->last_ping = clock_mono_us();
        if (s->connect_len && rx->reply)
            sbuf_append(rx->reply, s->connect_pkt, s->connect_len);
    }
    cJSON_Delete(j);
}

/* 44{"message":...}: the namespace refused us. */
static void on_connect_error(const sio_packet_t *p, proto_rx_t *rx)
{
    cJSON *j = parse_whole(p->data, p->data_len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    rx->event = PROTO_EV_ERROR;
    if (cJSON_IsString(m))
        snprintf(rx->why, sizeof(rx->why), "Socket.IO connect error: %.160s", m->valuestring);
    else
        snprintf(rx->why, sizeof(rx->why), "Socket.IO connect error: %.*s",
                 (int)(p->data_len > 160 ? 160 : p->data_len), p->data);
    cJSON_Delete(j);
}

/* EVENT and ACK payloads: a JSON array, ["name", args...] for an event.
 * Returns {event, args} or {ack, args} (+ attachments), or NULL with rx
 * set to BAD. */
static cJSON *message_object(const sio_packet_t *p, bool ack, proto_rx_t *rx)
{
    cJSON *a = parse_whole(p->data, p->data_len);
    cJSON *o = NULL;
    if (!cJSON_IsArray(a) || (!ack && !cJSON_IsString(cJSON_GetArrayItem(a, 0)))) {
        rx->event = PROTO_EV_BAD;
        snprintf(rx->why, sizeof(rx->why), "Socket.IO %s packet whose data is not %s",
                 ack ? "ACK" : "EVENT", ack ? "an array" : "an array starting with a name");
        cJSON_Delete(a);
        return NULL;
    }
    if (!(o = cJSON_CreateObject()))
        goto fail;
    if (ack) {
        if (!cJSON_AddNumberToObject(o, "ack", (double)p->id))
            goto fail;
    } else {
        cJSON_AddItemToObject(o, "event", cJSON_DetachItemFromArray(a, 0));
    }
    cJSON_AddItemToObject(o, "args", a);
    if (p->attachments && !cJSON_AddNumberToObject(o, "attachments", p->attachments))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    if (!o)
        cJSON_Delete(a);
    return NULL;
}

/* An ACK: the awaited step's (the object goes on to the predicates), or a
 * stale one (dropped). */
static cJSON *on_ack(sio_conn_t *s, const sio_packet_t *p, proto_rx_t *rx)
{
    if (!p->has_id) {
        rx->event = PROTO_EV_BAD;
        snprintf(rx->why, sizeof(rx->why), "Socket.IO ACK packet without an id");
        return NULL;
    }
    if (!s->awaiting || p->id != s->awaited)
        return NULL;
    cJSON *o = message_object(p, true, rx);
    if (o)
        s->awaiting = false;
    return o;
}

/* A Socket.IO packet (Engine.IO message) of our namespace. */
static cJSON *on_sio(sio_conn_t *s, const sio_packet_t *p, proto_rx_t *rx)
{
    switch (p->type) {
    case '0':
        rx->event = s->connected ? PROTO_EV_NONE : PROTO_EV_OPENED;
        s->connected = true;
        return NULL;
    case '1':
        s->connected = false;
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why), "Socket.IO namespace %.60s disconnected by the server",
                 s->spec ? s->spec->nsp : "/");
        return NULL;
    case '4':
        on_connect_error(p, rx);
        return NULL;
    case '2':
    case '5':
        s->pending = p->attachments;
        return message_object(p, false, rx);
    default: /* '3', '6' */
        s->pending = p->attachments;
        return on_ack(s, p, rx);
    }
}

static cJSON *sio_rx(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    sio_conn_t *s = st;
    sio_packet_t p;
    if (s->pending) { /* a binary attachment of the packet before */
        s->pending--;
        return NULL;
    }
    if (sio_decode(msg, len, &p, rx->why, sizeof(rx->why)) < 0) {
        rx->event = PROTO_EV_BAD;
        return NULL;
    }
    const char *nsp = s->spec ? s->spec->nsp : "/";
    switch (p.eio) {
    case '0':
        on_open(s, &p, rx);
        return NULL;
    case '1':
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why), "Engine.IO close packet from the server");
        return NULL;
    case '2': /* ping: pong at once */
        s->last_ping = clock_mono_us();
        if (rx->reply)
            sbuf_putc(rx->reply, '3');
        cJSON *o = cJSON_CreateObject();
        if (o)
            cJSON_AddTrueToObject(o, "ping");
        return o;
    case '4':
        if (p.nsp_len != strlen(nsp) || memcmp(p.nsp, nsp, p.nsp_len) != 0)
            return NULL; /* another namespace's */
        return on_sio(s, &p, rx);
    default: /* pong, upgrade, noop */
        return NULL;
    }
}

/* EVENT 42[event, args...], with the next ack id when the step waits for it. */
static int sio_frame(void *st, const spec_step_t *step, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    sio_conn_t *s = st;
    const spec_sio_emit_t *e = step->emit;
    if (!e)
        return tmpl_render(step->send, ctx, out);
    sbuf_t args = SBUF_INIT;
    int rc = e->args ? tmpl_render(e->args, ctx, &args) : 0;
    if (e->ack) {
        s->awaited = s->acks++;
        s->awaiting = true;
    }
    if (rc == 0)
        rc = sio_put_event(out, s->spec ? s->spec->nsp : "/", e->ack, s->awaited, e->event,
                           args.data, args.len);
    sbuf_free(&args);
    return rc;
}

/* No ping for pingInterval + pingTimeout: the server is gone, as the real
 * client sees it (counted once per such silence). */
static uint64_t sio_keepalive(void *st, uint64_t now, sbuf_t *out, char *missed, size_t n)
{
    sio_conn_t *s = st;
    (void)out;
    missed[0] = '\0';
    if (!s->ping_limit_us)
        return 0;
    if (now > s->last_ping + s->ping_limit_us) {
        snprintf(missed, n,
                 "no Socket.IO ping from the server for %" PRIu64
                 " ms (pingInterval + pingTimeout: %" PRIu64 " ms)",
                 (now - s->last_ping) / 1000, s->ping_limit_us / 1000);
        s->last_ping = now;
    }
    return s->last_ping + s->ping_limit_us - now + 1000;
}

/* The URL's path is the Engine.IO endpoint: socketio.path when the URL has
 * none; EIO=4&transport=websocket added unless the query has EIO= already. */
static int sio_url_path(const spec_scenario_t *sc, const char *upath, char *out, size_t n)
{
    const char *base = sc->socketio ? sc->socketio->path : "/socket.io/";
    int w;
    if (strcmp(upath, "/") == 0 || upath[0] == '\0')
        w = snprintf(out, n, "%s?" SIO_QUERY, base);
    else if (strstr(upath, "EIO="))
        w = snprintf(out, n, "%s", upath);
    else
        w = snprintf(out, n, "%s%c" SIO_QUERY, upath, strchr(upath, '?') ? '&' : '?');
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* 41: the client leaves its namespace before the WebSocket closes, so the
 * server sees "client namespace disconnect", not "transport close". */
static int sio_close(void *st, sbuf_t *out)
{
    sio_conn_t *s = st;
    if (!s->connected)
        return 0;
    s->connected = false;
    const char *nsp = s->spec ? s->spec->nsp : "/";
    int rc = sbuf_puts(out, "41");
    if (rc == 0 && strcmp(nsp, "/") != 0)
        rc = sbuf_printf(out, "%s,", nsp);
    return rc < 0 ? -1 : 2;
}

const proto_t proto_socketio = {
    .name = "socketio",
    .state_size = sizeof(sio_conn_t),
    .parse_always = true,
    .open = sio_open,
    .parse = sio_rx,
    .frame = sio_frame,
    .keepalive = sio_keepalive,
    .close = sio_close,
    .url_path = sio_url_path,
};
