/* serve internal: what the embedded server's files share (not a public API).
 *
 * A server_t owns N workers; each worker is one lws context serviced by one
 * thread and owns its connections and its rooms (channel or document ->
 * local members), so those need no locks. What spans workers: the login
 * secret (read-only), the collaboration documents (docs_lock) and each
 * worker's inbox (inbox_lock), through which a broadcast reaches the
 * members of a room on the other workers.
 *
 * The core (serve.c, worker.c, listen.c, conn.c, room.c, subs.c, msg.c,
 * json.c) reaches the protocols (chat.c, notify.c, quotes.c, collab.c)
 * only through their serve_proto_t entries in serve_protos; the protocols
 * reach the core only through the functions declared below. */
#ifndef WSGATE_SERVE_INT_H
#define WSGATE_SERVE_INT_H

#include "serve/serve.h"

#include "base/sbuf.h"
#include "serve/timer.h"

#include <cjson/cJSON.h>
#include <ev.h>
#include <libwebsockets.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define SERVE_HISTORY 64 /* operations kept per document for resume */

typedef enum serve_kind {
    SK_CHAT,
    SK_NOTIFY,
    SK_QUOTES,
    SK_COLLAB,
} serve_kind_t;

/* One encoded outgoing frame, shared by every connection of one worker it
 * is queued on. refs counts queue entries plus the builder; buf holds
 * LWS_PRE + len. */
typedef struct out_msg {
    unsigned refs;
    size_t len;
    unsigned char buf[];
} out_msg_t;

typedef struct out_ent {
    struct out_ent *next;
    out_msg_t *msg; /* holds one ref */
    lws_usec_t due; /* lws_now_usecs() time, for the delayed fifo */
} out_ent_t;

typedef struct out_fifo {
    out_ent_t *head;
    out_ent_t *tail;
} out_fifo_t;

struct conn;
struct room;
struct worker;

/* A connection's membership of a room: linked in the room (both ways) and
 * in the connection (one way). Owned by the room. */
typedef struct member {
    struct conn *conn;
    struct room *room;
    struct member *prev;
    struct member *next;
    struct member *conn_next;
} member_t;

/* A chat channel or a document with at least one local member; freed when
 * its last member leaves. */
typedef struct room {
    struct room *hnext;
    member_t *members;
    serve_kind_t kind;
    char name[];
} room_t;

/* Per-connection state, in lws's per-session data (zeroed at ESTABLISHED,
 * freed by lws after CLOSED). Owns its queue entries, buffers, subs and
 * memberships; serve_conn_cleanup() releases them. On plain HTTP
 * connections the http_* fields hold the request of the route that took it
 * (notify.c's login), which frees them in its on_close. */
typedef struct conn {
    struct lws *wsi;
    uint64_t id; /* unique in its worker, from 1 */
    struct worker *w;
    const struct serve_proto *proto;
    stimer_t t_due;     /* in w->timers: fires when the head of `delayed` is due */
    stimer_t t_tick;    /* in w->timers: pushes and quotes */
    stimer_t t_drop;    /* in w->timers: --drop-after */
    out_fifo_t ready;   /* to write now, in order */
    out_fifo_t delayed; /* replies waiting for the ack delay, due order */
    size_t queued;      /* bytes charged to both fifos */
    sbuf_t rx;          /* only used for fragmented messages */
    member_t *rooms;
    cJSON *subs;         /* notification topics or quote streams (array of strings) */
    size_t next_sub;     /* round robin over subs */
    uint64_t sent_seq;   /* pushes or quotes sent */
    lws_usec_t tick_due; /* planned time of the next tick (no drift) */
    unsigned noise;      /* unrelated messages sent (--broadcasts-before-ack) */
    uint64_t last_delay; /* ack delay of the last reply, for serve_conn_follow */
    lws_usec_t opened;   /* when the connection opened (--stall-after) */
    bool doomed;         /* queue overflow or abrupt drop: being killed */
    bool going_away;     /* close with 1001 at the next writeable */
    bool closing;        /* a close frame went or came: no more data frames */
    /* plain HTTP */
    const struct serve_proto *http_proto; /* whose route took the request, or NULL */
    sbuf_t http_in;
    char *http_out; /* response body, malloc'd */
    char *http_cookie;
    unsigned http_status;
    bool http_is_login;
    bool http_headers_sent;
} conn_t;

