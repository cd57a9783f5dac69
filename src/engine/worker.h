/* worker: one engine thread's state. Each worker has its own event loop
 * and lws_context, the timer queues that pace its users, and its own
 * metrics; the run context is what all workers share. engine.c creates the
 * workers, fills their users (vu.c) and drives them from the worker's one
 * timer, the tick; this module keeps that timer, the worker's periodic
 * publishing and its open-model session places. It knows nothing of vu.c:
 * users call in (worker_wake_by, worker_session_end), never the reverse. */
#ifndef WSGATE_WORKER_H
#define WSGATE_WORKER_H

#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "engine/connq.h"
#include "engine/metrics.h"
#include "engine/selfmon.h"
#include "engine/srcaddr.h"
#include "engine/timerq.h"
#include "spec/load.h"
#include "spec/spec.h"

#define WORKER_PUBLISH_US 1000000ull /* progress numbers: published, and read */
#define WORKER_SNAPSHOT_US 250000ull /* live snapshots for abort_on_fail */

/* Where a scenario connects: resolved once before the run. */
typedef struct target_addr {
    char host[256];   /* host as written in the URL */
    char numeric[64]; /* resolved address passed to connect */
} target_addr_t;

/* The run as every worker sees it. Read-only during the run, except the
 * atomics. Owned by engine.c (addrs too). */
typedef struct run_ctx {
    const spec_t *spec;
    target_addr_t *addrs; /* per scenario */
    uint64_t t0;          /* monotonic us of load time 0 */
    uint64_t end;         /* t0 + spec->duration_us */
    uint64_t hard_end;    /* end + grace: everything is closed */
    const atomic_int *stop_flag;
    bool uses_tls;      /* some scenario connects with wss:// */
    size_t main_metric; /* the step the progress line follows */
    atomic_uint_fast64_t active;
    atomic_uint_fast64_t peak;
    atomic_bool abort_run; /* set by the engine when start-up failed */
    const srcaddrs_t *src; /* local addresses to connect from; NULL: any */
    uint32_t id_stride;    /* shards: user ids step by N, so id / N counts this process's users */
    uint64_t seed;         /* --seed: each user's (or session's) rng derives from it */
    /* Open model: sessions running in the whole process, admitted against
     * max_sessions (this process's max_users) by every worker. */
    atomic_uint_fast64_t sessions;
    uint64_t max_sessions;
    /* The end of the run: workers that have applied it, and the replies
     * still awaited in all of them (each worker adds its own changes). */
    unsigned nworkers;
    atomic_uint ending_workers;
    atomic_uint_fast64_t pending_at_end;
    /* engine_opts_t.live is set: each worker takes a snapshot (worker_t.snap)
     * as soon as it closes a second, so the live feed's totals keep up. */
    bool live;
    /* Connects waiting for a slot of load.max_connecting in all workers,
     * and the most at once (result.json's connect.max_waiting). */
    atomic_uint_fast64_t waiting;
    atomic_uint_fast64_t waiting_peak;
    unsigned conn_limit; /* engine_opts_t.max_connecting: per worker, 0 = the default */
} run_ctx_t;

struct vu;

/* Owns tq, ping_tq, flow_tq, m, snap, pool, scratch and loop (worker_release);
 * vus and ctx are created and destroyed by engine.c, since they are made
 * of vu.c's users and protocol callback. */
