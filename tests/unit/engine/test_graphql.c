/* Unit tests for src/engine/proto/proto_graphql.c: the messages it writes
 * (connection_init, subscribe, ping, complete at the end) and what it makes
 * of the server's (ack, next with op and awaited, complete latency, error,
 * ping, hostile messages: split, 1 MiB, garbage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/clock.h"
#include "engine/proto/proto.h"
#include "helpers.h"

static const proto_t *p;
static void *st;
static proto_rx_t rx;
static sbuf_t reply;

static tmpl_t *tmpl(const char *src)
{
    char e[200];
    tmpl_t *t = tmpl_compile(src, NULL, e, sizeof(e));
    assert_non_null(t);
    return t;
}

/* Parses s as a received message; rx and reply hold what else it meant. */
static cJSON *rx_msg(const char *s)
{
    sbuf_truncate(&reply, 0);
    rx = (proto_rx_t){ .reply = &reply, .metric = -1 };
    return p->parse(st, s, strlen(s), &rx);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void out_is(const sbuf_t *out, const char *want)
{
    assert_int_equal(out->len, strlen(want));
    assert_memory_equal(out->data, want, out->len);
}

static int setup(void **state)
{
    (void)state;
    p = proto_get(SPEC_PROTO_GRAPHQL);
    st = calloc(1, p->state_size);
    return st ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(st);
    sbuf_free(&reply);
    return 0;
}

/* connection_init with the templated payload, then connection_ack. */
static void opens(void **state)
{
    (void)state;
    assert_string_equal(p->name, "graphql");
    assert_string_equal(p->subprotocols, "graphql-transport-ws");
    spec_graphql_conn_t conn = { .init = tmpl("{\"token\":\"t-{{vu.id}}\"}") };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_GRAPHQL, .graphql = &conn };
    tmpl_ctx_t ctx = { .vu_id = 7 };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(p->open(st, &sc, &ctx, &out), 1);
    out_is(&out, "{\"type\":\"connection_init\",\"payload\":{\"token\":\"t-7\"}}");
    assert_null(rx_msg("{\"type\":\"connection_ack\"}"));
    assert_int_equal(rx.event, PROTO_EV_OPENED);
    assert_null(rx_msg("{\"type\":\"connection_ack\"}"));
    assert_int_equal(rx.event, PROTO_EV_NONE);

    spec_graphql_conn_t bare = { 0 };
    sc.graphql = &bare;
    sbuf_truncate(&out, 0);
    assert_int_equal(p->open(st, &sc, &ctx, &out), 1);
    out_is(&out, "{\"type\":\"connection_init\"}");
    sbuf_free(&out);
    tmpl_free(conn.init);
}

/* subscribe messages, ids 1, 2, ... (or the fixed one); next, complete and
 * error for them. */
