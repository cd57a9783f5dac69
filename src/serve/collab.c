/* serve_collab: the guide's collaborative editing protocol on
 * /ws/collaboration (see serve.h). Documents (sequence numbers, recent
 * operations, participant counts) are shared by every worker under
 * docs_lock; each worker fans an operation out to its own participants. */
#include "serve/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned collab_check(struct lws *wsi, const server_t *s)
{
    return serve_query_has(wsi, "session") ? 0 : HTTP_STATUS_UNAUTHORIZED;
}

/* The document named id, created if new; NULL when out of memory. Caller
 * holds docs_lock. */
static doc_t *doc_get(server_t *s, const char *id)
{
    doc_t *d = s->docs;
    while (d && strcmp(d->id, id) != 0)
        d = d->next;
    if (d)
        return d;
    size_t n = strlen(id);
    d = calloc(1, sizeof(*d) + n + 1);
    if (!d)
        return NULL;
    memcpy(d->id, id, n + 1);
    d->next = s->docs;
    s->docs = d;
    return d;
}

static int docs_init(server_t *s)
{
    return pthread_mutex_init(&s->docs_lock, NULL) == 0 ? 0 : -1;
}

/* At stop, after every connection closed. */
static void docs_free(server_t *s)
{
    while (s->docs) {
        doc_t *d = s->docs;
        s->docs = d->next;
        for (size_t i = 0; i < SERVE_HISTORY; i++)
            free(d->hist[i]);
        free(d);
    }
    pthread_mutex_destroy(&s->docs_lock);
}

/* Joins the room and counts the participant once; returns the document's
 * sequence and participants in *seq, *count. Returns 0 or -1. */
static int doc_join(conn_t *c, const char *id, uint64_t *seq, size_t *count)
{
    server_t *s = c->w->srv;
    bool was_in = serve_room_has(c, SK_COLLAB, id);
    if (!was_in && serve_room_join(c, SK_COLLAB, id) < 0)
        return -1;
    pthread_mutex_lock(&s->docs_lock);
    doc_t *d = doc_get(s, id);
    if (d && !was_in)
        d->participants++;
    if (d) {
        *seq = d->seq;
        *count = d->participants;
    }
    pthread_mutex_unlock(&s->docs_lock);
    return d ? 0 : -1;
}

static void doc_leave(conn_t *c, const char *id)
{
    server_t *s = c->w->srv;
    pthread_mutex_lock(&s->docs_lock);
    doc_t *d = doc_get(s, id);
    if (d && d->participants > 0)
        d->participants--;
    pthread_mutex_unlock(&s->docs_lock);
}