/* Plain HTTP requests (no upgrade) a protocol answers on its own paths;
 * the core answers every other path 404. */
typedef struct serve_http_route {
    const char *path;
    const char *alt_path; /* or NULL */
    /* LWS_CALLBACK_HTTP: 0 when the route takes the request (its answer
     * follows), else a bare HTTP status the core answers with at once */
    unsigned (*on_request)(conn_t *c, struct lws *wsi);
    /* the request's next lws callbacks: 0, or -1 to close the connection */
    int (*on_body)(conn_t *c, const void *in, size_t len);
    int (*on_body_done)(conn_t *c, struct lws *wsi);
    int (*on_writeable)(conn_t *c, struct lws *wsi);
    /* frees the request's state: at close and before the connection's next
     * request; must do nothing on a state it already freed */
    void (*on_close)(conn_t *c);
} serve_http_route_t;

/* One protocol (one WebSocket path). Adding a protocol = one file and one
 * entry in serve_protos (serve.c). */
typedef struct serve_proto {
    const char *path;
    const char *alt_path; /* or NULL */
    serve_kind_t kind;
    /* 0 to accept the upgrade, else the HTTP status to refuse it with */
    unsigned (*check)(struct lws *wsi, const server_t *s);
    /* one parsed JSON object; returns 0, or -1 to close (out of memory) */
    int (*on_message)(conn_t *c, cJSON *req);
    void (*on_close)(conn_t *c); /* may be NULL */
    /* the Sec-WebSocket-Protocol this path accepts, or NULL for none */
    const char *subprotocol;
    /* an unrelated push of this path (--broadcasts-before-ack), or NULL */
    cJSON *(*noise)(conn_t *c, unsigned k);
    /* its plain HTTP route, or NULL */
    const serve_http_route_t *http;
    /* server-wide state, set up at start before any connection (0, or -1
     * to fail the start) and freed at stop after every connection closed;
     * either may be NULL. server_free runs only after server_init did. */
    int (*server_init)(server_t *s);
    void (*server_free)(server_t *s);
} serve_proto_t;

extern const serve_proto_t serve_chat_proto;
extern const serve_proto_t serve_notify_proto;
extern const serve_proto_t serve_quotes_proto;
extern const serve_proto_t serve_collab_proto;

/* Every protocol, NULL-terminated (serve.c). */
extern const serve_proto_t *const serve_protos[];

/* A broadcast posted to another worker: delivered to its local room. */
typedef struct inbox_ent {
    struct inbox_ent *next;
    serve_kind_t kind;
    uint64_t except; /* conn id on the receiving worker not to deliver to, or 0 */
    out_msg_t *msg;  /* owned, refs 1 */
    char room[];
} inbox_ent_t;

typedef struct worker {
    struct lws_context *ctx;
    server_t *srv;
    pthread_t thread;
    bool thread_started;
    room_t **buckets; /* (kind, name) -> room hash map, chained */
    size_t nbuckets;
    size_t nrooms;
    uint64_t rng;
    uint64_t next_conn_id;
    pthread_mutex_t inbox_lock;
    inbox_ent_t *inbox; /* guarded by inbox_lock */
    inbox_ent_t *inbox_tail;
    stimer_heap_t timers;    /* every conn timer of this worker (owns the array) */
    struct ev_loop *loop;    /* libev (epoll) loop lws runs on; owned, freed after ctx */
    ev_io timer_io;          /* watches timer_fd */
    int timer_fd;            /* timerfd set to the earliest of `timers` (0: none yet) */
    lws_usec_t timers_armed; /* when timer_fd is set to fire; 0 = not set */
    /* --accept-rate: accepted sockets not yet handed to lws (a ring, in
     * order), the token bucket that paces them, and its timer. */
    struct lws_vhost *vhost;
    int *held;
    size_t held_head, held_len, held_cap;
    double tokens;
    uint64_t tokens_at; /* monotonic us of the last refill */
    ev_timer pace;
    bool pace_init;
    void *leaked; /* --leak-per-message chunks, chained; freed at stop */
    /* health.c's loop-lag probe: written by this worker's thread only */
    ev_timer probe;
    bool probe_on;
    uint64_t probe_due;                 /* monotonic us the probe should fire */
    atomic_uint_fast64_t lag_max_us;    /* largest lag since the start */
    atomic_uint_fast64_t lag_window_us; /* since the main thread last took it */
} worker_t;

