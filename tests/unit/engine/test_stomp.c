/* Unit tests for src/engine/proto/stomp.c and proto_stomp.c: frames parsed
 * (heart-beats, escapes, content-length bodies with NUL, split frames, a
 * 1 MiB body, garbage after the NUL) and frames written (CONNECT, SEND,
 * SUBSCRIBE with a receipt, DISCONNECT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/clock.h"
#include "engine/proto/proto.h"
#include "engine/proto/stomp.h"
#include "helpers.h"

static char err[200];

static cJSON *parse(const char *buf, size_t len)
{
    return stomp_parse(buf, len, err, sizeof(err));
}

static const char *str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void parses_messages(void **state)
{
    (void)state;
    static const char m[] = "\n\r\nMESSAGE\ndestination:/topic/x\r\nx-note:a\\cb\\\\c\\n\n"
                            "x-note:second\ncontent-length:3\n\nA\0B\0\n\n";
    cJSON *f = parse(m, sizeof(m) - 1);
    assert_non_null(f);
    assert_string_equal(str(f, "command", NULL), "MESSAGE");
    assert_string_equal(str(f, "headers", "destination"), "/topic/x");
    assert_string_equal(str(f, "headers", "x-note"), "a:b\\c\n"); /* the first one */
    assert_string_equal(str(f, "body", NULL), "A");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f, "json")));
    cJSON_Delete(f);

    static const char j[] = "MESSAGE\n\n{\"ts\":5}\0";
    f = parse(j, sizeof(j) - 1);
    assert_non_null(f);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "json")->child->valueint, 5);
    cJSON_Delete(f);

    /* CONNECTED is not unescaped (STOMP 1.2) */
    static const char c[] = "CONNECTED\nserver:a\\cb\n\n\0";
    f = parse(c, sizeof(c) - 1);
    assert_string_equal(str(f, "headers", "server"), "a\\cb");
    cJSON_Delete(f);

    assert_null(parse("\n\n\r\n", 4)); /* heart-beats only */
    assert_string_equal(err, "");
}

#define B(s) s, sizeof(s) - 1 /* a literal and its length without the final NUL */

static void refuses_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *why;
    } bad[] = {
        { B("RECEIPT\nreceipt-id:1\n\n\0garbage"), "bytes after the frame's NUL" },
        { B("MESSAGE\ndestination:/x\n"), "ends inside its headers" },
        { B("MESSAGE\ndestination:/x\n\nno nul"), "does not end with NUL" },
        { B("MESSAGE\ncontent-length:5\n\nab\0"), "does not end with NUL" },
        { B("MESSAGE\ncontent-length:x\n\n\0"), "content-length" },
        { B("MESSAGE\nbad\\tescape:1\n\n\0"), "valid escapes" },
        { B("MESSAGE\nno colon\n\n\0"), "name:value" },
        { B("message\n\n\0"), "no command line" },
        { B("\n\nX"), "no command line" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *f = parse(bad[i].in, bad[i].len);
        if (f)
            fail_msg("case %zu parsed", i);
        assert_contains(err, bad[i].why);
    }
    /* a frame split at every byte is an error until it is whole */
    static const char m[] = "MESSAGE\ncontent-length:2\n\nab\0";
    for (size_t cut = 0; cut < sizeof(m) - 1; cut++) {
        cJSON *f = parse(m, cut);
        assert_null(f);
    }
    cJSON *f = parse(m, sizeof(m) - 1);
    assert_non_null(f);
    cJSON_Delete(f);
}

