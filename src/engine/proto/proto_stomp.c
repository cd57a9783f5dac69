/* proto_stomp: protocol stomp, STOMP 1.2 over WebSocket (one frame per message); see proto.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/proto/proto.h"
#include "engine/proto/stomp.h"

#define BYE_RECEIPT "wsgate-bye"
/* STOMP 1.0/1.1 subscriptions with ack: client(-individual) per connection
 * (a 1.2 MESSAGE says itself that it needs an ACK: its ack header) */
#define MAX_ACK_SUBS 16

/* One connection's STOMP session. */
typedef struct stomp_conn {
    const spec_stomp_conn_t *spec; /* the scenario's stomp: (borrowed) */
    int version;                   /* 10, 11 or 12: from CONNECTED */
    bool connected;
    uint32_t receipts;      /* receipts asked for on this connection */
    char awaited[24];       /* the receipt-id a step waits for, "" for none */
    uint64_t send_every_us; /* negotiated heart-beats: ours, 0 = none */
    uint64_t recv_every_us; /* and the server's */
    uint64_t next_tx;       /* when our next heart-beat is due (monotonic us) */
    uint64_t last_rx;       /* when the server last sent anything */
    /* this connection's subscriptions whose messages we ACK (or NACK):
     * the spec's SUBSCRIBE frames (borrowed) */
    const spec_stomp_frame_t *ack_subs[MAX_ACK_SUBS];
    unsigned nack_subs;
} stomp_conn_t;

/* Appends a header whose value is the rendering of t. */
static int put_tmpl_header(sbuf_t *out, const char *name, const tmpl_t *t, const tmpl_ctx_t *ctx,
                           bool escape, sbuf_t *tmp)
{
    sbuf_truncate(tmp, 0);
    if (tmpl_render(t, ctx, tmp) < 0)
        return -1;
    return stomp_put_header(out, name, tmp->data, tmp->len, escape);
}

static int stomp_open(void *st, const spec_scenario_t *sc, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    stomp_conn_t *s = st;
    *s = (stomp_conn_t){ .spec = sc->stomp, .version = 12, .last_rx = clock_mono_us() };
    const spec_stomp_conn_t *c = sc->stomp;
    sbuf_t tmp = SBUF_INIT;
    uint64_t hb_ms = c ? c->heartbeat_us / 1000 : 0;
    int rc = sbuf_puts(out, "CONNECT\naccept-version:1.2,1.1,1.0\n");
    if (rc == 0 && c && c->host)
        rc = put_tmpl_header(out, "host", c->host, ctx, false, &tmp);
    if (rc == 0 && c && c->login)
        rc = put_tmpl_header(out, "login", c->login, ctx, false, &tmp);
    if (rc == 0 && c && c->passcode)
        rc = put_tmpl_header(out, "passcode", c->passcode, ctx, false, &tmp);
    if (rc == 0)
        rc = sbuf_printf(out, "heart-beat:%" PRIu64 ",%" PRIu64 "\n\n", hb_ms, hb_ms);
    if (rc == 0)
        rc = sbuf_append(out, "", 1); /* the frame's NUL */
    sbuf_free(&tmp);
    return rc < 0 ? -1 : 1;
}

/* heart-beat:sx,sy of CONNECTED against ours (cx = cy = stomp.heartbeat). */
static void negotiate(stomp_conn_t *s, const cJSON *headers)
{
    const cJSON *hb = cJSON_GetObjectItemCaseSensitive(headers, "heart-beat");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(headers, "version");
    unsigned long long sx = 0, sy = 0, c = s->spec ? s->spec->heartbeat_us / 1000 : 0;
    if (cJSON_IsString(v))
        s->version = strcmp(v->valuestring, "1.0") == 0   ? 10
                     : strcmp(v->valuestring, "1.1") == 0 ? 11
                                                          : 12;
    if (cJSON_IsString(hb) && sscanf(hb->valuestring, "%llu,%llu", &sx, &sy) != 2)
        sx = sy = 0;
    s->send_every_us = c && sy ? 1000ull * (c > sy ? c : sy) : 0;
    s->recv_every_us = c && sx ? 1000ull * (c > sx ? c : sx) : 0;
    s->next_tx = clock_mono_us() + s->send_every_us;
}

/* The ERROR frame's message header, else the start of its body. */
static void error_text(const cJSON *f, proto_rx_t *rx)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "headers");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "message");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(f, "body");
    const char *why = cJSON_IsString(m) ? m->valuestring : cJSON_IsString(b) ? b->valuestring : "";
    snprintf(rx->why, sizeof(rx->why), "STOMP ERROR: %.180s", why);
}

