/* serve: the embedded target server (see serve.h for the protocols).
 *
 * One lws context per worker thread, all listening on one port. Everything
 * of a worker (its connections, queues and rooms) runs on its own thread (or,
 * in serve_stop, after it was joined), so that needs no locks; see
 * serve_int.h for what spans workers. This file holds the transport:
 * queues, rooms, the upgrade filter, the lws callback and the lifecycle. The
 * protocols live in serve_chat.c, serve_notify.c, serve_quotes.c and
 * serve_collab.c. */
#define _GNU_SOURCE /* accept4 */
#include "serve/internal.h"

#include "base/pem.h"
#include "base/rng.h"
#include "base/clock.h"

#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define SERVE_RX_BUFFER 1024         /* lws rx buffer per connection: small on purpose */
#define SERVE_TX_PACKET 65536        /* largest single send() */
#define SERVE_MAX_QUEUED (4u << 20)  /* queued bytes before a slow consumer is cut */
#define SERVE_MAX_MESSAGE (1u << 20) /* largest accepted incoming message */
#define SERVE_MIN_BUCKETS 64
#define SERVE_MAX_THREADS 256

static const serve_proto_t *const serve_protos[] = {
    &serve_chat_proto,
    &serve_notify_proto,
    &serve_quotes_proto,
    &serve_collab_proto,
};
#define SERVE_NPROTOS (sizeof(serve_protos) / sizeof(serve_protos[0]))

/* ---- outgoing messages ------------------------------------------------ */

out_msg_t *msg_text(const char *txt, size_t len)
{
    out_msg_t *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (m) {
        m->refs = 1;
        m->len = len;
        memcpy(m->buf + LWS_PRE, txt, len);
    }
    return m;
}

/* Renders obj into a new shared message with one ref, or NULL. */
out_msg_t *msg_encode(cJSON *obj)
{
    char *txt = obj ? cJSON_PrintUnformatted(obj) : NULL;
    if (!txt)
        return NULL;
    out_msg_t *m = msg_text(txt, strlen(txt));
    free(txt);
    return m;
}

void msg_release(out_msg_t *m)
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

/* Inserts e after every entry due no later than it (stable). Returns true
 * when e became the head. */
static bool fifo_insert_due(out_fifo_t *f, out_ent_t *e)
{
    if (!f->tail || f->tail->due <= e->due) {
        fifo_push(f, e);
        return f->head == e;
    }
    out_ent_t **p = &f->head;
    while ((*p)->due <= e->due)
        p = &(*p)->next;
    e->next = *p;
    *p = e;
    return f->head == e;
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
    stimer_cancel(&c->w->timers, &c->t_due);
    fifo_clear(&c->ready);
    fifo_clear(&c->delayed);
    c->queued = 0;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    /* on libev, lws runs its due timers (the kill above) only after some
     * socket activity on this thread: the writeable callback (which closes
     * a doomed connection) makes sure there is some */
    lws_callback_on_writable(c->wsi);
}

/* ---- worker timers ---------------------------------------------------- */

/* Sets the worker's one timer to the earliest conn timer, unless it is
 * already set no later than that. Not an lws sul: lws 4.1's libev glue
 * re-arms its timer with ev_timer_set() on an active watcher, which libev
 * ignores, so an earlier sul waits for the later one already armed. Not an
 * ev_timer either: libev sleeps in epoll_wait, whose timeout is in whole
 * milliseconds, so every --ack-delay reply would be up to 1 ms late. A
 * timerfd has nanosecond resolution and wakes epoll on time. */
static void worker_arm(worker_t *w)
{
    uint64_t due;
    if (!stimer_next(&w->timers, &due))
        return;
    if (w->timers_armed && (uint64_t)w->timers_armed <= due)
        return;
    lws_usec_t now = lws_now_usecs();
    uint64_t in_us = (lws_usec_t)due > now ? (uint64_t)((lws_usec_t)due - now) : 0;
    struct itimerspec its = { 0 };
    its.it_value.tv_sec = (time_t)(in_us / 1000000u);
    its.it_value.tv_nsec = (long)(in_us % 1000000u) * 1000 + 1; /* 0 would disarm it */
    w->timers_armed = (lws_usec_t)due;
    timerfd_settime(w->timer_fd, 0, &its, NULL);
}

