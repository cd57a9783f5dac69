/* vu: one virtual user's state machine: its lifecycle, steps, timers and end. */
#include <errno.h>
#include "engine/vu.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/rng.h"
#include "base/units.h"
#include "engine/hostcheck.h"
#include "engine/http.h"
#include "engine/vu_internal.h"
#include "engine/wsurl.h"
#include "spec/data.h"
#include "spec/load.h"

#define RECONNECT_BACKOFF_US 1000000ull

/* Deadlines other than a pending exchange are capped at the user's stop
 * time, so a ramp-down interrupts think time but not a measurement. */
void vu_timer(vu_t *vu, uint64_t due)
{
    bool measuring = vu->state == VU_AWAITING || vu->state == VU_CONNECTING ||
                     vu->state == VU_CLOSING || vu->state == VU_HTTP;
    if (!measuring && due > vu->stop_at)
        due = vu->stop_at;
    timerq_set(vu->w->tq, vu->slot, due);
    worker_wake_by(vu->w, due);
}

/* A user's planned connect (the start of an interval or session, or a
 * fresh start after a backoff) is owed from when it is scheduled until
 * its connect starts (vu_connect_from): SCHEDULED at vu->sched, DUE once
 * the user woke for it (a login before the connect may still run). */
enum { VU_PLAN_NONE = 0, VU_PLAN_SCHEDULED = 1, VU_PLAN_DUE = 2 };

/* The interval or the run is over for the user: a planned connect it owed
 * and never started (the runner reached it only after the end, or a login
 * before it failed) is one attempt, abandoned, and counted as unstarted,
 * so connect ok + failed + abandoned stays every attempt. One scheduled
 * after now, or after the end, was never due. */
static void settle_plan(vu_t *vu, uint64_t now)
{
    uint8_t plan = vu->connect_plan;
    vu->connect_plan = VU_PLAN_NONE;
    if (plan == VU_PLAN_SCHEDULED &&
        (vu->state != VU_WAITING || vu->sched > now || vu->sched >= vu->w->run->end))
        return;
    if (plan == VU_PLAN_NONE)
        return;
    metrics_t *m = vu->w->m;
    m->connect_attempts++;
    m->connect_abandoned++;
    m->connect_unstarted++;
}

/* Closed model: the user will not run again. Open model: the session is
 * over and its slot free for the next arrival. */
static void finish_user(vu_t *vu)
{
    worker_t *w = vu->w;
    bool was_done = vu->state == VU_DONE;
    settle_plan(vu, clock_mono_us());
    vu->state = VU_DONE;
    timerq_cancel(w->tq, vu->slot);
    vu_connect_over(vu, clock_mono_us());
    if (!w->run->spec->open_model) {
        w->done++;
        return;
    }
    if (was_done)
        return;
    timerq_cancel(w->ping_tq, vu->slot);
    worker_session_end(w, vu->slot);
}

/* Waits for the user's next active interval, or finishes it. */
void vu_schedule_next_interval(vu_t *vu, uint64_t now)
{
    run_ctx_t *run = vu->w->run;
    uint64_t start, stop;
    uint64_t from = now > run->t0 ? now - run->t0 : 0;
    settle_plan(vu, now);
    if (run->spec->open_model || vu_run_over(vu, now) ||
        !load_interval(run->spec, vu->id, from, &start, &stop)) {
        vu->reconnect_attempt = 0;
        finish_user(vu);
        return;
    }
    vu->reconnect_attempt = 0; /* an automatic reconnect does not outlive its interval */
    vu->state = VU_WAITING;
    vu->stop_at = run->t0 + stop;
    vu->sched = run->t0 + start; /* the planned start: the connect is timed from it */
    vu->connect_plan = VU_PLAN_SCHEDULED;
    timerq_set(vu->w->tq, vu->slot, vu->sched);
}

