/* worker: one engine thread's loop, tick scheduling, publishing and session places. */
#include "engine/worker.h"

#include <libwebsockets.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

#define TICK_US 100000ull   /* longest sleep: notices a stop flag */
#define END_POLL_US 2000ull /* tick while the run is ending */

bool worker_reads_slowly(const spec_t *spec)
{
    for (size_t i = 0; i < spec->nscenarios; i++)
        if (spec->scenarios[i].read_rate)
            return true;
    return false;
}

int worker_init(worker_t *w, run_ctx_t *run, unsigned index, uint32_t nvus, bool snapshots,
                worker_tick_fn tick, worker_settle_fn settle)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->out_lock, NULL);
    w->run = run;
    w->index = index;
    w->nvus = nvus;
    w->tq = timerq_new(nvus);
    w->ping_tq = timerq_new(nvus);
    if (worker_reads_slowly(run->spec) && !(w->flow_tq = timerq_new(nvus)))
        return -1;
    w->m = metrics_new(run->spec->nmetrics);
    w->loop = ev_loop_new(EVFLAG_AUTO);
    ev_timer_init(&w->tick, tick, 0., 0.);
    w->armed = malloc((nvus ? nvus : 1) * sizeof(*w->armed));
    w->awaiting = malloc((nvus ? nvus : 1) * sizeof(*w->awaiting));
    if (!w->tq || !w->ping_tq || !w->m || !w->loop || !w->armed || !w->awaiting ||
        connq_init(&w->connq, nvus, 0) < 0)
        return -1;
    ev_prepare_init(&w->settle, settle);
    ev_prepare_start(w->loop, &w->settle);
    w->m->t0_us = run->t0;
    selfmon_lag_init(&w->lag, run->t0);
    if (snapshots) {
        if (!(w->snap = metrics_new(run->spec->nmetrics)))
            return -1;
        pthread_mutex_init(&w->snap_lock, NULL);
    }
    if (run->spec->open_model && load_pool_init(&w->pool, nvus) < 0)
        return -1;
    return 0;
}

void worker_set_t0(worker_t *w)
{
    w->m->t0_us = w->run->t0;
    w->lag.t0_us = w->run->t0;
}

void worker_release(worker_t *w)
{
    selfmon_lag_release(&w->lag, w->loop); /* its probe is on the loop */
    if (w->loop) {
        ev_timer_stop(w->loop, &w->tick);
        ev_prepare_stop(w->loop, &w->settle);
        ev_loop_destroy(w->loop);
    }
    free(w->armed);
    free(w->awaiting);
    connq_release(&w->connq);
    timerq_free(w->tq);
    timerq_free(w->ping_tq);
    timerq_free(w->flow_tq);
    for (size_t s = 0; w->m && s < w->nout; s++)
        metrics_second_clear(&w->out[s], w->m->nsteps);
    free(w->out);
    free(w->lag_out);
    pthread_mutex_destroy(&w->out_lock);
    metrics_free(w->m);
    load_pool_release(&w->pool);
    if (w->snap) {
        metrics_free(w->snap);
        pthread_mutex_destroy(&w->snap_lock);
    }
    sbuf_free(&w->scratch);
}

/* The worker's tick is an ev_timer of its own, not an lws sul: lws 4.1's
 * libev glue re-arms its one timer with ev_timer_set() on an active
 * watcher, which libev ignores, so a wake moved earlier would wait for the
 * later one already armed. ev_now_update: libev counts from its cached loop
 * time, which is as old as this iteration. */
void worker_schedule(worker_t *w, uint64_t next, uint64_t now)
{
    w->next_wake = next;
    ev_now_update(w->loop);
    ev_timer_stop(w->loop, &w->tick);
    ev_timer_set(&w->tick, next > now ? (double)(next - now) / 1e6 : 0., 0.);
    ev_timer_start(w->loop, &w->tick);
}

/* Without this, a deadline set between ticks (a reply that ends a think
 * time of 0, a new pause) would wait for the tick already scheduled, up to
 * TICK_US late: bursts of sends and a wrong pace. */
void worker_wake_by(worker_t *w, uint64_t due)
{
    if (w->in_tick || w->finished || due >= w->next_wake)
        return;
    worker_schedule(w, due, clock_mono_us());
}

