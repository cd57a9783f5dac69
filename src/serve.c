/* serve: the embedded chat server (see serve.h for the protocol).
 *
 * One lws context, serviced by one thread. Everything below the public
 * functions runs on that thread (or, in serve_stop, after it was joined),
 * so rooms and queues need no locks. */
#include "serve.h"

#include "sbuf.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include <netdb.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_PATH "/ws/chat"
#define SERVE_RX_BUFFER 4096         /* lws rx buffer per connection */
#define SERVE_TX_PACKET 65536        /* largest single send() */
#define SERVE_MAX_QUEUED (4u << 20)  /* queued bytes before a slow consumer is cut */
#define SERVE_MAX_MESSAGE (1u << 20) /* largest accepted incoming message */
#define SERVE_MIN_BUCKETS 64

/* One encoded outgoing frame, shared by every connection it is queued on.
 * refs counts queue entries plus the builder; buf holds LWS_PRE + len. */
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

/* A connection's membership of a room: linked in the room (both ways) and
 * in the connection (one way). Owned by the room. */
typedef struct member {
    struct conn *conn;
    struct room *room;
    struct member *prev;
    struct member *next;
    struct member *conn_next;
} member_t;

/* A channel with at least one member; freed when its last member leaves. */
typedef struct room {
    struct room *hnext;
    member_t *members;
    char name[];
} room_t;

/* Per-connection state, stored in lws's per-session data (zeroed by lws on
 * connect, freed by lws after LWS_CALLBACK_CLOSED). Owns its queue entries,
 * rx buffer and memberships; conn_cleanup() releases them. */
typedef struct conn {
    struct lws *wsi;
    server_t *srv;
    lws_sorted_usec_list_t sul; /* fires when the head of `delayed` is due */
    out_fifo_t ready;           /* to write now, in order */
    out_fifo_t delayed;         /* acks waiting for ack_delay, due order */
    size_t queued;              /* bytes charged to both fifos */
    sbuf_t rx;                  /* only used for fragmented messages */
    member_t *rooms;
    bool doomed; /* queue overflow: being killed */
} conn_t;

struct server {
    struct lws_context *ctx;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    uint64_t ack_delay_us;
    room_t **buckets; /* channel -> room hash map, chained */
    size_t nbuckets;
    size_t nrooms;
};

/* ---- outgoing messages ------------------------------------------------ */

/* Renders obj into a new shared message with one ref, or NULL. */
static out_msg_t *msg_encode(cJSON *obj)
{
    char *txt = cJSON_PrintUnformatted(obj);
    if (!txt)
        return NULL;
    size_t len = strlen(txt);
    out_msg_t *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (m) {
        m->refs = 1;
        m->len = len;
        memcpy(m->buf + LWS_PRE, txt, len);
    }
    free(txt);
    return m;
}

static void msg_release(out_msg_t *m)
{
    if (m && --m->refs == 0)
        free(m);
}

static void fifo_push(out_fifo_t *f, out_ent_t *e)
{
    e->next = NULL;
    if (f->tail)
        f->tail->next = e;
    else
        f->head = e;
    f->tail = e;
}

static out_ent_t *fifo_pop(out_fifo_t *f)
{
    out_ent_t *e = f->head;
    if (e) {
        f->head = e->next;
        if (!f->head)
            f->tail = NULL;
    }
    return e;
}

static void fifo_clear(out_fifo_t *f)
{
    out_ent_t *e;
    while ((e = fifo_pop(f))) {
        msg_release(e->msg);
        free(e);
    }
}

static size_t ent_cost(const out_msg_t *m)
{
    return m->len + sizeof(out_ent_t);
}

/* ---- connections ------------------------------------------------------ */

/* Drops everything queued and has lws close the connection at its next
 * timeout check; safe to call for a connection other than the one being
 * serviced, and while iterating a room. */
static void conn_doom(conn_t *c)
{
    if (c->doomed)
        return;
    c->doomed = true;
    lws_sul_cancel(&c->sul);
    fifo_clear(&c->ready);
    fifo_clear(&c->delayed);
    c->queued = 0;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Moves every due delayed entry to the ready fifo and re-arms the timer
 * for the next one. */
static void conn_due_cb(lws_sorted_usec_list_t *sul)
{
    conn_t *c = lws_container_of(sul, conn_t, sul);
    lws_usec_t now = lws_now_usecs();
    bool moved = false;
    while (c->delayed.head && c->delayed.head->due <= now) {
        fifo_push(&c->ready, fifo_pop(&c->delayed));
        moved = true;
    }
    if (moved)
        lws_callback_on_writable(c->wsi);
    if (c->delayed.head)
        lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul, conn_due_cb,
                         c->delayed.head->due - now);
}