typedef struct engine_worker {
    run_ctx_t *run;
    unsigned index;
    struct lws_context *ctx;
    struct ev_loop *loop; /* the libev (epoll) loop ctx runs on */
    struct vu *vus;
    uint32_t nvus;
    uint32_t done; /* users that will not run again */
    timerq_t *tq;
    timerq_t *ping_tq; /* next protocol ping of each user */
    timerq_t *flow_tq; /* connect.read_rate: when each user reads again; NULL without */
    metrics_t *m;
    sbuf_t scratch;             /* rendering of URLs and headers */
    ev_timer tick;              /* the tick, on loop */
    bool ending;                /* the run's end has been applied to every user */
    uint64_t pending_published; /* this worker's share of run->pending_at_end */
    /* From the end on: the users that still await a reply (found once at
     * the end; no exchange starts after it, so the list only shrinks), and
     * whether the idle connections have been closed (those that become
     * idle later then close at once). */
    uint32_t *awaiting;
    uint32_t nawaiting;
    bool idle_closed;
    bool finished; /* leave the service loop */
    /* Published about once a second for the progress line (relaxed
     * atomics: the monitoring thread only reads them). */
    atomic_uint_fast64_t pub_sent, pub_received, pub_errors, pub_p95;
    atomic_bool exited; /* the worker thread has left its loop */
    uint64_t next_publish;
    uint64_t trim_last_active, trim_base; /* trim_after_ramp in worker.c */
    unsigned trims_left;
    pthread_t thread;
    /* Copy of m taken at each publish, for the live abort check and the
     * live feed (only when some assertion has abort_on_fail or run->live;
     * NULL otherwise). */
    metrics_t *snap;
    pthread_mutex_t snap_lock;
    /* The seconds this worker has closed and the monitor not yet taken
     * (engine/series.c), in order: moved out of m->secs under out_lock at
     * the housekeeping that closes them, so a long run's seconds do not
     * pile up here. Owns them (and their texts) until taken. */
    metrics_second_t *out;
    size_t nout, capout;
    lag_hist_t *lag_out; /* likewise the loop lag's seconds, once final */
    size_t nlag_out, caplag_out;
    pthread_mutex_t out_lock;
    uint64_t next_snap;
    uint64_t next_wake; /* when the worker's tick fires next (monotonic us) */
    /* Open model: this worker's arrivals (global numbers arr.first +
     * i * arr.step) and its session slots (vus, at most nvus at once;
     * admission is against run->sessions, so nvus is the process's
     * max_users or this worker's arrivals, whichever is fewer). */
    load_slice_t arr;
    uint64_t arr_next; /* index in arr of the next arrival */
    uint64_t arr_due;  /* its monotonic time */
    load_pool_t pool;
    uint64_t sessions; /* running now */
    uint64_t started, dropped;
    uint64_t last_busy; /* monotonic us of the last arrival handled or session ended */
    atomic_uint_fast64_t pub_started, pub_dropped; /* copies for the live abort check */
    bool in_tick; /* inside the tick, which schedules the next wake itself */
    /* Users whose pending connect may hold a libwebsockets timeout, each
     * once (vu->lws_armed), cleared by vu_lws_settle before the loop waits;
     * and whether some wsi was handed to libwebsockets to kill. */
    uint32_t *armed;
    uint32_t narmed;
    bool kill_queued;
    ev_prepare settle; /* on loop: the worker's before_wait callback */
    /* Connects in flight (at most connq.limit, load.max_connecting's share)
     * and the users waiting for a slot, handed one when a connect ends, by
     * vu_lws_settle before the loop waits. */
    connq_t connq;
    selfmon_lag_t lag; /* its loop's lag, second by second (selfmon.h) */
} worker_t;

/* The tick's libev callback (engine.c's: it drives the users). */
typedef void (*worker_tick_fn)(struct ev_loop *loop, ev_timer *tick, int revents);
/* Called once per loop iteration, before the loop waits (vu_lws_settle). */
typedef void (*worker_settle_fn)(struct ev_loop *loop, ev_prepare *settle, int revents);

/* Clears w and sets it up as worker index of run for nvus users: event
 * loop, tick (calling tick), the settle watcher (calling settle), timer
 * queues, metrics, a snapshot copy when snapshots, the open model's slot
 * pool. Returns 0, or -1 when out of memory; either way worker_release
 * frees what was made. */
int worker_init(worker_t *w, run_ctx_t *run, unsigned index, uint32_t nvus, bool snapshots,
                worker_tick_fn tick, worker_settle_fn settle);

/* Whether some scenario of spec has connect.read_rate (the workers then
 * keep flow_tq). */
bool worker_reads_slowly(const spec_t *spec);

/* run->t0 was set again after the set-up (engine.c): the metrics' seconds
 * and the loop lag's count from it. Before the thread starts. */
void worker_set_t0(worker_t *w);

/* Frees what worker_init made. Call after engine.c has destroyed ctx and
 * released vus. */
void worker_release(worker_t *w);

/* The thread body (arg: the worker_t): serves the loop from run->t0 until
 * the worker finishes, then closes its metrics and publishes once more. */
void *worker_thread(void *arg);

/* Sets the tick to fire at next (monotonic us; now is the current time). */
void worker_schedule(worker_t *w, uint64_t next, uint64_t now);

/* A user's deadline moved to due: the tick fires by then. Nothing to do
 * inside the tick, which schedules itself when it is done. */
void worker_wake_by(worker_t *w, uint64_t due);

/* At the end of a tick that goes on: the next tick at the earliest user or
 * ping deadline, the run's end, the next arrival, or at most a tick
 * interval away (sooner while the run is ending). */
void worker_schedule_next(worker_t *w, uint64_t now);

/* Each tick: closes finished seconds of the metrics and hands them to the
 * monitor (worker_t.out), and, when due, publishes the progress numbers and
 * the live snapshot. */
void worker_housekeeping(worker_t *w, uint64_t now);

/* The worker is done: leaves the loop, and takes its replies out of
 * run->pending_at_end. */
void worker_finish(worker_t *w, uint64_t now);

/* Closed model: every user has finished. Open model: no arrival is left to
 * come (or the run is ending) and no session runs. */
bool worker_all_done(const worker_t *w);

/* Open model: takes a session place in the whole process and a slot of
 * this worker, returned in *slot. Returns false (nothing taken) when
 * max_users sessions run. */
bool worker_admit(worker_t *w, uint32_t *slot);

/* Open model: the session in slot has ended; its place and slot are free. */
void worker_session_end(worker_t *w, uint32_t slot);

/* Open model, at the planned end: arrivals not yet started count as
 * dropped, so a run that ran to its end has started + dropped == planned. */
void worker_drop_overdue(worker_t *w);

#endif
