/* serve_conn: one WebSocket connection of the server: its outgoing queues
 * and timers, what it sends (now, after the ack delay, after the push
 * delay), what it receives, and its end. Runs on its worker's thread. */
#include "serve/internal.h"

#include "base/rng.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SERVE_MAX_QUEUED (4u << 20)  /* queued bytes before a slow consumer is cut */
#define SERVE_MAX_MESSAGE (1u << 20) /* largest accepted incoming message */

/* ---- fifos of queued frames ------------------------------------------- */

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
        serve_msg_release(e->msg);
        free(e);
    }
}

static size_t ent_cost(const out_msg_t *m)
{
    return m->len + sizeof(out_ent_t);
}

/* ---- sending ---------------------------------------------------------- */

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

/* Schedules t at due on c's worker; a connection whose timer cannot get
 * memory is closed. */
static void conn_timer(conn_t *c, stimer_t *t, stimer_cb_t cb, lws_usec_t due)
{
    if (stimer_set(&c->w->timers, t, cb, (uint64_t)due) < 0) {
        conn_doom(c);
        return;
    }
    serve_worker_arm(c->w);
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
 * --max-queued (SERVE_MAX_QUEUED) is closed instead and counted as a slow
 * consumer; one that cannot get memory is closed too. */
void serve_conn_push(conn_t *c, out_msg_t *m, uint64_t delay_us)
{
    if (c->doomed)
        return;
    out_ent_t *e = NULL;
    size_t limit = c->w->srv->opts.max_queued ? c->w->srv->opts.max_queued : SERVE_MAX_QUEUED;
    if (c->queued + ent_cost(m) > limit) { /* a slow consumer */
        atomic_fetch_add_explicit(&c->w->srv->slow_cuts, 1, memory_order_relaxed);
        conn_doom(c);
        return;
    }
    if (!(e = malloc(sizeof(*e)))) {
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
    out_msg_t *m = serve_msg_encode(obj);
    cJSON_Delete(obj);
    if (!m)
        return -1;
    serve_conn_push(c, m, delay_us);
    serve_msg_release(m);
    return 0;
}

int serve_conn_send(conn_t *c, cJSON *obj)
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

int serve_conn_send_push(conn_t *c, cJSON *obj)
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

int serve_conn_reply(conn_t *c, cJSON *obj)
{
    unsigned n = c->w->srv->opts.broadcasts_before_ack;
    for (unsigned i = 0; i < n && c->proto->noise; i++)
        if (serve_conn_send(c, c->proto->noise(c, ++c->noise)) < 0) {
            cJSON_Delete(obj);
            return -1;
        }
    c->last_delay = ack_delay(c);
    return conn_send_delayed(c, obj, c->last_delay);
}

int serve_conn_follow(conn_t *c, cJSON *obj)
{
    return conn_send_delayed(c, obj, c->last_delay);
}

int serve_conn_error(conn_t *c, const char *reason)
{
    return serve_conn_send(c,
                           serve_json_reply_str(serve_json_reply_new("error"), "reason", reason));
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
    serve_msg_release(m);
    free(e);
    if (n < 0 || (size_t)n < len)
        return -1;
    atomic_fetch_add_explicit(&c->w->srv->msgs_out, 1, memory_order_relaxed);
    return 0;
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
    /* --deflate: lws may still be sending a compressed message in fragments
     * (its tx drain), which only the writeable path waits for */
    bool direct = !c->w->srv->opts.deflate;
    while (direct && c->ready.head && !c->going_away && !lws_partial_buffered(c->wsi))
        if (conn_write_one(c) < 0) {
            conn_doom(c);
            return;
        }
    if (c->ready.head || c->going_away)
        lws_callback_on_writable(c->wsi);
}

/* One frame per writeable callback; asks for another while more is queued. */
int serve_conn_writeable(conn_t *c)
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

/* ---- ticks (pushes, quotes) ----------------------------------------- */

void serve_conn_tick_start(conn_t *c, uint64_t interval_us, stimer_cb_t cb)
{
    if (c->tick_due)
        return;
    c->tick_due = lws_now_usecs() + (lws_usec_t)interval_us;
    conn_timer(c, &c->t_tick, cb, c->tick_due);
}

/* Keeps to the planned times; after a stall of over one interval it starts
 * afresh instead of sending a burst. */
void serve_conn_tick_again(conn_t *c, uint64_t interval_us, stimer_cb_t cb)
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
    serve_metrics_received(c);
    cJSON *req = cJSON_ParseWithLength(data, len);
    int rc;
    if (!req)
        rc = serve_conn_error(c, "invalid JSON");
    else if (!cJSON_IsObject(req))
        rc = serve_conn_error(c, "expected a JSON object");
    else
        rc = c->proto->on_message(c, req);
    cJSON_Delete(req);
    return rc;
}

/* Whole messages are handled in place; fragments are gathered first. */
int serve_conn_receive(conn_t *c, const void *in, size_t len)
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

/* ---- opening and closing --------------------------------------------- */

/* --drop-after, --drop-at: a clean 1001 close, or with --drop-abrupt a bare FIN. */
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

int serve_conn_open(conn_t *c, struct lws *wsi, const serve_proto_t *p)
{
    worker_t *w = lws_context_user(lws_get_context(wsi));
    memset(c, 0, sizeof(*c));
    if (!p)
        return -1;
    c->wsi = wsi;
    c->w = w;
    c->id = ++w->next_conn_id;
    c->proto = p;
    c->opened = lws_now_usecs();
    atomic_fetch_add_explicit(&w->srv->conns_open[p->kind], 1, memory_order_relaxed);
    const serve_opts_t *o = &w->srv->opts;
    if (o->drop_at_us) /* all at once: one due time for every connection */
        conn_timer(c, &c->t_drop, conn_drop_cb, w->srv->started + (lws_usec_t)o->drop_at_us);
    else if (o->drop_fraction > 0 && rng_unit(&w->rng) < o->drop_fraction)
        conn_timer(c, &c->t_drop, conn_drop_cb, c->opened + (lws_usec_t)o->drop_after_us);
    return 0;
}

void serve_conn_cleanup(conn_t *c)
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
    serve_room_leave_all(c);
    if (c->proto)
        atomic_fetch_sub_explicit(&c->w->srv->conns_open[c->proto->kind], 1, memory_order_relaxed);
    c->w = NULL;
}
