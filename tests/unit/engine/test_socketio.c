/* Unit tests for src/engine/proto/socketio.c and proto_socketio.c: packets
 * split (types, namespaces, ack ids, attachment counts, malformed ones) and
 * written (42 events with and without an ack id), and a connection's life:
 * the open packet answered with the namespace connect, 40 opening it, pings
 * answered, acks matched to the awaited emit, 44 and 41 as errors, binary
 * attachments skipped, a 1 MiB event, garbage, a missing ping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/clock.h"
#include "engine/proto/proto.h"
#include "engine/proto/socketio.h"
#include "helpers.h"

static char err[200];

static void splits_packets(void **state)
{
    (void)state;
    sio_packet_t p;
    assert_int_equal(sio_decode("0{\"sid\":\"a\"}", 12, &p, err, sizeof(err)), 0);
    assert_int_equal(p.eio, '0');
    assert_int_equal(p.data_len, 11);
    assert_int_equal(sio_decode("2", 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.eio, '2');
    static const char ack[] = "4317[{\"ok\":true}]";
    assert_int_equal(sio_decode(ack, sizeof(ack) - 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.type, '3');
    assert_true(p.has_id);
    assert_int_equal(p.id, 17);
    assert_memory_equal(p.nsp, "/", 1);
    assert_memory_equal(p.data, "[{", 2);
    static const char ns[] = "42/admin,5[\"x\"]";
    assert_int_equal(sio_decode(ns, sizeof(ns) - 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.nsp_len, 6);
    assert_memory_equal(p.nsp, "/admin", 6);
    assert_int_equal(p.id, 5);
    static const char bin[] = "452-[\"up\",{\"_placeholder\":true,\"num\":0}]";
    assert_int_equal(sio_decode(bin, sizeof(bin) - 1, &p, err, sizeof(err)), 0);
    assert_int_equal(p.type, '5');
    assert_int_equal(p.attachments, 2);
    assert_false(p.has_id);

    static const char *const bad[] = {
        "", "9", "x2", "4", "47", "45[\"a\"]", "45x-[]", "452", "4299999999999999[1]", "451001-[]"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sio_decode(bad[i], strlen(bad[i]), &p, err, sizeof(err)) == 0 || !err[0])
            fail_msg("\"%s\" split", bad[i]);
}

static void writes_events(void **state)
{
    (void)state;
    sbuf_t out = SBUF_INIT;
    assert_int_equal(sio_put_event(&out, "/", true, 3, "\"chat\"", "[{\"a\":1}, 2]", 12), 0);
    assert_string_equal(out.data, "423[\"chat\",{\"a\":1}, 2]");
    sbuf_truncate(&out, 0);
    assert_int_equal(sio_put_event(&out, "/chat", false, 0, "\"x\"", " [ ] ", 5), 0);
    assert_string_equal(out.data, "42/chat,[\"x\"]");
    sbuf_truncate(&out, 0);
    assert_int_equal(sio_put_event(&out, "/", false, 0, "\"x\"", NULL, 0), 0);
    assert_string_equal(out.data, "42[\"x\"]");
    sbuf_free(&out);
}

/* One connection: st, its scenario, a reply buffer. */
typedef struct conn {
    const proto_t *p;
    void *st;
    sbuf_t reply;
    proto_rx_t rx;
} conn_t;

static cJSON *rx(conn_t *c, const char *msg, size_t len)
{
    sbuf_truncate(&c->reply, 0);
    c->rx = (proto_rx_t){ .reply = &c->reply };
    return c->p->parse(c->st, msg, len, &c->rx);
}