/* Runs the conn timers that are due (bounded per call), then re-arms. */
static void worker_timers_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    worker_t *w = lws_container_of(io, worker_t, timer_io);
    uint64_t expirations;
    if (read(w->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        return;
    w->timers_armed = 0;
    uint64_t now = (uint64_t)lws_now_usecs();
    stimer_t *t;
    for (unsigned i = 0; i < 100000 && (t = stimer_pop_due(&w->timers, now)); i++)
        t->cb(t);
    worker_arm(w);
}

/* Schedules t at due on c's worker; a connection whose timer cannot get
 * memory is closed. */
static void conn_timer(conn_t *c, stimer_t *t, stimer_cb_t cb, lws_usec_t due)
{
    if (stimer_set(&c->w->timers, t, cb, (uint64_t)due) < 0) {
        conn_doom(c);
        return;
    }
    worker_arm(c->w);
}

static void conn_flush(conn_t *c);

/* Moves every due delayed entry to the ready fifo and re-arms the timer
 * for the next one. */
static void conn_due_cb(stimer_t *t)
{
    conn_t *c = lws_container_of(t, conn_t, t_due);
    lws_usec_t now = lws_now_usecs();
    bool moved = false;
    while (c->delayed.head && c->delayed.head->due <= now) {
        fifo_push(&c->ready, fifo_pop(&c->delayed));
        moved = true;
    }
    if (moved)
        conn_flush(c);
    if (c->delayed.head && !c->doomed)
        conn_timer(c, &c->t_due, conn_due_cb, c->delayed.head->due);
}

/* Queues m on c, now or after delay_us. A connection whose queue would pass
 * SERVE_MAX_QUEUED (or that cannot get memory) is closed instead. */
void conn_push(conn_t *c, out_msg_t *m, uint64_t delay_us)
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
        conn_flush(c);
        return;
    }
    e->due = lws_now_usecs() + (lws_usec_t)delay_us;
    if (fifo_insert_due(&c->delayed, e))
        conn_timer(c, &c->t_due, conn_due_cb, e->due);
}

static int conn_send_delayed(conn_t *c, cJSON *obj, uint64_t delay_us)
{
    out_msg_t *m = msg_encode(obj);
    cJSON_Delete(obj);
    if (!m)
        return -1;
    conn_push(c, m, delay_us);
    msg_release(m);
    return 0;
}

int conn_send(conn_t *c, cJSON *obj)
{
    return conn_send_delayed(c, obj, 0);
}

/* --stall-after/--stall-for: how long a reply made now waits for the end
 * of the connection's stall (0 outside it). */
static uint64_t stall_wait(const conn_t *c)
{
    const serve_opts_t *o = &c->w->srv->opts;
    if (!o->stall_for_us)
        return 0;
    lws_usec_t now = lws_now_usecs();
    lws_usec_t from = c->opened + (lws_usec_t)o->stall_after_us;
    lws_usec_t to = from + (lws_usec_t)o->stall_for_us;
    return now >= from && now < to ? (uint64_t)(to - now) : 0;
}

int conn_send_push(conn_t *c, cJSON *obj)
{
    return conn_send_delayed(c, obj, c->w->srv->opts.push_delay_us);
}

static uint64_t ack_delay(conn_t *c)
{
    const serve_opts_t *o = &c->w->srv->opts;
    if (o->ack_delay_dist.kind != PAUSE_NONE)
        return pause_sample(&o->ack_delay_dist, &c->w->rng) + stall_wait(c);
    return o->ack_delay_us + stall_wait(c);
}

int conn_reply(conn_t *c, cJSON *obj)
{
    unsigned n = c->w->srv->opts.broadcasts_before_ack;
    for (unsigned i = 0; i < n && c->proto->noise; i++)
        if (conn_send(c, c->proto->noise(c, ++c->noise)) < 0) {
            cJSON_Delete(obj);
            return -1;
        }
    c->last_delay = ack_delay(c);
    return conn_send_delayed(c, obj, c->last_delay);
}

int conn_follow(conn_t *c, cJSON *obj)
{
    return conn_send_delayed(c, obj, c->last_delay);
}

int conn_error(conn_t *c, const char *reason)
{
    return conn_send(c, reply_str(reply_new("error"), "reason", reason));
}

/* Writes the first ready frame. Returns -1 when the socket failed. */
static int conn_write_one(conn_t *c)
{
    out_ent_t *e = fifo_pop(&c->ready);
    out_msg_t *m = e->msg;
    size_t len = m->len;
    c->queued -= ent_cost(m);
    /* lws copies whatever the socket does not take at once */
    int n = lws_write(c->wsi, m->buf + LWS_PRE, len, LWS_WRITE_TEXT);
    msg_release(m);
    free(e);
    return n < 0 || (size_t)n < len ? -1 : 0;
}

/* Writes ready frames now while lws holds nothing back for this socket,
 * which saves a writeable round trip (two epoll_ctl calls and a loop pass)
 * per message; what is left, after a partial write, waits for writeable.
 * So lws never buffers more than one partial frame and SERVE_MAX_QUEUED
 * still bounds a slow consumer. Safe for a connection other than the one
 * being serviced (fan-out to a room). */
static void conn_flush(conn_t *c)
{
    if (c->doomed || c->closing)
        return; /* RFC 6455 5.5.1: no data after a close frame */
    while (c->ready.head && !c->going_away && !lws_partial_buffered(c->wsi))
        if (conn_write_one(c) < 0) {
            conn_doom(c);
            return;
        }
    if (c->ready.head || c->going_away)
        lws_callback_on_writable(c->wsi);
}