/* Queues m on c, now or after delay_us. A connection whose queue would pass
 * SERVE_MAX_QUEUED (or that cannot get memory) is closed instead. */
static void conn_push(conn_t *c, out_msg_t *m, uint64_t delay_us)
{
    if (c->doomed)
        return;
    out_ent_t *e = NULL;
    if (c->queued + ent_cost(m) > SERVE_MAX_QUEUED || !(e = malloc(sizeof(*e)))) {
        conn_doom(c);
        return;
    }
    m->refs++;
    e->msg = m;
    c->queued += ent_cost(m);
    if (delay_us == 0) {
        fifo_push(&c->ready, e);
        lws_callback_on_writable(c->wsi);
        return;
    }
    bool idle = c->delayed.head == NULL;
    e->due = lws_now_usecs() + (lws_usec_t)delay_us;
    fifo_push(&c->delayed, e);
    if (idle)
        lws_sul_schedule(lws_get_context(c->wsi), 0, &c->sul, conn_due_cb, (lws_usec_t)delay_us);
}

/* Encodes obj (and deletes it) and queues it on c. Returns 0, or -1 when
 * out of memory (the caller closes c). */
static int conn_send(conn_t *c, cJSON *obj, uint64_t delay_us)
{
    out_msg_t *m = obj ? msg_encode(obj) : NULL;
    cJSON_Delete(obj);
    if (!m)
        return -1;
    conn_push(c, m, delay_us);
    msg_release(m);
    return 0;
}