static cJSON *rxs(conn_t *c, const char *msg)
{
    return rx(c, msg, strlen(msg));
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void speaks_socketio(void **state)
{
    (void)state;
    char e[200];
    spec_sio_conn_t sio = { .path = "/socket.io/", .nsp = "/" };
    sio.auth = tmpl_compile("{\"token\":\"t{{vu.id}}\"}", NULL, e, sizeof(e));
    spec_scenario_t sc = { .protocol = SPEC_PROTO_SOCKETIO, .socketio = &sio };
    conn_t c = { .p = proto_get(SPEC_PROTO_SOCKETIO) };
    assert_string_equal(c.p->name, "socketio");
    assert_null(c.p->subprotocols);
    c.st = calloc(1, c.p->state_size);
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 4 };
    assert_int_equal(c.p->open(c.st, &sc, &ctx, &out), 1);
    assert_int_equal(out.len, 0); /* the server speaks first */

    assert_null(rxs(&c, "0{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":300,"
                        "\"pingTimeout\":200,\"maxPayload\":1000000}"));
    assert_int_equal(c.rx.event, PROTO_EV_NONE);
    assert_memory_equal(c.reply.data, "40{\"token\":\"t4\"}", 16);
    assert_int_equal(c.reply.len, 16);
    assert_null(rxs(&c, "40{\"sid\":\"n\"}"));
    assert_int_equal(c.rx.event, PROTO_EV_OPENED);

    cJSON *o = rxs(&c, "2");
    assert_int_equal(c.rx.event, PROTO_EV_NONE);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ping")));
    assert_int_equal(c.reply.len, 1);
    assert_memory_equal(c.reply.data, "3", 1);
    cJSON_Delete(o);

    /* emit with an ack: ids 0, 1, ... per connection; only the awaited ack counts */
    spec_sio_emit_t em = { .event = "\"chat\"", .ack = true };
    em.args = tmpl_compile("[{\"from\":\"{{vu.id}}\"}]", NULL, e, sizeof(e));
    spec_step_t step = { .emit = &em };
    assert_int_equal(c.p->frame(c.st, &step, &ctx, &out), 0);
    assert_string_equal(out.data, "420[\"chat\",{\"from\":\"4\"}]");
    sbuf_truncate(&out, 0);
    assert_int_equal(c.p->frame(c.st, &step, &ctx, &out), 0);
    assert_string_equal(out.data, "421[\"chat\",{\"from\":\"4\"}]");
    assert_null(rxs(&c, "430[{\"ok\":true}]")); /* stale */
    assert_int_equal(c.rx.event, PROTO_EV_NONE);
    o = rxs(&c, "431[{\"ok\":true,\"ts\":5}]");
    assert_non_null(o);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "ack")->valueint, 1);
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "args")));
    cJSON_Delete(o);
    assert_null(rxs(&c, "431[{\"ok\":true}]")); /* once only */

    o = rxs(&c, "42[\"chat\",{\"from\":\"2\",\"ts\":9}]");
    assert_string_equal(str(o, "event"), "chat");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "args")), 1);
    cJSON_Delete(o);
    assert_null(rxs(&c, "42/other,[\"chat\"]")); /* another namespace's */
    assert_int_equal(c.rx.event, PROTO_EV_NONE);

    /* binary: the event counts its attachments, which are skipped */
    o = rxs(&c, "451-[\"up\",{\"_placeholder\":true,\"num\":0}]");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "attachments")->valueint, 1);
    cJSON_Delete(o);
    assert_null(rx(&c, "\x00\xff\x01", 3));
    assert_int_equal(c.rx.event, PROTO_EV_NONE);

    /* malformed: counted protocol errors */
    static const char *const bad[] = { "hello", "42[\"a\"]garbage", "42{\"a\":1}", "42[1]", "43[1]",
                                       "0{}" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(rxs(&c, bad[i]));
        if (c.rx.event != PROTO_EV_BAD)
            fail_msg("\"%s\": event %d", bad[i], c.rx.event);
    }

    /* a 1 MiB event parses */
    size_t big = 1 << 20;
    char *m = malloc(big + 16);
    memcpy(m, "42[\"b\",\"", 8);
    memset(m + 8, 'x', big);
    memcpy(m + 8 + big, "\"]", 2);
    o = rx(&c, m, big + 10);
    assert_string_equal(str(o, "event"), "b");
    cJSON_Delete(o);
    free(m);

    assert_null(rxs(&c, "44{\"message\":\"invalid token\"}"));
    assert_int_equal(c.rx.event, PROTO_EV_ERROR);
    assert_string_equal(c.rx.why, "Socket.IO connect error: invalid token");
    assert_null(rxs(&c, "41"));
    assert_int_equal(c.rx.event, PROTO_EV_ERROR);
    assert_contains(c.rx.why, "namespace / disconnected by the server");

    /* no ping for pingInterval + pingTimeout (500 ms): missed, once */
    char missed[200];
    uint64_t now = clock_mono_us();
    assert_true(c.p->keepalive(c.st, now, &out, missed, sizeof(missed)) <= 501000);
    assert_string_equal(missed, "");
    c.p->keepalive(c.st, now + 600000, &out, missed, sizeof(missed));
    assert_contains(missed, "no Socket.IO ping from the server for");
    c.p->keepalive(c.st, now + 700000, &out, missed, sizeof(missed));
    assert_string_equal(missed, "");

    sbuf_free(&out);
    sbuf_free(&c.reply);
    free(c.st);
    tmpl_free(em.args);
    tmpl_free(sio.auth);
}

