/* vu_lws: the libwebsockets client callback: connects, writes, pings, closes. */
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/units.h"
#include "engine/hostcheck.h"
#include "engine/http.h"
#include "engine/vu_internal.h"

/* errnum: the errno of a connect() that failed at once, 0 when unknown. */
static err_kind_t classify_connect_error(const vu_t *vu, struct lws *wsi, const char *why,
                                         int errnum, int *status, const char **text)
{
    *status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
    *text = NULL;
    if (why && strstr(why, "HS: EXT")) { /* lws refused the server's Sec-WebSocket-Extensions */
        *text = "server answered with an extension that was not offered (add compression: "
                "deflate to connect if it is permessage-deflate)";
        return ERR_PROTOCOL;
    }
    if (*status > 0 && *status != 101)
        return ERR_HTTP_STATUS;
    err_kind_t kind = http_classify_error(why); /* refused, dns, tls, timeout, reset, closed */
    /* lws says "Unable to connect": which way? Not by the time waited: vu->t0
     * may be the planned start (a late arrival), not the connect call, and
     * the spec's connect.timeout fires as its own timeout. */
    if (kind == ERR_REFUSED)
        return http_connect_error(errnum, 0, text);
    if (kind == ERR_PROTOCOL && why &&
        (strstr(why, "101") || strstr(why, "HS:") || strstr(why, "upgrade")))
        return ERR_HTTP_STATUS; /* a refused or malformed upgrade */
    return kind;
}

static void on_connection_error(vu_t *vu, struct lws *wsi, const char *why, int errnum)
{
    uint64_t now = clock_mono_us();
    int status = 0;
    const char *text;
    err_kind_t kind = classify_connect_error(vu, wsi, why, errnum, &status, &text);
    char msg[200];
    if (kind == ERR_HTTP_STATUS && status > 0)
        snprintf(msg, sizeof(msg), "upgrade refused with HTTP %d", status);
    else
        snprintf(msg, sizeof(msg), "%s", text ? text : why ? why : "connection failed");
    vu->wsi = NULL;
    vu_connect_failed(vu, now, kind, msg);
}

void vu_connect_start_failed(vu_t *vu, uint64_t now, int errnum)
{
    const char *text = "could not start the connection";
    err_kind_t kind = ERR_PROTOCOL;
    if (http_connect_errno(errnum))
        kind = http_connect_error(errnum, 0, &text);
    vu_connect_failed(vu, now, kind, text);
}

/* ---- libwebsockets' own timeouts ---- */

/* libwebsockets 4.1 keeps every connection's timeout in one list per
 * thread, sorted by deadline, and inserts by walking it from the earliest:
 * a connect arms one at each stage (TCP connect, handshake sent, awaiting the
 * reply), so with thousands of connects pending each insert walked past
 * thousands (lws_dll2_add_sorted: 57% of wsgate's CPU in a connect storm).
 * The connect is timed by the user's deadline in the worker's heap
 * (connect.timeout), so lws's timeout is cleared as soon as control comes
 * back: after lws_client_connect_via_info (vu_connect), and for stages armed
 * inside lws's service after a callback (WSI_CREATE, then the handshake),
 * before the loop waits. The list then holds the few connects armed in one
 * loop pass, whatever the number pending. Left: lws's TCP connect watchdog
 * (wsi->sul_connect_timeout, not reachable through the API) for sockets still
 * in SYN-SENT; engine.c sets its period past the run's end so it never fires. */
static void arm_later(vu_t *vu)
{
    worker_t *w = vu->w;
    if (vu->lws_armed)
        return;
    vu->lws_armed = true;
    w->armed[w->narmed++] = vu->slot;
}

void vu_lws_settle(struct ev_loop *loop, ev_prepare *settle, int revents)
{
    (void)loop;
    (void)revents;
    worker_t *w = lws_container_of(settle, worker_t, settle);
    for (uint32_t i = 0; i < w->narmed; i++) {
        vu_t *vu = &w->vus[w->armed[i]];
        vu->lws_armed = false;
        if (vu->wsi && vu->state == VU_CONNECTING)
            lws_set_timeout(vu->wsi, NO_PENDING_TIMEOUT, 0);
    }
    w->narmed = 0;
    vu_connect_drain(w);
    /* lws runs due timeouts (LWS_TO_KILL_ASYNC) after its own socket events,
     * or on its timer, armed for the earliest deadline when it was set: with
     * no socket event coming, a wake of lws's loop does it now */
    if (w->kill_queued && !w->finished) {
        w->kill_queued = false;
        lws_cancel_service(w->ctx);
    }
}