void vu_init(vu_t *vu, worker_t *w, uint32_t k, uint32_t slot, uint64_t seed)
{
    memset(vu, 0, sizeof(*vu));
    vu->w = w;
    vu->id = k;
    vu->slot = slot;
    vu->scenario = (uint16_t)load_scenario_for(w->run->spec, k);
    vu->rng = rng_seed(seed, k);
    const spec_t *spec = w->run->spec;
    if (spec->data) /* by the global id: shards take disjoint rows */
        vu->data_row = (uint32_t)data_pick(data_nrows(spec->data), spec->data_random, seed, k);
    vu->stop_at = VU_FOREVER;
    vu_schedule_next_interval(vu, w->run->t0);
    if (vu->state == VU_WAITING) { /* a planned first connect of the ramp */
        vu->ramp_pending = true;
        ramp_plan(&w->m->ramp, (double)(vu->sched - w->run->t0) / 1e6);
    }
}

void vu_init_slot(vu_t *vu, worker_t *w, uint32_t slot)
{
    memset(vu, 0, sizeof(*vu));
    vu->w = w;
    vu->slot = slot;
    vu->state = VU_DONE;
    vu->stop_at = VU_FOREVER;
}

/* Frees the captured values (their count depends on the scenario). */
static void forget_captures(vu_t *vu)
{
    if (!vu->slots)
        return;
    for (size_t i = 0; i < vu_scenario(vu)->nslots; i++)
        free(vu->slots[i]);
    free(vu->slots);
    vu->slots = NULL;
}

/* A fresh start planned at planned (<= now): the leading http steps of
 * on_start (the login), then the connect; without them the connect is
 * timed from planned. */
static void start_fresh(vu_t *vu, uint64_t planned, uint64_t now)
{
    vu->connect_plan = VU_PLAN_DUE;
    if (vu_scenario(vu)->npre_connect == 0) {
        vu_connect_from(vu, planned, now);
        return;
    }
    vu->phase = PHASE_ON_START;
    vu->step = 0;
    vu->iteration = 0;
    vu_run(vu, now);
}

void vu_session_start(vu_t *vu, uint32_t k, uint64_t due, uint64_t now)
{
    const spec_t *spec = vu->w->run->spec;
    forget_captures(vu);
    vu_tls_release(vu); /* a new user: it has no session to resume */
    vu->id = k;
    vu->scenario = (uint16_t)load_scenario_for(spec, k);
    vu->rng = rng_seed(vu->w->run->seed, k);
    vu->wsi = NULL;
    vu->rx_oversize = vu->ping_pending = vu->reconnecting = vu->writing = false;
    vu->deflate = vu->wire_open = false;
    vu->close_code = 0;
    vu->phase = PHASE_ON_START;
    vu->task = vu->step = 0;
    vu->iteration = 0;
    vu->ping_sent_at = 0;
    vu->stop_at = spec->open.session_us ? due + spec->open.session_us : VU_FOREVER;
    vu->sched = due;
    sbuf_truncate(&vu->rx, 0);
    vu->state = VU_WAITING; /* taken (worker_admit): finish_user gives it back once */
    vu->ramp_pending = true;
    start_fresh(vu, due, now); /* a late arrival's wait shows in the connect latency */
}

void vu_release(vu_t *vu)
{
    sbuf_free(&vu->out);
    sbuf_free(&vu->rx);
    vu_proto_release(vu);
    http_call_free(vu->http);
    vu->http = NULL;
    forget_captures(vu);
    vu_tls_release(vu);
}

void vu_conn_opened(vu_t *vu)
{
    run_ctx_t *run = vu->w->run;
    if (vu->conn_counted) /* one connection per user at most */
        return;
    vu->conn_counted = true;
    uint_fast64_t active = atomic_fetch_add(&run->active, 1) + 1;
    uint_fast64_t peak = atomic_load(&run->peak);
    while (active > peak && !atomic_compare_exchange_weak(&run->peak, &peak, active))
        ;
}

void vu_conn_closed(vu_t *vu)
{
    if (!vu->conn_counted)
        return;
    vu->conn_counted = false;
    atomic_fetch_sub(&vu->w->run->active, 1);
}

/* Closes the connection: the writeable callback sends the close frame
 * (vu_lws.c write_close) and the server's close ends it; this user's own
 * deadline, CLOSE_GRACE_US away, drops it if the server never answers. */