static void one_mebibyte_body(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    sbuf_t b = SBUF_INIT;
    assert_int_equal(sbuf_printf(&b, "MESSAGE\ncontent-length:%zu\n\n", n), 0);
    for (size_t i = 0; i < n; i++)
        sbuf_putc(&b, 'x');
    sbuf_append(&b, "", 1);
    cJSON *f = parse(b.data, b.len);
    assert_non_null(f);
    assert_int_equal(strlen(str(f, "body", NULL)), n);
    cJSON_Delete(f);
    sbuf_truncate(&b, 0);
    sbuf_printf(&b, "MESSAGE\ncontent-length:%zu\n\n", n + 1);
    assert_null(parse(b.data, b.len));
    assert_contains(err, "content-length");
    sbuf_free(&b);
}

static void escapes_headers(void **state)
{
    (void)state;
    sbuf_t out = SBUF_INIT;
    assert_int_equal(stomp_put_header(&out, "x", "a:b\\c\r\nd", 8, true), 0);
    assert_string_equal(out.data, "x:a\\cb\\\\c\\r\\nd\n");
    sbuf_truncate(&out, 0);
    assert_int_equal(stomp_put_header(&out, "login", "a:b", 3, false), 0);
    assert_string_equal(out.data, "login:a:b\n");
    sbuf_free(&out);
}

/* MESSAGEs of an ack: client subscription are acknowledged in the
 * server's version's words (1.2: a MESSAGE with an ack header); an ack:
 * auto subscription's are not. */
static void acks_client_subscriptions(void **state)
{
    (void)state;
    char e[200];
    spec_stomp_conn_t conn = { 0 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_STOMP, .stomp = &conn };
    const proto_t *p = proto_get(SPEC_PROTO_STOMP);
    static const char *versions[] = { "1.2", "1.1", "1.0" };
    static const char *acks[] = { "ACK\nid:a\\c1\n\n", "ACK\nsubscription:s1\nmessage-id:m1\n\n",
                                  "ACK\nmessage-id:m1\n\n" };
    spec_stomp_frame_t sub = { .command = SPEC_STOMP_SUBSCRIBE, .id = "s1", .ack = "client" };
    sub.destination = tmpl_compile("/queue/q", NULL, e, sizeof(e));
    spec_step_t step = { .stomp = &sub };
    for (int v = 0; v < 3; v++) {
        void *st = calloc(1, p->state_size);
        sbuf_t out = SBUF_INIT, reply = SBUF_INIT;
        tmpl_ctx_t ctx = { .vu_id = 1 };
        p->open(st, &sc, &ctx, &out);
        char connected[64];
        int n = snprintf(connected, sizeof(connected), "CONNECTED\nversion:%s\n\n", versions[v]);
        proto_rx_t rx = { .reply = &reply };
        assert_null(p->parse(st, connected, (size_t)n + 1, &rx));
        static const char msg[] =
            "MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a\\c1\ndestination:/queue/q\n\nhi";
        rx = (proto_rx_t){ .reply = &reply };
        cJSON_Delete(p->parse(st, msg, sizeof(msg), &rx));
        /* before the SUBSCRIBE: 1.2 goes by the MESSAGE's ack header, 1.1 and
         * 1.0 by the subscription's ack mode (none yet) */
        assert_int_equal(reply.len, v == 0 ? strlen(acks[v]) + 1 : 0);
        sbuf_truncate(&reply, 0);
        sbuf_truncate(&out, 0);
        assert_int_equal(p->frame(st, &step, &ctx, &out), 0);
        assert_contains(out.data, "ack:client\n");
        cJSON_Delete(p->parse(st, msg, sizeof(msg), &rx));
        assert_int_equal(reply.len, strlen(acks[v]) + 1);
        assert_memory_equal(reply.data, acks[v], strlen(acks[v]) + 1); /* with its NUL */
        rx.reply = NULL; /* no reply possible (fuzzers): no crash */
        cJSON_Delete(p->parse(st, msg, sizeof(msg), &rx));
        sbuf_free(&out);
        sbuf_free(&reply);
        free(st);
    }
    /* ack: auto: no ack header, no ACK */
    sub.ack = "auto";
    void *st = calloc(1, p->state_size);
    sbuf_t out = SBUF_INIT, reply = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 1 };
    p->open(st, &sc, &ctx, &out);
    proto_rx_t rx = { .reply = &reply };
    p->parse(st, "CONNECTED\nversion:1.2\n\n", 24, &rx);
    p->frame(st, &step, &ctx, &out);
    cJSON_Delete(p->parse(st, "MESSAGE\nsubscription:s1\nmessage-id:m1\n\nx", 41, &rx));
    assert_int_equal(reply.len, 0);
    sbuf_free(&out);
    sbuf_free(&reply);
    free(st);
    tmpl_free(sub.destination);
}