/* A collaboration document; hist[seq % SERVE_HISTORY] holds the operation
 * message of seq (owned strings). Guarded by server.docs_lock. */
typedef struct doc {
    struct doc *next;
    uint64_t seq;
    size_t participants; /* on every worker */
    char *hist[SERVE_HISTORY];
    char id[];
} doc_t;

struct server {
    serve_opts_t opts; /* host and tls_cert_out point into the copies below */
    char *host;
    char *tls_cert_out;
    char *tls_client_ca;
    atomic_bool stop;
    lws_usec_t started; /* lws_now_usecs() at serve_start (--drop-at) */
    worker_t *workers;
    unsigned nworkers;
    size_t nprotos_ready; /* protocols whose server_init ran */
    /* notify.c's: the login token key (read-only after start) */
    unsigned char secret[32];
    atomic_uint_fast64_t token_seq;
    /* metrics.c's: counters for GET /metrics (relaxed atomics) */
    atomic_int_fast64_t conns_open[SK_COLLAB + 1]; /* by serve_kind_t */
    atomic_uint_fast64_t msgs_in, msgs_out, leaked_bytes;
    atomic_uint_fast64_t slow_cuts; /* connections closed for SERVE_MAX_QUEUED (conn.c) */
    bool have_overflows;            /* health.c's: ListenOverflows readable at the start */
    uint64_t overflows_at;          /* its value then (read-only after start) */
    /* collab.c's: the documents */
    pthread_mutex_t docs_lock;
    doc_t *docs;
};

/* ==== for the protocols ==================================================== */

/* ---- msg.c: encoded frames, shared by every queue they are on ------------ */

/* A new frame holding txt (or obj rendered), with one ref; NULL when out
 * of memory. The caller releases its ref with serve_msg_release. */
out_msg_t *serve_msg_text(const char *txt, size_t len);
out_msg_t *serve_msg_encode(cJSON *obj);
/* Drops one ref (m may be NULL); the last one frees m. */
void serve_msg_release(out_msg_t *m);

/* ---- conn.c: sending ------------------------------------------------------ */

/* Encodes obj (and deletes it) and queues it on c now. Returns 0, or -1 when
 * out of memory (the caller closes c). */
int serve_conn_send(conn_t *c, cJSON *obj);
/* Same for a reply to a request: first --broadcasts-before-ack unrelated
 * messages at once, then obj after the ack delay. */
int serve_conn_reply(conn_t *c, cJSON *obj);
/* {"type":"error","reason":reason} at once. */
int serve_conn_error(conn_t *c, const char *reason);
/* A push stamped just now (event, quote): queued after --push-delay. */
int serve_conn_send_push(conn_t *c, cJSON *obj);
/* Sends obj right after the last reply (same delay, no noise). */
int serve_conn_follow(conn_t *c, cJSON *obj);
/* Queues m (taking a ref of its own) on c, now or after delay_us. A
 * connection whose queue would pass its bound, or that cannot get memory,
 * is closed instead. */
void serve_conn_push(conn_t *c, out_msg_t *m, uint64_t delay_us);

/* Starts c's periodic tick (every interval_us, drift-free) unless running. */
void serve_conn_tick_start(conn_t *c, uint64_t interval_us, stimer_cb_t cb);
/* From inside cb: schedules the next tick. */
void serve_conn_tick_again(conn_t *c, uint64_t interval_us, stimer_cb_t cb);