void vu_close(vu_t *vu, uint64_t now)
{
    if (!vu->wsi) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    if (vu->state != VU_CLOSING)
        vu_flow_resume(vu); /* the server's close frame must get through */
    vu->state = VU_CLOSING;
    vu_timer(vu, now + CLOSE_GRACE_US);
    lws_callback_on_writable(vu->wsi);
}

/* Drops a connection attempt or a connection without further callbacks
 * reaching this user's state. A pending connect or a close handshake given
 * up in the tick (its timeout, the run's end) is closed at once: outside
 * lws's service that is safe, and an asynchronous kill is a timeout due now
 * in lws's sorted list, whose insert walks past every other kill of the
 * tick (19,500 at the end of a connect storm; 13,000 close handshakes that
 * a server falling behind did not answer within 2 s took minutes).
 * Otherwise lws closes it after this callback. */
void vu_abandon_wsi(vu_t *vu)
{
    vu_ping_stop(vu);
    vu_flow_stop(vu);
    if (vu->wsi) {
        vu_wire_closed(vu, vu->wsi);
        bool now = vu->w->in_tick && (vu->state == VU_CONNECTING || vu->state == VU_CLOSING);
        lws_set_opaque_user_data(vu->wsi, NULL);
        lws_set_timeout(vu->wsi, PENDING_TIMEOUT_USER_OK,
                        now ? LWS_TO_KILL_SYNC : LWS_TO_KILL_ASYNC);
        vu->w->kill_queued |= !now; /* see vu_lws_settle */
    }
    vu->wsi = NULL;
}

/* Closed model: try again after a pause. Open model: the session ends (the
 * next arrival is a new session). */
void vu_backoff(vu_t *vu, uint64_t now)
{
    vu->wsi = NULL;
    if (vu->w->run->spec->open_model || vu_run_over(vu, now) || now >= vu->stop_at) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->state = VU_BACKOFF;
    vu_timer(vu, now + RECONNECT_BACKOFF_US);
}

/* ---- connecting ---- */

void vu_tmpl_ctx(vu_t *vu, tmpl_ctx_t *ctx)
{
    *ctx = (tmpl_ctx_t){
        .vu_id = vu->id + 1,
        .iteration = vu->iteration,
        .rng = &vu->rng,
        .slots = (const char *const *)vu->slots,
    };
    const spec_t *spec = vu->w->run->spec;
    if (spec->data)
        ctx->data_row = data_row(spec->data, vu->data_row);
}

int vu_render(vu_t *vu, const tmpl_t *t, sbuf_t *out)
{
    tmpl_ctx_t ctx;
    vu_tmpl_ctx(vu, &ctx);
    return tmpl_render(t, &ctx, out);
}

void vu_connect_failed(vu_t *vu, uint64_t now, err_kind_t kind, const char *why)
{
    metrics_t *m = vu->w->m;
    vu_connect_over(vu, now);
    metrics_fail(m, 0);
    metrics_error(m, kind, "connect (%s): %s", vu_scenario(vu)->name, why);
    if (vu->reconnecting) {
        /* the reconnect step failed; the user starts afresh after the
         * backoff, or reconnects under the scenario's policy */
        vu->reconnecting = false;
        metrics_fail(m, vu_current_step(vu)->metric);
        vu->wsi = NULL;
        reconnect_after_drop(vu, now);
        return;
    }
    reconnect_retry(vu, now);
}

/* The local address this user connects from (--source-addrs), or NULL. */
const char *vu_iface(const vu_t *vu)
{
    const run_ctx_t *run = vu->w->run;
    return run->src && run->src->n ? run->src->addr[(vu->id / run->id_stride) % run->src->n] : NULL;
}

/* Without a policy, lws 4.1 gives every client connection a validity
 * timer (ping after 300 s idle) and re-arms it on each message received;
 * its timers are one sorted list per thread, so each re-arm walked past
 * every other connection's timer (1,000 entries at 1,000 users). wsgate
 * sends its own pings (connect.ping_interval) and needs none of it. */
static const lws_retry_bo_t no_idle_policy = { .secs_since_valid_ping = 0,
                                               .secs_since_valid_hangup = 0 };