/* ---- protocol pings ---- */

void vu_ping_stop(vu_t *vu)
{
    timerq_cancel(vu->w->ping_tq, vu->slot);
    vu->ping_sent_at = 0;
    vu->ping_pending = false;
}

static bool ping_can_send(const vu_t *vu)
{
    /* no pings after the end: idle connections may wait for others' replies */
    return vu->wsi && !vu->w->ending && vu->state != VU_CONNECTING && vu->state != VU_CLOSING &&
           vu->state != VU_DONE && vu->state != VU_WAITING && vu->state != VU_BACKOFF;
}

void vu_ping_due(vu_t *vu, uint64_t now)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    if (!ping_can_send(vu))
        return;
    if (!sc->ping_interval_us) { /* the timer is the protocol's keep-alive */
        vu_proto_keepalive(vu, now);
        return;
    }
    if (vu->ping_sent_at) {
        char every[32];
        units_format_us((double)sc->ping_interval_us, every, sizeof(every));
        metrics_fail(vu->w->m, vu->w->run->spec->ping_metric);
        metrics_error(vu->w->m, ERR_TIMEOUT, "ping (%s): no pong within %s", sc->name, every);
        vu->ping_sent_at = 0;
    }
    vu->ping_pending = true;
    lws_callback_on_writable(vu->wsi);
    timerq_set(vu->w->ping_tq, vu->slot, now + sc->ping_interval_us);
}

static int write_ping(vu_t *vu, struct lws *wsi)
{
    unsigned char frame[LWS_PRE + 8];
    vu->ping_pending = false;
    if (lws_write(wsi, frame + LWS_PRE, 0, LWS_WRITE_PING) < 0)
        return -1;
    vu->ping_sent_at = clock_mono_us();
    if (vu->state == VU_SENDING)
        lws_callback_on_writable(wsi); /* the pending message goes next */
    return 0;
}

static void on_pong(vu_t *vu)
{
    if (!vu->ping_sent_at)
        return;
    metrics_ok(vu->w->m, vu->w->run->spec->ping_metric, clock_mono_us() - vu->ping_sent_at);
    vu->ping_sent_at = 0;
}

/* ---- connection events ---- */

void vu_established(vu_t *vu)
{
    uint64_t now = clock_mono_us();
    vu_connect_over(vu, now);
    vu_flow_stop(vu);
    metrics_ok(vu->w->m, 0, now - vu->t0);
    if (vu->ramp_pending) {
        vu->ramp_pending = false;
        ramp_connected(&vu->w->m->ramp, (double)(now - vu->w->run->t0) / 1e6);
    }
    vu_conn_opened(vu);
    if (vu_scenario(vu)->ping_interval_us)
        timerq_set(vu->w->ping_tq, vu->slot, now + vu_scenario(vu)->ping_interval_us);
    if (vu->reconnecting) {
        /* a reconnect step: measured from the close, then the task goes on */
        vu->reconnecting = false;
        metrics_ok(vu->w->m, vu_current_step(vu)->metric, now - vu->reconnect_t0);
        vu_step_done(vu, now);
        return;
    }
    if (vu->reconnect_attempt) {
        /* an automatic reconnect: measured from the drop; on_reconnect,
         * then the tasks resume (on_start again if it never finished) */
        vu->reconnect_attempt = 0;
        metrics_ok(vu->w->m, vu->w->run->spec->reconnect_metric, now - vu->drop_at);
        if (vu->reconnect_resume) {
            vu->phase = PHASE_ON_RECONNECT;
            vu->step = 0;
            vu_run(vu, now);
            return;
        }
    }
    vu->phase = PHASE_ON_START;
    vu->step = (uint16_t)vu_scenario(vu)->npre_connect; /* those ran before connecting */
    vu->iteration = 0;
    vu_run(vu, now);
}

/* ---- closing ---- */