/* RECEIPT: the goodbye's, the awaited step's (the object goes on to the
 * predicates), or a stale one (dropped). */
static cJSON *on_receipt(stomp_conn_t *s, cJSON *f, proto_rx_t *rx)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "headers");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "receipt-id");
    const char *v = cJSON_IsString(id) ? id->valuestring : "";
    if (strcmp(v, BYE_RECEIPT) == 0) {
        rx->event = PROTO_EV_CLOSED;
    } else if (s->awaited[0] && strcmp(v, s->awaited) == 0) {
        s->awaited[0] = '\0';
        return f;
    }
    cJSON_Delete(f);
    return NULL;
}

static const char *header(const cJSON *f, const char *name)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "headers");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The SUBSCRIBE frame (with an ack mode that acknowledges) of id, or NULL. */
static const spec_stomp_frame_t *acked_sub(const stomp_conn_t *s, const char *id)
{
    for (unsigned i = 0; id && i < s->nack_subs; i++)
        if (strcmp(s->ack_subs[i]->id, id) == 0)
            return s->ack_subs[i];
    return NULL;
}

/* A MESSAGE of a subscription with ack: client or client-individual is
 * acknowledged at once (1.2: by its ack header, present exactly then; 1.1:
 * subscription and message-id; 1.0: message-id), else the broker stops
 * delivering once its prefetch is used up. One that matches the
 * subscription's nack_if gets NACK instead (1.1 and 1.2; STOMP 1.0 has no
 * NACK: ACK). Returns 0, or -1 when out of memory. */
static int ack_message(const stomp_conn_t *s, const cJSON *f, sbuf_t *out)
{
    const char *sub = header(f, "subscription"), *ack = header(f, "ack");
    const char *mid = header(f, "message-id");
    const spec_stomp_frame_t *frame = acked_sub(s, sub);
    if (!out || (s->version >= 12 ? !ack : !frame))
        return 0;
    bool nack = s->version >= 11 && frame && frame->nack_if && pred_eval(frame->nack_if, f);
    const char *cmd = nack ? "NACK\n" : "ACK\n";
    int rc;
    if (s->version >= 12)
        rc = sbuf_puts(out, cmd) < 0 ? -1 : stomp_put_header(out, "id", ack, strlen(ack), true);
    else if (s->version == 11 && mid)
        rc = sbuf_puts(out, cmd) < 0 ||
                     stomp_put_header(out, "subscription", sub, strlen(sub), true) < 0
                 ? -1
                 : stomp_put_header(out, "message-id", mid, strlen(mid), true);
    else if (mid)
        rc = sbuf_puts(out, "ACK\n") < 0
                 ? -1
                 : stomp_put_header(out, "message-id", mid, strlen(mid), false);
    else
        return 0;
    if (rc == 0)
        rc = sbuf_append(out, "\n", 2); /* the blank line and the frame's NUL */
    return rc;
}

static cJSON *stomp_rx(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    stomp_conn_t *s = st;
    char err[160];
    s->last_rx = clock_mono_us();
    cJSON *f = stomp_parse(msg, len, err, sizeof(err));
    if (!f) {
        if (err[0]) {
            rx->event = PROTO_EV_BAD;
            snprintf(rx->why, sizeof(rx->why), "malformed STOMP frame: %s", err);
        }
        return NULL; /* or a heart-beat */
    }
    const char *cmd = cJSON_GetObjectItemCaseSensitive(f, "command")->valuestring;
    if (strcmp(cmd, "CONNECTED") == 0) {
        negotiate(s, cJSON_GetObjectItemCaseSensitive(f, "headers"));
        rx->event = s->connected ? PROTO_EV_NONE : PROTO_EV_OPENED;
        s->connected = true;
    } else if (strcmp(cmd, "ERROR") == 0) {
        rx->event = PROTO_EV_ERROR;
        error_text(f, rx);
    } else if (strcmp(cmd, "RECEIPT") == 0) {
        return on_receipt(s, f, rx);
    } else {
        if (strcmp(cmd, "MESSAGE") == 0 && ack_message(s, f, rx->reply) < 0)
            sbuf_truncate(rx->reply, 0); /* out of memory: no half frame */
        return f;                        /* MESSAGE, and whatever else the server sends */
    }
    cJSON_Delete(f);
    return NULL;
}

/* The extra headers of stomp.headers ("Name: value"): name, then the
 * value after the colon and its spaces. */
