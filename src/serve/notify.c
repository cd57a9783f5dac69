/* serve_notify: the login endpoint and the notifications stream (see
 * serve.h). Tokens are stateless: "wsg-<seq>-<HMAC of the rest>" under a
 * key drawn at start, so every worker can check them without locks. */
#include "serve/internal.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 64
#define LOGIN_MAX_BODY 65536

/* ---- tokens ----------------------------------------------------------- */

/* Writes "wsg-<16 hex>-<32 hex>" for seq into out (TOKEN_MAX bytes). */
static void token_make(const server_t *s, uint64_t seq, char *out)
{
    char head[24];
    snprintf(head, sizeof(head), "wsg-%016llx", (unsigned long long)seq);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    HMAC(EVP_sha256(), s->secret, (int)sizeof(s->secret), (const unsigned char *)head, strlen(head),
         mac, &maclen);
    int n = snprintf(out, TOKEN_MAX, "%s-", head);
    for (int i = 0; i < 16; i++)
        n += snprintf(out + n, (size_t)(TOKEN_MAX - n), "%02x", mac[i]);
}

static bool token_valid(const server_t *s, const char *tok, size_t len)
{
    unsigned long long seq;
    char want[TOKEN_MAX];
    if (len != 4 + 16 + 1 + 32 || strncmp(tok, "wsg-", 4) != 0 ||
        sscanf(tok + 4, "%16llx", &seq) != 1)
        return false;
    token_make(s, seq, want);
    return strlen(want) == len && memcmp(want, tok, len) == 0;
}

/* "Authorization: Bearer T" with a valid T. */
static bool bearer_ok(struct lws *wsi, const server_t *s)
{
    char buf[TOKEN_MAX + 16];
    if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
        strncasecmp(buf, "Bearer ", 7) != 0)
        return false;
    const char *t = buf + 7;
    while (*t == ' ')
        t++;
    return token_valid(s, t, strlen(t));
}

/* "Cookie: ...; session=T; ..." with a valid T. */
static bool cookie_ok(struct lws *wsi, const server_t *s)
{
    char buf[1024];
    if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_COOKIE) <= 0)
        return false;
    for (char *p = buf; (p = strstr(p, "session=")); p += 8) {
        if (p != buf && p[-1] != ' ' && p[-1] != ';')
            continue;
        const char *t = p + 8;
        size_t len = strcspn(t, "; ");
        if (token_valid(s, t, len))
            return true;
    }
    return false;
}

static unsigned notify_check(struct lws *wsi, const server_t *s)
{
    return bearer_ok(wsi, s) || cookie_ok(wsi, s) ? 0 : HTTP_STATUS_UNAUTHORIZED;
}

/* The login key, drawn once per server. */
static int tokens_init(server_t *s)
{
    atomic_init(&s->token_seq, 0);
    return RAND_bytes(s->secret, sizeof(s->secret)) == 1 ? 0 : -1;
}

/* ---- login over HTTP -------------------------------------------------- */

static unsigned login_request(conn_t *c, struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0)
        return HTTP_STATUS_METHOD_NOT_ALLOWED;
    c->http_is_login = true;
    return 0; /* the answer follows the body */
}

static int login_body(conn_t *c, const void *in, size_t len)
{
    if (!c->http_is_login || c->http_in.len + len > LOGIN_MAX_BODY)
        return -1;
    return sbuf_append(&c->http_in, in, len) < 0 ? -1 : 0;
}

static int set_answer(conn_t *c, unsigned status, const char *error)
{
    c->http_status = status;
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "error", error)) {
        cJSON_Delete(o);
        o = NULL;
    }
    c->http_out = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return c->http_out ? 0 : -1;
}

/* 200 with a new token, also as the session cookie, and the username the
 * request named (so a test can see which credentials arrived). */
static int grant(conn_t *c, server_t *s, const char *user)
{
    char tok[TOKEN_MAX];
    token_make(s, atomic_fetch_add(&s->token_seq, 1) + 1, tok);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "access_token", tok) ||
        !cJSON_AddStringToObject(o, "token_type", "bearer") ||
        !cJSON_AddStringToObject(o, "username", user)) {
        cJSON_Delete(o);
        return -1;
    }
    c->http_out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t n = strlen(tok) + 40;
    c->http_cookie = malloc(n);
    if (!c->http_out || !c->http_cookie)
        return -1;
    snprintf(c->http_cookie, n, "session=%s; Path=/; HttpOnly", tok);
    c->http_status = HTTP_STATUS_OK;
    return 0;
}

static int login_decide(conn_t *c, server_t *s)
{
    if (s->opts.refuse_auth)
        return set_answer(c, HTTP_STATUS_UNAUTHORIZED, "login refused");
    cJSON *req = cJSON_ParseWithLength(c->http_in.data ? c->http_in.data : "", c->http_in.len);
    const char *user = serve_json_str(req, "username");
    if (!user)
        user = serve_json_str(req, "email");
    const char *pass = serve_json_str(req, "password");
    int rc;
    if (!cJSON_IsObject(req))
        rc = set_answer(c, HTTP_STATUS_BAD_REQUEST, "expected a JSON object body");
    else if (!user || !pass)
        rc = set_answer(c, HTTP_STATUS_BAD_REQUEST, "username (or email) and password required");
    else
        rc = grant(c, s, user);
    cJSON_Delete(req);
    return rc;
}

static int login_complete(conn_t *c, struct lws *wsi)
{
    if (!c->http_is_login)
        return -1;
    server_t *s = ((worker_t *)lws_context_user(lws_get_context(wsi)))->srv;
    if (login_decide(c, s) < 0)
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Frees the request's state (also before the connection's next one). */
static void login_cleanup(conn_t *c)
{
    sbuf_free(&c->http_in);
    free(c->http_out);
    free(c->http_cookie);
    c->http_out = c->http_cookie = NULL;
    c->http_status = 0;
    c->http_is_login = c->http_headers_sent = false;
}