/* One frame per writeable callback; asks for another while more is queued. */
static int conn_writeable(conn_t *c)
{
    if (c->doomed)
        return -1;
    if (c->going_away) {
        static const char why[] = "going away";
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)why, sizeof(why) - 1);
        return -1;
    }
    if (!c->ready.head)
        return 0;
    if (conn_write_one(c) < 0)
        return -1;
    if (c->ready.head)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* --drop-after: a clean 1001 close, or with --drop-abrupt a bare FIN. */
static void conn_drop_cb(stimer_t *t)
{
    conn_t *c = lws_container_of(t, conn_t, t_drop);
    if (c->w->srv->opts.drop_abrupt) {
        shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
        conn_doom(c);
        return;
    }
    c->going_away = true;
    lws_callback_on_writable(c->wsi);
}

/* ---- rooms ------------------------------------------------------------ */

static size_t room_hash(serve_kind_t kind, const char *s)
{
    size_t h = 1469598103934665603u ^ (size_t)kind; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static room_t *room_find(const worker_t *w, serve_kind_t kind, const char *name)
{
    if (!w->nbuckets)
        return NULL;
    room_t *r = w->buckets[room_hash(kind, name) % w->nbuckets];
    while (r && (r->kind != kind || strcmp(r->name, name) != 0))
        r = r->hnext;
    return r;
}

/* Doubles the bucket array once rooms outnumber buckets. */
static int rooms_grow(worker_t *w)
{
    if (w->nrooms < w->nbuckets)
        return 0;
    size_t n = w->nbuckets ? w->nbuckets * 2 : SERVE_MIN_BUCKETS;
    room_t **b = calloc(n, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < w->nbuckets; i++) {
        room_t *r = w->buckets[i];
        while (r) {
            room_t *next = r->hnext;
            size_t k = room_hash(r->kind, r->name) % n;
            r->hnext = b[k];
            b[k] = r;
            r = next;
        }
    }
    free(w->buckets);
    w->buckets = b;
    w->nbuckets = n;
    return 0;
}

/* Returns the room, creating it, or NULL when out of memory. */
static room_t *room_get(worker_t *w, serve_kind_t kind, const char *name)
{
    room_t *r = room_find(w, kind, name);
    if (r)
        return r;
    if (rooms_grow(w) < 0)
        return NULL;
    size_t len = strlen(name);
    r = calloc(1, sizeof(*r) + len + 1);
    if (!r)
        return NULL;
    r->kind = kind;
    memcpy(r->name, name, len + 1);
    size_t k = room_hash(kind, name) % w->nbuckets;
    r->hnext = w->buckets[k];
    w->buckets[k] = r;
    w->nrooms++;
    return r;
}

static void room_remove(worker_t *w, room_t *r)
{
    room_t **p = &w->buckets[room_hash(r->kind, r->name) % w->nbuckets];
    while (*p != r)
        p = &(*p)->hnext;
    *p = r->hnext;
    w->nrooms--;
    free(r);
}

/* Unlinks m from its room (freeing the room if it empties) and frees m.
 * The caller unlinks it from the connection. */
static void member_drop(worker_t *w, member_t *m)
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
        room_remove(w, r);
}

static member_t **conn_membership(conn_t *c, serve_kind_t kind, const char *name)
{
    member_t **p = &c->rooms;
    while (*p && ((*p)->room->kind != kind || strcmp((*p)->room->name, name) != 0))
        p = &(*p)->conn_next;
    return p;
}

bool room_has(conn_t *c, serve_kind_t kind, const char *name)
{
    return *conn_membership(c, kind, name) != NULL;
}