/* A MESSAGE matching its subscription's nack_if gets NACK (1.2: by its
 * ack header; 1.1: subscription and message-id), the others ACK; STOMP
 * 1.0 has no NACK. */
static void nacks_matching_messages(void **state)
{
    (void)state;
    char e[200];
    spec_stomp_conn_t conn = { 0 };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_STOMP, .stomp = &conn };
    const proto_t *p = proto_get(SPEC_PROTO_STOMP);
    static const char *versions[] = { "1.2", "1.1", "1.0" };
    static const char *nacks[] = { "NACK\nid:a1\n\n", "NACK\nsubscription:s1\nmessage-id:m1\n\n",
                                   "ACK\nmessage-id:m1\n\n" };
    spec_stomp_frame_t sub = { .command = SPEC_STOMP_SUBSCRIBE, .id = "s1", .ack = "client" };
    sub.destination = tmpl_compile("/queue/q", NULL, e, sizeof(e));
    sub.nack_if = pred_compile("body == \"bad\" && headers.redelivered != \"true\"", e, sizeof(e));
    assert_non_null(sub.nack_if);
    spec_step_t step = { .stomp = &sub };
    static const char bad[] = "MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a1\n\nbad";
    static const char again[] =
        "MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a1\nredelivered:true\n\nbad";
    for (int v = 0; v < 3; v++) {
        void *st = calloc(1, p->state_size);
        sbuf_t out = SBUF_INIT, reply = SBUF_INIT;
        tmpl_ctx_t ctx = { .vu_id = 1 };
        p->open(st, &sc, &ctx, &out);
        char connected[64];
        int n = snprintf(connected, sizeof(connected), "CONNECTED\nversion:%s\n\n", versions[v]);
        proto_rx_t rx = { .reply = &reply };
        assert_null(p->parse(st, connected, (size_t)n + 1, &rx));
        assert_int_equal(p->frame(st, &step, &ctx, &out), 0);
        cJSON *m = p->parse(st, bad, sizeof(bad), &rx);
        assert_non_null(m); /* the predicates still see it */
        cJSON_Delete(m);
        assert_int_equal(reply.len, strlen(nacks[v]) + 1);
        assert_memory_equal(reply.data, nacks[v], strlen(nacks[v]) + 1);
        sbuf_truncate(&reply, 0);
        cJSON_Delete(p->parse(st, again, sizeof(again), &rx));
        assert_true(reply.len > 4 && memcmp(reply.data, "ACK\n", 4) == 0);
        sbuf_free(&out);
        sbuf_free(&reply);
        free(st);
    }
    pred_free(sub.nack_if);
    tmpl_free(sub.destination);
}