/* Headers in one writeable callback, the body in the next. */
static int login_writeable(conn_t *c, struct lws *wsi)
{
    if (!c->http_is_login || !c->http_out)
        return 0;
    size_t blen = strlen(c->http_out);
    unsigned char buf[LWS_PRE + 1024];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    if (!c->http_headers_sent) {
        if (lws_add_http_common_headers(wsi, c->http_status, "application/json", blen, &p, end) ||
            (c->http_cookie &&
             lws_add_http_header_by_name(
                 wsi, (const unsigned char *)"set-cookie:", (const unsigned char *)c->http_cookie,
                 (int)strlen(c->http_cookie), &p, end)) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        c->http_headers_sent = true;
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (blen > sizeof(buf) - LWS_PRE)
        return -1;
    memcpy(start, c->http_out, blen);
    if (lws_write(wsi, start, blen, LWS_WRITE_HTTP_FINAL) != (int)blen)
        return -1;
    login_cleanup(c);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static const serve_http_route_t login_route = {
    .path = "/api/auth/login",
    .alt_path = "/api/v1/auth/login",
    .on_request = login_request,
    .on_body = login_body,
    .on_body_done = login_complete,
    .on_writeable = login_writeable,
    .on_close = login_cleanup,
};

/* ---- notifications ---------------------------------------------------- */

static const char *event_kind(const char *topic)
{
    size_t n = strlen(topic);
    if (n >= 7 && strcmp(topic + n - 7, ".orders") == 0)
        return "order_update";
    if (n >= 8 && strcmp(topic + n - 8, ".billing") == 0)
        return "invoice_ready";
    return "notification";
}

/* {"type":K,"topic":T,"id":ID,"ts":MS,"ts_us":US}; id is a number or a string. */
static cJSON *event_new(const char *kind, const char *topic, cJSON *id)
{
    cJSON *o = serve_json_reply_str(serve_json_reply_new(kind), "topic", topic);
    if (!o || !id || !cJSON_AddItemToObject(o, "id", id)) {
        cJSON_Delete(o);
        cJSON_Delete(id);
        return NULL;
    }
    if (!serve_json_add_now(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static void push_cb(stimer_t *t)
{
    conn_t *c = lws_container_of(t, conn_t, t_tick);
    const char *topic = serve_subs_next(c);
    if (!topic) {
        c->tick_due = 0; /* stopped until the next subscribe */
        return;
    }
    cJSON *id = cJSON_CreateNumber((double)++c->sent_seq);
    if (serve_conn_send_push(c, event_new(event_kind(topic), topic, id)) < 0) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    serve_conn_tick_again(c, c->w->srv->opts.push_interval_us, push_cb);
}

/* {"type":T,"topics":[...]} echoing the request's topics. */
static int topics_reply(conn_t *c, const char *type, const cJSON *topics)
{
    cJSON *o = serve_json_reply_new(type);
    cJSON *copy = cJSON_Duplicate(topics, 1);
    if (!o || !copy || !cJSON_AddItemToObject(o, "topics", copy)) {
        cJSON_Delete(o);
        cJSON_Delete(copy);
        return -1;
    }
    return serve_conn_reply(c, o);
}

static int on_subscribe(conn_t *c, const cJSON *topics, bool sub)
{
    if (!serve_subs_valid(topics))
        return serve_conn_error(c, "topics must be a non-empty array of strings");
    if (!sub) {
        serve_subs_remove(c, topics);
        return topics_reply(c, "unsubscribed", topics);
    }
    if (serve_subs_add(c, topics) < 0 || topics_reply(c, "subscribed", topics) < 0)
        return -1;
    serve_conn_tick_start(c, c->w->srv->opts.push_interval_us, push_cb);
    return 0;
}

/* {"type":"pong","ts":<the client's ts>,"server_ts_us":US} */
static int on_ping(conn_t *c, const cJSON *req)
{
    uint64_t ms, us;
    cJSON *o = serve_json_reply_new("pong");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(req, "ts");
    if (o && ts && !cJSON_AddItemToObject(o, "ts", cJSON_Duplicate(ts, 1))) {
        cJSON_Delete(o);
        return -1;
    }
    serve_wallclock(&ms, &us);
    if (o && !serve_json_add_u64(o, "server_ts_us", us)) {
        cJSON_Delete(o);
        return -1;
    }
    return serve_conn_reply(c, o);
}

static int notify_message(conn_t *c, cJSON *req)
{
    const char *type = serve_json_str(req, "type");
    if (!type)
        return serve_conn_error(c, "missing type");
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(req, "topics");
    if (strcmp(type, "subscribe") == 0)
        return on_subscribe(c, topics, true);
    if (strcmp(type, "unsubscribe") == 0)
        return on_subscribe(c, topics, false);
    if (strcmp(type, "ping") == 0)
        return on_ping(c, req);
    return serve_conn_error(c, "unknown type");
}

static cJSON *notify_noise(conn_t *c, unsigned k)
{
    char id[32];
    snprintf(id, sizeof(id), "noise-%u", k);
    return event_new("notification", "noise", cJSON_CreateString(id));
}

const serve_proto_t serve_notify_proto = {
    .path = "/ws/notifications",
    .alt_path = "/v1/realtime/notifications",
    .kind = SK_NOTIFY,
    .check = notify_check,
    .on_message = notify_message,
    .noise = notify_noise,
    .http = &login_route,
    .server_init = tokens_init,
};
