/* vu: one virtual user's state machine, driven by its worker's timer queue
 * and by libwebsockets callbacks. Internal to the engine. */
#ifndef WSGATE_VU_H
#define WSGATE_VU_H

#include <ev.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/load.h"
#include "engine/metrics.h"
#include "base/sbuf.h"
#include "spec/spec.h"
#include "engine/srcaddr.h"
#include "engine/timerq.h"

#define VU_FOREVER UINT64_MAX
#define CLOSE_GRACE_US 2000000ull /* a close handshake's time limit */

typedef enum vu_state {
    VU_WAITING, /* not started yet, or between active intervals */
    VU_CONNECTING,
    VU_SENDING,  /* a frame waits for the socket to be writeable */
    VU_AWAITING, /* waiting for a message matching the step's predicate */
    VU_THINKING, /* think time between tasks */
    VU_SLEEPING, /* a sleep step */
    VU_IDLE,     /* connected, no tasks: holds the connection */
    VU_BACKOFF,  /* waiting to reconnect */
    VU_CLOSING,
    VU_DONE,
    VU_HTTP, /* an http step's request is in flight */
} vu_state_t;

typedef enum vu_phase { PHASE_ON_START, PHASE_TASK, PHASE_ON_RECONNECT } vu_phase_t;

/* Where a scenario connects: resolved once before the run. */
typedef struct target_addr {
    char host[256];   /* host as written in the URL */
    char numeric[64]; /* resolved address passed to connect */
} target_addr_t;

/* Read-only during the run, except the atomics. Owned by engine.c. */
typedef struct run_shared {
    const spec_t *spec;
    target_addr_t *addrs; /* per scenario */
    uint64_t t0;          /* monotonic us of load time 0 */
    uint64_t end;         /* t0 + spec->duration_us */
    uint64_t hard_end;    /* end + grace: everything is closed */
    const volatile sig_atomic_t *stop_flag;
    bool uses_tls; /* some scenario connects with wss:// */
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
} run_shared_t;

typedef struct worker worker_t;

/* Owns out and rx buffers; wsi is owned by libwebsockets. */
typedef struct vu {
    worker_t *w;
    struct lws *wsi;
    uint32_t id;   /* 0-based user number k (templates see k + 1) */
    uint32_t slot; /* index in the worker's vus and timer queue */
    uint16_t scenario;
    uint8_t state;       /* vu_state_t */
    uint8_t phase;       /* vu_phase_t */
    bool rx_oversize;    /* dropping the rest of a too-large message */
    bool ping_pending;   /* a protocol ping waits for the socket */
    bool reconnecting;   /* a reconnect step is closing or connecting */
    bool writing;        /* inside a direct write (the next message waits for writeable) */
    uint16_t close_code; /* a close step's code for the close frame; 0 = 1000 */
    bool peer_closed;    /* the server sent a close frame on this connection */
    bool rc_resume;      /* the drop came after on_start: on_reconnect, then tasks */
    uint16_t peer_code;  /* the code of that close frame, 0 = none given */
    uint16_t rc_attempt; /* automatic reconnect attempt under way (1-based), 0 = none */
    uint16_t task;
    uint16_t step;
    uint64_t iteration;
    uint64_t stop_at;      /* monotonic us, end of the active interval */
    uint64_t t0;           /* start of the current measurement */
    uint64_t ping_sent_at; /* a ping awaiting its pong, 0 = none */
    uint64_t reconnect_t0; /* when the reconnect step began */
    uint64_t sched;        /* intended start of the current task (task.rate schedules) */
    uint64_t drop_at;      /* when the connection dropped (automatic reconnects) */
    uint64_t rng;
    uint32_t data_row;      /* the spec's CSV row for {{data.*}}, fixed for life */
    sbuf_t out;             /* LWS_PRE bytes, then the pending frame */
    sbuf_t rx;              /* fragments of a message being received */
    struct http_call *http; /* the http steps' request, created on first use */
    char **slots;           /* http.capture values by slot (scenario's slot_names) */
} vu_t;

/* Owns vus, tq, m, scratch and ctx. */
struct worker {
    run_shared_t *run;
    unsigned index;
    struct lws_context *ctx;
    struct ev_loop *loop; /* the libev (epoll) loop ctx runs on */
    vu_t *vus;
    uint32_t nvus;
    uint32_t done; /* users that will not run again */
    timerq_t *tq;
    timerq_t *ping_tq; /* next protocol ping of each user */
    metrics_t *m;
    sbuf_t scratch;             /* rendering of URLs and headers */
    ev_timer tick;              /* worker_tick, on loop */
    bool ending;                /* the run's end has been applied to every user */
    uint64_t pending_published; /* this worker's share of run->pending_at_end */
    bool finished;              /* leave the service loop */
    /* Published about once a second for the progress line (relaxed
     * atomics: the monitoring thread only reads them). */
    atomic_uint_fast64_t pub_sent, pub_received, pub_errors, pub_p95;
    atomic_bool exited; /* the worker thread has left its loop */
    uint64_t next_publish;
    uint64_t trim_last_active, trim_base; /* worker_trim_after_ramp */
    unsigned trims_left;
    pthread_t thread;
    /* Copy of m taken at each publish, for the live abort check (only when
     * some assertion has abort_on_fail; NULL otherwise). */
    metrics_t *snap;
    pthread_mutex_t snap_lock;
    uint64_t next_snap;
    uint64_t next_wake; /* when the worker's lws timer fires next (monotonic us) */
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
    bool in_tick; /* inside worker_tick, which schedules the next wake itself */
};

/* A user's deadline moved to due: wake the worker by then (engine.c). */
void engine_wake_by(worker_t *w, uint64_t due);

uint64_t mono_us(void);

/* Places user k in worker w at slot and schedules its first start. */
void vu_init(vu_t *vu, worker_t *w, uint32_t k, uint32_t slot, uint64_t seed);

/* Open model: an empty session slot (VU_DONE) of worker w. */
void vu_init_slot(vu_t *vu, worker_t *w, uint32_t slot);

/* Open model: arrival k, due at the monotonic time due (<= now), begins a
 * session in this free slot: connect, on_start, then tasks until the
 * session ends (spec->open), when the slot returns to w->pool. The
 * connect latency runs from due. */
void vu_session_start(vu_t *vu, uint32_t k, uint64_t due, uint64_t now);
void vu_release(vu_t *vu);

/* Called when the user's deadline in the timer queue has passed. */
void vu_wake(vu_t *vu, uint64_t now);

/* The user's protocol ping is due (connect.ping_interval). */
void vu_ping_due(vu_t *vu, uint64_t now);

/* The run is over: finish the current exchange, then close. */
void vu_end(vu_t *vu, uint64_t now);
/* Like vu_end, but a reply still awaited is given up (not counted). */
void vu_abort(vu_t *vu, uint64_t now);
/* A reply (WebSocket or http step) is awaited and measured. */
bool vu_awaits_reply(const vu_t *vu);
/* Connected and waiting for nothing (think time, sleep, idle): vu_end
 * would close the connection now. */
bool vu_idle_connected(const vu_t *vu);

/* The libwebsockets protocol callback for client connections. */
int vu_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

#endif
