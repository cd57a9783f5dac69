/* serve_chat: the guide's chat protocol on /ws/chat (see serve.h). */
#include "serve/internal.h"

#include <stdio.h>
#include <string.h>

static unsigned chat_check(struct lws *wsi, const server_t *s)
{
    return serve_query_has(wsi, "token") ? 0 : HTTP_STATUS_UNAUTHORIZED;
}

static int on_subscribe(conn_t *c, const char *channel)
{
    if (serve_room_join(c, SK_CHAT, channel) < 0)
        return -1;
    return serve_conn_reply(c, serve_json_reply_str(serve_json_reply_new("subscription_confirmed"),
                                                    "channel", channel));
}

static int on_unsubscribe(conn_t *c, const char *channel)
{
    serve_room_leave(c, SK_CHAT, channel);
    return serve_conn_reply(
        c, serve_json_reply_str(serve_json_reply_new("unsubscribed"), "channel", channel));
}

/* {"type":"message","channel":C,"message":M} to the other members. */
static int publish_broadcast(conn_t *c, const char *channel, cJSON *msg)
{
    bool alone = c->w->srv->nworkers == 1 && serve_room_size(c->w, SK_CHAT, channel) <= 1 &&
                 serve_room_has(c, SK_CHAT, channel);
    if (alone)
        return 0;
    cJSON *o = serve_json_reply_str(serve_json_reply_new("message"), "channel", channel);
    if (!o || !cJSON_AddItemReferenceToObject(o, "message", msg)) {
        cJSON_Delete(o);
        return -1;
    }
    out_msg_t *m = serve_msg_encode(o);
    cJSON_Delete(o);
    if (!m)
        return -1;
    int rc = serve_room_fanout(c->w, SK_CHAT, channel, c, m);
    serve_msg_release(m);
    return rc;
}

/* {"type":"message_ack","id":M.id,"channel":C}; id is left out when M has none. */
static int publish_ack(conn_t *c, const char *channel, const cJSON *msg)
{
    cJSON *o = serve_json_reply_new("message_ack");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    if (o && id && !cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1))) {
        cJSON_Delete(o);
        o = NULL;
    }
    return serve_conn_reply(c, serve_json_reply_str(o, "channel", channel));
}

static int on_publish(conn_t *c, const char *channel, cJSON *req)
{
    cJSON *msg = cJSON_GetObjectItemCaseSensitive(req, "message");
    if (!msg)
        return serve_conn_error(c, "missing message");
    if (publish_broadcast(c, channel, msg) < 0)
        return -1;
    return publish_ack(c, channel, msg);
}

static int chat_message(conn_t *c, cJSON *req)
{
    const char *action = serve_json_str(req, "action");
    if (!action)
        return serve_conn_error(c, "missing action");
    if (strcmp(action, "ping") == 0)
        return serve_conn_reply(c, serve_json_reply_new("pong"));
    bool sub = strcmp(action, "subscribe") == 0;
    bool unsub = strcmp(action, "unsubscribe") == 0;
    bool pub = strcmp(action, "publish") == 0;
    if (!sub && !unsub && !pub)
        return serve_conn_error(c, "unknown action");
    const char *channel = serve_json_str(req, "channel");
    if (!channel)
        return serve_conn_error(c, "missing channel");
    if (sub)
        return on_subscribe(c, channel);
    if (unsub)
        return on_unsubscribe(c, channel);
    return on_publish(c, channel, req);
}

/* {"type":"message","channel":"noise","message":{"id":"noise-K","text":"unrelated"}} */
static cJSON *chat_noise(conn_t *c, unsigned k)
{
    char id[32];
    snprintf(id, sizeof(id), "noise-%u", k);
    cJSON *o = serve_json_reply_str(serve_json_reply_new("message"), "channel", "noise");
    cJSON *m = cJSON_CreateObject();
    if (!o || !m || !cJSON_AddStringToObject(m, "id", id) ||
        !cJSON_AddStringToObject(m, "text", "unrelated")) {
        cJSON_Delete(o);
        cJSON_Delete(m);
        return NULL;
    }
    if (!cJSON_AddItemToObject(o, "message", m)) {
        cJSON_Delete(o);
        cJSON_Delete(m);
        return NULL;
    }
    return o;
}

const serve_proto_t serve_chat_proto = {
    .path = "/ws/chat",
    .kind = SK_CHAT,
    .check = chat_check,
    .subprotocol = "chat.v1",
    .on_message = chat_message,
    .noise = chat_noise,
};