/* tls.insecure_skip_verify: accept any server certificate. */
int vu_tls_flags(const spec_t *spec)
{
    return spec->tls.insecure ? LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE
                              : 0;
}

/* ---- the connect pipeline (connq.h) ---- */

void vu_connect_over(vu_t *vu, uint64_t now)
{
    if (connq_leave(&vu->w->connq, vu->slot, now))
        atomic_fetch_sub_explicit(&vu->w->run->waiting, 1, memory_order_relaxed);
}

/* One more connect waits for a slot in the whole process (and the most at once). */
static void waiting_one_more(run_ctx_t *run)
{
    uint_fast64_t n = atomic_fetch_add_explicit(&run->waiting, 1, memory_order_relaxed) + 1;
    uint_fast64_t peak = atomic_load_explicit(&run->waiting_peak, memory_order_relaxed);
    while (n > peak && !atomic_compare_exchange_weak(&run->waiting_peak, &peak, n))
        ;
}

static void start_connect(vu_t *vu, uint64_t now);

void vu_connect(vu_t *vu, uint64_t now)
{
    vu_connect_from(vu, now, now);
}

void vu_connect_from(vu_t *vu, uint64_t planned, uint64_t now)
{
    vu->connect_plan = VU_PLAN_NONE;
    vu->w->m->connect_attempts++;
    vu->state = VU_CONNECTING;
    vu->close_code = 0;
    vu->peer_closed = vu->close_sent = false;
    vu->peer_code = 0;
    vu->t0 = planned;
    vu->wsi = NULL;
    vu_timer(vu, planned + vu_scenario(vu)->connect_timeout_us);
    if (!connq_enter(&vu->w->connq, vu->slot, now)) {
        waiting_one_more(vu->w->run); /* vu_connect_drain starts it */
        return;
    }
    start_connect(vu, now);
}

void vu_connect_drain(worker_t *w)
{
    connq_t *q = &w->connq;
    if (!q->len || q->flight >= q->limit || w->ending)
        return;
    uint64_t now = clock_mono_us();
    uint32_t id;
    while (connq_next(q, &id, now)) {
        atomic_fetch_sub_explicit(&w->run->waiting, 1, memory_order_relaxed);
        start_connect(&w->vus[id], now);
    }
}

/* Holding a connect slot: starts the WebSocket connect (vu->t0 and the
 * deadline are set). */
static void start_connect(vu_t *vu, uint64_t now)
{
    worker_t *w = vu->w;
    const spec_scenario_t *sc = vu_scenario(vu);
    const target_addr_t *addr = &w->run->addrs[vu->scenario];
    char err[160];
    wsurl_t url;

    sbuf_truncate(&w->scratch, 0);
    if (vu_render(vu, sc->url, &w->scratch) < 0 ||
        wsurl_parse(w->scratch.data, &url, err, sizeof(err)) < 0) {
        vu_connect_failed(vu, now, ERR_PROTOCOL, "invalid URL");
        return;
    }
    char gaddr[HOSTCHECK_ADDR_MAX], gwhy[400];
    err_kind_t gkind;
    if (hostcheck_dest(w->run->spec->hosts, url.host, url.port, addr->host, addr->numeric, gaddr,
                       sizeof(gaddr), &gkind, gwhy, sizeof(gwhy)) < 0) {
        vu_connect_failed(vu, now, gkind, gwhy); /* blocked: nothing sent */
        return;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = w->ctx;
    ci.address = strcmp(url.host, addr->host) == 0 ? addr->numeric : url.host;
    if (gaddr[0])
        ci.address = gaddr; /* the address hostcheck_dest checked */
    ci.port = url.port;
    ci.path = url.path;
    char upath[2048];
    if (vu_proto(vu)->url_path) {
        if (vu_proto(vu)->url_path(sc, url.path, upath, sizeof(upath)) < 0) {
            vu_connect_failed(vu, now, ERR_PROTOCOL, "URL path too long");
            return;
        }
        ci.path = upath;
    }
    ci.host = url.host;
    ci.origin = url.host;
    ci.ssl_connection = url.tls ? LCCSCF_USE_SSL | vu_tls_flags(w->run->spec) : 0;
    ci.local_protocol_name = "wsgate";
    /* NULL: no Sec-WebSocket-Protocol header */
    ci.protocol = sc->subprotocol ? sc->subprotocol : vu_proto(vu)->subprotocols;
    ci.opaque_user_data = vu;
    ci.iface = vu_iface(vu); /* spread users over the source addresses */
    ci.retry_and_idle_policy = &no_idle_policy;

    errno = 0;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    int errnum = errno; /* a connect() that failed at once: lws returns NULL */
    if (vu->state != VU_CONNECTING)
        return; /* failed synchronously; already counted */
    if (!wsi) {
        vu_connect_start_failed(vu, now, errnum);
        return;
    }
    vu->wsi = wsi;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* vu_timer times it: see vu_lws.c */
}

/* ---- steps ---- */

static void pick_task(vu_t *vu)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    unsigned r = (unsigned)rng_range(&vu->rng, 0, (int64_t)sc->task_weight_sum - 1);
    size_t i = 0;
    while (i + 1 < sc->ntasks && r >= sc->tasks[i].weight)
        r -= sc->tasks[i++].weight;
    vu->task = (uint16_t)i;
    vu->step = 0;
}

