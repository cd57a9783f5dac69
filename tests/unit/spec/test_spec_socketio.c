/* Tests for spec/socketio.c: protocol socketio's keys (socketio:, emit:)
 * compile with their defaults, and each mistake is refused at its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/sbuf.h"
#include "spec/spec.h"
#include "spec/tmpl.h"
#include "helpers.h"

#define SEC 1000000ull
#define HEAD "name: t\ntarget: ws://127.0.0.1:9\nload: {users: 1, duration: 1s}\n"
#define SIO "scenarios:\n  - name: a\n    protocol: socketio\n    connect: {url: \"{{target}}\"}\n"

static spec_t *load_text(const char *text, char *err, size_t errlen, char *dir, size_t dirlen)
{
    char path[300];
    make_tmpdir(dir, dirlen, "spec");
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    write_file(path, text);
    return spec_load(path, NULL, err, errlen);
}

static void assert_renders(const tmpl_t *t, const char *want)
{
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 7 };
    assert_int_equal(tmpl_render(t, &ctx, &out), 0);
    assert_string_equal(out.data, want);
    sbuf_free(&out);
}

static void compiles_defaults_and_steps(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
    spec_t *s =
        load_text(HEAD SIO "    on_start:\n"
                           "      - name: hello\n"
                           "        emit: {event: chat, args: '[{\"from\": \"{{vu.id}}\"}]', "
                           "ack: true, timeout: 3s}\n"
                           "      - emit: {event: 'say \"hi\"'}\n"
                           "        expect: {match: 'event == \"chat\"'}\n",
                  err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->protocol, SPEC_PROTO_SOCKETIO);
    assert_string_equal(spec_protocol_name(sc->protocol), "socketio");
    assert_string_equal(sc->socketio->path, "/socket.io/");
    assert_string_equal(sc->socketio->nsp, "/");
    assert_null(sc->socketio->auth);
    const spec_step_t *a = &sc->on_start[0], *b = &sc->on_start[1];
    assert_string_equal(a->emit->event, "\"chat\"");
    assert_true(a->emit->ack);
    assert_renders(a->emit->args, "[{\"from\": \"7\"}]");
    assert_string_equal(a->expect_src, "ACK");
    assert_int_equal(a->expect_timeout_us, 3 * SEC);
    assert_string_equal(b->emit->event, "\"say \\\"hi\\\"\"");
    assert_null(b->emit->args);
    assert_false(b->emit->ack);
    assert_string_equal(b->expect_src, "event == \"chat\"");
    spec_free(s);
    rm_tree(dir);

    s = load_text(HEAD "scenarios:\n  - name: a\n    protocol: socketio\n"
                       "    socketio: {path: /ws/, namespace: /chat, auth: '{\"token\": "
                       "\"t{{vu.id}}\"}'}\n"
                       "    connect: {url: \"{{target}}\"}\n",
                  err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    assert_string_equal(s->scenarios[0].socketio->path, "/ws/");
    assert_string_equal(s->scenarios[0].socketio->nsp, "/chat");
    assert_renders(s->scenarios[0].socketio->auth, "{\"token\": \"t7\"}");
    spec_free(s);
    rm_tree(dir);
}

static void refuses_mistakes_at_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        { HEAD "scenarios:\n  - name: a\n    socketio: {path: /x/}\n"
               "    connect: {url: \"{{target}}\"}\n",
          ":6: scenarios[0].socketio is for protocol: socketio" },
        { HEAD "scenarios:\n  - name: a\n    connect: {url: \"{{target}}\"}\n"
               "    on_start:\n      - emit: {event: chat}\n",
          ":8: scenarios[0].on_start[0].emit is a Socket.IO event; add protocol: socketio" },
        { HEAD SIO "    on_start:\n      - emit: {event: connect}\n",
          ":9: scenarios[0].on_start[0].emit.event \"connect\" is reserved by Socket.IO" },
        { HEAD SIO "    on_start:\n      - emit: {event: chat, args: '{\"a\": 1}'}\n",
          ":9: scenarios[0].on_start[0].emit.args must be an array in JSON" },
        { HEAD SIO "    on_start:\n      - emit: {event: chat, args: '[1,]'}\n",
          ":9: scenarios[0].on_start[0].emit.args is not valid JSON" },
        { HEAD SIO "    on_start:\n      - emit: {event: chat, timeout: 2s}\n",
          ":9: scenarios[0].on_start[0].emit.timeout times an ack; add ack: true" },
        { HEAD SIO "    on_start:\n      - emit: {event: chat, ack: true}\n"
                   "        expect: {match: 'a'}\n",
          ":9: scenarios[0].on_start[0].emit: ack: true times the step to its ack" },
        { HEAD SIO "    on_start:\n      - emit: {event: chat}\n        send: x\n",
          ":9: scenarios[0].on_start[0] has emit beside send" },
        { HEAD SIO "    on_start:\n      - emit: {args: '[]'}\n", ":9:" },
        { HEAD "scenarios:\n  - name: a\n    protocol: socketio\n    socketio: {auth: 'tok'}\n"
               "    connect: {url: \"{{target}}\"}\n",
          ":7: scenarios[0].socketio.auth must be an object in JSON" },
        { HEAD "scenarios:\n  - name: a\n    protocol: socketio\n    socketio: {namespace: chat}\n"
               "    connect: {url: \"{{target}}\"}\n",
          ":7: scenarios[0].socketio.namespace \"chat\" is not a namespace" },
        { HEAD "scenarios:\n  - name: a\n    protocol: socketio\n"
               "    socketio: {path: '/x?EIO=3'}\n    connect: {url: \"{{target}}\"}\n",
          ":7: scenarios[0].socketio.path \"/x?EIO=3\" is not a path" },
        { HEAD "scenarios:\n  - name: a\n    protocol: socketio\n"
               "    connect: {url: \"{{target}}\", ping_interval: 5s}\n",
          ":7: scenarios[0].connect.ping_interval: Socket.IO keeps the connection alive" },
    };
    char dir[256], err[1024];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        spec_t *s = load_text(bad[i].text, err, sizeof(err), dir, sizeof(dir));
        if (s) {
            spec_free(s);
            fail_msg("case %zu loaded", i);
        }
        if (!strstr(err, bad[i].want))
            fail_msg("case %zu: %s", i, err);
        rm_tree(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compiles_defaults_and_steps),
        cmocka_unit_test(refuses_mistakes_at_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
