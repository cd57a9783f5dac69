/* vu_proto: a user's side of its scenario's protocol (src/engine/proto/): state, own frames,
 * events. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/vu_internal.h"

/* Empties pout down to its LWS_PRE bytes. Returns 0, or -1 when out of memory. */
static int pout_reset(vu_t *vu)
{
    static const char pre[LWS_PRE];
    vu->pqueued = 0;
    sbuf_truncate(&vu->pout, 0);
    return sbuf_append(&vu->pout, pre, LWS_PRE);
}

/* pout holds a frame: it goes when the socket is writable. */
static void pout_send_soon(vu_t *vu)
{
    vu->proto_pending = true;
    lws_callback_on_writable(vu->wsi);
}

/* The protocol's state for this connection (kept across connections). */
static int ensure_state(vu_t *vu, const proto_t *pr)
{
    if (!pr->state_size || vu->pstate_size >= pr->state_size)
        return 0;
    void *p = realloc(vu->pstate, pr->state_size);
    if (!p)
        return -1;
    vu->pstate = p;
    vu->pstate_size = pr->state_size;
    return 0;
}

bool vu_proto_open(vu_t *vu)
{
    const proto_t *pr = vu_proto(vu);
    vu->proto_pending = vu->proto_up = false;
    vu->pqueued = 0;
    vu->proto_bye = 0;
    if (!pr->open) {
        vu->proto_up = true;
        return true;
    }
    tmpl_ctx_t ctx;
    vu_tmpl_ctx(vu, &ctx);
    int rc = ensure_state(vu, pr) < 0 || pout_reset(vu) < 0
                 ? -1
                 : pr->open(vu->pstate, vu_scenario(vu), &ctx, &vu->pout);
    if (rc == 0) {
        vu->proto_up = true;
        return true;
    }
    if (rc < 0) {
        vu_abandon_wsi(vu);
        vu_connect_failed(vu, clock_mono_us(), ERR_PROTOCOL, "out of memory");
        return false;
    }
    if (vu->pout.len > LWS_PRE) /* else the server speaks first */
        pout_send_soon(vu);
    return false;
}

/* The keep-alive's first round, then on the ping timer queue. */
static void keepalive_start(vu_t *vu, uint64_t now)
{
    if (vu_proto(vu)->keepalive && !vu_scenario(vu)->ping_interval_us)
        vu_proto_keepalive(vu, now);
}

/* An error from the peer: the connect, or the awaited step, fails. */
static void peer_error(vu_t *vu, const proto_rx_t *rx, const char *msg, size_t len)
{
    uint64_t now = clock_mono_us();
    if (vu->state == VU_CONNECTING) {
        vu_abandon_wsi(vu); /* not counted open yet */
        vu_connect_failed(vu, now, ERR_PROTOCOL, rx->why);
        return;
    }
    if (vu->state == VU_AWAITING) {
        const spec_step_t *st = vu_current_step(vu);
        metrics_fail(vu->w->m, st->metric);
        metrics_error_data(vu->w->m, ERR_PROTOCOL, msg, len,
                           "%s: %s: ", st->name ? st->name : "step", rx->why);
        vu_step_failed(vu, now);
        return;
    }
    metrics_error_data(vu->w->m, ERR_PROTOCOL, msg, len,
                       "connection (%s): %s: ", vu_scenario(vu)->name, rx->why);
}

void vu_proto_reply(vu_t *vu, const char *frame, size_t len)
{
    if (!vu->wsi || vu->peer_closed || vu->close_sent || len > UINT32_MAX)
        return;
    if (!vu->proto_pending) {
        if (pout_reset(vu) < 0 || sbuf_append(&vu->pout, frame, len) < 0)
            return;
        pout_send_soon(vu);
        return;
    }
    size_t at = vu->pout.len;
    uint32_t n = (uint32_t)len;
    if (sbuf_append(&vu->pout, &n, sizeof(n)) < 0 || sbuf_append(&vu->pout, frame, len) < 0) {
        sbuf_truncate(&vu->pout, at); /* dropped whole, never half a frame */
        return;
    }
    if (!vu->pqueued)
        vu->pqueued = (uint32_t)at;
}

