/* vu_internal: what the user's state machine files share (vu.c, reconnect.c,
 * vu_http.c, vu_match.c, vu_lws.c). Not for the rest of the engine, which
 * uses vu.h. All functions take a user of the calling worker's thread. */
#ifndef WSGATE_VU_INTERNAL_H
#define WSGATE_VU_INTERNAL_H

#include <cjson/cJSON.h>

#include "engine/proto/proto.h"
#include "engine/vu.h"
#include "spec/tmpl.h"

/* lws_write's kind for a close frame: libwebsockets 4.1 keeps it out of its
 * public enum (its own close goes through lws_close_reason) but its ws
 * writer frames and masks it like a ping (roles/ws/private-lib-roles-ws.h:
 * LWS_WRITE_CLOSE 4). vu_lws.c writes its close frame itself. */
#define VU_LWS_WRITE_CLOSE ((enum lws_write_protocol)4)

/* A think time of PAUSE_GRID_MIN_US or more ends on the next whole
 * PAUSE_GRID_US of the clock: users whose pauses end within the same
 * millisecond share one wake of the worker (one epoll_wait, one tick)
 * instead of one each, which at 19,500 users thinking 2-5 s is most of a
 * round trip's cost. At most 1 ms late (0.1 % of the pause), never early,
 * and latencies are timed from the send, so only the pacing moves. A
 * coarser grid wakes less (10 ms: 3.6x fewer sleeps per round trip) but
 * sends in bursts the server queues (~28 publishes at once at 10,000 users,
 * its p50 tripled: bench/README.md), so 1 ms it stays. */
#ifndef PAUSE_GRID_US /* bench/: -DPAUSE_GRID_US=N builds another grid to compare */
#define PAUSE_GRID_US 1000ull
#endif
#define PAUSE_GRID_MIN_US 1000000ull

static inline const spec_scenario_t *vu_scenario(const vu_t *vu)
{
    return &vu->w->run->spec->scenarios[vu->scenario];
}

/* The run is over for every user: the end passed, or the worker applied it. */
static inline bool vu_run_over(const vu_t *vu, uint64_t now)
{
    return vu->w->ending || now >= vu->w->run->end;
}

/* The step under way in the current block, or NULL past its last step. */
static inline const spec_step_t *vu_current_step(const vu_t *vu)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    if (vu->phase == PHASE_ON_START)
        return vu->step < sc->non_start ? &sc->on_start[vu->step] : NULL;
    if (vu->phase == PHASE_ON_RECONNECT)
        return vu->step < sc->non_reconnect ? &sc->on_reconnect[vu->step] : NULL;
    if (sc->ntasks == 0)
        return NULL;
    const spec_task_t *t = &sc->tasks[vu->task];
    return vu->step < t->nsteps ? &t->steps[vu->step] : NULL;
}

/* The protocol the user's scenario speaks (protocol:). */
static inline const proto_t *vu_proto(const vu_t *vu)
{
    return proto_get(vu_scenario(vu)->protocol);
}

/* ---- vu_tls.c: TLS session resumption (connect.tls_resume) ---- */

/* Installs the resumption hook on a worker's client SSL_CTX (lws's
 * LOAD_EXTRA_CLIENT_VERIFY_CERTS passes it when the vhost is made). */
void vu_tls_ctx_setup(void *ssl_ctx);
/* WSI_CREATE of the user's connect: its TLS handshake starts next. */
void vu_tls_connecting(vu_t *vu, struct lws *wsi);
/* WSI_DESTROY of any wsi. */
void vu_tls_wsi_gone(const struct lws *wsi);
/* The upgrade was answered: counts the handshake, resumed or not. */
void vu_tls_established(vu_t *vu, struct lws *wsi);
/* The connection closes: keeps its session for the user's next connect. */
void vu_tls_closed(vu_t *vu, struct lws *wsi);
/* Frees the kept session. */
void vu_tls_release(vu_t *vu);

/* ---- vu.c: the state machine ---- */

/* Sets the user's deadline (capped at its stop time unless an exchange is
 * being measured) and wakes the worker by then. */
