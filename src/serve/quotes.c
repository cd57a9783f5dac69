/* serve_quotes: the guide's market data stream on /ws/quotes (see serve.h).
 * Prices are a deterministic function of the symbol plus a small random
 * walk, enough to look like quotes; nothing depends on their values. */
#include "serve/internal.h"

#include "base/rng.h"

#include <stdio.h>
#include <string.h>

static unsigned quotes_check(struct lws *wsi, const server_t *s)
{
    return 0; /* the guide passes clientId and format, but needs no auth */
}

/* "quotes.NASDAQ:AAPL" -> "NASDAQ:AAPL" */
static const char *stream_symbol(const char *stream)
{
    return strncmp(stream, "quotes.", 7) == 0 && stream[7] ? stream + 7 : stream;
}

static double base_price(const char *symbol)
{
    unsigned h = 2166136261u;
    for (const char *p = symbol; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return 20.0 + (double)(h % 48000) / 100.0;
}

static double round_cents(double x)
{
    return (double)(long long)(x * 100.0 + 0.5) / 100.0;
}

/* Adds "stream","symbol",[seq],"bid","ask","last" to o. Returns o or NULL. */
static cJSON *add_prices(cJSON *o, conn_t *c, const char *stream, const uint64_t *seq)
{
    const char *sym = stream_symbol(stream);
    double last = round_cents(base_price(sym) + (double)rng_range(&c->w->rng, -50, 50) / 100.0);
    o = serve_json_reply_str(serve_json_reply_str(o, "stream", stream), "symbol", sym);
    if (o && ((seq && !cJSON_AddNumberToObject(o, "seq", (double)*seq)) ||
              !cJSON_AddNumberToObject(o, "bid", round_cents(last - 0.01)) ||
              !cJSON_AddNumberToObject(o, "ask", round_cents(last + 0.01)) ||
              !cJSON_AddNumberToObject(o, "last", last))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *add_time(cJSON *o)
{
    if (o && !serve_json_add_now(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *quote_new(conn_t *c, const char *stream, uint64_t seq)
{
    return add_time(add_prices(serve_json_reply_new("quote"), c, stream, &seq));
}

static uint64_t quote_interval(const conn_t *c)
{
    return 1000000u / c->w->srv->opts.quote_rate;
}

static void quote_cb(stimer_t *t)
{
    conn_t *c = lws_container_of(t, conn_t, t_tick);
    const char *stream = serve_subs_next(c);
    if (!stream) {
        c->tick_due = 0; /* stopped until the next subscribe */
        return;
    }
    if (serve_conn_send_push(c, quote_new(c, stream, ++c->sent_seq)) < 0) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    serve_conn_tick_again(c, quote_interval(c), quote_cb);
}

/* {"type":"snapshot","quotes":[{stream,symbol,bid,ask,last},...],"ts","ts_us"} */
static int send_snapshot(conn_t *c, const cJSON *streams)
{
    cJSON *o = serve_json_reply_new("snapshot");
    cJSON *list = cJSON_CreateArray();
    if (!o || !list || !cJSON_AddItemToObject(o, "quotes", list)) {
        cJSON_Delete(o);
        cJSON_Delete(list);
        return -1;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, streams)
    {
        cJSON *q = add_prices(cJSON_CreateObject(), c, it->valuestring, NULL);
        if (!q || !cJSON_AddItemToArray(list, q)) {
            cJSON_Delete(q);
            cJSON_Delete(o);
            return -1;
        }
    }
    return serve_conn_follow(c, add_time(o));
}

/* {"op":op,"streams":[...]} echoing the request's streams. */
static int op_reply(conn_t *c, const char *op, const cJSON *streams)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *copy = cJSON_Duplicate(streams, 1);
    if (!o || !copy || !cJSON_AddStringToObject(o, "op", op) ||
        !cJSON_AddItemToObject(o, "streams", copy)) {
        cJSON_Delete(o);
        cJSON_Delete(copy);
        return -1;
    }
    return serve_conn_reply(c, o);
}

static int on_subscribe(conn_t *c, const cJSON *req, const cJSON *streams)
{
    if (serve_subs_add(c, streams) < 0 || op_reply(c, "subscribed", streams) < 0)
        return -1;
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(req, "snapshot")) &&
        send_snapshot(c, streams) < 0)
        return -1;
    serve_conn_tick_start(c, quote_interval(c), quote_cb);
    return 0;
}

static int quotes_message(conn_t *c, cJSON *req)
{
    const char *op = serve_json_str(req, "op");
    if (!op)
        return serve_conn_error(c, "missing op");
    bool sub = strcmp(op, "subscribe") == 0;
    if (!sub && strcmp(op, "unsubscribe") != 0)
        return serve_conn_error(c, "unknown op");
    const cJSON *streams = cJSON_GetObjectItemCaseSensitive(req, "streams");
    if (!serve_subs_valid(streams))
        return serve_conn_error(c, "streams must be a non-empty array of strings");
    if (sub)
        return on_subscribe(c, req, streams);
    serve_subs_remove(c, streams);
    return op_reply(c, "unsubscribed", streams);
}

static cJSON *quotes_noise(conn_t *c, unsigned k)
{
    return quote_new(c, "quotes.NOISE", 0);
}

const serve_proto_t serve_quotes_proto = {
    .path = "/ws/quotes",
    .kind = SK_QUOTES,
    .check = quotes_check,
    .on_message = quotes_message,
    .noise = quotes_noise,
};