void worker_schedule_next(worker_t *w, uint64_t now)
{
    const run_ctx_t *run = w->run;
    uint64_t next = now + TICK_US;
    uint64_t due;
    uint32_t id;
    if (timerq_peek(w->tq, &id, &due) && due < next)
        next = due;
    if (timerq_peek(w->ping_tq, &id, &due) && due < next)
        next = due;
    if (w->flow_tq && timerq_peek(w->flow_tq, &id, &due) && due < next)
        next = due;
    if (!w->ending && run->end < next)
        next = run->end;
    if (w->ending && now + END_POLL_US < next)
        next = now + END_POLL_US;
    if (!w->ending && w->arr_next < w->arr.count && w->arr_due < next)
        next = w->arr_due;
    worker_schedule(w, next, now);
}

static void publish(worker_t *w, uint64_t now)
{
    const metrics_t *m = w->m;
    uint64_t errors = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        errors += m->errors[k].count;
    atomic_store_explicit(&w->pub_sent, m->sent, memory_order_relaxed);
    atomic_store_explicit(&w->pub_received, m->received, memory_order_relaxed);
    atomic_store_explicit(&w->pub_errors, errors, memory_order_relaxed);
    uint64_t p95 = hist_percentile(m->lat[w->run->main_metric], 95);
    atomic_store_explicit(&w->pub_p95, p95, memory_order_relaxed);

    w->next_publish = now + WORKER_PUBLISH_US;
}

/* Handshakes allocate and free far more than an idle connection keeps
 * (libwebsockets' header buffers), and glibc keeps the freed memory: after a
 * ramp of 10,000 users that is about a quarter of the process. Give it back
 * in the first seconds after the number of open connections has moved by at
 * least TRIM_MIN_CHANGE and then stopped moving (worker 0 only; 2-3 ms each
 * at 10,000 users). Never in steady load, nor for the small ups and downs of
 * an open model's sessions: a trim is a pause in the measurements. */
#define TRIMS_AFTER_CHANGE 3
#define TRIM_MIN_CHANGE 1000
static void trim_after_ramp(worker_t *w)
{
    uint64_t active = atomic_load_explicit(&w->run->active, memory_order_relaxed);
    uint64_t moved = active > w->trim_base ? active - w->trim_base : w->trim_base - active;
    if (moved >= TRIM_MIN_CHANGE) {
        w->trim_base = active;
        w->trims_left = TRIMS_AFTER_CHANGE;
    }
    bool settled = active == w->trim_last_active;
    w->trim_last_active = active;
    if (w->index != 0 || !settled || w->trims_left == 0)
        return;
    malloc_trim(0);
    w->trims_left--;
}

/* For the live abort check and the live feed, which read the snapshot
 * from another thread. */
static void snapshot(worker_t *w, uint64_t now)
{
    pthread_mutex_lock(&w->snap_lock);
    metrics_snapshot(w->snap, w->m);
    pthread_mutex_unlock(&w->snap_lock);
    w->next_snap = now + WORKER_SNAPSHOT_US;
}

/* Moves the closed seconds of m to out (their texts change owner): a copy
 * of a few hundred bytes a second under the lock. When out cannot grow they
 * stay in m for the next time. */
static void hand_seconds(worker_t *w)
{
    metrics_t *m = w->m;
    if (m->nsecs == 0)
        return;
    pthread_mutex_lock(&w->out_lock);
    if (w->nout + m->nsecs > w->capout) {
        size_t cap = w->capout ? w->capout : 8;
        while (cap < w->nout + m->nsecs)
            cap *= 2;
        metrics_second_t *grown = realloc(w->out, cap * sizeof(*grown));
        if (!grown) {
            pthread_mutex_unlock(&w->out_lock);
            return;
        }
        w->out = grown;
        w->capout = cap;
    }
    memcpy(&w->out[w->nout], m->secs, m->nsecs * sizeof(*m->secs));
    w->nout += m->nsecs;
    m->nsecs = 0;
    pthread_mutex_unlock(&w->out_lock);
}

