/* vu: one virtual user's state machine, driven by its worker's timer queue
 * and by libwebsockets callbacks. Internal to the engine. The code is in
 * vu.c (lifecycle and steps), reconnect.c (the reconnect policy), vu_http.c
 * (http steps), vu_match.c (received messages) and vu_lws.c (the
 * libwebsockets callback), which share vu_internal.h. */
#ifndef WSGATE_VU_H
#define WSGATE_VU_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "engine/worker.h"

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

/* Owns out and rx buffers; wsi is owned by libwebsockets. */
typedef struct vu {
    worker_t *w;
    struct lws *wsi;
    uint32_t id;   /* 0-based user number k (templates see k + 1) */
    uint32_t slot; /* index in the worker's vus and timer queue */
    uint16_t scenario;
    uint8_t state;              /* vu_state_t */
    uint8_t phase;              /* vu_phase_t */
    bool rx_oversize;           /* dropping the rest of a too-large message */
    bool ping_pending;          /* a protocol ping waits for the socket */
    bool reconnecting;          /* a reconnect step is closing or connecting */
    bool writing;               /* inside a direct write (the next message waits for writeable) */
    uint16_t close_code;        /* a close step's code for the close frame; 0 = 1000 */
    bool peer_closed;           /* the server sent a close frame on this connection */
    bool close_sent;            /* our close frame went out: the server's close ends it */
    bool reconnect_resume;      /* the drop came after on_start: on_reconnect, then tasks */
    uint16_t peer_code;         /* the code of that close frame, 0 = none given */
    uint16_t reconnect_attempt; /* automatic reconnect attempt under way (1-based), 0 = none */
    uint16_t task;
    uint16_t step;
    bool lws_armed;       /* queued in w->armed: lws may hold a timeout for wsi */
    bool ramp_pending;    /* its planned first connect has not opened yet (result/ramp.h) */
    bool rx_paused;       /* a pause_reading step: libwebsockets reads nothing for it */
    bool rx_throttled;    /* connect.read_rate: reading waits for flow_tq */
    bool deflate;         /* permessage-deflate is on for this connection (vu_wire.c) */
    bool wire_open;       /* upgraded: its TCP counts are read when it goes (vu_wire.c) */
    bool inflate_bad;     /* a compressed message did not inflate: the drop is a protocol error */
    bool conn_counted;    /* its connection is counted in run->active (vu_conn_opened) */
    uint8_t connect_plan; /* a planned connect not started yet: VU_PLAN_* (vu.c) */
    uint64_t iteration;
    uint64_t stop_at;      /* monotonic us, end of the active interval */
    uint64_t t0;           /* start of the current measurement */
    uint64_t ping_sent_at; /* a ping awaiting its pong, 0 = none */
    uint64_t reconnect_t0; /* when the reconnect step began */
    uint64_t sched;        /* intended start of the current task (task.rate schedules) */
    uint64_t drop_at;      /* when the connection dropped (automatic reconnects) */
    uint64_t rx_free_at;   /* connect.read_rate: when the bytes read so far are paid for */
    uint64_t rng;
    uint64_t conn_tx, conn_rx; /* message payload bytes on this connection (vu_wire.c) */
    uint32_t data_row;         /* the spec's CSV row for {{data.*}}, fixed for life */
    sbuf_t out;                /* LWS_PRE bytes, then the pending frame */
    sbuf_t rx;                 /* fragments of a message being received */
    struct http_call *http;    /* the http steps' request, created on first use */
    char **slots;              /* http.capture values by slot (scenario's slot_names) */
    /* the scenario's protocol (vu_proto.c): its per-connection state, and
     * its own frames (handshake, heart-beat, goodbye) waiting for the socket */
    void *pstate;
    size_t pstate_size;
    /* LWS_PRE bytes, the protocol's next frame, then (from offset pqueued,
     * when not 0) the frames queued behind it, each a uint32_t length and
     * its bytes */
    sbuf_t pout;
    bool proto_pending; /* pout waits for the socket */
    bool proto_up;      /* the protocol's handshake is done on this connection */
    uint8_t proto_bye;  /* 0: no goodbye yet, 1: sent, awaiting its answer, 2: answered */
    uint32_t pqueued;   /* pout's offset of the queued frames, 0 = none */
    /* the last TLS session (SSL_SESSION) of a wss:// connect, offered on
     * the next one (connect.tls_resume); NULL = none */
    struct ssl_session_st *tls_sess;
} vu_t;

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

/* connect.read_rate: the user's reading may resume (its flow_tq entry). */
void vu_flow_due(vu_t *vu, uint64_t now);

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

/* Hands the worker's free connect slots to the users waiting for one, in
 * order, and starts their connects. Called before the loop waits (from
 * vu_lws_settle), outside libwebsockets' callbacks. */
void vu_connect_drain(worker_t *w);

/* The worker's settle watcher (worker_settle_fn), run before its loop
 * waits: clears the timeouts libwebsockets armed for pending connects
 * (w->armed) and has it kill the connections given up (w->kill_queued). */
void vu_lws_settle(struct ev_loop *loop, ev_prepare *settle, int revents);

/* The client contexts' extensions (permessage-deflate), for a run with
 * connect.compression in some scenario; the table is static. */
const struct lws_extension *vu_wire_extensions(void);

#endif