int room_join(conn_t *c, serve_kind_t kind, const char *name)
{
    if (room_has(c, kind, name))
        return 0;
    room_t *r = room_get(c->w, kind, name);
    member_t *m = r ? calloc(1, sizeof(*m)) : NULL;
    if (!m) {
        if (r && !r->members)
            room_remove(c->w, r);
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

void room_leave(conn_t *c, serve_kind_t kind, const char *name)
{
    member_t **p = conn_membership(c, kind, name);
    member_t *m = *p;
    if (!m)
        return;
    *p = m->conn_next;
    member_drop(c->w, m);
}

size_t room_size(worker_t *w, serve_kind_t kind, const char *name)
{
    room_t *r = room_find(w, kind, name);
    size_t n = 0;
    for (member_t *m = r ? r->members : NULL; m; m = m->next)
        n++;
    return n;
}

/* Queues m on every local member of the room but the connection with id
 * except, after --fanout-delay. */
static void room_local(worker_t *w, serve_kind_t kind, const char *name, uint64_t except,
                       out_msg_t *m)
{
    room_t *r = room_find(w, kind, name);
    for (member_t *mb = r ? r->members : NULL; mb; mb = mb->next)
        if (mb->conn->id != except)
            conn_push(mb->conn, m, w->srv->opts.fanout_delay_us);
}

/* Posts a copy of m to worker `to`, woken to deliver it to its room. */
static int inbox_post(worker_t *to, serve_kind_t kind, const char *name, uint64_t except,
                      const out_msg_t *m)
{
    size_t nlen = strlen(name);
    inbox_ent_t *e = malloc(sizeof(*e) + nlen + 1);
    out_msg_t *copy = msg_text((const char *)m->buf + LWS_PRE, m->len);
    if (!e || !copy) {
        free(e);
        msg_release(copy);
        return -1;
    }
    e->next = NULL;
    e->kind = kind;
    e->except = except;
    e->msg = copy;
    memcpy(e->room, name, nlen + 1);
    pthread_mutex_lock(&to->inbox_lock);
    if (to->inbox_tail)
        to->inbox_tail->next = e;
    else
        to->inbox = e;
    to->inbox_tail = e;
    pthread_mutex_unlock(&to->inbox_lock);
    lws_cancel_service(to->ctx);
    return 0;
}

int room_fanout(worker_t *w, serve_kind_t kind, const char *name, conn_t *except, out_msg_t *m)
{
    server_t *s = w->srv;
    uint64_t skip = except ? except->id : 0;
    if (s->nworkers == 1) {
        room_local(w, kind, name, skip, m);
        return 0;
    }
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *to = &s->workers[i];
        if (inbox_post(to, kind, name, to == w ? skip : 0, m) < 0)
            return -1;
    }
    return 0;
}

static inbox_ent_t *inbox_take(worker_t *w)
{
    pthread_mutex_lock(&w->inbox_lock);
    inbox_ent_t *e = w->inbox;
    w->inbox = w->inbox_tail = NULL;
    pthread_mutex_unlock(&w->inbox_lock);
    return e;
}

/* Delivers (or, with deliver false, just frees) what other workers posted. */
static void inbox_drain(worker_t *w, bool deliver)
{
    inbox_ent_t *e = inbox_take(w);
    while (e) {
        inbox_ent_t *next = e->next;
        if (deliver)
            room_local(w, e->kind, e->room, e->except, e->msg);
        msg_release(e->msg);
        free(e);
        e = next;
    }
}

static void conn_cleanup(conn_t *c)
{
    if (!c->w)
        return;
    if (c->proto && c->proto->on_close)
        c->proto->on_close(c);
    stimer_cancel(&c->w->timers, &c->t_due);
    stimer_cancel(&c->w->timers, &c->t_tick);
    stimer_cancel(&c->w->timers, &c->t_drop);
    fifo_clear(&c->ready);
    fifo_clear(&c->delayed);
    sbuf_free(&c->rx);
    cJSON_Delete(c->subs);
    c->subs = NULL;
    while (c->rooms) {
        member_t *m = c->rooms;
        c->rooms = m->conn_next;
        member_drop(c->w, m);
    }
    c->w = NULL;
}

/* ---- helpers for the protocols ---------------------------------------- */

void serve_wallclock(uint64_t *ms, uint64_t *us)
{
    uint64_t u = clock_wall_us();
    *us = u;
    *ms = u / 1000u;
}

bool json_add_u64(cJSON *o, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(o, key, num) != NULL;
}

bool json_add_now(cJSON *o)
{
    uint64_t ms, us;
    serve_wallclock(&ms, &us);
    return json_add_u64(o, "ts", ms) && json_add_u64(o, "ts_us", us);
}

cJSON *reply_new(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "type", type)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *reply_str(cJSON *o, const char *key, const char *val)
{
    if (o && !cJSON_AddStringToObject(o, key, val)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

const char *json_str(const cJSON *obj, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return v && *v ? v : NULL;
}

bool query_has(struct lws *wsi, const char *name)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0)
        return false;
    size_t nlen = strlen(name);
    char *buf = malloc((size_t)total + 1); /* any one argument fits */
    bool found = false;
    for (int i = 0; buf && !found; i++) {
        if (lws_hdr_copy_fragment(wsi, buf, total + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
            break;
        found = strncmp(buf, name, nlen) == 0 && buf[nlen] == '=' && buf[nlen + 1] != '\0';
    }
    free(buf);
    return found;
}

bool subs_valid(const cJSON *list)
{
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const char *v = cJSON_GetStringValue(it);
        if (!v || !*v)
            return false;
    }
    return true;
}

static int subs_find(const conn_t *c, const char *name)
{
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, c->subs)
    {
        if (strcmp(it->valuestring, name) == 0)
            return i;
        i++;
    }
    return -1;
}

int subs_add(conn_t *c, const cJSON *list)
{
    if (!c->subs && !(c->subs = cJSON_CreateArray()))
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (subs_find(c, it->valuestring) >= 0)
            continue;
        cJSON *s = cJSON_CreateString(it->valuestring);
        if (!s || !cJSON_AddItemToArray(c->subs, s)) {
            cJSON_Delete(s);
            return -1;
        }
    }
    return 0;
}