/* The block (on_start, on_reconnect or the current task) has ended,
 * normally or by a failed step: go on to the tasks, or think before the
 * next task. */
static void close_at_run_end(vu_t *vu, uint64_t now);

static void block_done(vu_t *vu, uint64_t now)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    const spec_t *spec = vu->w->run->spec;
    if (vu_run_over(vu, now)) { /* a step failed after the end: idle, to be closed */
        vu->state = VU_IDLE;
        vu_timer(vu, VU_FOREVER);
        close_at_run_end(vu, now);
        return;
    }
    bool session_over = spec->open_model && spec->open.iterations &&
                        (sc->ntasks == 0 || vu->iteration + 1 >= spec->open.iterations);
    if (vu->phase == PHASE_ON_START || vu->phase == PHASE_ON_RECONNECT) {
        vu->phase = PHASE_TASK;
        if (sc->ntasks == 0) {
            if (session_over) {
                vu_close(vu, now);
                return;
            }
            vu->state = VU_IDLE;
            vu_timer(vu, VU_FOREVER);
            return;
        }
        pick_task(vu);
        vu->sched = now;
        vu_run(vu, now);
        return;
    }
    if (session_over) {
        vu_close(vu, now);
        return;
    }
    vu->state = VU_THINKING;
    const spec_task_t *t = &sc->tasks[vu->task];
    if (t->every_us) { /* a fixed schedule: late starts catch up */
        vu->sched += t->every_us;
        vu_timer(vu, vu->sched > now ? vu->sched : now);
        return;
    }
    uint64_t pause = pause_sample(&t->pause, &vu->rng);
    vu->sched = now + pause;
    if (pause >= PAUSE_GRID_MIN_US)
        vu_timer(vu, (vu->sched + PAUSE_GRID_US - 1) / PAUSE_GRID_US * PAUSE_GRID_US);
    else
        vu_timer(vu, vu->sched);
}

void vu_step_done(vu_t *vu, uint64_t now)
{
    vu->step++;
    vu_run(vu, now);
}

void vu_step_failed(vu_t *vu, uint64_t now)
{
    block_done(vu, now);
}

static bool step_is_binary(const spec_step_t *st)
{
    return st->binary || st->binary_random;
}

/* send_binary: the fixed bytes, or binary_random fresh random bytes. */
static int fill_binary(vu_t *vu, const spec_step_t *st)
{
    if (st->binary)
        return sbuf_append(&vu->out, st->binary, st->binary_len);
    for (size_t i = 0; i < st->binary_random; i++) {
        char b = (char)rng_range(&vu->rng, 0, 255);
        if (sbuf_append(&vu->out, &b, 1) < 0)
            return -1;
    }
    return 0;
}

/* A direct write failed: lws marks the socket unusable but need not close
 * it (a TLS error leaves the TCP connection open), and no callback will
 * come. The user lets go of it and counts the drop, as on_closed would. */