void vu_timer(vu_t *vu, uint64_t due);
/* Waits for the user's next active interval, or finishes the user. */
void vu_schedule_next_interval(vu_t *vu, uint64_t now);
/* The run's count of open connections (and its peak) moves. */
void vu_conn_opened(vu_t *vu);
void vu_conn_closed(vu_t *vu);
/* Closes the connection with a close frame (or, with none, moves to the
 * next interval). */
void vu_close(vu_t *vu, uint64_t now);
/* Lets go of the wsi: no further callback reaches this user. */
void vu_abandon_wsi(vu_t *vu);
/* Closed model: connects again after a pause. Open model: ends the session. */
void vu_backoff(vu_t *vu, uint64_t now);
/* Renders template t for this user into out. Returns 0, or -1 when out of
 * memory. */
int vu_render(vu_t *vu, const tmpl_t *t, sbuf_t *out);
/* The template context of this user (its id, iteration, slots, data row). */
void vu_tmpl_ctx(vu_t *vu, tmpl_ctx_t *ctx);
/* Counts a failed connect (kind, why) and retries or reconnects. */
void vu_connect_failed(vu_t *vu, uint64_t now, err_kind_t kind, const char *why);
/* lws_client_connect_via_info returned NULL (vu_lws.c): errnum, its errno,
 * names an unreachable network or host; otherwise the connection could not
 * start. Counts the failure through vu_connect_failed. */
void vu_connect_start_failed(vu_t *vu, uint64_t now, int errnum);
/* The local address this user connects from (--source-addrs), or NULL. */
const char *vu_iface(const vu_t *vu);
/* The LCCSCF_ flags of tls.insecure_skip_verify (0 without it). */
int vu_tls_flags(const spec_t *spec);
/* Starts the WebSocket connect (timed by connect.timeout) when a connect
 * slot is free (load.max_connecting), else waits in line for one. */
void vu_connect(vu_t *vu, uint64_t now);
/* vu_connect for a connect planned at planned (<= now): its latency and
 * its connect.timeout run from planned, so any wait (for a slot, or the
 * loop's lag) shows as a slower connect. */
void vu_connect_from(vu_t *vu, uint64_t planned, uint64_t now);
/* The user's connect is over (open, failed, timed out, given up): its
 * slot is free, or it leaves the line. Harmless when it holds neither. */
void vu_connect_over(vu_t *vu, uint64_t now);
/* Runs the current step, or ends the block, the interval or the run. */
void vu_run(vu_t *vu, uint64_t now);
/* The current step succeeded: the next one runs. */
void vu_step_done(vu_t *vu, uint64_t now);
/* The current step failed (already counted): its block ends. */
void vu_step_failed(vu_t *vu, uint64_t now);
/* After a closed connection: whether the user connects again at once. */
bool vu_close_reconnects(const vu_t *vu);
/* Writes the pending message on wsi and moves the step on. Returns 0, or
 * -1 when the socket failed (the caller has it counted). */
int vu_write_message(vu_t *vu, struct lws *wsi);

/* ---- reconnect.c: the automatic reconnect policy (connect.reconnect) ---- */

/* The connection dropped (or a reconnect step could not connect): under a
 * policy the user reconnects after the backoff; else it starts afresh. */
void reconnect_after_drop(vu_t *vu, uint64_t now);
/* The backoff before attempt vu->reconnect_attempt has passed: connect. */
void reconnect_now(vu_t *vu, uint64_t now);
/* A connect failed or timed out: the next attempt, or give up for the rest
 * of the interval after max_attempts. Without a policy, vu_backoff. */
void reconnect_retry(vu_t *vu, uint64_t now);

/* ---- vu_http.c: http steps ---- */

/* Starts the http step st; the user's timer bounds it (http.timeout). */
void vu_http_start(vu_t *vu, const spec_step_t *st, uint64_t now);
/* The user's timer fired during an http step: counted, the step fails. */
void vu_http_timed_out(vu_t *vu, uint64_t now);

/* ---- vu_match.c: received messages and captures ---- */

/* A received fragment of a WebSocket message on wsi: reassembled, then
 * counted and matched against the scenario's counts and the awaited step. */
void vu_receive(vu_t *vu, struct lws *wsi, const char *in, size_t len);
/* A captured JSON value as text (malloc'd): strings as they are, numbers
 * and booleans printed; NULL for anything else. */
char *vu_json_text(const cJSON *v);
/* Allocates the user's capture slots if its scenario has any. Returns 0,
 * or -1 when out of memory. */