/* Moves the first k seconds of the loop lag to lag_out, as hand_seconds. */
static void hand_lag(worker_t *w, size_t k)
{
    selfmon_lag_t *l = &w->lag;
    pthread_mutex_lock(&w->out_lock);
    if (w->nlag_out + k > w->caplag_out) {
        size_t cap = w->caplag_out ? w->caplag_out : 8;
        while (cap < w->nlag_out + k)
            cap *= 2;
        lag_hist_t *grown = realloc(w->lag_out, cap * sizeof(*grown));
        if (!grown) {
            pthread_mutex_unlock(&w->out_lock);
            return;
        }
        w->lag_out = grown;
        w->caplag_out = cap;
    }
    memcpy(&w->lag_out[w->nlag_out], l->secs, k * sizeof(*l->secs));
    w->nlag_out += k;
    pthread_mutex_unlock(&w->out_lock);
    selfmon_lag_drop(l, k);
}

void worker_housekeeping(worker_t *w, uint64_t now)
{
    selfmon_test_stall(&w->lag, now);
    metrics_tick(w->m, now); /* best effort: a failure only shortens the series */
    bool new_second = w->m->nsecs > 0;
    if (new_second)
        hand_seconds(w);
    size_t lag_final = selfmon_lag_final(&w->lag);
    if (lag_final)
        hand_lag(w, lag_final);
    if (now >= w->next_publish) {
        publish(w, now);
        trim_after_ramp(w);
    }
    if (w->snap && (now >= w->next_snap || (w->run->live && new_second)))
        snapshot(w, now);
}

void worker_finish(worker_t *w, uint64_t now)
{
    run_ctx_t *run = w->run;
    w->finished = true;
    if (!w->ending) /* done before the end: nothing to wait for here */
        atomic_fetch_add(&run->ending_workers, 1);
    /* nothing more awaited here (or cut off at the hard end) */
    atomic_fetch_sub(&run->pending_at_end, w->pending_published);
    w->pending_published = 0;
    if (w->sessions) /* cut off at the hard end: the load ran until now */
        w->last_busy = now;
    lws_cancel_service(w->ctx);
}

void *worker_thread(void *arg)
{
    worker_t *w = arg;
    uint64_t now = clock_mono_us();
    worker_schedule(w, w->run->t0 > now ? w->run->t0 : now, now);
    selfmon_lag_start(&w->lag, w->loop, now);
    while (!w->finished)
        ev_run(w->loop, EVRUN_ONCE);
    metrics_finish(w->m);
    hand_seconds(w);
    if (w->lag.nsecs) /* the probe fires no more */
        hand_lag(w, w->lag.nsecs);
    publish(w, clock_mono_us());
    if (w->snap) /* the final totals, before the monitor sees exited */
        snapshot(w, clock_mono_us());
    atomic_store(&w->exited, true);
    return NULL;
}

bool worker_all_done(const worker_t *w)
{
    if (!w->run->spec->open_model)
        return w->done >= w->nvus;
    return (w->ending || w->arr_next >= w->arr.count) && w->sessions == 0;
}

/* The place is process-wide (max_users of this process, shared by all
 * workers), so an arrival is dropped only when max_users sessions run,
 * whichever workers run them. */
bool worker_admit(worker_t *w, uint32_t *slot)
{
    run_ctx_t *run = w->run;
    if (atomic_fetch_add(&run->sessions, 1) >= run->max_sessions) {
        atomic_fetch_sub(&run->sessions, 1);
        return false;
    }
    if (load_pool_take(&w->pool, slot)) {
        w->sessions++;
        return true;
    }
    atomic_fetch_sub(&run->sessions, 1); /* not reached: nvus covers max_users */
    return false;
}

void worker_session_end(worker_t *w, uint32_t slot)
{
    w->sessions--;
    atomic_fetch_sub(&w->run->sessions, 1);
    w->last_busy = clock_mono_us(); /* the run's duration ends with its last session */
    load_pool_give(&w->pool, slot);
}

/* Due before the end, but the tick that would have started them came after
 * it, or the wake budget ran out. */
void worker_drop_overdue(worker_t *w)
{
    if (!w->run->spec->open_model || w->arr_next >= w->arr.count)
        return;
    w->dropped += w->arr.count - w->arr_next;
    w->arr_next = w->arr.count;
}