static void write_failed(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    vu_abandon_wsi(vu);
    http_call_cancel(vu->http, vu->w->in_tick);
    vu_conn_closed(vu);
    metrics_error(vu->w->m, ERR_RESET, "connection (%s): a write failed, the socket is unusable",
                  vu_scenario(vu)->name);
    if (st)
        metrics_fail(vu->w->m, st->metric);
    if (vu_run_over(vu, now))
        vu_schedule_next_interval(vu, now);
    else
        reconnect_after_drop(vu, now);
}

/* Writes the pending message now when nothing is queued on the socket,
 * which saves the writeable round trip (two epoll_ctl calls and a loop pass
 * per message); otherwise the writeable callback sends it (always for a
 * message started by a write: see vu_write_message). After a close frame from
 * the server, lws's close handshake owns the socket: no data frame goes out. */
static void send_or_queue(vu_t *vu)
{
    /* deflate: lws may still be sending the last message's compressed
     * fragments (its tx drain), which only the writeable path waits for */
    if (vu->writing || vu->ping_pending || vu->proto_pending || vu->peer_closed || vu->deflate ||
        lws_partial_buffered(vu->wsi)) {
        lws_callback_on_writable(vu->wsi);
        return;
    }
    if (vu_write_message(vu, vu->wsi) < 0)
        write_failed(vu, clock_mono_us());
}

static void start_send(vu_t *vu, const spec_step_t *st)
{
    sbuf_truncate(&vu->out, 0);
    static const char pre[LWS_PRE];
    if (sbuf_append(&vu->out, pre, LWS_PRE) < 0 ||
        (step_is_binary(st) ? fill_binary(vu, st) : vu_proto_frame(vu, st, &vu->out)) < 0) {
        metrics_error(vu->w->m, ERR_PROTOCOL, "out of memory rendering a message");
        return;
    }
    vu->state = VU_SENDING;
    send_or_queue(vu);
}

/* A fixed-rate task's timed step: its first step with an expect (a
 * send+expect step, or an expect after a send step); -1 when it has none. */
static int timed_step(const spec_task_t *t)
{
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].expect)
            return (int)i;
    return -1;
}

/* The first expect of a fixed-rate task is timed from the task's intended
 * start, and times out expect.timeout after it, so a stalled server shows
 * as latency (no coordinated omission) and no ok sample exceeds the
 * timeout. */
static void start_expect(vu_t *vu, const spec_step_t *st, uint64_t now)
{
    vu->t0 = now;
    uint64_t deadline = now + st->expect_timeout_us;
    if (vu->phase == PHASE_TASK) {
        const spec_task_t *t = &vu_scenario(vu)->tasks[vu->task];
        if (t->every_us && (int)vu->step == timed_step(t) && vu->sched < now) {
            vu->t0 = vu->sched;
            deadline = vu->sched + st->expect_timeout_us;
        }
    }
    vu->state = VU_AWAITING;
    vu_timer(vu, deadline > now ? deadline : now);
}

/* A fixed-rate task whose intended starts are older than its timed step's
 * expect.timeout (the user was busy or stalled that long) does not send
 * them back to back: each is a failed step and an errors.timeout ("missed
 * start"), nothing is sent, and the schedule moves on to the first start
 * still within the timeout. */
static void skip_missed_starts(vu_t *vu, uint64_t now)
{
    const spec_task_t *t = &vu_scenario(vu)->tasks[vu->task];
    int i = timed_step(t);
    if (!t->every_us || i < 0)
        return;
    const spec_step_t *st = &t->steps[i];
    uint64_t to = st->expect_timeout_us;
    if (vu->sched + to >= now)
        return;
    uint64_t n = (now - to - vu->sched + t->every_us - 1) / t->every_us;
    vu->sched += n * t->every_us;
    metrics_t *m = vu->w->m;
    if (st->metric >= 0 && (size_t)st->metric < m->nsteps)
        m->failed[st->metric] += n;
    char waited[32];
    units_format_us((double)to, waited, sizeof(waited));
    metrics_error(m, ERR_TIMEOUT,
                  "%s: missed start: %llu fixed-rate start(s) were due more than %s ago "
                  "(the user was busy); counted as timeouts, not sent",
                  st->name ? st->name : "step", (unsigned long long)n, waited);
    m->errors[ERR_TIMEOUT].count += n - 1;
}

