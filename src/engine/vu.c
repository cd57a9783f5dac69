#include "engine/vu.h"

#include <cjson/cJSON.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "spec/data.h"
#include "engine/http.h"
#include "spec/load.h"
#include "base/rng.h"
#include "base/units.h"
#include "engine/wsurl.h"

#define RECONNECT_BACKOFF_US 1000000ull
#define MAX_MESSAGE_BYTES (1u << 20) /* a hostile server must not exhaust memory */

static const spec_scenario_t *vu_scenario(const vu_t *vu)
{
    return &vu->w->run->spec->scenarios[vu->scenario];
}

static bool run_over(const vu_t *vu, uint64_t now)
{
    return vu->w->ending || now >= vu->w->run->end;
}

/* Deadlines other than a pending exchange are capped at the user's stop
 * time, so a ramp-down interrupts think time but not a measurement. */
static void vu_timer(vu_t *vu, uint64_t due)
{
    bool measuring = vu->state == VU_AWAITING || vu->state == VU_CONNECTING ||
                     vu->state == VU_CLOSING || vu->state == VU_HTTP;
    if (!measuring && due > vu->stop_at)
        due = vu->stop_at;
    timerq_set(vu->w->tq, vu->slot, due);
    worker_wake_by(vu->w, due);
}

/* Closed model: the user will not run again. Open model: the session is
 * over and its slot free for the next arrival. */