void subs_remove(conn_t *c, const cJSON *list)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        int i = c->subs ? subs_find(c, it->valuestring) : -1;
        if (i >= 0)
            cJSON_DeleteItemFromArray(c->subs, i);
    }
}

const char *subs_next(conn_t *c)
{
    int n = c->subs ? cJSON_GetArraySize(c->subs) : 0;
    if (n == 0)
        return NULL;
    const cJSON *it = cJSON_GetArrayItem(c->subs, (int)(c->next_sub++ % (size_t)n));
    return it->valuestring;
}

void tick_start(conn_t *c, uint64_t interval_us, stimer_cb_t cb)
{
    if (c->tick_due)
        return;
    c->tick_due = lws_now_usecs() + (lws_usec_t)interval_us;
    conn_timer(c, &c->t_tick, cb, c->tick_due);
}

/* Keeps to the planned times; after a stall of over one interval it starts
 * afresh instead of sending a burst. */
void tick_again(conn_t *c, uint64_t interval_us, stimer_cb_t cb)
{
    lws_usec_t now = lws_now_usecs();
    c->tick_due += (lws_usec_t)interval_us;
    if (c->tick_due + (lws_usec_t)interval_us < now)
        c->tick_due = now + (lws_usec_t)interval_us;
    conn_timer(c, &c->t_tick, cb, c->tick_due);
}

/* ---- incoming messages ------------------------------------------------ */

/* Returns 0, or -1 to close the connection (out of memory). */
static int handle_message(conn_t *c, const char *data, size_t len)
{
    cJSON *req = cJSON_ParseWithLength(data, len);
    int rc;
    if (!req)
        rc = conn_error(c, "invalid JSON");
    else if (!cJSON_IsObject(req))
        rc = conn_error(c, "expected a JSON object");
    else
        rc = c->proto->on_message(c, req);
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

/* The protocol serving the request's path, or NULL. */
static const serve_proto_t *proto_for(struct lws *wsi)
{
    char path[64];
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0)
        return NULL;
    for (size_t i = 0; i < SERVE_NPROTOS; i++) {
        const serve_proto_t *p = serve_protos[i];
        if (strcmp(path, p->path) == 0 || (p->alt_path && strcmp(path, p->alt_path) == 0))
            return p;
    }
    return NULL;
}

/* Answers a refused upgrade with an HTTP status; >0 tells lws we did. */
static int refuse(struct lws *wsi, unsigned int status)
{
    return lws_return_http_status(wsi, status, NULL) ? -1 : 1;
}

/* No Sec-WebSocket-Protocol, or one that offers p's subprotocol and none of
 * our lws protocol names (lws binds the first name it knows: that must be
 * the subprotocol, whose entry in serve_lws_protocols echoes it). */
static bool subprotocol_ok(struct lws *wsi, const serve_proto_t *p)
{
    char buf[256];
    int n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_PROTOCOL);
    if (n == 0)
        return true;
    bool found = false;
    char *save = NULL;
    for (char *t = n > 0 ? strtok_r(buf, ", \t", &save) : NULL; t;
         t = strtok_r(NULL, ", \t", &save)) {
        if (strncmp(t, "wsgate-", 7) == 0)
            return false;
        if (p->subprotocol && strcmp(t, p->subprotocol) == 0)
            found = true;
    }
    return found;
}

static int check_upgrade(struct lws *wsi, const worker_t *w)
{
    const serve_proto_t *p = proto_for(wsi);
    if (!p)
        return refuse(wsi, HTTP_STATUS_NOT_FOUND);
    if (w->srv->opts.refuse_auth)
        return refuse(wsi, HTTP_STATUS_UNAUTHORIZED);
    if (!subprotocol_ok(wsi, p))
        return refuse(wsi, HTTP_STATUS_BAD_REQUEST);
    unsigned status = p->check(wsi, w->srv);
    return status ? refuse(wsi, status) : 0;
}

static int conn_open(conn_t *c, struct lws *wsi)
{
    worker_t *w = lws_context_user(lws_get_context(wsi));
    const serve_proto_t *p = proto_for(wsi);
    memset(c, 0, sizeof(*c));
    if (!p)
        return -1;
    c->wsi = wsi;
    c->w = w;
    c->id = ++w->next_conn_id;
    c->proto = p;
    c->opened = lws_now_usecs();
    const serve_opts_t *o = &w->srv->opts;
    if (o->drop_fraction > 0 && rng_unit(&w->rng) < o->drop_fraction)
        conn_timer(c, &c->t_drop, conn_drop_cb, c->opened + (lws_usec_t)o->drop_after_us);
    return 0;
}

