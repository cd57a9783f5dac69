/* proto_graphql: protocols graphql (graphql-transport-ws) and graphql-apollo (the older
 * graphql-ws of subscriptions-transport-ws), GraphQL over WebSocket; see proto.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "engine/proto/proto.h"

#define GQL_MAX_OPS 32 /* operations timed to their complete per connection */
#define GQL_ID_MAX 32

/* One operation the connection started and the server has not ended. */
typedef struct gql_op {
    char id[GQL_ID_MAX];
    const char *as;      /* the step's graphql.as (borrowed), NULL: none */
    int complete_metric; /* -1: not timed */
    uint64_t t0;         /* when its subscribe was framed (monotonic us) */
    bool running;
} gql_op_t;

/* The message types that differ between the two subprotocols. */
typedef struct gql_words {
    const char *start;  /* we start an operation: subscribe | start */
    const char *result; /* the server's result: next | data */
    const char *stop;   /* we end an operation: complete | stop */
} gql_words_t;

static const gql_words_t transport_ws = { "subscribe", "next", "complete" };
static const gql_words_t apollo_ws = { "start", "data", "stop" };

/* One connection's session. */
typedef struct gql_conn {
    const spec_graphql_conn_t *spec; /* the scenario's graphql: (borrowed) */
    const gql_words_t *words;
    bool apollo;              /* graphql-apollo */
    bool terminated;          /* graphql-apollo: connection_terminate sent */
    bool acked;               /* connection_ack came */
    bool pong_due;            /* our last ping is unanswered */
    uint32_t ids;             /* operation ids given out: "1", "2", ... */
    char awaited[GQL_ID_MAX]; /* the operation a step waits for, "" for none */
    uint64_t next_ping;       /* when our next ping is due (monotonic us), 0: unset */
    gql_op_t ops[GQL_MAX_OPS];
} gql_conn_t;

/* Appends s (n bytes) as a JSON string. */
static int put_json_str(sbuf_t *out, const char *s, size_t n)
{
    if (sbuf_putc(out, '"') < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int rc = ch == '"' || ch == '\\' ? sbuf_printf(out, "\\%c", ch)
                 : ch < 0x20             ? sbuf_printf(out, "\\u%04x", ch)
                                         : sbuf_putc(out, (char)ch);
        if (rc < 0)
            return -1;
    }
    return sbuf_putc(out, '"');
}

/* Appends what t renders to. */
static int put_tmpl(sbuf_t *out, const tmpl_t *t, const tmpl_ctx_t *ctx)
{
    return tmpl_render(t, ctx, out);
}

static int gql_open(void *st, const spec_scenario_t *sc, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    gql_conn_t *s = st;
    memset(s, 0, sizeof(*s));
    s->spec = sc->graphql;
    s->apollo = sc->protocol == SPEC_PROTO_GRAPHQL_APOLLO;
    s->words = s->apollo ? &apollo_ws : &transport_ws;
    int rc = sbuf_puts(out, "{\"type\":\"connection_init\"");
    if (rc == 0 && s->spec && s->spec->init) {
        rc = sbuf_puts(out, ",\"payload\":");
        if (rc == 0)
            rc = put_tmpl(out, s->spec->init, ctx);
    }
    if (rc == 0)
        rc = sbuf_putc(out, '}');
    return rc < 0 ? -1 : 1;
}

static gql_op_t *find_op(gql_conn_t *s, const char *id)
{
    for (size_t i = 0; i < GQL_MAX_OPS; i++)
        if (s->ops[i].running && strcmp(s->ops[i].id, id) == 0)
            return &s->ops[i];
    return NULL;
}

/* The first error's message of an error message's payload (an array of GraphQL errors). */
static const char *error_message(const cJSON *m)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "payload");
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(p, "errors"); /* graphql-apollo's data */
    if (cJSON_IsArray(errs))
        p = errs;
    const cJSON *e = cJSON_IsArray(p) ? cJSON_GetArrayItem(p, 0) : p;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    return cJSON_IsString(msg) ? msg->valuestring : "(no message)";
}

/* error: the operation is over; it fails the step that waits for it, else
 * it is a protocol error of the connection. */
static void on_error(gql_conn_t *s, const cJSON *m, const char *id, proto_rx_t *rx)
{
    gql_op_t *op = find_op(s, id);
    if (op)
        op->running = false;
    if (s->awaited[0] && strcmp(s->awaited, id) == 0) {
        s->awaited[0] = '\0';
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why), "GraphQL error: %.170s", error_message(m));
        return;
    }
    rx->event = PROTO_EV_BAD;
    snprintf(rx->why, sizeof(rx->why), "GraphQL error for operation %.30s: %.130s", id,
             error_message(m));
}

/* complete: the operation's subscribe -> complete latency (a complete
 * before any next fails the step that waits for that next). */