/* ---- room.c: rooms on every worker ---------------------------------------- */

/* Adds c to the room (no-op if there). Returns 0 or -1 (no memory). */
int serve_room_join(conn_t *c, serve_kind_t kind, const char *name);
void serve_room_leave(conn_t *c, serve_kind_t kind, const char *name);
bool serve_room_has(conn_t *c, serve_kind_t kind, const char *name);
/* Local members of the room on w. */
size_t serve_room_size(worker_t *w, serve_kind_t kind, const char *name);
/* Queues m on every member of the room on every worker except `except`.
 * With several workers everything goes through the inboxes, own worker
 * included, so that every member sees broadcasts in the order they were
 * posted (callers that need one order post under a lock). Returns 0 or -1
 * (no memory); m stays the caller's. */
int serve_room_fanout(worker_t *w, serve_kind_t kind, const char *name, conn_t *except,
                      out_msg_t *m);

/* ---- subs.c: subscriptions ------------------------------------------------ */

/* Subscriptions (notification topics, quote streams) in c->subs. A valid
 * list is a non-empty JSON array of non-empty strings. serve_subs_add skips
 * duplicates and returns 0 or -1 (no memory). */
bool serve_subs_valid(const cJSON *list);
int serve_subs_add(conn_t *c, const cJSON *list);
void serve_subs_remove(conn_t *c, const cJSON *list);
/* The next subscription, round robin, or NULL when there is none. */
const char *serve_subs_next(conn_t *c);

/* ---- json.c: building messages -------------------------------------------- */

/* Wall clock: ms and us since the epoch. */
void serve_wallclock(uint64_t *ms, uint64_t *us);
/* Adds an exact integer (cJSON would print 16 digits as 1.2e+15). */
bool serve_json_add_u64(cJSON *o, const char *key, uint64_t v);
/* Adds "ts" (ms) and "ts_us" (us) of now. */
bool serve_json_add_now(cJSON *o);
/* {"type":type}, or NULL when out of memory. */
cJSON *serve_json_reply_new(const char *type);
/* Adds key:val to o and returns o; on failure deletes o and returns NULL
 * (o may be NULL, so calls chain). */
cJSON *serve_json_reply_str(cJSON *o, const char *key, const char *val);
/* A non-empty string member of obj, else NULL. */
const char *serve_json_str(const cJSON *obj, const char *key);

/* ---- listen.c: the upgrade request ---------------------------------------- */

/* True when the query has a non-empty name=... argument. */
bool serve_query_has(struct lws *wsi, const char *name);

/* ==== for the core only ==================================================== */

/* ---- conn.c: a connection's life (lws callbacks) -------------------------- */

/* ESTABLISHED: zeroes c and opens it on p (the upgrade's protocol; NULL
 * refuses it). Returns 0, or -1 to close. */
int serve_conn_open(conn_t *c, struct lws *wsi, const serve_proto_t *p);
/* RECEIVE: one frame of a message. Returns 0, or -1 to close. */
int serve_conn_receive(conn_t *c, const void *in, size_t len);
/* SERVER_WRITEABLE: writes one queued frame. Returns 0, or -1 to close. */
int serve_conn_writeable(conn_t *c);
/* CLOSED: the protocol's on_close, then frees what c holds. Idempotent. */
void serve_conn_cleanup(conn_t *c);

/* ---- room.c: a worker's rooms and inbox ----------------------------------- */

/* Takes c out of every room it is in. */
void serve_room_leave_all(conn_t *c);
/* Delivers (or, with deliver false, just frees) what other workers posted
 * to w's inbox. */
void serve_room_drain_inbox(worker_t *w, bool deliver);
/* Frees whatever rooms w has left (none, when every connection closed). */
void serve_room_free_all(worker_t *w);

/* ---- worker.c: a worker's loop, timer and thread -------------------------- */

/* Sets up a zeroed worker of s with its random seed. */
void serve_worker_init(worker_t *w, server_t *s, uint64_t seed);
/* Creates w's event loop and the timer fd behind every conn timer.
 * Returns 0, or -1 with a reason in err (serve_worker_free cleans up). */