static void operations(void **state)
{
    (void)state;
    spec_graphql_conn_t conn = { 0 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_GRAPHQL, .graphql = &conn };
    tmpl_ctx_t ctx = { .vu_id = 2 };
    sbuf_t out = SBUF_INIT;
    p->open(st, &sc, &ctx, &out);
    rx_msg("{\"type\":\"connection_ack\"}");

    spec_graphql_op_t op = { .query = tmpl("subscription { m(to: \"u{{vu.id}}\") {\n text } }"),
                             .variables = tmpl("{\"n\":{{vu.id}}}"),
                             .operation_name = "OnM",
                             .as = "msgs",
                             .complete_metric = 3 };
    spec_step_t step = { .graphql = &op };
    sbuf_truncate(&out, 0);
    assert_int_equal(p->frame(st, &step, &ctx, &out), 0);
    out_is(&out, "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { "
                 "m(to: \\\"u2\\\") {\\u000a text } }\",\"variables\":{\"n\":2},"
                 "\"operationName\":\"OnM\"}}");

    /* a next of another operation is not awaited; the first of ours is */
    cJSON *m = rx_msg("{\"id\":\"9\",\"type\":\"next\",\"payload\":{}}");
    assert_non_null(m);
    assert_null(cJSON_GetObjectItemCaseSensitive(m, "awaited"));
    assert_null(str(m, "op"));
    cJSON_Delete(m);
    m = rx_msg("{\"id\":\"1\",\"type\":\"next\",\"payload\":{\"data\":{\"m\":{\"text\":\"x\"}}}}");
    assert_int_equal(rx.event, PROTO_EV_NONE);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "awaited")));
    assert_string_equal(str(m, "op"), "msgs");
    assert_string_equal(str(m, "type"), "next");
    cJSON_Delete(m);
    m = rx_msg("{\"id\":\"1\",\"type\":\"next\",\"payload\":{}}");
    assert_null(cJSON_GetObjectItemCaseSensitive(m, "awaited"));
    cJSON_Delete(m);
    m = rx_msg("{\"id\":\"1\",\"type\":\"complete\"}");
    assert_int_equal(rx.metric, 3);
    assert_true(rx.latency_us < 60000000);
    assert_string_equal(str(m, "op"), "msgs");
    cJSON_Delete(m);
    m = rx_msg("{\"id\":\"1\",\"type\":\"complete\"}"); /* over already: not timed twice */
    assert_int_equal(rx.metric, -1);
    cJSON_Delete(m);

    /* an error for the awaited operation fails its step; for another it is a protocol error */
    sbuf_truncate(&out, 0);
    p->frame(st, &step, &ctx, &out);
    assert_non_null(strstr(out.data, "\"id\":\"2\""));
    assert_null(rx_msg("{\"id\":\"2\",\"type\":\"error\",\"payload\":[{\"message\":\"Cannot query "
                       "field \\\"nope\\\"\"}]}"));
    assert_int_equal(rx.event, PROTO_EV_ERROR);
    assert_string_equal(rx.why, "GraphQL error: Cannot query field \"nope\"");
    assert_null(rx_msg("{\"id\":\"5\",\"type\":\"error\",\"payload\":[]}"));
    assert_int_equal(rx.event, PROTO_EV_BAD);
    assert_contains(rx.why, "GraphQL error for operation 5");

    /* a first next with field errors fails its step with the first message;
     * a later one goes to the predicates */
    sbuf_truncate(&out, 0);
    p->frame(st, &step, &ctx, &out);
    assert_non_null(strstr(out.data, "\"id\":\"3\""));
    m = rx_msg("{\"id\":\"3\",\"type\":\"next\",\"payload\":{\"data\":null,\"errors\":"
               "[{\"message\":\"boom: ticks failed\"},{\"message\":\"second\"}]}}");
    assert_int_equal(rx.event, PROTO_EV_ERROR);
    assert_string_equal(rx.why, "GraphQL error in next: boom: ticks failed");
    cJSON_Delete(m);
    m = rx_msg("{\"id\":\"3\",\"type\":\"next\",\"payload\":{\"errors\":[{\"message\":\"x\"}]}}");
    assert_int_equal(rx.event, PROTO_EV_NONE);
    assert_non_null(m);
    assert_null(cJSON_GetObjectItemCaseSensitive(m, "awaited"));
    cJSON_Delete(m);
    /* an empty errors list is no error */
    sbuf_truncate(&out, 0);
    p->frame(st, &step, &ctx, &out);
    m = rx_msg("{\"id\":\"4\",\"type\":\"next\",\"payload\":{\"data\":{},\"errors\":[]}}");
    assert_int_equal(rx.event, PROTO_EV_NONE);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "awaited")));
    cJSON_Delete(m);

    /* a complete before any next fails the step that waits for the next */
    op.id = tmpl("fixed-{{vu.id}}");
    sbuf_truncate(&out, 0);
    p->frame(st, &step, &ctx, &out);
    assert_non_null(strstr(out.data, "{\"id\":\"fixed-2\",\"type\":\"subscribe\""));
    cJSON_Delete(rx_msg("{\"id\":\"fixed-2\",\"type\":\"complete\"}"));
    assert_int_equal(rx.event, PROTO_EV_ERROR);
    assert_string_equal(rx.why, "operation fixed-2 completed without a next");

    sbuf_free(&out);
    tmpl_free(op.query);
    tmpl_free(op.variables);
    tmpl_free(op.id);
}

/* pings both ways: the server's answered, ours every ping_interval with a
 * pong due by the next. */
static void pings(void **state)
{
    (void)state;
    spec_graphql_conn_t conn = { .ping_interval_us = 1000000 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_GRAPHQL, .graphql = &conn };
    tmpl_ctx_t ctx = { .vu_id = 1 };
    sbuf_t out = SBUF_INIT;
    char missed[200];
    p->open(st, &sc, &ctx, &out);
    rx_msg("{\"type\":\"connection_ack\"}");
    assert_null(rx_msg("{\"type\":\"ping\",\"payload\":{}}"));
    assert_int_equal(rx.event, PROTO_EV_NONE);
    out_is(&reply, "{\"type\":\"pong\"}");
    proto_rx_t none = { .metric = -1 }; /* no reply possible: nothing breaks */
    assert_null(p->parse(st, "{\"type\":\"ping\"}", 15, &none));

    uint64_t t = clock_mono_us();
    sbuf_truncate(&out, 0);
    assert_int_equal(p->keepalive(st, t, &out, missed, sizeof(missed)), 1000000);
    assert_int_equal(out.len, 0); /* the first ping goes one interval after the ack */
    assert_int_equal(p->keepalive(st, t + 1000000, &out, missed, sizeof(missed)), 1000000);
    out_is(&out, "{\"type\":\"ping\"}");
    assert_string_equal(missed, "");
    assert_null(rx_msg("{\"type\":\"pong\"}"));
    sbuf_truncate(&out, 0);
    p->keepalive(st, t + 2000000, &out, missed, sizeof(missed));
    assert_string_equal(missed, ""); /* answered */
    sbuf_truncate(&out, 0);
    p->keepalive(st, t + 3000000, &out, missed, sizeof(missed));
    assert_contains(missed, "no GraphQL pong within 1000 ms");
    out_is(&out, "{\"type\":\"ping\"}");
    sbuf_free(&out);
}