static int http_callback(conn_t *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                         size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return login_http(c, wsi, in);
    case LWS_CALLBACK_HTTP_BODY:
        return login_body(c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return login_complete(c, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return login_writeable(c, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
        login_cleanup(c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, c, in, len);
    }
}

static int serve_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    conn_t *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return check_upgrade(wsi, lws_context_user(lws_get_context(wsi)));
    case LWS_CALLBACK_ESTABLISHED:
        return conn_open(c, wsi);
    case LWS_CALLBACK_RECEIVE:
        if (conn_receive(c, in, len) < 0) {
            c->closing = true; /* lws sends the close frame (and waits for its echo) */
            return -1;
        }
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c->closing = true;
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn_writeable(c);
    case LWS_CALLBACK_CLOSED:
        conn_cleanup(c);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        inbox_drain(lws_context_user(lws_get_context(wsi)), true);
        return 0;
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
        return len ? 0 : 1; /* len is OpenSSL's verdict; nonzero here rejects */
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
    case LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY:
        return 0; /* user is an OpenSSL object here, not a connection */
    default:
        return c ? http_callback(c, wsi, reason, in, len)
                 : lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- shared listening (--threads) -------------------------------------- */

/* lws 4.1 sets no SO_REUSEPORT on Linux (its LISTEN_SHARE option is for
 * Windows), so with several workers each opens its own SO_REUSEPORT socket
 * and watches it as a raw fd; the kernel spreads connections over them and
 * each worker adopts what it accepts. */
static int listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    int lfd = lws_get_socket_fd(wsi);
    for (int i = 0; i < 64; i++) { /* bounded: let other work run between bursts */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        if (!lws_adopt_socket_vhost(lws_get_vhost(wsi), fd))
            close(fd);
    }
    return 0;
}

static const struct lws_protocols serve_lws_protocols[] = {
    {
        .name = "wsgate-serve",
        .callback = serve_callback,
        .per_session_data_size = sizeof(conn_t),
        .rx_buffer_size = SERVE_RX_BUFFER,
        .tx_packet_size = SERVE_TX_PACKET,
    },
    {
        /* /ws/chat's subprotocol (serve_chat_proto.subprotocol): lws binds
         * an upgrade offering it here and answers with the name */
        .name = "chat.v1",
        .callback = serve_callback,
        .per_session_data_size = sizeof(conn_t),
        .rx_buffer_size = SERVE_RX_BUFFER,
        .tx_packet_size = SERVE_TX_PACKET,
    },
    {
        .name = "wsgate-listen",
        .callback = listen_callback,
    },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- lifecycle -------------------------------------------------------- */

static void *service_thread(void *arg)
{
    worker_t *w = arg;
    while (!atomic_load(&w->srv->stop))
        ev_run(w->loop, EVRUN_ONCE);
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

/* Where the listening vhosts are created: the same for every worker except
 * the port, which the first one picks when it is 0. */
typedef struct listen_cfg {
    char addr[INET6_ADDRSTRLEN + 64];
    bool v6;
    bool share; /* several workers: own SO_REUSEPORT sockets */
    char cert[300];
    char key[300];
    bool tls;
    const char *client_ca; /* --tls-client-ca: require client certificates; NULL = none */
} listen_cfg_t;

/* A listening SO_REUSEPORT socket on addr:port; returns it or -1. */
static int shared_socket(const listen_cfg_t *lc, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    char num[16];
    snprintf(num, sizeof(num), "%d", port);
    if (getaddrinfo(lc->addr, num, &hints, &res) != 0 || !res)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
              (res->ai_family != AF_INET6 ||
               setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0) &&
              bind(fd, res->ai_addr, res->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
    freeaddrinfo(res);
    if (!ok && fd >= 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int socket_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Opens w's own shared socket and has lws watch it. Returns the port. */
static int worker_share(worker_t *w, struct lws_vhost *vh, const listen_cfg_t *lc, int port,
                        char *err, size_t errlen)
{
    int fd = shared_socket(lc, port);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s port %d: port in use, or address not local",
                 w->srv->host, port);
        return -1;
    }
    lws_sock_file_fd_type desc;
    desc.filefd = fd;
    if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, desc, "wsgate-listen", NULL)) {
        close(fd);
        snprintf(err, errlen, "libwebsockets would not watch the listening socket");
        return -1;
    }
    return socket_port(fd);
}

/* No lws "validity" ping after 300 s idle: lws 4.1 schedules it per
 * connection at ESTABLISHED in its per-thread sorted timer list, and that
 * insert walks every other connection's (all ~300 s ahead), which made
 * accepting N connections cost O(N^2). */
static const lws_retry_bo_t serve_no_validity = {
    .secs_since_valid_ping = 0,
    .secs_since_valid_hangup = 0,
};

/* Creates w's context and its one listening vhost; returns the bound port
 * or -1 with a reason in err. */
static int worker_listen(worker_t *w, const listen_cfg_t *lc, int port, char *err, size_t errlen)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *loops[1];
    /* libev (epoll) instead of lws's own poll(), which scans every socket
     * on every wake-up (bench/serve_ab.sh, bench/README.md) */
    w->loop = ev_loop_new(EVFLAG_AUTO);
    if (!w->loop) {
        snprintf(err, errlen, "cannot create the event loop");
        return -1;
    }
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->timer_fd < 0) {
        snprintf(err, errlen, "cannot create a timer: %s", strerror(errno));
        return -1;
    }
    ev_io_init(&w->timer_io, worker_timers_cb, w->timer_fd, EV_READ);
    ev_io_start(w->loop, &w->timer_io);
    loops[0] = w->loop;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = loops;
    info.count_threads = 1;
    /* OpenSSL's global init once, by the first context (destroyed last):
     * lws 4.1 doing it per context leaks OpenSSL state at exit. Every
     * vhost still needs the flag to get its certificate. */
    if (lc->tls && w == &w->srv->workers[0])
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = w;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        snprintf(err, errlen, "cannot create the libwebsockets context");
        return -1;
    }
    info.options = family_options(lc->v6) | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (lc->tls) {
        info.options |=
            LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
        info.ssl_cert_filepath = lc->cert;
        info.ssl_private_key_filepath = lc->key;
        if (lc->client_ca) {
            info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
            info.ssl_ca_filepath = lc->client_ca;
        }
    }
    info.retry_and_idle_policy = &serve_no_validity;
    info.port = lc->share ? CONTEXT_PORT_NO_LISTEN_SERVER : port;
    info.iface = lc->addr;
    info.protocols = serve_lws_protocols;
    info.vhost_name = "wsgate-serve";
    struct lws_vhost *vh = lws_create_vhost(w->ctx, &info);
    if (vh && lc->share)
        return worker_share(w, vh, lc, port, err, errlen);
    if (!vh) {
        snprintf(err, errlen,
                 "cannot listen on %s port %d: port in use, or address not local or unknown%s",
                 w->srv->host, port, lc->tls ? ", or the TLS certificate did not load" : "");
        return -1;
    }
    return lws_get_vhost_listen_port(vh);
}