int serve_worker_loop_new(worker_t *w, char *err, size_t errlen);
/* Sets the worker's timer to its earliest conn timer (after a change). */
void serve_worker_arm(worker_t *w);
/* The service thread: runs w's loop until the server stops. */
void *serve_worker_run(void *w);
/* Frees w's context (closing its connections), loop, timer, inbox and
 * rooms; w's thread must have ended. */
void serve_worker_free(worker_t *w);
/* --accept-rate: stops the pacing timer and closes the sockets still held
 * (listen.c). Call before the loop is destroyed. */
void serve_accept_free(worker_t *w);

/* ---- listen.c: listening -------------------------------------------------- */

/* Creates every worker's context and listener on one port (opts.port, or a
 * free one for 0); cert and key are the TLS files, or NULL for plain ws.
 * Returns the port, or -1 with a reason in err (the caller frees the
 * workers). */
int serve_listen_all(server_t *s, const char *cert, const char *key, char *err, size_t errlen);

/* ---- health.c: is the server keeping up? ----------------------------------- */

/* A second is overloaded when a worker's loop ran this late (or the host's
 * accept queues overflowed in it): replies are then late by the server's
 * own delay, which is what the load test should be measuring elsewhere. */
#define SERVE_OVERLOAD_LAG_US 50000u

/* The main thread's running account, one tick per second. */
typedef struct serve_health {
    bool have_overflows;   /* /proc/net/netstat readable */
    uint64_t overflows_at; /* ListenOverflows at the last tick */
    uint64_t seconds, overloaded_seconds, dropped, lag_max_us;
} serve_health_t;

/* Arms / stops w's loop-lag probe (on w's loop, from its own thread or
 * before it runs). */
void serve_health_start(worker_t *w);
void serve_health_stop(worker_t *w);
/* The largest loop lag any worker of s saw since the start, us. */
uint64_t serve_health_lag_max_us(server_t *s);
/* ListenOverflows of the TcpExt lines of a /proc/net/netstat text into
 * *out; returns 0, or -1 when absent or malformed. */
int serve_netstat_overflows(const char *text, uint64_t *out);
/* The same read from /proc/net/netstat. */
int serve_health_overflows(uint64_t *out);
/* Starts h; the accept-queue counter is read as its zero. */
void serve_health_begin(serve_health_t *h);
/* One second's check: true, with a one-line warning in line, when the
 * second was overloaded. */
bool serve_health_tick(server_t *s, serve_health_t *h, char *line, size_t n);
/* True, with a line summing up the overloaded seconds, when there were any. */
bool serve_health_summary(const serve_health_t *h, char *line, size_t n);

/* ---- metrics.c: GET /metrics and the counters behind it ----------------- */

/* The plain HTTP route of /metrics (a table entry without a WebSocket path). */
extern const serve_proto_t serve_metrics_proto;
/* One whole message received on c: counts it and, with --leak-per-message,
 * leaks on purpose. */
void serve_metrics_received(conn_t *c);
/* Frees what --leak-per-message kept on w. */
void serve_metrics_free_leaks(worker_t *w);

/* ---- deflate.c: --deflate ------------------------------------------------- */

/* The listening vhosts' extensions with --deflate (permessage-deflate);
 * the table is static. */
const struct lws_extension *serve_deflate_extensions(void);

/* ---- tls.c ---------------------------------------------------------------- */

/* Writes a new self-signed certificate (CA:TRUE, SAN localhost, 127.0.0.1,
 * ::1) and its key as cert.pem and key.pem in dir. Returns 0 or -1 with a
 * reason. */
int serve_tls_make(const char *dir, char *err, size_t errlen);
/* Gives a thread's server SSL_CTX the process's one session ticket key,
 * made at the first call: with --threads, a client's next connect may land
 * on another thread, which must still decrypt its ticket to resume. */
void serve_tls_share_tickets(void *ssl_ctx);

#endif