/* The end of a run: complete for each operation still running, one per call. */
static void completes_at_close(void **state)
{
    (void)state;
    spec_graphql_conn_t conn = { 0 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_GRAPHQL, .graphql = &conn };
    tmpl_ctx_t ctx = { .vu_id = 1 };
    sbuf_t out = SBUF_INIT;
    p->open(st, &sc, &ctx, &out);
    rx_msg("{\"type\":\"connection_ack\"}");
    spec_graphql_op_t op = { .query = tmpl("subscription { m }"), .complete_metric = -1 };
    spec_step_t step = { .graphql = &op };
    for (int i = 0; i < 3; i++)
        p->frame(st, &step, &ctx, &out);
    cJSON_Delete(rx_msg("{\"id\":\"2\",\"type\":\"complete\"}")); /* over before the end */
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 2);
    out_is(&out, "{\"id\":\"1\",\"type\":\"complete\"}");
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 2);
    out_is(&out, "{\"id\":\"3\",\"type\":\"complete\"}");
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 0);
    assert_int_equal(out.len, 0);
    sbuf_free(&out);
    tmpl_free(op.query);
}

/* graphql-apollo: start, data, ka, connection_error, then stop and
 * connection_terminate at the end. */
static void apollo(void **state)
{
    (void)state;
    p = proto_get(SPEC_PROTO_GRAPHQL_APOLLO);
    assert_string_equal(p->name, "graphql-apollo");
    assert_string_equal(p->subprotocols, "graphql-ws");
    spec_graphql_conn_t conn = { 0 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_GRAPHQL_APOLLO, .graphql = &conn };
    tmpl_ctx_t ctx = { .vu_id = 1 };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(p->open(st, &sc, &ctx, &out), 1);
    out_is(&out, "{\"type\":\"connection_init\"}");
    assert_null(rx_msg("{\"type\":\"connection_error\",\"payload\":{\"message\":\"no\"}}"));
    assert_int_equal(rx.event, PROTO_EV_ERROR);
    assert_string_equal(rx.why, "GraphQL connection_error: no");
    assert_null(rx_msg("{\"type\":\"connection_ack\"}"));
    assert_int_equal(rx.event, PROTO_EV_OPENED);
    assert_null(rx_msg("{\"type\":\"ka\"}"));
    assert_int_equal(rx.event, PROTO_EV_NONE);
    spec_graphql_op_t op = { .query = tmpl("{ hello }"), .as = "h", .complete_metric = 1 };
    spec_step_t step = { .graphql = &op };
    sbuf_truncate(&out, 0);
    p->frame(st, &step, &ctx, &out);
    out_is(&out, "{\"id\":\"1\",\"type\":\"start\",\"payload\":{\"query\":\"{ hello }\"}}");
    cJSON *m = rx_msg("{\"id\":\"1\",\"type\":\"data\",\"payload\":{\"data\":{\"hello\":\"w\"}}}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "awaited")));
    assert_string_equal(str(m, "op"), "h");
    cJSON_Delete(m);
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 2);
    out_is(&out, "{\"id\":\"1\",\"type\":\"stop\"}");
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 2);
    out_is(&out, "{\"type\":\"connection_terminate\"}");
    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 0);
    sbuf_free(&out);
    tmpl_free(op.query);
}

/* Hostile messages: counted protocol errors (PROTO_EV_BAD), never a crash. */
static void hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "{\"id\":\"1\",\"type\":\"ne", /* a message split in two */
        "{\"id\":\"1\",\"type\":\"next\"}garbage",
        "[1,2]",
        "{\"type\":5}",
        "{\"type\":\"next\"}", /* no id */
        "{\"type\":\"next\",\"id\":7}",
        "{\"type\":\"subscribe\",\"id\":\"1\"}",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(rx_msg(bad[i]));
        if (rx.event != PROTO_EV_BAD)
            fail_msg("case %zu (%s): event %d", i, bad[i], rx.event);
    }
    /* 1 MiB of payload is one message like any other */
    size_t n = 1u << 20;
    char *big = malloc(n + 64);
    assert_non_null(big);
    int h = snprintf(big, 64, "{\"id\":\"1\",\"type\":\"next\",\"payload\":\"");
    memset(big + h, 'x', n);
    strcpy(big + h + n, "\"}");
    cJSON *m = rx_msg(big);
    assert_non_null(m);
    assert_int_equal(rx.event, PROTO_EV_NONE);
    assert_int_equal(strlen(str(m, "payload")), n);
    cJSON_Delete(m);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(opens, setup, teardown),
        cmocka_unit_test_setup_teardown(operations, setup, teardown),
        cmocka_unit_test_setup_teardown(pings, setup, teardown),
        cmocka_unit_test_setup_teardown(completes_at_close, setup, teardown),
        cmocka_unit_test_setup_teardown(apollo, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