void vu_proto_event(vu_t *vu, const proto_rx_t *rx, const char *msg, size_t len)
{
    switch (rx->event) {
    case PROTO_EV_OPENED:
        if (vu->state != VU_CONNECTING)
            return;
        vu->proto_up = true;
        keepalive_start(vu, clock_mono_us());
        vu_established(vu);
        return;
    case PROTO_EV_ERROR:
        peer_error(vu, rx, msg, len);
        return;
    case PROTO_EV_BAD:
        metrics_error_data(vu->w->m, ERR_PROTOCOL, msg, len,
                           "connection (%s): %s: ", vu_scenario(vu)->name, rx->why);
        return;
    case PROTO_EV_CLOSED:
        vu->proto_bye = 2;
        if (vu->wsi && vu->state == VU_CLOSING)
            lws_callback_on_writable(vu->wsi); /* the close frame goes now */
        return;
    case PROTO_EV_NONE:
        return;
    }
}

int vu_proto_frame(vu_t *vu, const spec_step_t *st, sbuf_t *out)
{
    const proto_t *pr = vu_proto(vu);
    if (!pr->frame)
        return vu_render(vu, st->send, out);
    tmpl_ctx_t ctx;
    vu_tmpl_ctx(vu, &ctx);
    return pr->frame(vu->pstate, st, &ctx, out);
}

/* The first queued frame becomes pout's frame, the rest stay queued behind it. */
static void pout_next(vu_t *vu)
{
    char *q = vu->pout.data + vu->pqueued;
    uint32_t n;
    memcpy(&n, q, sizeof(n));
    size_t rest = vu->pout.len - vu->pqueued - sizeof(n);
    memmove(vu->pout.data + LWS_PRE, q + sizeof(n), rest);
    sbuf_truncate(&vu->pout, LWS_PRE + rest);
    vu->pqueued = rest > n ? (uint32_t)(LWS_PRE + n) : 0;
    vu->proto_pending = true;
}

int vu_proto_write(vu_t *vu, struct lws *wsi)
{
    size_t len = (vu->pqueued ? vu->pqueued : vu->pout.len) - LWS_PRE;
    vu->proto_pending = false;
    if (lws_write(wsi, (unsigned char *)vu->pout.data + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
        return -1;
    vu->w->m->bytes_sent += len;
    vu->conn_tx += len;
    if (vu->pqueued)
        pout_next(vu);
    if (vu->proto_pending || vu->state == VU_SENDING || vu->state == VU_CLOSING || vu->ping_pending)
        lws_callback_on_writable(wsi); /* what waited behind it goes next */
    return 0;
}

bool vu_proto_goodbye(vu_t *vu, struct lws *wsi)
{
    const proto_t *pr = vu_proto(vu);
    if (!pr->close || !vu->proto_up || vu->peer_closed || vu->proto_bye == 2)
        return false;
    if (vu->proto_bye == 1)
        return true; /* waiting for its answer, within the close's grace time */
    int rc = pout_reset(vu) < 0 ? -1 : pr->close(vu->pstate, &vu->pout);
    if (rc <= 0)
        return false;
    size_t len = vu->pout.len - LWS_PRE;
    if (lws_write(wsi, (unsigned char *)vu->pout.data + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
        return false;
    vu->w->m->bytes_sent += len;
    vu->conn_tx += len;
    if (rc == 2) { /* more goodbye frames: one per writable */
        lws_callback_on_writable(wsi);
        return true;
    }
    vu->proto_bye = 1;
    return true;
}

void vu_proto_keepalive(vu_t *vu, uint64_t now)
{
    const proto_t *pr = vu_proto(vu);
    char missed[200];
    if (!pr->keepalive || !vu->proto_up || !vu->wsi || vu->proto_pending)
        goto again_later;
    if (pout_reset(vu) < 0)
        return;
    uint64_t next = pr->keepalive(vu->pstate, now, &vu->pout, missed, sizeof(missed));
    if (missed[0])
        metrics_error(vu->w->m, ERR_KEEPALIVE, "connection (%s): %s", vu_scenario(vu)->name,
                      missed);
    if (vu->pout.len > LWS_PRE)
        pout_send_soon(vu);
    if (next)
        timerq_set(vu->w->ping_tq, vu->slot, now + next);
    return;
again_later: /* a frame still queued: try again soon */
    if (pr->keepalive && vu->proto_up && vu->wsi)
        timerq_set(vu->w->ping_tq, vu->slot, now + 100000);
}

void vu_proto_release(vu_t *vu)
{
    free(vu->pstate);
    vu->pstate = NULL;
    vu->pstate_size = 0;
    sbuf_free(&vu->pout);
}