int vu_ensure_slots(vu_t *vu);
/* Stores v (owned) in cap's slot, or counts a protocol error naming the
 * field (label: the step), never the value, and frees v. Returns 0, or -1
 * on the error. */
int vu_store_capture(vu_t *vu, const spec_capture_t *cap, char *v, const char *label,
                     const char *missing);

/* ---- vu_proto.c: the scenario's protocol (src/engine/proto/) ---- */

/* The WebSocket connection is open: the protocol's state is reset and its
 * handshake, if any, queued. Returns true when the connection is usable
 * now; false while the handshake is under way (the user stays
 * VU_CONNECTING until vu_proto_event sees it done) or when it could not
 * start (out of memory: the connect is counted failed). */
bool vu_proto_open(vu_t *vu);
/* The protocol answers a received message with frame (len bytes): sent
 * after the protocol's frames already waiting; dropped when the connection
 * is gone or out of memory. */
void vu_proto_reply(vu_t *vu, const char *frame, size_t len);
/* What a received frame meant to the protocol (rx->event != NONE): the
 * handshake done or refused, an error answering the awaited step, a
 * malformed frame, the goodbye answered. msg is the frame, for samples. */
void vu_proto_event(vu_t *vu, const proto_rx_t *rx, const char *msg, size_t len);
/* Appends the message of step st (the protocol's frame, or the send
 * template) to out. Returns 0, or -1 when out of memory. */
int vu_proto_frame(vu_t *vu, const spec_step_t *st, sbuf_t *out);
/* Writes the protocol's pending frame. Returns 0, or -1 when the socket failed. */
int vu_proto_write(vu_t *vu, struct lws *wsi);
/* The user closes: true while the protocol's goodbye is being sent or
 * answered (the close frame waits), false when the close may go now. */
bool vu_proto_goodbye(vu_t *vu, struct lws *wsi);
/* The keep-alive timer (the ping timer queue, when connect.ping_interval
 * is not set) fired: heart-beats and missed heart-beats. */
void vu_proto_keepalive(vu_t *vu, uint64_t now);
/* Frees the protocol's state and buffer. */
void vu_proto_release(vu_t *vu);

/* ---- vu_flow.c: slow consumers (connect.read_rate, pause_reading) ---- */

/* len bytes were received: under a read_rate, reading stops until they
 * are paid for (flow_tq wakes vu_flow_due). */
void vu_flow_received(vu_t *vu, size_t len);
/* A pause_reading step starts: nothing is read until it ends (vu_wake). */
void vu_flow_pause(vu_t *vu, const spec_step_t *st, uint64_t now);
/* The user reads again at full speed: the end of a pause_reading step,
 * or the user closes its connection (whose close frame must get through).
 * A slow reader's unread bytes are recorded first. */
void vu_flow_resume(vu_t *vu);
/* The connection is gone or new: no pause, no debt, no flow timer. */
void vu_flow_stop(vu_t *vu);

/* ---- vu_lws.c: the libwebsockets side ---- */

/* No protocol ping is due or awaited any more. */
void vu_ping_stop(vu_t *vu);
/* The connection is usable (upgrade and protocol handshake done): the
 * connect is measured and on_start (or on_reconnect) runs. */
void vu_established(vu_t *vu);

/* ---- vu_wire.c: permessage-deflate and the bytes on the wire ---- */

/* Adds the scenario's Sec-WebSocket-Extensions offer to the upgrade, if
 * any. Returns 0, or -1 when the headers do not fit. */
int vu_wire_offer(vu_t *vu, unsigned char **p, unsigned char *end);
/* Reads the server's answer (before the connection counts as open):
 * deflate on or off. Returns 0, or -1 after failing the connect when the
 * server turned on an extension that was not offered. */
int vu_wire_upgraded(vu_t *vu, struct lws *wsi);
/* Adds the closing connection's TCP counts and payload bytes to the
 * worker's metrics (once per connection). */
void vu_wire_closed(vu_t *vu, struct lws *wsi);
/* libwebsockets' extension callbacks, whose user argument is not ours:
 * returns 1 when handled with *rc the answer. */
bool vu_wire_ext_callback(struct lws *wsi, int reason, void *in, size_t len, int *rc);

#endif