static void on_complete(gql_conn_t *s, const char *id, proto_rx_t *rx)
{
    gql_op_t *op = find_op(s, id);
    if (op) {
        op->running = false;
        rx->metric = op->complete_metric;
        rx->latency_us = clock_mono_us() - op->t0;
    }
    if (s->awaited[0] && strcmp(s->awaited, id) == 0) {
        s->awaited[0] = '\0';
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why), "operation %.30s completed without a next", id);
    }
}

/* A result whose payload carries GraphQL errors (field errors: a
 * non-empty "errors" array, with or without data). */
static bool has_field_errors(const cJSON *m)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "payload");
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(p, "errors");
    return cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0;
}

/* next and complete go on to the predicates with op (the step's as:) and
 * awaited (the first next of the operation a step waits for). A first
 * next with errors fails the step that waits for it, with the first
 * error's message; later ones go to the predicates (payload.errors). */
static cJSON *on_result(gql_conn_t *s, cJSON *m, const char *type, const char *id, proto_rx_t *rx)
{
    gql_op_t *op = find_op(s, id);
    if (op && op->as)
        cJSON_AddStringToObject(m, "op", op->as);
    if (strcmp(type, "complete") == 0) {
        on_complete(s, id, rx);
        return m;
    }
    if (s->awaited[0] && strcmp(s->awaited, id) == 0) {
        s->awaited[0] = '\0';
        if (has_field_errors(m)) {
            rx->event = PROTO_EV_ERROR;
            snprintf(rx->why, sizeof(rx->why), "GraphQL error in %s: %.160s", type,
                     error_message(m));
            return m;
        }
        cJSON_AddTrueToObject(m, "awaited");
    }
    return m;
}

/* A graphql-apollo data message with errors and no data: the operation failed. */
static bool apollo_failed(const cJSON *m)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "payload");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "data");
    return cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "errors")) && (!d || cJSON_IsNull(d));
}