static cJSON *doc_reply(const char *type, const char *id, uint64_t seq)
{
    cJSON *o = serve_json_reply_str(serve_json_reply_new(type), "documentId", id);
    if (o && !cJSON_AddNumberToObject(o, "sequence", (double)seq)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int on_join(conn_t *c, const char *id)
{
    uint64_t seq = 0;
    size_t count = 0;
    if (doc_join(c, id, &seq, &count) < 0)
        return -1;
    cJSON *o = doc_reply("document_joined", id, seq);
    if (o && !cJSON_AddNumberToObject(o, "participants", (double)count)) {
        cJSON_Delete(o);
        return -1;
    }
    return serve_conn_reply(c, o);
}

static int on_leave(conn_t *c, const char *id)
{
    if (serve_room_has(c, SK_COLLAB, id)) {
        serve_room_leave(c, SK_COLLAB, id);
        doc_leave(c, id);
    }
    return serve_conn_reply(
        c, serve_json_reply_str(serve_json_reply_new("document_left"), "documentId", id));
}

/* {"type":"operation","documentId":D,"sequence":N,"operation":O,"ts":MS,"ts_us":US} */
static char *operation_text(const char *id, uint64_t seq, const cJSON *op)
{
    cJSON *o = doc_reply("operation", id, seq);
    char *txt = NULL;
    if (o && cJSON_AddItemToObject(o, "operation", cJSON_Duplicate(op, 1)) && serve_json_add_now(o))
        txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

/* Numbers the operation, keeps it for resume and sends it to the other
 * participants, all under docs_lock so every worker sees one order.
 * Returns the sequence number, or 0 when out of memory. */
static uint64_t doc_apply(conn_t *c, const char *id, const cJSON *op)
{
    server_t *s = c->w->srv;
    uint64_t seq = 0;
    pthread_mutex_lock(&s->docs_lock);
    doc_t *d = doc_get(s, id);
    char *txt = d ? operation_text(id, d->seq + 1, op) : NULL;
    out_msg_t *m = txt ? serve_msg_text(txt, strlen(txt)) : NULL;
    if (m) {
        seq = ++d->seq;
        free(d->hist[seq % SERVE_HISTORY]);
        d->hist[seq % SERVE_HISTORY] = txt;
        txt = NULL;
        if (serve_room_fanout(c->w, SK_COLLAB, id, c, m) < 0)
            seq = 0;
    }
    pthread_mutex_unlock(&s->docs_lock);
    serve_msg_release(m);
    free(txt);
    return seq;
}

static int on_apply(conn_t *c, const char *id, const cJSON *req)
{
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "operation");
    if (!op)
        return serve_conn_error(c, "missing operation");
    if (!serve_room_has(c, SK_COLLAB, id))
        return serve_conn_error(c, "join the document first");
    uint64_t seq = doc_apply(c, id, op);
    cJSON *o = seq ? doc_reply("operation_applied", id, seq) : NULL;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(req, "clientTimestamp");
    if (o && ts && !cJSON_AddItemToObject(o, "clientTimestamp", cJSON_Duplicate(ts, 1))) {
        cJSON_Delete(o);
        return -1;
    }
    return o ? serve_conn_reply(c, o) : -1;
}

/* Fills missed with the kept operations after last; returns the current
 * sequence and whether nothing was lost in *complete. */
static uint64_t doc_missed(server_t *s, const char *id, uint64_t last, cJSON *missed,
                           bool *complete)
{
    pthread_mutex_lock(&s->docs_lock);
    doc_t *d = doc_get(s, id);
    uint64_t seq = d ? d->seq : 0;
    uint64_t oldest = seq >= SERVE_HISTORY ? seq - SERVE_HISTORY + 1 : 1;
    *complete = last + 1 >= oldest;
    for (uint64_t i = last + 1 > oldest ? last + 1 : oldest; d && i <= seq; i++)
        cJSON_AddItemToArray(missed, cJSON_CreateRaw(d->hist[i % SERVE_HISTORY]));
    pthread_mutex_unlock(&s->docs_lock);
    return seq;
}

static int on_resume(conn_t *c, const char *id, const cJSON *req)
{
    double l = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "lastSequence"));
    uint64_t last = l > 0 && l < 9e15 ? (uint64_t)l : 0;
    uint64_t seq = 0;
    size_t count = 0;
    bool complete = true;
    cJSON *missed = cJSON_CreateArray();
    if (!missed || doc_join(c, id, &seq, &count) < 0) {
        cJSON_Delete(missed);
        return -1;
    }
    seq = doc_missed(c->w->srv, id, last, missed, &complete);
    cJSON *o = doc_reply("session_resumed", id, seq);
    if (!o || !cJSON_AddNumberToObject(o, "lastSequence", (double)last) ||
        !cJSON_AddItemToObject(o, "missed", missed)) {
        cJSON_Delete(o);
        cJSON_Delete(missed);
        return -1;
    }
    if (!cJSON_AddBoolToObject(o, "complete", complete)) {
        cJSON_Delete(o); /* owns missed now */
        return -1;
    }
    return serve_conn_reply(c, o);
}

static int collab_message(conn_t *c, cJSON *req)
{
    const char *action = serve_json_str(req, "action");
    if (!action)
        return serve_conn_error(c, "missing action");
    bool join = strcmp(action, "join_document") == 0;
    bool apply = strcmp(action, "apply_operation") == 0;
    bool resume = strcmp(action, "resume_session") == 0;
    bool leave = strcmp(action, "leave_document") == 0;
    if (!join && !apply && !resume && !leave)
        return serve_conn_error(c, "unknown action");
    const char *id = serve_json_str(req, "documentId");
    if (!id)
        return serve_conn_error(c, "missing documentId");
    if (join)
        return on_join(c, id);
    if (apply)
        return on_apply(c, id, req);
    if (resume)
        return on_resume(c, id, req);
    return on_leave(c, id);
}

/* Uncounts the connection from its documents (the rooms go in cleanup). */
static void collab_close(conn_t *c)
{
    for (member_t *m = c->rooms; m; m = m->conn_next)
        if (m->room->kind == SK_COLLAB)
            doc_leave(c, m->room->name);
}

static cJSON *collab_noise(conn_t *c, unsigned k)
{
    cJSON *o = doc_reply("operation", "noise", 0);
    if (o && !cJSON_AddItemToObject(o, "operation", cJSON_CreateObject())) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

const serve_proto_t serve_collab_proto = {
    .path = "/ws/collaboration",
    .kind = SK_COLLAB,
    .check = collab_check,
    .on_message = collab_message,
    .on_close = collab_close,
    .noise = collab_noise,
    .server_init = docs_init,
    .server_free = docs_free,
};