/* One frame per writeable callback; asks for another while more is queued. */
static int conn_writeable(conn_t *c)
{
    if (c->doomed)
        return -1;
    out_ent_t *e = fifo_pop(&c->ready);
    if (!e)
        return 0;
    out_msg_t *m = e->msg;
    size_t len = m->len;
    c->queued -= ent_cost(m);
    /* lws copies whatever the socket does not take at once */
    int n = lws_write(c->wsi, m->buf + LWS_PRE, len, LWS_WRITE_TEXT);
    msg_release(m);
    free(e);
    if (n < 0 || (size_t)n < len)
        return -1;
    if (c->ready.head)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* ---- rooms ------------------------------------------------------------ */

static size_t room_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static room_t *room_find(const server_t *s, const char *name)
{
    if (!s->nbuckets)
        return NULL;
    room_t *r = s->buckets[room_hash(name) % s->nbuckets];
    while (r && strcmp(r->name, name) != 0)
        r = r->hnext;
    return r;
}

/* Doubles the bucket array once rooms outnumber buckets. */
static int rooms_grow(server_t *s)
{
    if (s->nrooms < s->nbuckets)
        return 0;
    size_t n = s->nbuckets ? s->nbuckets * 2 : SERVE_MIN_BUCKETS;
    room_t **b = calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        room_t *r = s->buckets[i];
        while (r) {
            room_t *next = r->hnext;
            size_t k = room_hash(r->name) % n;
            r->hnext = b[k];
            b[k] = r;
            r = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
    return 0;
}

/* Returns the room for name, creating it, or NULL when out of memory. */
static room_t *room_get(server_t *s, const char *name)
{
    room_t *r = room_find(s, name);
    if (r)
        return r;
    if (rooms_grow(s) < 0)
        return NULL;
    size_t len = strlen(name);
    r = calloc(1, sizeof(*r) + len + 1);
    if (!r)
        return NULL;
    memcpy(r->name, name, len + 1);
    size_t k = room_hash(name) % s->nbuckets;
    r->hnext = s->buckets[k];
    s->buckets[k] = r;
    s->nrooms++;
    return r;
}

static void room_remove(server_t *s, room_t *r)
{
    room_t **p = &s->buckets[room_hash(r->name) % s->nbuckets];
    while (*p != r)
        p = &(*p)->hnext;
    *p = r->hnext;
    s->nrooms--;
    free(r);
}

/* Unlinks m from its room (freeing the room if it empties) and frees m.
 * The caller unlinks it from the connection. */
static void member_drop(server_t *s, member_t *m)
{
    room_t *r = m->room;
    if (m->prev)
        m->prev->next = m->next;
    else
        r->members = m->next;
    if (m->next)
        m->next->prev = m->prev;
    free(m);
    if (!r->members)
        room_remove(s, r);
}

static member_t **conn_membership(conn_t *c, const char *channel)
{
    member_t **p = &c->rooms;
    while (*p && strcmp((*p)->room->name, channel) != 0)
        p = &(*p)->conn_next;
    return p;
}

/* Adds c to channel (no-op if already there). Returns 0 or -1 (no memory). */
static int room_join(server_t *s, conn_t *c, const char *channel)
{
    if (*conn_membership(c, channel))
        return 0;
    room_t *r = room_get(s, channel);
    member_t *m = r ? calloc(1, sizeof(*m)) : NULL;
    if (!m) {
        if (r && !r->members)
            room_remove(s, r);
        return -1;
    }
    m->conn = c;
    m->room = r;
    m->next = r->members;
    if (r->members)
        r->members->prev = m;
    r->members = m;
    m->conn_next = c->rooms;
    c->rooms = m;
    return 0;
}

static void room_leave(server_t *s, conn_t *c, const char *channel)
{
    member_t **p = conn_membership(c, channel);
    member_t *m = *p;
    if (!m)
        return;
    *p = m->conn_next;
    member_drop(s, m);
}

/* Queues m on every member of channel except sender. */
static void room_broadcast(server_t *s, const char *channel, conn_t *sender, out_msg_t *m)
{
    room_t *r = room_find(s, channel);
    for (member_t *mb = r ? r->members : NULL; mb; mb = mb->next)
        if (mb->conn != sender)
            conn_push(mb->conn, m, 0);
}

static void conn_cleanup(conn_t *c)
{
    if (!c->srv)
        return;
    lws_sul_cancel(&c->sul);
    fifo_clear(&c->ready);
    fifo_clear(&c->delayed);
    sbuf_free(&c->rx);
    while (c->rooms) {
        member_t *m = c->rooms;
        c->rooms = m->conn_next;
        member_drop(c->srv, m);
    }
    c->srv = NULL;
}

/* ---- protocol --------------------------------------------------------- */

static cJSON *reply_new(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "type", type)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Returns o, or NULL (deleting o) when the string could not be added. */
static cJSON *reply_str(cJSON *o, const char *key, const char *val)
{
    if (o && !cJSON_AddStringToObject(o, key, val)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Errors are sent at once: only acks and confirmations are delayed. */
static int send_error(conn_t *c, const char *reason)
{
    return conn_send(c, reply_str(reply_new("error"), "reason", reason), 0);
}

/* The request's channel: a non-empty string, else NULL. */
static const char *req_channel(const cJSON *req)
{
    const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "channel"));
    return ch && *ch ? ch : NULL;
}

static int on_subscribe(conn_t *c, const char *channel)
{
    if (room_join(c->srv, c, channel) < 0)
        return -1;
    cJSON *o = reply_str(reply_new("subscription_confirmed"), "channel", channel);
    return conn_send(c, o, c->srv->ack_delay_us);
}

static int on_unsubscribe(conn_t *c, const char *channel)
{
    room_leave(c->srv, c, channel);
    cJSON *o = reply_str(reply_new("unsubscribed"), "channel", channel);
    return conn_send(c, o, c->srv->ack_delay_us);
}

/* {"type":"message","channel":C,"message":M} to the other members. */
static int publish_broadcast(conn_t *c, const char *channel, cJSON *msg)
{
    room_t *r = room_find(c->srv, channel);
    if (!r || (r->members->conn == c && !r->members->next))
        return 0;
    cJSON *o = reply_str(reply_new("message"), "channel", channel);
    if (!o || !cJSON_AddItemReferenceToObject(o, "message", msg)) {
        cJSON_Delete(o);
        return -1;
    }
    out_msg_t *m = msg_encode(o);
    cJSON_Delete(o);
    if (!m)
        return -1;
    room_broadcast(c->srv, channel, c, m);
    msg_release(m);
    return 0;
}

/* {"type":"message_ack","id":M.id,"channel":C}; id is left out when M has none. */
static int publish_ack(conn_t *c, const char *channel, const cJSON *msg)
{
    cJSON *o = reply_new("message_ack");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    if (o && id && !cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return conn_send(c, reply_str(o, "channel", channel), c->srv->ack_delay_us);
}

static int on_publish(conn_t *c, const char *channel, cJSON *req)
{
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(req, "message");
    if (!msg)
        return send_error(c, "missing message");
    if (publish_broadcast(c, channel, msg) < 0)
        return -1;
    return publish_ack(c, channel, msg);
}

static int dispatch(conn_t *c, cJSON *req)
{
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "action"));
    if (!action)
        return send_error(c, "missing action");
    if (strcmp(action, "ping") == 0)
        return conn_send(c, reply_new("pong"), c->srv->ack_delay_us);
    bool sub = strcmp(action, "subscribe") == 0;
    bool unsub = strcmp(action, "unsubscribe") == 0;
    bool pub = strcmp(action, "publish") == 0;
    if (!sub && !unsub && !pub)
        return send_error(c, "unknown action");
    const char *channel = req_channel(req);
    if (!channel)
        return send_error(c, "missing channel");
    if (sub)
        return on_subscribe(c, channel);
    if (unsub)
        return on_unsubscribe(c, channel);
    return on_publish(c, channel, req);
}

/* Returns 0, or -1 to close the connection (out of memory). */
static int handle_message(conn_t *c, const char *data, size_t len)
{
    cJSON *req = cJSON_ParseWithLength(data, len);
    int rc;
    if (!req)
        rc = send_error(c, "invalid JSON");
    else if (!cJSON_IsObject(req))
        rc = send_error(c, "expected a JSON object");
    else
        rc = dispatch(c, req);
    cJSON_Delete(req);
    return rc;
}

/* Whole messages are handled in place; fragments are gathered first. */
static int conn_receive(conn_t *c, const void *in, size_t len)
{
    bool final = lws_is_final_fragment(c->wsi);
    if (c->rx.len == 0 && final)
        return handle_message(c, in, len);
    if (c->rx.len + len > SERVE_MAX_MESSAGE) {
        static const char why[] = "message too large";
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why,
                         sizeof(why) - 1);
        return -1;
    }
    if (sbuf_append(&c->rx, in, len) < 0)
        return -1;
    if (!final)
        return 0;
    int rc = handle_message(c, c->rx.data, c->rx.len);
    sbuf_free(&c->rx);
    return rc;
}