/* One JSON document and nothing after it but white space; else NULL. */
static cJSON *parse_whole(const char *msg, size_t len)
{
    const char *end = NULL;
    cJSON *m = cJSON_ParseWithLengthOpts(msg, len, &end, false);
    while (m && end < msg + len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (m && end != msg + len) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

static cJSON *gql_parse(void *st, const char *msg, size_t len, proto_rx_t *rx)
{
    gql_conn_t *s = st;
    cJSON *m = parse_whole(msg, len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(m, "id");
    const char *type = cJSON_IsString(t) ? t->valuestring : NULL;
    const char *id = cJSON_IsString(i) ? i->valuestring : NULL;
    if (!s->words) /* not opened */
        s->words = &transport_ws;
    bool has_id = type && (!strcmp(type, s->words->result) || !strcmp(type, "error") ||
                           !strcmp(type, "complete"));
    if (!type || (has_id && !id)) {
        rx->event = PROTO_EV_BAD;
        snprintf(rx->why, sizeof(rx->why), "not a graphql-transport-ws message (%s)",
                 !m      ? "not JSON"
                 : !type ? "no type"
                         : "no id");
    } else if (strcmp(type, "connection_ack") == 0) {
        rx->event = s->acked ? PROTO_EV_NONE : PROTO_EV_OPENED;
        s->acked = true;
    } else if (s->apollo && strcmp(type, "connection_error") == 0) {
        rx->event = PROTO_EV_ERROR;
        snprintf(rx->why, sizeof(rx->why), "GraphQL connection_error: %.160s", error_message(m));
    } else if (s->apollo && strcmp(type, "ka") == 0) {
        /* the server's keep-alive: nothing to answer */
    } else if (strcmp(type, "ping") == 0) {
        if (rx->reply)
            sbuf_puts(rx->reply, "{\"type\":\"pong\"}");
    } else if (strcmp(type, "pong") == 0) {
        s->pong_due = false;
    } else if (strcmp(type, "error") == 0) {
        on_error(s, m, id, rx);
    } else if (s->apollo && !strcmp(type, "data") && apollo_failed(m)) {
        on_error(s, m, id, rx); /* how subscriptions-transport-ws reports a bad document */
    } else if (has_id) {
        return on_result(s, m, type, id, rx);
    } else {
        rx->event = PROTO_EV_BAD;
        snprintf(rx->why, sizeof(rx->why), "unknown graphql-transport-ws message type \"%.60s\"",
                 type);
    }
    cJSON_Delete(m);
    return NULL;
}

/* The operation's id: graphql.id as it renders (cut at GQL_ID_MAX - 1
 * bytes), else the connection's next number. */
static void op_id(gql_conn_t *s, const spec_graphql_op_t *g, const tmpl_ctx_t *ctx, char *id)
{
    sbuf_t tmp = SBUF_INIT;
    if (g->id && tmpl_render(g->id, ctx, &tmp) == 0 && tmp.len)
        snprintf(id, GQL_ID_MAX, "%.*s", (int)tmp.len, tmp.data);
    else
        snprintf(id, GQL_ID_MAX, "%" PRIu32, ++s->ids);
    sbuf_free(&tmp);
}

/* Remembers the operation for its complete (untimed when GQL_MAX_OPS run). */
static void track(gql_conn_t *s, const spec_graphql_op_t *g, const char *id)
{
    snprintf(s->awaited, sizeof(s->awaited), "%s", id);
    for (size_t i = 0; i < GQL_MAX_OPS; i++) {
        gql_op_t *op = &s->ops[i];
        if (op->running)
            continue;
        *op = (gql_op_t){ .as = g->as,
                          .complete_metric = g->complete_metric,
                          .t0 = clock_mono_us(),
                          .running = true };
        snprintf(op->id, sizeof(op->id), "%s", id);
        return;
    }
}

/* {"id":..,"type":"subscribe","payload":{"query":..,"variables":..,"operationName":..}}
 * (type start for graphql-apollo) */
static int put_subscribe(const gql_conn_t *s, const spec_graphql_op_t *g, const char *id,
                         const tmpl_ctx_t *ctx, sbuf_t *out)
{
    sbuf_t q = SBUF_INIT;
    int rc = sbuf_puts(out, "{\"id\":");
    if (rc == 0)
        rc = put_json_str(out, id, strlen(id));
    if (rc == 0)
        rc = sbuf_printf(out, ",\"type\":\"%s\",\"payload\":{\"query\":", s->words->start);
    if (rc == 0)
        rc = tmpl_render(g->query, ctx, &q);
    if (rc == 0)
        rc = put_json_str(out, q.data ? q.data : "", q.len);
    if (rc == 0 && g->variables) {
        rc = sbuf_puts(out, ",\"variables\":");
        if (rc == 0)
            rc = put_tmpl(out, g->variables, ctx);
    }
    if (rc == 0 && g->operation_name)
        rc = sbuf_printf(out, ",\"operationName\":\"%s\"", g->operation_name);
    if (rc == 0)
        rc = sbuf_puts(out, "}}");
    sbuf_free(&q);
    return rc;
}

/* A graphql: step's subscribe; a step without one sends its template as it renders. */
static int gql_frame(void *st, const spec_step_t *step, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    gql_conn_t *s = st;
    const spec_graphql_op_t *g = step->graphql;
    char id[GQL_ID_MAX];
    if (!g)
        return tmpl_render(step->send, ctx, out);
    op_id(s, g, ctx, id);
    if (put_subscribe(s, g, id, ctx, out) < 0)
        return -1;
    track(s, g, id);
    return 0;
}

/* Our ping every graphql.ping_interval; a ping still unanswered when the
 * next is due is a missed pong. */
static uint64_t gql_keepalive(void *st, uint64_t now, sbuf_t *out, char *missed, size_t n)
{
    gql_conn_t *s = st;
    uint64_t every = s->spec ? s->spec->ping_interval_us : 0;
    missed[0] = '\0';
    if (!every)
        return 0;
    if (!s->next_ping) {
        s->next_ping = now + every;
        return every;
    }
    if (now + every / 10 < s->next_ping)
        return s->next_ping - now;
    if (s->pong_due)
        snprintf(missed, n, "no GraphQL pong within %" PRIu64 " ms of our ping", every / 1000);
    if (sbuf_puts(out, "{\"type\":\"ping\"}") == 0) {
        s->pong_due = true;
        s->next_ping = now + every;
    }
    return every;
}

/* complete (graphql-apollo: stop) for each operation still running, one
 * per call; graphql-apollo then says connection_terminate. */
static int gql_close(void *st, sbuf_t *out)
{
    gql_conn_t *s = st;
    for (size_t i = 0; i < GQL_MAX_OPS; i++) {
        gql_op_t *op = &s->ops[i];
        if (!op->running)
            continue;
        op->running = false;
        if (sbuf_puts(out, "{\"id\":") < 0 || put_json_str(out, op->id, strlen(op->id)) < 0 ||
            sbuf_printf(out, ",\"type\":\"%s\"}", s->words->stop) < 0)
            return -1;
        return 2;
    }
    if (!s->apollo || s->terminated || !s->acked)
        return 0;
    s->terminated = true;
    return sbuf_puts(out, "{\"type\":\"connection_terminate\"}") < 0 ? -1 : 2;
}

const proto_t proto_graphql = {
    .name = "graphql",
    .subprotocols = "graphql-transport-ws",
    .state_size = sizeof(gql_conn_t),
    .parse_always = true,
    .open = gql_open,
    .parse = gql_parse,
    .frame = gql_frame,
    .keepalive = gql_keepalive,
    .close = gql_close,
};

const proto_t proto_graphql_apollo = {
    .name = "graphql-apollo",
    .subprotocols = "graphql-ws",
    .state_size = sizeof(gql_conn_t),
    .parse_always = true,
    .open = gql_open,
    .parse = gql_parse,
    .frame = gql_frame,
    .keepalive = gql_keepalive,
    .close = gql_close,
};