/* The run is over for this user. An idle connection stays open while
 * replies are awaited anywhere (engine.c closes them all after the last
 * one, w->idle_closed): every thinking user's timer is capped at the end,
 * and thousands of closes at that instant would delay the replies still
 * being measured. */
static void close_at_run_end(vu_t *vu, uint64_t now)
{
    if (!vu_idle_connected(vu) || vu->w->idle_closed)
        vu_close(vu, now);
}

void vu_run(vu_t *vu, uint64_t now)
{
    if (vu_run_over(vu, now)) {
        close_at_run_end(vu, now);
        return;
    }
    if (now >= vu->stop_at) {
        vu_close(vu, now);
        return;
    }
    const spec_step_t *st = vu_current_step(vu);
    if (!st) {
        block_done(vu, now);
        return;
    }
    if (st->close_code) {
        vu->close_code = st->close_code;
        vu_close(vu, now);
    } else if (st->reconnect) {
        vu->reconnecting = true;
        vu->reconnect_t0 = now;
        vu_close(vu, now);
    } else if (st->http) {
        vu_http_start(vu, st, now);
    } else if (st->pause_reading_us) {
        vu_flow_pause(vu, st, now);
    } else if (st->sleep_us) {
        vu->state = VU_SLEEPING;
        vu_timer(vu, now + st->sleep_us);
    } else if (st->send) {
        start_send(vu, st);
    } else {
        start_expect(vu, st, now);
    }
}

static void next_task(vu_t *vu, uint64_t now)
{
    vu->iteration++;
    pick_task(vu);
    skip_missed_starts(vu, now);
    vu_run(vu, now);
}

static void expect_timed_out(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    char waited[32];
    units_format_us((double)st->expect_timeout_us, waited, sizeof(waited));
    metrics_fail(vu->w->m, st->metric);
    metrics_error(vu->w->m, ERR_TIMEOUT, "%s: no message matching '%s' within %s",
                  st->name ? st->name : "step", st->expect_src, waited);
    vu_step_failed(vu, now);
}

static void sleep_done(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    if (st->metric >= 0)
        vu->w->m->ok[st->metric]++;
    vu_step_done(vu, now); /* closes instead when the run or interval is over */
}

/* After a closed connection: a reconnect step connects again; so does a
 * close step in the closed model (the user goes on), while in the open
 * model a close step ends the session, like the end of a k6 iteration:
 * the next arrival is a new session. */
bool vu_close_reconnects(const vu_t *vu)
{
    if (vu->reconnecting)
        return true;
    return vu->close_code && !vu->w->run->spec->open_model;
}