/* Frees whatever rooms are left (none, when every connection was closed). */
static void rooms_free(worker_t *w)
{
    for (size_t i = 0; i < w->nbuckets; i++) {
        while (w->buckets[i]) {
            room_t *r = w->buckets[i];
            w->buckets[i] = r->hnext;
            while (r->members) {
                member_t *m = r->members;
                r->members = m->next;
                free(m);
            }
            free(r);
        }
    }
    free(w->buckets);
    w->buckets = NULL;
    w->nbuckets = w->nrooms = 0;
}

static void server_free(server_t *s)
{
    for (unsigned i = s->workers ? s->nworkers : 0; i-- > 0;) { /* the first one last */
        worker_t *w = &s->workers[i];
        if (w->ctx)
            lws_context_destroy(w->ctx); /* closes connections: CLOSED runs here */
        if (w->loop) {
            ev_io_stop(w->loop, &w->timer_io);
            ev_loop_destroy(w->loop);
        }
        inbox_drain(w, false);
        rooms_free(w);
        stimer_heap_free(&w->timers);
        if (w->timer_fd > 0)
            close(w->timer_fd);
        pthread_mutex_destroy(&w->inbox_lock);
    }
    collab_docs_free(s);
    pthread_mutex_destroy(&s->docs_lock);
    free(s->workers);
    free(s->host);
    free(s->tls_cert_out);
    free(s->tls_client_ca);
    free(s);
}

/* Copies the options (owning the strings) and fills in the defaults. */
static server_t *server_new(const serve_opts_t *opts)
{
    server_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->opts = *opts;
    const char *host = opts->host && *opts->host ? opts->host : "127.0.0.1";
    s->host = strdup(host);
    s->tls_cert_out = opts->tls_cert_out ? strdup(opts->tls_cert_out) : NULL;
    s->tls_client_ca = opts->tls_client_ca ? strdup(opts->tls_client_ca) : NULL;
    s->opts.host = s->host;
    s->opts.tls_cert_out = s->tls_cert_out;
    s->opts.tls_client_ca = s->tls_client_ca;
    if (!s->opts.push_interval_us)
        s->opts.push_interval_us = 1000000;
    if (!s->opts.quote_rate)
        s->opts.quote_rate = 10;
    s->nworkers = opts->threads ? opts->threads : 1;
    if (s->nworkers > SERVE_MAX_THREADS)
        s->nworkers = SERVE_MAX_THREADS;
    atomic_init(&s->stop, false);
    atomic_init(&s->token_seq, 0);
    pthread_mutex_init(&s->docs_lock, NULL);
    s->workers = calloc(s->nworkers, sizeof(*s->workers));
    if (RAND_bytes(s->secret, sizeof(s->secret)) != 1 || !s->workers || !s->host ||
        (opts->tls_cert_out && !s->tls_cert_out) || (opts->tls_client_ca && !s->tls_client_ca)) {
        server_free(s);
        return NULL;
    }
    uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->workers[i].srv = s;
        s->workers[i].rng = seed + 0x9E3779B97F4A7C15ull * (i + 1);
        pthread_mutex_init(&s->workers[i].inbox_lock, NULL);
    }
    return s;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    FILE *in = fopen(from, "rb");
    FILE *out = in ? fopen(to, "wb") : NULL;
    char buf[4096];
    size_t n;
    int rc = 0;
    while (out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (!out || (out && fclose(out) != 0))
        rc = -1;
    if (in)
        fclose(in);
    if (rc < 0)
        snprintf(err, errlen, "cannot write the certificate to %s", to);
    return rc;
}