/* The request path: socketio.path when the URL has none, the query added. */
static void forms_the_path(void **state)
{
    (void)state;
    spec_sio_conn_t sio = { .path = "/socket.io/", .nsp = "/" };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_SOCKETIO, .socketio = &sio };
    const proto_t *p = proto_get(SPEC_PROTO_SOCKETIO);
    char out[64];
    assert_int_equal(p->url_path(&sc, "/", out, sizeof(out)), 0);
    assert_string_equal(out, "/socket.io/?EIO=4&transport=websocket");
    assert_int_equal(p->url_path(&sc, "/rt/", out, sizeof(out)), 0);
    assert_string_equal(out, "/rt/?EIO=4&transport=websocket");
    assert_int_equal(p->url_path(&sc, "/rt/?x=1", out, sizeof(out)), 0);
    assert_string_equal(out, "/rt/?x=1&EIO=4&transport=websocket");
    assert_int_equal(p->url_path(&sc, "/s/?EIO=4&transport=websocket&t=1", out, sizeof(out)), 0);
    assert_string_equal(out, "/s/?EIO=4&transport=websocket&t=1");
    assert_int_equal(p->url_path(&sc, "/a-very-long-path/beyond/the/buffer/", out, 40), -1);
}

/* The goodbye: 41 (with the namespace) once the namespace is connected,
 * then nothing; a connection the namespace never accepted sends none. */
static void leaves_its_namespace(void **state)
{
    (void)state;
    spec_sio_conn_t sio = { .path = "/socket.io/", .nsp = "/chat" };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_SOCKETIO, .socketio = &sio };
    conn_t c = { .p = proto_get(SPEC_PROTO_SOCKETIO) };
    c.st = calloc(1, c.p->state_size);
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 1 };
    assert_int_equal(c.p->open(c.st, &sc, &ctx, &out), 1);
    assert_int_equal(c.p->close(c.st, &out), 0); /* not connected yet */
    assert_int_equal(out.len, 0);
    assert_null(rxs(&c, "0{\"sid\":\"s\",\"pingInterval\":300,\"pingTimeout\":200}"));
    assert_null(rxs(&c, "40/chat,{\"sid\":\"n\"}"));
    assert_int_equal(c.rx.event, PROTO_EV_OPENED);
    assert_int_equal(c.p->close(c.st, &out), 2);
    assert_string_equal(out.data, "41/chat,");
    sbuf_truncate(&out, 0);
    assert_int_equal(c.p->close(c.st, &out), 0);
    assert_int_equal(out.len, 0);
    sbuf_free(&out);
    sbuf_free(&c.reply);
    free(c.st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_packets),  cmocka_unit_test(writes_events),
        cmocka_unit_test(speaks_socketio), cmocka_unit_test(leaves_its_namespace),
        cmocka_unit_test(forms_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
