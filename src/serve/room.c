/* serve_room: a worker's rooms (chat channels, documents) and their local
 * members, and the broadcasts that reach the members on other workers
 * through each worker's inbox. */
#include "serve/internal.h"

#include <stdlib.h>
#include <string.h>

#define SERVE_MIN_BUCKETS 64

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

bool serve_room_has(conn_t *c, serve_kind_t kind, const char *name)
{
    return *conn_membership(c, kind, name) != NULL;
}

int serve_room_join(conn_t *c, serve_kind_t kind, const char *name)
{
    if (serve_room_has(c, kind, name))
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

void serve_room_leave(conn_t *c, serve_kind_t kind, const char *name)
{
    member_t **p = conn_membership(c, kind, name);
    member_t *m = *p;
    if (!m)
        return;
    *p = m->conn_next;
    member_drop(c->w, m);
}

void serve_room_leave_all(conn_t *c)
{
    while (c->rooms) {
        member_t *m = c->rooms;
        c->rooms = m->conn_next;
        member_drop(c->w, m);
    }
}

size_t serve_room_size(worker_t *w, serve_kind_t kind, const char *name)
{
    room_t *r = room_find(w, kind, name);
    size_t n = 0;
    for (member_t *m = r ? r->members : NULL; m; m = m->next)
        n++;
    return n;
}

/* ---- across workers ------------------------------------------------- */

/* Queues m on every local member of the room but the connection with id
 * except, after --fanout-delay. */
static void room_local(worker_t *w, serve_kind_t kind, const char *name, uint64_t except,
                       out_msg_t *m)
{
    room_t *r = room_find(w, kind, name);
    for (member_t *mb = r ? r->members : NULL; mb; mb = mb->next)
        if (mb->conn->id != except)
            serve_conn_push(mb->conn, m, w->srv->opts.fanout_delay_us);
}

/* Posts a copy of m to worker `to`, woken to deliver it to its room. */
static int inbox_post(worker_t *to, serve_kind_t kind, const char *name, uint64_t except,
                      const out_msg_t *m)
{
    size_t nlen = strlen(name);
    inbox_ent_t *e = malloc(sizeof(*e) + nlen + 1);
    out_msg_t *copy = serve_msg_text((const char *)m->buf + LWS_PRE, m->len);
    if (!e || !copy) {
        free(e);
        serve_msg_release(copy);
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

int serve_room_fanout(worker_t *w, serve_kind_t kind, const char *name, conn_t *except,
                      out_msg_t *m)
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

void serve_room_drain_inbox(worker_t *w, bool deliver)
{
    inbox_ent_t *e = inbox_take(w);
    while (e) {
        inbox_ent_t *next = e->next;
        if (deliver)
            room_local(w, e->kind, e->room, e->except, e->msg);
        serve_msg_release(e->msg);
        free(e);
        e = next;
    }
}

void serve_room_free_all(worker_t *w)
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