/* Makes the certificate in a new temporary directory named in dir. */
static int tls_prepare(server_t *s, listen_cfg_t *lc, char *dir, char *err, size_t errlen)
{
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a temporary directory for the certificate");
        dir[0] = '\0';
        return -1;
    }
    snprintf(lc->cert, sizeof(lc->cert), "%s/cert.pem", dir);
    snprintf(lc->key, sizeof(lc->key), "%s/key.pem", dir);
    lc->tls = true;
    if (s->tls_client_ca && pem_check_certs(s->tls_client_ca, err, errlen) < 0)
        return -1;
    if (serve_tls_make(dir, err, errlen) < 0)
        return -1;
    if (s->tls_cert_out)
        return copy_file(lc->cert, s->tls_cert_out, err, errlen);
    return 0;
}

static void tls_cleanup(const listen_cfg_t *lc, const char *dir)
{
    if (!dir[0])
        return;
    unlink(lc->cert);
    unlink(lc->key);
    rmdir(dir);
}

/* Opens every worker's listener on one port; returns it or -1. */
static int listen_all(server_t *s, listen_cfg_t *lc, char *err, size_t errlen)
{
    resolve_host(s->host, lc->addr, sizeof(lc->addr), &lc->v6);
    lc->share = s->nworkers > 1 || s->opts.reuse_port;
    int port = s->opts.port;
    for (unsigned i = 0; i < s->nworkers; i++) {
        int got = worker_listen(&s->workers[i], lc, port, err, errlen);
        if (got == 0)
            snprintf(err, errlen, "libwebsockets reported no bound port");
        if (got <= 0)
            return -1;
        port = got;
    }
    return port;
}

static int start_threads(server_t *s, char *err, size_t errlen)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        int rc = pthread_create(&w->thread, NULL, service_thread, w);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start a server thread: %s", strerror(rc));
            return -1;
        }
        w->thread_started = true;
    }
    return 0;
}

static void stop_threads(server_t *s)
{
    atomic_store(&s->stop, true);
    for (unsigned i = 0; i < s->nworkers; i++)
        if (s->workers[i].thread_started)
            lws_cancel_service(s->workers[i].ctx);
    for (unsigned i = 0; i < s->nworkers; i++)
        if (s->workers[i].thread_started)
            pthread_join(s->workers[i].thread, NULL);
}

server_t *serve_start(const serve_opts_t *opts, int *port_out, char *err, size_t errlen)
{
    lws_set_log_level(LLL_ERR, NULL);
    listen_cfg_t lc;
    memset(&lc, 0, sizeof(lc));
    char dir[] = "/tmp/wsgate-tls-XXXXXX";
    dir[0] = opts->tls ? '/' : '\0';
    server_t *s = server_new(opts);
    int port = -1;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (opts->tls && tls_prepare(s, &lc, dir, err, errlen) < 0)
        goto fail;
    lc.client_ca = s->tls_client_ca;
    port = listen_all(s, &lc, err, errlen);
    tls_cleanup(&lc, dir); /* loaded (or failed): the files are not needed */
    if (port <= 0 || start_threads(s, err, errlen) < 0)
        goto fail;
    if (port_out)
        *port_out = port;
    return s;
fail:
    tls_cleanup(&lc, dir);
    stop_threads(s);
    server_free(s);
    return NULL;
}

void serve_stop(server_t *s)
{
    if (!s)
        return;
    stop_threads(s);
    server_free(s);
}

/* More connections than the usual soft limit of 1024 need more fds. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int serve_main(const serve_opts_t *opts)
{
    raise_fd_limit();
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* block before the service threads exist so they inherit the mask */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char err[256];
    int port = 0;
    server_t *s = serve_start(opts, &port, err, sizeof(err));
    if (!s) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "wsgate serve: %s\n", err);
        return 3;
    }
    const char *host = s->host;
    bool v6 = strchr(host, ':') != NULL;
    printf("wsgate serve: listening on %s://%s%s%s:%d (/ws/chat, /ws/notifications, /ws/quotes, "
           "/ws/collaboration, POST /api/auth/login), %u thread%s\n",
           opts->tls ? "wss" : "ws", v6 ? "[" : "", host, v6 ? "]" : "", port, s->nworkers,
           s->nworkers == 1 ? "" : "s");
    if (s->tls_cert_out)
        printf("wsgate serve: certificate written to %s\n", s->tls_cert_out);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig); /* fails only for an invalid set */
    serve_stop(s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