/* Our close frame, written by us rather than by libwebsockets' close
 * (lws_close_reason, then -1): lws 4.1 arms two timeouts per connection on
 * that path (sending the close, then awaiting its answer), each an insert
 * into its deadline-sorted list that walks past every other close under
 * way: closing n users at the end of a run cost O(n^2) (about 9 s at
 * 19,500). Here the wait for the server's close is the user's own deadline
 * in the worker's heap (vu_close, CLOSE_GRACE_US): the server's close frame
 * ends the connection (on_peer_close), and a server that never answers is
 * dropped when that deadline passes (vu_wake). Returns 0, or -1 when the
 * write failed (lws then drops the connection). */
static int write_close(vu_t *vu, struct lws *wsi)
{
    unsigned char frame[LWS_PRE + 2];
    unsigned code = vu->close_code ? vu->close_code : LWS_CLOSE_STATUS_NORMAL;
    frame[LWS_PRE] = (unsigned char)(code >> 8);
    frame[LWS_PRE + 1] = (unsigned char)(code & 0xff);
    if (lws_write(wsi, frame + LWS_PRE, 2, VU_LWS_WRITE_CLOSE) < 2)
        return -1;
    vu->close_sent = true;
    return 0;
}

/* The server's close frame. After ours it is the answer: -1 lets lws drop
 * the connection at once (no close echoed back, no timeout armed). Before
 * ours (the server closes first), the user answers it at once with a close
 * frame of its own echoing the server's code (RFC 6455 5.5.1) and drops
 * the connection: lws's own answer arms a timeout per connection
 * (CLOSE_SEND, an insert walking its sorted list past every other close
 * under way), so a server closing n users at once cost O(n^2). Only when
 * an earlier frame is still partly unsent does lws answer, after it. */
static int on_peer_close(vu_t *vu, struct lws *wsi, const unsigned char *in, size_t len)
{
    vu->peer_closed = true;
    vu->peer_code = len >= 2 ? (uint16_t)(in[0] << 8 | in[1]) : 0;
    if (vu->close_sent)
        return -1;
    if (lws_partial_buffered(wsi))
        return 0;
    unsigned char frame[LWS_PRE + 2];
    size_t n = len >= 2 ? 2 : 0; /* an empty close (no code) is answered empty */
    if (n)
        memcpy(frame + LWS_PRE, in, n);
    if (lws_write(wsi, frame + LWS_PRE, n, VU_LWS_WRITE_CLOSE) >= (int)n)
        vu->close_sent = true;
    return -1;
}

static int on_writeable(vu_t *vu, struct lws *wsi)
{
    if (vu->close_sent)
        return 0;          /* nothing after the close frame */
    if (vu->proto_pending) /* the protocol's handshake, heart-beat or goodbye */
        return vu_proto_write(vu, wsi);
    if (vu->state == VU_CLOSING) {
        if (vu_proto_goodbye(vu, wsi))
            return 0; /* the close frame follows the goodbye's answer */
        return write_close(vu, wsi);
    }
    if (vu->ping_pending)
        return write_ping(vu, wsi);
    if (vu->state != VU_SENDING)
        return 0;
    return vu_write_message(vu, wsi); /* -1: lws closes, the close callback counts it */
}

/* A close step's connection has closed: one ok for its metric. */
static void close_step_done(vu_t *vu)
{
    const spec_step_t *st = vu_current_step(vu);
    if (st && st->close_code && st->metric >= 0)
        vu->w->m->ok[st->metric]++;
}