static void vu_finish(vu_t *vu)
{
    worker_t *w = vu->w;
    bool was_done = vu->state == VU_DONE;
    vu->state = VU_DONE;
    timerq_cancel(w->tq, vu->slot);
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
static void vu_schedule_next_interval(vu_t *vu, uint64_t now)
{
    run_ctx_t *run = vu->w->run;
    uint64_t start, stop;
    uint64_t from = now > run->t0 ? now - run->t0 : 0;
    if (run->spec->open_model || run_over(vu, now) ||
        !load_interval(run->spec, vu->id, from, &start, &stop)) {
        vu->rc_attempt = 0;
        vu_finish(vu);
        return;
    }
    vu->rc_attempt = 0; /* an automatic reconnect does not outlive its interval */
    vu->state = VU_WAITING;
    vu->stop_at = run->t0 + stop;
    timerq_set(vu->w->tq, vu->slot, run->t0 + start);
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
static void vu_forget_captures(vu_t *vu)
{
    if (!vu->slots)
        return;
    for (size_t i = 0; i < vu_scenario(vu)->nslots; i++)
        free(vu->slots[i]);
    free(vu->slots);
    vu->slots = NULL;
}

static void vu_begin(vu_t *vu, uint64_t now);

void vu_session_start(vu_t *vu, uint32_t k, uint64_t due, uint64_t now)
{
    const spec_t *spec = vu->w->run->spec;
    vu_forget_captures(vu);
    vu->id = k;
    vu->scenario = (uint16_t)load_scenario_for(spec, k);
    vu->rng = rng_seed(vu->w->run->seed, k);
    vu->wsi = NULL;
    vu->rx_oversize = vu->ping_pending = vu->reconnecting = vu->writing = false;
    vu->close_code = 0;
    vu->phase = PHASE_ON_START;
    vu->task = vu->step = 0;
    vu->iteration = 0;
    vu->ping_sent_at = 0;
    vu->stop_at = spec->open.session_us ? due + spec->open.session_us : VU_FOREVER;
    vu->sched = due;
    sbuf_truncate(&vu->rx, 0);
    vu->state = VU_WAITING; /* taken (worker_admit): vu_finish gives it back once */
    vu_begin(vu, now);
    if (vu->state == VU_CONNECTING)
        vu->t0 = due; /* a late arrival's wait shows in the connect latency */
}

void vu_release(vu_t *vu)
{
    sbuf_free(&vu->out);
    sbuf_free(&vu->rx);
    http_call_free(vu->http);
    vu->http = NULL;
    vu_forget_captures(vu);
}

static void conn_opened(vu_t *vu)
{
    run_ctx_t *run = vu->w->run;
    uint_fast64_t active = atomic_fetch_add(&run->active, 1) + 1;
    uint_fast64_t peak = atomic_load(&run->peak);
    while (active > peak && !atomic_compare_exchange_weak(&run->peak, &peak, active))
        ;
}

static void conn_closed(vu_t *vu)
{
    atomic_fetch_sub(&vu->w->run->active, 1);
}

/* Asks libwebsockets to close the connection from the writeable callback
 * (with a close frame). */
static void vu_close(vu_t *vu, uint64_t now)
{
    if (!vu->wsi) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->state = VU_CLOSING;
    vu_timer(vu, now + CLOSE_GRACE_US);
    lws_callback_on_writable(vu->wsi);
}

/* Drops a connection attempt or a connection without further callbacks
 * reaching this user's state. */
static void ping_stop(vu_t *vu);

static void vu_abandon_wsi(vu_t *vu)
{
    ping_stop(vu);
    if (vu->wsi) {
        lws_set_opaque_user_data(vu->wsi, NULL);
        lws_set_timeout(vu->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    vu->wsi = NULL;
}

/* Closed model: try again after a pause. Open model: the session ends (the
 * next arrival is a new session). */
static void vu_backoff(vu_t *vu, uint64_t now)
{
    vu->wsi = NULL;
    if (vu->w->run->spec->open_model || run_over(vu, now) || now >= vu->stop_at) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->state = VU_BACKOFF;
    vu_timer(vu, now + RECONNECT_BACKOFF_US);
}

/* ---- automatic reconnects (connect.reconnect) ---- */

/* backoff * 2^(attempt-1), capped at max_backoff, then scaled by a
 * uniform factor in [1 - jitter, 1 + jitter] from the user's rng. */
static uint64_t rc_delay(vu_t *vu)
{
    const spec_reconnect_t *p = &vu_scenario(vu)->reconnect;
    uint64_t d = p->backoff_us;
    for (unsigned i = 1; i < vu->rc_attempt && d < p->max_backoff_us; i++)
        d *= 2;
    if (d > p->max_backoff_us)
        d = p->max_backoff_us;
    if (p->jitter_pct) {
        double j = (double)p->jitter_pct / 100.0;
        d = (uint64_t)((double)d * (1.0 - j + 2.0 * j * rng_unit(&vu->rng)));
    }
    return d ? d : 1000; /* jitter 100% can draw 0: never a busy reconnect loop */
}

/* Waits before attempt rc_attempt, unless the interval is over. */
static void rc_wait(vu_t *vu, uint64_t now)
{
    vu->wsi = NULL;
    if (run_over(vu, now) || now >= vu->stop_at) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->state = VU_BACKOFF;
    vu_timer(vu, now + rc_delay(vu));
}

/* The connection dropped (or a reconnect step could not connect): under a
 * policy the user reconnects after the backoff; else it starts afresh. */
static void vu_dropped(vu_t *vu, uint64_t now)
{
    if (!vu_scenario(vu)->reconnect.max_attempts) {
        vu_backoff(vu, now);
        return;
    }
    vu->rc_attempt = 1;
    vu->drop_at = now;
    vu->rc_resume = vu->phase != PHASE_ON_START;
    rc_wait(vu, now);
}

static void vu_connect(vu_t *vu, uint64_t now);

static void rc_connect(vu_t *vu, uint64_t now)
{
    vu->w->m->reconnect_attempts++;
    vu_connect(vu, now);
}

/* A connect failed or timed out: the next attempt, or give up for the rest
 * of the interval after max_attempts (one failure of "reconnects"). */
static void vu_connect_retry(vu_t *vu, uint64_t now)
{
    if (!vu->rc_attempt) {
        vu_backoff(vu, now);
        return;
    }
    vu->wsi = NULL;
    if (vu->rc_attempt >= vu_scenario(vu)->reconnect.max_attempts) {
        metrics_fail(vu->w->m, vu->w->run->spec->reconnect_metric);
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->rc_attempt++;
    rc_wait(vu, now);
}

/* ---- connecting ---- */

static int render(vu_t *vu, const tmpl_t *t, sbuf_t *out)
{
    tmpl_ctx_t ctx = {
        .vu_id = vu->id + 1,
        .iteration = vu->iteration,
        .rng = &vu->rng,
        .slots = (const char *const *)vu->slots,
    };
    const spec_t *spec = vu->w->run->spec;
    if (spec->data)
        ctx.data_row = data_row(spec->data, vu->data_row);
    return tmpl_render(t, &ctx, out);
}

static const spec_step_t *vu_current_step(const vu_t *vu);

static void connect_failed(vu_t *vu, uint64_t now, err_kind_t kind, const char *why)
{
    metrics_t *m = vu->w->m;
    metrics_fail(m, 0);
    metrics_error(m, kind, "connect (%s): %s", vu_scenario(vu)->name, why);
    if (vu->reconnecting) {
        /* the reconnect step failed; the user starts afresh after the
         * backoff, or reconnects under the scenario's policy */
        vu->reconnecting = false;
        metrics_fail(m, vu_current_step(vu)->metric);
        vu->wsi = NULL;
        vu_dropped(vu, now);
        return;
    }
    vu_connect_retry(vu, now);
}

/* The local address this user connects from (--source-addrs), or NULL. */
static const char *vu_iface(const vu_t *vu)
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
static int vu_tls_flags(const spec_t *spec)
{
    return spec->tls.insecure ? LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE
                              : 0;
}

static void vu_connect(vu_t *vu, uint64_t now)
{
    worker_t *w = vu->w;
    const spec_scenario_t *sc = vu_scenario(vu);
    const target_addr_t *addr = &w->run->addrs[vu->scenario];
    char err[160];
    wsurl_t url;

    sbuf_truncate(&w->scratch, 0);
    if (render(vu, sc->url, &w->scratch) < 0 ||
        wsurl_parse(w->scratch.data, &url, err, sizeof(err)) < 0) {
        connect_failed(vu, now, ERR_PROTOCOL, "invalid URL");
        return;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = w->ctx;
    ci.address = strcmp(url.host, addr->host) == 0 ? addr->numeric : url.host;
    ci.port = url.port;
    ci.path = url.path;
    ci.host = url.host;
    ci.origin = url.host;
    ci.ssl_connection = url.tls ? LCCSCF_USE_SSL | vu_tls_flags(w->run->spec) : 0;
    ci.local_protocol_name = "wsgate";
    ci.protocol = sc->subprotocol; /* NULL: no Sec-WebSocket-Protocol header */
    ci.opaque_user_data = vu;
    ci.iface = vu_iface(vu); /* spread users over the source addresses */
    ci.retry_and_idle_policy = &no_idle_policy;

    vu->state = VU_CONNECTING;
    vu->close_code = 0;
    vu->peer_closed = false;
    vu->peer_code = 0;
    vu->t0 = now;
    vu->wsi = NULL;
    vu_timer(vu, now + sc->connect_timeout_us);
    struct lws *wsi = lws_client_connect_via_info(&ci);
    if (vu->state != VU_CONNECTING)
        return; /* failed synchronously; already counted */
    if (!wsi) {
        connect_failed(vu, now, ERR_PROTOCOL, "could not start the connection");
        return;
    }
    vu->wsi = wsi;
}

/* ---- steps ---- */

static const spec_step_t *vu_current_step(const vu_t *vu)
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

static void vu_pick_task(vu_t *vu)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    unsigned r = (unsigned)rng_range(&vu->rng, 0, (int64_t)sc->task_weight_sum - 1);
    size_t i = 0;
    while (i + 1 < sc->ntasks && r >= sc->tasks[i].weight)
        r -= sc->tasks[i++].weight;
    vu->task = (uint16_t)i;
    vu->step = 0;
}

static void vu_run(vu_t *vu, uint64_t now);
static void vu_http_start(vu_t *vu, const spec_step_t *st, uint64_t now);
static void vu_http_timed_out(vu_t *vu, uint64_t now);

/* The block (on_start, on_reconnect or the current task) has ended,
 * normally or by a failed step: go on to the tasks, or think before the
 * next task. */
static void vu_block_done(vu_t *vu, uint64_t now)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    const spec_t *spec = vu->w->run->spec;
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
        vu_pick_task(vu);
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
    vu->sched = now + pause_sample(&t->pause, &vu->rng);
    vu_timer(vu, vu->sched);
}

static void vu_step_done(vu_t *vu, uint64_t now)
{
    vu->step++;
    vu_run(vu, now);
}

static void vu_step_failed(vu_t *vu, uint64_t now)
{
    vu_block_done(vu, now);
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

static int write_message(vu_t *vu, struct lws *wsi);
static void vu_dropped(vu_t *vu, uint64_t now);

/* A direct write failed: lws marks the socket unusable but need not close
 * it (a TLS error leaves the TCP connection open), and no callback will
 * come. The user lets go of it and counts the drop, as on_closed would. */
static void vu_write_failed(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    vu_abandon_wsi(vu);
    http_call_cancel(vu->http);
    conn_closed(vu);
    metrics_error(vu->w->m, ERR_RESET, "connection (%s): a write failed, the socket is unusable",
                  vu_scenario(vu)->name);
    if (st)
        metrics_fail(vu->w->m, st->metric);
    if (run_over(vu, now))
        vu_schedule_next_interval(vu, now);
    else
        vu_dropped(vu, now);
}

/* Writes the pending message now when nothing is queued on the socket,
 * which saves the writeable round trip (two epoll_ctl calls and a loop pass
 * per message); otherwise the writeable callback sends it (always for a
 * message started by a write: see write_message). After a close frame from
 * the server, lws's close handshake owns the socket: no data frame goes out. */
static void vu_send_or_queue(vu_t *vu)
{
    if (vu->writing || vu->ping_pending || vu->peer_closed || lws_partial_buffered(vu->wsi)) {
        lws_callback_on_writable(vu->wsi);
        return;
    }
    if (write_message(vu, vu->wsi) < 0)
        vu_write_failed(vu, clock_mono_us());
}

static void vu_start_send(vu_t *vu, const spec_step_t *st)
{
    sbuf_truncate(&vu->out, 0);
    static const char pre[LWS_PRE];
    if (sbuf_append(&vu->out, pre, LWS_PRE) < 0 ||
        (step_is_binary(st) ? fill_binary(vu, st) : render(vu, st->send, &vu->out)) < 0) {
        metrics_error(vu->w->m, ERR_PROTOCOL, "out of memory rendering a message");
        return;
    }
    vu->state = VU_SENDING;
    vu_send_or_queue(vu);
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
static void vu_start_expect(vu_t *vu, const spec_step_t *st, uint64_t now)
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
static void vu_skip_missed(vu_t *vu, uint64_t now)
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
 * replies are awaited anywhere (engine.c closes it after the last one):
 * every thinking user's timer is capped at the end, and thousands of
 * closes at that instant would delay the replies still being measured. */
static void vu_close_at_run_end(vu_t *vu, uint64_t now)
{
    if (!vu_idle_connected(vu))
        vu_close(vu, now);
}

static void vu_run(vu_t *vu, uint64_t now)
{
    if (run_over(vu, now)) {
        vu_close_at_run_end(vu, now);
        return;
    }
    if (now >= vu->stop_at) {
        vu_close(vu, now);
        return;
    }
    const spec_step_t *st = vu_current_step(vu);
    if (!st) {
        vu_block_done(vu, now);
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
    } else if (st->sleep_us) {
        vu->state = VU_SLEEPING;
        vu_timer(vu, now + st->sleep_us);
    } else if (st->send) {
        vu_start_send(vu, st);
    } else {
        vu_start_expect(vu, st, now);
    }
}

static void vu_next_task(vu_t *vu, uint64_t now)
{
    vu->iteration++;
    vu_pick_task(vu);
    vu_skip_missed(vu, now);
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

static void vu_sleep_done(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    if (st->metric >= 0)
        vu->w->m->ok[st->metric]++;
    vu_step_done(vu, now); /* closes instead when the run or interval is over */
}

/* A fresh start: the leading http steps of on_start (the login), then the
 * connect. */
static void vu_begin(vu_t *vu, uint64_t now)
{
    if (vu_scenario(vu)->npre_connect == 0) {
        vu_connect(vu, now);
        return;
    }
    vu->phase = PHASE_ON_START;
    vu->step = 0;
    vu->iteration = 0;
    vu_run(vu, now);
}

/* After a closed connection: a reconnect step connects again; so does a
 * close step in the closed model (the user goes on), while in the open
 * model a close step ends the session, like the end of a k6 iteration:
 * the next arrival is a new session. */
static bool close_reconnects(const vu_t *vu)
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
        if (now >= vu->stop_at || run_over(vu, now))
            vu_schedule_next_interval(vu, now);
        else if (vu->rc_attempt)
            rc_connect(vu, now);
        else
            vu_begin(vu, now);
        break;
    case VU_HTTP:
        vu_http_timed_out(vu, now);
        break;
    case VU_CONNECTING: {
        char why[64];
        units_format_us((double)vu_scenario(vu)->connect_timeout_us, why, sizeof(why));
        vu_abandon_wsi(vu);
        metrics_fail(vu->w->m, 0);
        metrics_error(vu->w->m, ERR_TIMEOUT, "connect (%s): no upgrade within %s",
                      vu_scenario(vu)->name, why);
        vu_connect_retry(vu, now);
        break;
    }
    case VU_AWAITING:
        expect_timed_out(vu, now);
        break;
    case VU_THINKING:
        if (run_over(vu, now))
            vu_close_at_run_end(vu, now);
        else if (now >= vu->stop_at)
            vu_close(vu, now);
        else
            vu_next_task(vu, now);
        break;
    case VU_SLEEPING:
        if (run_over(vu, now)) /* cut short by the end: not a completed sleep */
            vu_close_at_run_end(vu, now);
        else
            vu_sleep_done(vu, now);
        break;
    case VU_IDLE:
        if (run_over(vu, now))
            vu_close_at_run_end(vu, now);
        else
            vu_close(vu, now);
        break;
    case VU_SENDING:
        vu_close(vu, now);
        break;
    case VU_CLOSING:
        /* the close handshake did not finish in time */
        vu_abandon_wsi(vu);
        conn_closed(vu);
        if (close_reconnects(vu) && !run_over(vu, now) && now < vu->stop_at)
            vu_connect(vu, now);
        else
            vu_schedule_next_interval(vu, now);
        break;
    case VU_DONE:
        break;
    }
}

/* ---- http steps ---- */

static const char *step_label(const spec_step_t *st)
{
    return st->name ? st->name : "http";
}

/* Renders the headers as "Name: value\n" lines. */
static int render_http_headers(vu_t *vu, const spec_http_t *h, sbuf_t *out)
{
    for (size_t i = 0; i < h->nheaders; i++)
        if (render(vu, h->headers[i], out) < 0 || sbuf_append(out, "\n", 1) < 0)
            return -1;
    return 0;
}

static void http_done(void *owner, http_call_t *call);
static void vu_http_failed(vu_t *vu, uint64_t now);

/* Renders the step's URL, headers and body (NUL-terminated) and starts the
 * request. Returns 0, or -1 with a reason in err. */
static int http_send(vu_t *vu, const spec_http_t *h, sbuf_t b[3], char *err, size_t errlen)
{
    if (render(vu, h->url, &b[0]) < 0 || render_http_headers(vu, h, &b[1]) < 0 ||
        (h->body && render(vu, h->body, &b[2]) < 0) || sbuf_reserve(&b[0], 0) < 0 ||
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
    };
    return http_call_start(vu->http, vu->w->ctx, &req, http_done, vu, err, errlen);
}

/* Starts the step's request; the timer bounds it (http.timeout). */
static void vu_http_start(vu_t *vu, const spec_step_t *st, uint64_t now)
{
    sbuf_t b[3] = { SBUF_INIT, SBUF_INIT, SBUF_INIT };
    char err[160] = "out of memory";
    vu->state = VU_HTTP;
    vu->t0 = now;
    vu_timer(vu, now + st->http->timeout_us);
    if (!vu->http)
        vu->http = http_call_new();
    int rc = vu->http ? http_send(vu, st->http, b, err, sizeof(err)) : -1;
    for (size_t i = 0; i < 3; i++)
        sbuf_free(&b[i]);
    if (rc < 0) {
        metrics_fail(vu->w->m, st->metric);
        metrics_error(vu->w->m, ERR_PROTOCOL, "%s: %s", step_label(st), err);
        vu_http_failed(vu, now);
    }
}

static bool http_pre_connect(const vu_t *vu)
{
    return vu->phase == PHASE_ON_START && vu->step < vu_scenario(vu)->npre_connect && !vu->wsi;
}

/* A failed login before connecting: retry the whole start after the
 * backoff; a failed http step while connected ends its block. */
static void vu_http_failed(vu_t *vu, uint64_t now)
{
    if (http_pre_connect(vu))
        vu_backoff(vu, now);
    else
        vu_step_failed(vu, now);
}

static void vu_http_next(vu_t *vu, uint64_t now)
{
    if (!http_pre_connect(vu)) {
        vu_step_done(vu, now);
        return;
    }
    vu->step++;
    if (vu->step < vu_scenario(vu)->npre_connect)
        vu_run(vu, now);
    else if (run_over(vu, now) || now >= vu->stop_at)
        vu_schedule_next_interval(vu, now);
    else
        vu_connect(vu, now);
}

static void vu_http_timed_out(vu_t *vu, uint64_t now)
{
    const spec_step_t *st = vu_current_step(vu);
    char waited[32];
    http_call_cancel(vu->http);
    units_format_us((double)st->http->timeout_us, waited, sizeof(waited));
    metrics_fail(vu->w->m, st->metric);
    metrics_error(vu->w->m, ERR_TIMEOUT, "%s: no HTTP response within %s", step_label(st), waited);
    vu_http_failed(vu, now);
}

/* A captured JSON value as text: strings as they are, numbers and
 * booleans printed; NULL for anything else. */
static char *json_text(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d)
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

static int ensure_slots(vu_t *vu)
{
    size_t n = vu_scenario(vu)->nslots;
    if (!vu->slots && n)
        vu->slots = calloc(n, sizeof(*vu->slots));
    return vu->slots || !n ? 0 : -1;
}

/* Stores v (owned) in cap's slot, or counts a protocol error naming the
 * field, never the value, and frees v. Returns 0, or -1 on the error. */
static int store_capture(vu_t *vu, const spec_capture_t *cap, char *v, const char *label,
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

/* Stores every capture of the step. Returns 0, or -1 when one found nothing. */
static int http_capture(vu_t *vu, const spec_step_t *st, const http_call_t *call)
{
    const spec_http_t *h = st->http;
    size_t blen;
    const char *body = http_call_body(call, &blen);
    cJSON *json = NULL;
    int rc = ensure_slots(vu);
    for (size_t i = 0; rc == 0 && i < h->ncaptures; i++) {
        const spec_capture_t *cap = &h->captures[i];
        char *v;
        if (cap->cookie) {
            v = http_call_cookie(call, cap->cookie);
        } else {
            if (!json)
                json = cJSON_ParseWithLength(body, blen);
            v = json_text(pred_path_value(cap->json, json));
        }
        rc = store_capture(vu, cap, v, step_label(st), "found nothing in the response");
    }
    cJSON_Delete(json);
    return rc;
}

/* Error, status, then captures. Returns 0 when the step succeeded. */
static int http_check(vu_t *vu, const spec_step_t *st, const http_call_t *call)
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
    return http_capture(vu, st, call);
}

static void http_done(void *owner, http_call_t *call)
{
    vu_t *vu = owner;
    if (vu->w->finished || vu->state != VU_HTTP)
        return;
    uint64_t now = clock_mono_us();
    const spec_step_t *st = vu_current_step(vu);
    if (http_check(vu, st, call) < 0) {
        metrics_fail(vu->w->m, st->metric);
        vu_http_failed(vu, now);
        return;
    }
    metrics_ok(vu->w->m, st->metric, now - vu->t0);
    vu_http_next(vu, now);
}

void vu_abort(vu_t *vu, uint64_t now)
{
    if (vu->state == VU_HTTP) { /* neither ok nor failed: the run was cut */
        http_call_cancel(vu->http);
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
        vu_abandon_wsi(vu);
        vu_finish(vu);
        break;
    case VU_WAITING:
    case VU_BACKOFF:
        vu_finish(vu);
        break;
    default:
        vu_close(vu, now);
        break;
    }
}

/* ---- libwebsockets callbacks ---- */

static err_kind_t classify_connect_error(struct lws *wsi, const char *why, int *status)
{
    *status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
    if (*status > 0 && *status != 101)
        return ERR_HTTP_STATUS;
    err_kind_t kind = http_classify_error(why); /* refused, dns, tls, timeout, reset, closed */
    if (kind == ERR_PROTOCOL && why &&
        (strstr(why, "101") || strstr(why, "HS:") || strstr(why, "upgrade")))
        return ERR_HTTP_STATUS; /* a refused or malformed upgrade */
    return kind;
}

static void on_connection_error(vu_t *vu, struct lws *wsi, const char *why)
{
    uint64_t now = clock_mono_us();
    int status = 0;
    err_kind_t kind = classify_connect_error(wsi, why, &status);
    char msg[200];
    if (kind == ERR_HTTP_STATUS && status > 0)
        snprintf(msg, sizeof(msg), "upgrade refused with HTTP %d", status);
    else
        snprintf(msg, sizeof(msg), "%s", why ? why : "connection failed");
    vu->wsi = NULL;
    connect_failed(vu, now, kind, msg);
}

/* ---- protocol pings ---- */

static void ping_stop(vu_t *vu)
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

static void on_established(vu_t *vu)
{
    uint64_t now = clock_mono_us();
    metrics_ok(vu->w->m, 0, now - vu->t0);
    conn_opened(vu);
    if (vu_scenario(vu)->ping_interval_us)
        timerq_set(vu->w->ping_tq, vu->slot, now + vu_scenario(vu)->ping_interval_us);
    if (vu->reconnecting) {
        /* a reconnect step: measured from the close, then the task goes on */
        vu->reconnecting = false;
        metrics_ok(vu->w->m, vu_current_step(vu)->metric, now - vu->reconnect_t0);
        vu_step_done(vu, now);
        return;
    }
    if (vu->rc_attempt) {
        /* an automatic reconnect: measured from the drop; on_reconnect,
         * then the tasks resume (on_start again if it never finished) */
        vu->rc_attempt = 0;
        metrics_ok(vu->w->m, vu->w->run->spec->reconnect_metric, now - vu->drop_at);
        if (vu->rc_resume) {
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

static int on_writeable(vu_t *vu, struct lws *wsi)
{
    if (vu->state == VU_CLOSING) {
        lws_close_reason(wsi, vu->close_code ? vu->close_code : LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (vu->ping_pending)
        return write_ping(vu, wsi);
    if (vu->state != VU_SENDING)
        return 0;
    return write_message(vu, wsi); /* -1: lws closes, the close callback counts it */
}

/* Sends vu->out and moves the step on: to its expect, or to the next step,
 * whose message then waits for the writeable callback (vu->writing), so a
 * chain of sends never recurses. Returns -1 when the socket failed; the
 * caller has it counted. */
static int write_message(vu_t *vu, struct lws *wsi)
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
    if (st->expect) {
        vu_start_expect(vu, st, now);
        return 0;
    }
    if (st->metric >= 0)
        m->ok[st->metric]++;
    vu->writing = true;
    vu_step_done(vu, now);
    vu->writing = false;
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
        metrics_error(
            vu->w->m, ERR_PROTOCOL, "%s: latency_from field '%s' is missing or not a number: %.*s",
            st->name ? st->name : "step", st->latency_from_src, (int)(len < 120 ? len : 120), msg);
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
    int rc = ensure_slots(vu);
    for (size_t i = 0; rc == 0 && i < st->ncaptures; i++) {
        const spec_capture_t *cap = &st->captures[i];
        rc = store_capture(vu, cap, json_text(pred_path_value(cap->json, json)),
                           st->name ? st->name : "step",
                           "found no string, number or boolean in the message");
    }
    return rc;
}

static void match_message(vu_t *vu, const cJSON *json, const char *msg, size_t len)
{
    const spec_step_t *st = vu_current_step(vu);
    bool hit = pred_eval(st->expect, json);
    bool bad = !hit && st->fail_if && pred_eval(st->fail_if, json);
    uint64_t now = clock_mono_us();
    uint64_t latency = now - vu->t0;
    int lat_rc = hit && st->latency_from ? push_latency(vu, st, json, msg, len, &latency) : 0;
    if (bad) {
        metrics_fail(vu->w->m, st->metric);
        metrics_error(vu->w->m, ERR_UNEXPECTED_MESSAGE, "%s: got a message matching '%s': %.*s",
                      st->name ? st->name : "step", st->fail_if_src, (int)(len < 120 ? len : 120),
                      msg);
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
        if (!pred_eval(cnt->expect, json))
            continue;
        if (cnt->ncaptures)
            msg_capture(vu, cnt, json); /* a miss is a protocol error; counted all the same */
        if (!cnt->latency_from)
            vu->w->m->ok[cnt->metric]++; /* counted, no latency sample */
        else if (push_latency(vu, cnt, json, msg, len, &latency) == 0)
            metrics_ok(vu->w->m, cnt->metric, latency);
    }
}

/* Parses a complete message once for the counts and the awaited step. */
static void on_message(vu_t *vu, const char *msg, size_t len)
{
    bool awaiting = vu->state == VU_AWAITING;
    /* after the end, only replies to requests sent before it are measured */
    if (!awaiting && (vu_scenario(vu)->ncounts == 0 || vu->w->ending))
        return;
    cJSON *json = cJSON_ParseWithLength(msg, len);
    count_message(vu, json, msg, len);
    if (awaiting)
        match_message(vu, json, msg, len);
    cJSON_Delete(json);
}

static void on_receive(vu_t *vu, struct lws *wsi, const char *in, size_t len)
{
    metrics_t *m = vu->w->m;
    m->bytes_received += len;
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
    ping_stop(vu);
    http_call_cancel(vu->http); /* an http step in flight on this connection */
    conn_closed(vu);
    vu->wsi = NULL;
    /* a reconnect step, or a close step: the user connects again at once
     * (open model: a close step ends the session, see close_reconnects) */
    if (vu->close_code && vu->state == VU_CLOSING)
        close_step_done(vu);
    if (close_reconnects(vu) && vu->state == VU_CLOSING && !run_over(vu, now) &&
        now < vu->stop_at) {
        vu_connect(vu, now);
        return;
    }
    vu->reconnecting = false;
    if (vu->state == VU_CLOSING || run_over(vu, now)) {
        if (vu->state == VU_AWAITING) {
            const spec_step_t *st = vu_current_step(vu);
            metrics_fail(vu->w->m, st->metric);
        }
        vu_schedule_next_interval(vu, now);
        return;
    }
    if (vu->peer_closed)
        metrics_error(vu->w->m, ERR_CLOSED, "connection (%s) closed by the server (code %u)",
                      vu_scenario(vu)->name, vu->peer_code);
    else
        metrics_error(vu->w->m, ERR_RESET, "connection (%s) dropped without a close frame",
                      vu_scenario(vu)->name);
    if (vu->state == VU_AWAITING || vu->state == VU_SENDING || vu->state == VU_HTTP) {
        const spec_step_t *st = vu_current_step(vu);
        metrics_fail(vu->w->m, st->metric);
    }
    vu_dropped(vu, now);
}

static int append_headers(vu_t *vu, unsigned char **p, unsigned char *end)
{
    const spec_scenario_t *sc = vu_scenario(vu);
    sbuf_t *s = &vu->w->scratch;
    for (size_t i = 0; i < sc->nheaders; i++) {
        sbuf_truncate(s, 0);
        if (render(vu, sc->headers[i], s) < 0)
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
static int check_subprotocol(vu_t *vu, struct lws *wsi)
{
    const char *want = vu_scenario(vu)->subprotocol;
    char got[64] = "";
    if (!want)
        return 0;
    if (lws_hdr_copy(wsi, got, sizeof(got), WSI_TOKEN_PROTOCOL) > 0 && strcmp(got, want) == 0)
        return 0;
    char why[160];
    snprintf(why, sizeof(why), "server did not accept subprotocol \"%s\" (answered %s%.60s%s)",
             want, got[0] ? "\"" : "", got[0] ? got : "none", got[0] ? "\"" : "");
    lws_set_opaque_user_data(wsi, NULL);
    forget_wsi(vu, wsi);
    connect_failed(vu, clock_mono_us(), ERR_PROTOCOL, why);
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
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (wsi && wsi == tls_fail.wsi) { /* say why instead of "SSL err 1" */
            in = tls_fail.why;
            tls_fail.wsi = NULL;
        }
        break;
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
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
        if (vu->state == VU_CONNECTING)
            on_connection_error(vu, wsi, in);
        lws_set_opaque_user_data(wsi, NULL);
        forget_wsi(vu, wsi);
        break;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        vu->wsi = wsi;
        return append_headers(vu, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        return check_subprotocol(vu, wsi);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        vu->wsi = wsi;
        on_established(vu);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(vu, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(vu, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        on_pong(vu);
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: /* a close frame: "closed", not "reset" */
        vu->peer_closed = true;
        vu->peer_code =
            len >= 2
                ? (uint16_t)(((const unsigned char *)in)[0] << 8 | ((const unsigned char *)in)[1])
                : 0;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
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