/* The frames proto_stomp writes, and what it makes of the broker's. */
static void writes_frames(void **state)
{
    (void)state;
    char e[200];
    spec_stomp_conn_t conn = { .heartbeat_us = 2000000 };
    conn.login = tmpl_compile("guest", NULL, e, sizeof(e));
    conn.host = tmpl_compile("/", NULL, e, sizeof(e));
    spec_scenario_t sc = { .protocol = SPEC_PROTO_STOMP, .stomp = &conn };
    const proto_t *p = proto_get(SPEC_PROTO_STOMP);
    assert_string_equal(p->subprotocols, "v12.stomp,v11.stomp,v10.stomp");
    void *st = calloc(1, p->state_size);
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 1 };
    assert_int_equal(p->open(st, &sc, &ctx, &out), 1);
    static const char connect[] = "CONNECT\naccept-version:1.2,1.1,1.0\nhost:/\nlogin:guest\n"
                                  "heart-beat:2000,2000\n\n";
    assert_int_equal(out.len, sizeof(connect));
    assert_memory_equal(out.data, connect, sizeof(connect)); /* with its NUL */

    proto_rx_t rx = { 0 };
    static const char connected[] = "CONNECTED\nversion:1.2\nheart-beat:3000,1000\n\n\0\n";
    assert_null(p->parse(st, connected, sizeof(connected) - 1, &rx));
    assert_int_equal(rx.event, PROTO_EV_OPENED);

    spec_stomp_frame_t send = { .command = SPEC_STOMP_SEND, .receipt = true };
    send.destination = tmpl_compile("/topic/x", NULL, e, sizeof(e));
    send.body = tmpl_compile_n("A\0B{{vu.id}}", 12, NULL, e, sizeof(e));
    spec_step_t step = { .stomp = &send };
    sbuf_truncate(&out, 0);
    assert_int_equal(p->frame(st, &step, &ctx, &out), 0);
    static const char sent[] = "SEND\ndestination:/topic/x\nreceipt:r-1\ncontent-length:4\n\nA\0B1";
    assert_int_equal(out.len, sizeof(sent));
    assert_memory_equal(out.data, sent, sizeof(sent));

    /* a stale receipt is dropped, the awaited one reaches the predicates */
    rx = (proto_rx_t){ 0 };
    assert_null(p->parse(st, "RECEIPT\nreceipt-id:r-0\n\n\0", 25, &rx));
    cJSON *f = p->parse(st, "RECEIPT\nreceipt-id:r-1\n\n\0", 25, &rx);
    assert_non_null(f);
    assert_int_equal(rx.event, PROTO_EV_NONE);
    cJSON_Delete(f);

    /* heart-beats: ours every max(2000, 1000) ms, the server's max(3000, 2000) */
    char missed[200];
    sbuf_truncate(&out, 0);
    assert_int_equal(p->keepalive(st, clock_mono_us() + 2000000, &out, missed, sizeof(missed)),
                     2000000);
    assert_string_equal(out.data, "\n");
    assert_string_equal(missed, "");
    sbuf_truncate(&out, 0);
    p->keepalive(st, clock_mono_us() + 7000000, &out, missed, sizeof(missed));
    assert_contains(missed, "no STOMP heart-beat from the server");

    rx = (proto_rx_t){ 0 };
    assert_null(p->parse(st, "ERROR\nmessage:Bad CONNECT\n\n\0", 28, &rx));
    assert_int_equal(rx.event, PROTO_EV_ERROR);
    assert_string_equal(rx.why, "STOMP ERROR: Bad CONNECT");

    sbuf_truncate(&out, 0);
    assert_int_equal(p->close(st, &out), 1);
    assert_memory_equal(out.data, "DISCONNECT\nreceipt:wsgate-bye\n\n", 32);
    rx = (proto_rx_t){ 0 };
    assert_null(p->parse(st, "RECEIPT\nreceipt-id:wsgate-bye\n\n\0", 32, &rx));
    assert_int_equal(rx.event, PROTO_EV_CLOSED);

    sbuf_free(&out);
    free(st);
    tmpl_free(send.destination);
    tmpl_free(send.body);
    tmpl_free(conn.login);
    tmpl_free(conn.host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_messages),         cmocka_unit_test(refuses_malformed),
        cmocka_unit_test(one_mebibyte_body),       cmocka_unit_test(escapes_headers),
        cmocka_unit_test(writes_frames),           cmocka_unit_test(acks_client_subscriptions),
        cmocka_unit_test(nacks_matching_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