static void on_closed(vu_t *vu)
{
    uint64_t now = clock_mono_us();
    vu_ping_stop(vu);
    vu_flow_stop(vu);
    /* a message the connection left half-received is not the start of the
     * next connection's first one */
    sbuf_truncate(&vu->rx, 0);
    vu->rx_oversize = false;
    if (vu->state == VU_CONNECTING) { /* during the protocol's handshake (not yet counted open) */
        char why[96];
        snprintf(why, sizeof(why), "closed during the %s handshake (code %u)", vu_proto(vu)->name,
                 vu->peer_closed ? vu->peer_code : 1006);
        vu->wsi = NULL;
        vu_connect_failed(vu, now, vu->peer_closed ? err_kind_of_close(vu->peer_code) : ERR_RESET,
                          why);
        return;
    }
    http_call_cancel(vu->http, false); /* an http step in flight (inside lws: not now) */
    vu_conn_closed(vu);
    vu->wsi = NULL;
    /* a reconnect step, or a close step: the user connects again at once
     * (open model: a close step ends the session, see vu_close_reconnects) */
    if (vu->close_code && vu->state == VU_CLOSING)
        close_step_done(vu);
    if (vu_close_reconnects(vu) && vu->state == VU_CLOSING && !vu_run_over(vu, now) &&
        now < vu->stop_at) {
        vu_connect(vu, now);
        return;
    }
    vu->reconnecting = false;
    if (vu->state == VU_CLOSING || vu_run_over(vu, now)) {
        if (vu->state == VU_AWAITING) {
            const spec_step_t *st = vu_current_step(vu);
            metrics_fail(vu->w->m, st->metric);
        }
        vu_schedule_next_interval(vu, now);
        return;
    }
    if (vu->peer_closed)
        metrics_error(vu->w->m, err_kind_of_close(vu->peer_code),
                      "connection (%s) closed by the server (code %u)", vu_scenario(vu)->name,
                      vu->peer_code);
    else if (vu->inflate_bad)
        metrics_error(vu->w->m, ERR_PROTOCOL,
                      "connection (%s): a compressed message from the server did not inflate "
                      "(permessage-deflate)",
                      vu_scenario(vu)->name);
    else
        metrics_error(vu->w->m, ERR_RESET, "connection (%s) dropped without a close frame",
                      vu_scenario(vu)->name);
    if (vu->state == VU_AWAITING || vu->state == VU_SENDING || vu->state == VU_HTTP) {
        const spec_step_t *st = vu_current_step(vu);
        metrics_fail(vu->w->m, st->metric);
    }
    reconnect_after_drop(vu, now);
}

static int append_headers(vu_t *vu, unsigned char **p, unsigned char *end)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    sbuf_t *s = &vu->w->scratch;
    for (size_t i = 0; i < sc->nheaders; i++) {
        sbuf_truncate(s, 0);
        if (vu_render(vu, sc->headers[i], s) < 0)
            return -1;
        char *colon = strchr(s->data, ':');
        if (!colon)
            continue;
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        char saved = colon[1];
        colon[1] = '\0'; /* lws wants the name with its colon */
        int rc =
            lws_add_http_header_by_name(vu->wsi, (const unsigned char *)s->data,
                                        (const unsigned char *)value, (int)strlen(value), p, end);
        colon[1] = saved;
        if (rc)
            return -1;
    }
    return 0;
}

/* libwebsockets frees wsi after this callback: a user still holding it
 * (e.g. one that ended while connecting) must not touch it again. */
static void forget_wsi(vu_t *vu, struct lws *wsi)
{
    if (vu->wsi == wsi)
        vu->wsi = NULL;
}

/* The last failed server certificate check on this thread: libwebsockets
 * reports it only as "SSL err 1" in the connection error that follows. */
static __thread struct {
    const struct lws *wsi;
    char why[160];
} tls_fail;

static void note_tls_failure(const struct lws *wsi, void *x509_store_ctx)
{
    int e = X509_STORE_CTX_get_error(x509_store_ctx);
    bool unknown_ca = e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                      e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                      e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                      e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                      e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
    snprintf(tls_fail.why, sizeof(tls_fail.why), "certificate verify failed: %s%s",
             X509_verify_cert_error_string(e),
             unknown_ca ? " (trust its CA with tls.ca_file)" : "");
    tls_fail.wsi = wsi;
}

/* lws 4.1 accepts a 101 without Sec-WebSocket-Protocol even when one was
 * asked for: a connect.subprotocol the server did not answer with fails
 * the connect here (kind protocol). Returns 0, or -1 to drop the wsi. */
/* True when got is one of the comma-separated names of list. */
static bool offered(const char *list, const char *got)
{
    size_t n = strlen(got);
    for (const char *p = list; *p; p += strspn(p, ", ")) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, got, n) == 0)
            return true;
        p += len;
    }
    return false;
}