static int put_extra_headers(stomp_conn_t *s, const spec_stomp_frame_t *f, const tmpl_ctx_t *ctx,
                             sbuf_t *out, sbuf_t *tmp)
{
    for (size_t i = 0; i < f->nheaders; i++) {
        sbuf_truncate(tmp, 0);
        if (tmpl_render(f->headers[i], ctx, tmp) < 0)
            return -1;
        char *colon = memchr(tmp->data, ':', tmp->len);
        if (!colon)
            continue;
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (stomp_put_header(out, tmp->data, v, tmp->len - (size_t)(v - tmp->data),
                             s->version > 10) < 0)
            return -1;
    }
    return 0;
}

static int frame_headers(stomp_conn_t *s, const spec_stomp_frame_t *f, const tmpl_ctx_t *ctx,
                         sbuf_t *out, sbuf_t *tmp)
{
    bool esc = s->version > 10;
    bool sub = f->command == SPEC_STOMP_SUBSCRIBE;
    if (sbuf_puts(out, sub ? "SUBSCRIBE\n" : "SEND\n") < 0 ||
        put_tmpl_header(out, "destination", f->destination, ctx, esc, tmp) < 0)
        return -1;
    if (sub && (stomp_put_header(out, "id", f->id, strlen(f->id), esc) < 0 ||
                stomp_put_header(out, "ack", f->ack, strlen(f->ack), esc) < 0))
        return -1;
    if (sub && strcmp(f->ack, "auto") != 0 && !acked_sub(s, f->id) && s->nack_subs < MAX_ACK_SUBS)
        s->ack_subs[s->nack_subs++] = f;
    if (f->receipt) {
        snprintf(s->awaited, sizeof(s->awaited), "r-%" PRIu32, ++s->receipts);
        if (stomp_put_header(out, "receipt", s->awaited, strlen(s->awaited), esc) < 0)
            return -1;
    }
    return put_extra_headers(s, f, ctx, out, tmp);
}

/* SUBSCRIBE or SEND (content-length always: the body may hold NUL bytes);
 * a step without stomp: sends its template as it renders. */
static int stomp_frame(void *st, const spec_step_t *step, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    const spec_stomp_frame_t *f = step->stomp;
    if (!f)
        return tmpl_render(step->send, ctx, out);
    sbuf_t tmp = SBUF_INIT;
    int rc = frame_headers(st, f, ctx, out, &tmp);
    if (rc == 0 && f->command == SPEC_STOMP_SEND) {
        sbuf_truncate(&tmp, 0);
        rc = f->body ? tmpl_render(f->body, ctx, &tmp) : sbuf_append(&tmp, "", 0);
        if (rc == 0)
            rc = sbuf_printf(out, "content-length:%zu\n\n", tmp.len);
        if (rc == 0)
            rc = sbuf_append(out, tmp.data, tmp.len);
    } else if (rc == 0) {
        rc = sbuf_putc(out, '\n');
    }
    if (rc == 0)
        rc = sbuf_append(out, "", 1);
    sbuf_free(&tmp);
    return rc;
}

/* Our heart-beat (an EOL) when due; a server silent for twice its
 * interval has missed one (counted once per such silence). */
static uint64_t stomp_keepalive(void *st, uint64_t now, sbuf_t *out, char *missed, size_t n)
{
    stomp_conn_t *s = st;
    missed[0] = '\0';
    if (s->send_every_us && now + s->send_every_us / 10 >= s->next_tx) {
        if (sbuf_putc(out, '\n') == 0)
            s->next_tx = now + s->send_every_us;
    }
    if (s->recv_every_us && now - s->last_rx > 2 * s->recv_every_us) {
        snprintf(missed, n,
                 "no STOMP heart-beat from the server for %" PRIu64 " ms (every %" PRIu64
                 " ms agreed)",
                 (now - s->last_rx) / 1000, s->recv_every_us / 1000);
        s->last_rx = now;
    }
    uint64_t a = s->send_every_us, b = s->recv_every_us;
    return a && b ? (a < b ? a : b) : a ? a : b;
}

static int stomp_close(void *st, sbuf_t *out)
{
    stomp_conn_t *s = st;
    if (!s->connected)
        return 0;
    s->connected = false;
    if (sbuf_puts(out, "DISCONNECT\nreceipt:" BYE_RECEIPT "\n\n") < 0 ||
        sbuf_append(out, "", 1) < 0)
        return -1;
    return 1;
}

const proto_t proto_stomp = {
    .name = "stomp",
    .subprotocols = "v12.stomp,v11.stomp,v10.stomp",
    .state_size = sizeof(stomp_conn_t),
    .parse_always = true,
    .open = stomp_open,
    .parse = stomp_rx,
    .frame = stomp_frame,
    .keepalive = stomp_keepalive,
    .close = stomp_close,
};