void vu_wake(vu_t *vu, uint64_t now)
{
    switch ((vu_state_t)vu->state) {
    case VU_WAITING:
    case VU_BACKOFF:
        if (now >= vu->stop_at || vu_run_over(vu, now))
            vu_schedule_next_interval(vu, now);
        else if (vu->reconnect_attempt)
            reconnect_now(vu, now);
        else /* a planned start is late by the loop's lag at most: timed from the plan */
            start_fresh(vu, vu->state == VU_WAITING && vu->sched <= now ? vu->sched : now, now);
        break;
    case VU_HTTP:
        vu_http_timed_out(vu, now);
        break;
    case VU_CONNECTING: {
        char why[64];
        bool waited = connq_waiting(&vu->w->connq, vu->slot);
        units_format_us((double)vu_scenario(vu)->connect_timeout_us, why, sizeof(why));
        vu_connect_over(vu, now);
        vu_abandon_wsi(vu);
        metrics_fail(vu->w->m, 0);
        if (waited) /* the server took every slot's connect that long */
            metrics_error(vu->w->m, ERR_TIMEOUT,
                          "connect (%s): no connect slot within %s (%u connects in flight, "
                          "load.max_connecting)",
                          vu_scenario(vu)->name, why, vu->w->connq.limit);
        else
            metrics_error(vu->w->m, ERR_TIMEOUT, "connect (%s): no upgrade within %s",
                          vu_scenario(vu)->name, why);
        reconnect_retry(vu, now);
        break;
    }
    case VU_AWAITING:
        expect_timed_out(vu, now);
        break;
    case VU_THINKING:
        if (vu_run_over(vu, now))
            close_at_run_end(vu, now);
        else if (now >= vu->stop_at)
            vu_close(vu, now);
        else
            next_task(vu, now);
        break;
    case VU_SLEEPING:
        if (vu->rx_paused) /* the end of a pause_reading step */
            vu_flow_resume(vu);
        if (vu_run_over(vu, now)) /* cut short by the end: not a completed sleep */
            close_at_run_end(vu, now);
        else
            sleep_done(vu, now);
        break;
    case VU_IDLE:
        if (vu_run_over(vu, now))
            close_at_run_end(vu, now);
        else
            vu_close(vu, now);
        break;
    case VU_SENDING:
        vu_close(vu, now);
        break;
    case VU_CLOSING:
        /* the close handshake did not finish in time */
        vu_abandon_wsi(vu);
        vu_conn_closed(vu);
        if (vu_close_reconnects(vu) && !vu_run_over(vu, now) && now < vu->stop_at)
            vu_connect(vu, now);
        else
            vu_schedule_next_interval(vu, now);
        break;
    case VU_DONE:
        break;
    }
}

/* ---- the end of the run ---- */

void vu_abort(vu_t *vu, uint64_t now)
{
    if (vu->state == VU_HTTP) { /* neither ok nor failed: the run was cut */
        http_call_cancel(vu->http, vu->w->in_tick);
        vu_close(vu, now);
        return;
    }
    if (vu->state == VU_AWAITING) { /* neither ok nor failed: the run was cut */
        vu_close(vu, now);
        return;
    }
    vu_end(vu, now);
}

bool vu_awaits_reply(const vu_t *vu)
{
    return vu->state == VU_AWAITING || vu->state == VU_HTTP;
}

bool vu_idle_connected(const vu_t *vu)
{
    return vu->wsi &&
           (vu->state == VU_THINKING || vu->state == VU_SLEEPING || vu->state == VU_IDLE);
}

void vu_end(vu_t *vu, uint64_t now)
{
    switch ((vu_state_t)vu->state) {
    case VU_AWAITING:
    case VU_CLOSING:
    case VU_DONE:
    case VU_HTTP:
        break; /* a pending reply is still measured; closes after it */
    case VU_CONNECTING:
        vu->w->m->connect_abandoned++; /* neither ok nor failed: counted apart */
        vu_connect_over(vu, now);
        vu_abandon_wsi(vu);
        finish_user(vu);
        break;
    case VU_WAITING:
    case VU_BACKOFF:
        finish_user(vu);
        break;
    default:
        vu_close(vu, now);
        break;
    }
}

/* ---- writing ---- */

/* Sends vu->out and moves the step on: to its expect, or to the next step,
 * whose message then waits for the writeable callback (vu->writing), so a
 * chain of sends never recurses. Returns -1 when the socket failed; the
 * caller has it counted. */
int vu_write_message(vu_t *vu, struct lws *wsi)
{
    size_t len = vu->out.len - LWS_PRE;
    const spec_step_t *st = vu_current_step(vu);
    enum lws_write_protocol kind = step_is_binary(st) ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
    int n = lws_write(wsi, (unsigned char *)vu->out.data + LWS_PRE, len, kind);
    if (n < (int)len)
        return -1;
    uint64_t now = clock_mono_us();
    metrics_t *m = vu->w->m;
    m->sent++;
    m->bytes_sent += len;
    vu->conn_tx += len;
    if (st->expect) {
        start_expect(vu, st, now);
        return 0;
    }
    if (st->metric >= 0)
        m->ok[st->metric]++;
    vu->writing = true;
    vu_step_done(vu, now);
    vu->writing = false;
    return 0;
}
