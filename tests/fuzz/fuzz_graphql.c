/* fuzz_graphql: feeds any bytes to protocol graphql (or graphql-apollo
 * for an odd size) as the messages a server sends (split at each 0x1e byte, with a
 * subscribe framed before each so ids 1, 2, ... are running and awaited),
 * then the whole input and its prefixes (a message split across WebSocket
 * messages), then pings and the end's completes. Garbage after a message,
 * split and 1 MiB messages must be protocol errors or objects, never
 * crashes. */
#include "fuzz.h"

#include "engine/proto/proto.h"

static void feed(const proto_t *p, void *st, const char *msg, size_t len)
{
    sbuf_t reply = SBUF_INIT;
    proto_rx_t rx = { .reply = &reply, .metric = -1 };
    cJSON_Delete(p->parse(st, msg, len, &rx));
    if (rx.event != PROTO_EV_NONE && !rx.why[0] && rx.event != PROTO_EV_OPENED &&
        rx.event != PROTO_EV_CLOSED)
        abort(); /* an error must say why */
    sbuf_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tmpl_t *query;
    char e[200], missed[200];
    if (!query && !(query = tmpl_compile("subscription { m }", NULL, e, sizeof(e))))
        abort();
    /* an odd size: graphql-apollo (start, data, stop, ka) */
    spec_protocol_t proto = (size & 1) ? SPEC_PROTO_GRAPHQL_APOLLO : SPEC_PROTO_GRAPHQL;
    const proto_t *p = proto_get(proto);
    void *st = calloc(1, p->state_size);
    if (!st)
        abort();
    spec_graphql_conn_t conn = { .ping_interval_us = 1000 };
    spec_scenario_t sc = { .protocol = proto, .graphql = &conn };
    spec_graphql_op_t op = { .query = query, .as = "f", .complete_metric = 1 };
    spec_step_t step = { .graphql = &op };
    tmpl_ctx_t ctx = { .vu_id = 1 };
    sbuf_t out = SBUF_INIT;
    p->open(st, &sc, &ctx, &out);
    const char *s = (const char *)data, *end = s + size;
    while (s <= end) {
        const char *rs = memchr(s, 0x1e, (size_t)(end - s));
        const char *stop = rs ? rs : end;
        p->frame(st, &step, &ctx, &out);
        feed(p, st, s, (size_t)(stop - s));
        s = stop + 1;
    }
    feed(p, st, (const char *)data, size);
    for (size_t cut = 0; cut < size && cut < 4096; cut += 10)
        feed(p, st, (const char *)data, cut);
    for (int i = 0; i < 3; i++)
        p->keepalive(st, (uint64_t)i * 2000, &out, missed, sizeof(missed));
    for (int i = 0; i < 100 && p->close(st, &out) == 2; i++)
        ;
    sbuf_free(&out);
    free(st);
    return 0;
}