/* ---- upgrade filter --------------------------------------------------- */

/* True when the query has a non-empty token=... argument. */
static bool has_token(struct lws *wsi)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0)
        return false;
    char *buf = malloc((size_t)total + 1); /* any one argument fits */
    bool found = false;
    for (int i = 0; buf && !found; i++) {
        if (lws_hdr_copy_fragment(wsi, buf, total + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
            break;
        found = strncmp(buf, "token=", 6) == 0 && buf[6] != '\0';
    }
    free(buf);
    return found;
}

/* Answers a refused upgrade with an HTTP status; >0 tells lws we did. */
static int refuse(struct lws *wsi, unsigned int status)
{
    return lws_return_http_status(wsi, status, NULL) ? -1 : 1;
}

static int check_upgrade(struct lws *wsi)
{
    char path[sizeof(SERVE_PATH) + 1];
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0 ||
        strcmp(path, SERVE_PATH) != 0)
        return refuse(wsi, HTTP_STATUS_NOT_FOUND);
    if (!has_token(wsi))
        return refuse(wsi, HTTP_STATUS_UNAUTHORIZED);
    return 0;
}

static int serve_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    conn_t *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return check_upgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        c->wsi = wsi;
        c->srv = lws_context_user(lws_get_context(wsi));
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return conn_receive(c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn_writeable(c);
    case LWS_CALLBACK_CLOSED:
        conn_cleanup(c);
        return 0;
    default:
        /* plain HTTP requests get lws's default 404 */
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols serve_protocols[] = {
    {
        .name = "wsgate-chat",
        .callback = serve_callback,
        .per_session_data_size = sizeof(conn_t),
        .rx_buffer_size = SERVE_RX_BUFFER,
        .tx_packet_size = SERVE_TX_PACKET,
    },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- lifecycle -------------------------------------------------------- */

static void *service_thread(void *arg)
{
    server_t *s = arg;
    while (!atomic_load(&s->stop))
        if (lws_service(s->ctx, 0) < 0)
            break;
    return NULL;
}

/* Turns host into a numeric address in buf and says whether it is IPv6.
 * Names that do not resolve (e.g. an interface name such as "lo") are
 * passed to lws unchanged. */
static void resolve_host(const char *host, char *buf, size_t n, bool *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(buf, n, "%s", host);
    *v6 = strchr(host, ':') != NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return;
    if (getnameinfo(res->ai_addr, res->ai_addrlen, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(buf, n, "%s", host);
    else
        *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
}

/* lws 4.1.6 binds to the wildcard address when given an IPv4 iface on an
 * IPv6-enabled vhost (it writes the address at the wrong offset of the
 * sockaddr_in6), so IPv6 is switched off for IPv4 hosts; IPv6 hosts
 * listen on IPv6 only. */
static uint64_t family_options(bool v6)
{
    if (!v6)
        return LWS_SERVER_OPTION_DISABLE_IPV6;
    return LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
}

/* Creates the context and its one listening vhost; returns the bound port
 * or -1 with a reason in err. */
static int create_context(server_t *s, const serve_opts_t *opts, char *err, size_t errlen)
{
    const char *host = opts->host && *opts->host ? opts->host : "127.0.0.1";
    char addr[INET6_ADDRSTRLEN + 64];
    bool v6;
    resolve_host(host, addr, sizeof(addr), &v6);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, errlen, "cannot create the libwebsockets context");
        return -1;
    }
    info.options = family_options(v6) | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.port = opts->port;
    info.iface = addr;
    info.protocols = serve_protocols;
    info.vhost_name = "wsgate-serve";
    struct lws_vhost *vh = lws_create_vhost(s->ctx, &info);
    if (!vh) {
        snprintf(err, errlen,
                 "cannot listen on %s port %d: port in use, or address not local or unknown", host,
                 opts->port);
        return -1;
    }
    return lws_get_vhost_listen_port(vh);
}

/* Frees whatever rooms are left (none, when every connection was closed). */
static void rooms_free(server_t *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        while (s->buckets[i]) {
            room_t *r = s->buckets[i];
            s->buckets[i] = r->hnext;
            while (r->members) {
                member_t *m = r->members;
                r->members = m->next;
                free(m);
            }
            free(r);
        }
    }
    free(s->buckets);
    s->buckets = NULL;
    s->nbuckets = s->nrooms = 0;
}

static void server_free(server_t *s)
{
    if (s->ctx)
        lws_context_destroy(s->ctx); /* closes connections: CLOSED runs here */
    rooms_free(s);
    free(s);
}

server_t *serve_start(const serve_opts_t *opts, int *port_out, char *err, size_t errlen)
{
    lws_set_log_level(LLL_ERR, NULL);
    server_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&s->stop, false);
    s->ack_delay_us = opts->ack_delay_us;
    int port = create_context(s, opts, err, errlen);
    if (port <= 0) {
        if (port == 0)
            snprintf(err, errlen, "libwebsockets reported no bound port");
        goto fail;
    }
    int rc = pthread_create(&s->thread, NULL, service_thread, s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the server thread: %s", strerror(rc));
        goto fail;
    }
    s->thread_started = true;
    if (port_out)
        *port_out = port;
    return s;
fail:
    server_free(s);
    return NULL;
}

void serve_stop(server_t *s)
{
    if (!s)
        return;
    if (s->thread_started) {
        atomic_store(&s->stop, true);
        lws_cancel_service(s->ctx);
        pthread_join(s->thread, NULL);
    }
    server_free(s);
}

int serve_main(const serve_opts_t *opts)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* block before the service thread exists so it inherits the mask */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char err[256];
    int port = 0;
    server_t *s = serve_start(opts, &port, err, sizeof(err));
    if (!s) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "wsgate serve: %s\n", err);
        return 3;
    }
    const char *host = opts->host && *opts->host ? opts->host : "127.0.0.1";
    bool v6 = strchr(host, ':') != NULL;
    printf("wsgate serve: listening on ws://%s%s%s:%d" SERVE_PATH "\n", v6 ? "[" : "", host,
           v6 ? "]" : "", port);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig); /* fails only for an invalid set */
    serve_stop(s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