static int check_subprotocol(vu_t *vu, struct lws *wsi)
{
    const char *want = vu_scenario(vu)->subprotocol;
    char got[64] = "";
    if (!want)
        want = vu_proto(vu)->subprotocols; /* e.g. v12.stomp,v11.stomp,v10.stomp */
    if (!want)
        return 0;
    if (lws_hdr_copy(wsi, got, sizeof(got), WSI_TOKEN_PROTOCOL) > 0 && offered(want, got))
        return 0;
    char why[160];
    snprintf(why, sizeof(why), "server did not accept subprotocol \"%s\" (answered %s%.60s%s)",
             want, got[0] ? "\"" : "", got[0] ? got : "none", got[0] ? "\"" : "");
    lws_set_opaque_user_data(wsi, NULL);
    forget_wsi(vu, wsi);
    vu_connect_failed(vu, clock_mono_us(), ERR_PROTOCOL, why);
    return -1;
}

int vu_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    switch (reason) { /* TLS first: for OPENSSL_* reasons user is an OpenSSL object */
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        if (!len) /* insecure_skip_verify may still let it pass */
            note_tls_failure(wsi, user);
        return 0; /* 0: OpenSSL's own verdict stands */
    case LWS_CALLBACK_WSI_DESTROY:
        if (wsi == tls_fail.wsi)
            tls_fail.wsi = NULL;
        vu_tls_wsi_gone(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (wsi && wsi == tls_fail.wsi) { /* say why instead of "SSL err 1" */
            in = tls_fail.why;
            tls_fail.wsi = NULL;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
    case LWS_CALLBACK_WS_EXT_DEFAULTS: { /* user is lws's, not an http call */
        int rc = 0;
        vu_wire_ext_callback(wsi, (int)reason, in, len, &rc);
        return rc;
    }
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
        vu_tls_ctx_setup(user); /* user: the vhost's client SSL_CTX */
        return 0;
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
    case LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY:
        return 0; /* 0: OpenSSL's own verdict stands */
    default:
        break;
    }
    if (user) /* only http steps' connections carry user data */
        return http_lws_callback(wsi, reason, user, in, len);
    vu_t *vu = lws_get_opaque_user_data(wsi);
    if (!vu || vu->w->finished)
        return 0;
    if (vu->wsi && vu->wsi != wsi)
        return 0; /* a connection this user has already given up */

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (vu->state == VU_CONNECTING) /* a later failure: lws kept its errno */
            on_connection_error(vu, wsi, in, 0);
        lws_set_opaque_user_data(wsi, NULL);
        forget_wsi(vu, wsi);
        break;
    case LWS_CALLBACK_WSI_CREATE: /* the TCP connect is done: lws arms the handshake's */
        if (vu->state == VU_CONNECTING) {
            arm_later(vu);
            vu_tls_connecting(vu, wsi);
        }
        break;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        vu->wsi = wsi;
        arm_later(vu); /* next, lws arms the wait for the reply */
        if (append_headers(vu, (unsigned char **)in, *(unsigned char **)in + len) < 0)
            return -1;
        return vu_wire_offer(vu, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        if (check_subprotocol(vu, wsi) < 0)
            return -1;
        return vu_wire_upgraded(vu, wsi);
    case LWS_CALLBACK_CLIENT_HTTP_REDIRECT:
        return hostcheck_vu_redirect(vu, wsi, in);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        vu->wsi = wsi;
        vu_tls_established(vu, wsi);
        if (vu_proto_open(vu)) /* else its handshake ends in vu_proto_event */
            vu_established(vu);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(vu, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        vu_receive(vu, wsi, in, len);
        vu_flow_received(vu, len);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        on_pong(vu);
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: /* a close frame: "closed", not "reset" */
        return on_peer_close(vu, wsi, in, len);
    case LWS_CALLBACK_CLIENT_CLOSED:
        vu_wire_closed(vu, wsi);
        vu_tls_closed(vu, wsi);
        lws_set_opaque_user_data(wsi, NULL);
        on_closed(vu);
        forget_wsi(vu, wsi);
        break;
    case LWS_CALLBACK_WSI_DESTROY: /* whatever the path, never keep a freed wsi */
        lws_set_opaque_user_data(wsi, NULL);
        forget_wsi(vu, wsi);
        break;
    default:
        break;
    }
    return 0;
}
