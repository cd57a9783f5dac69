/* Tests for spec/deflate.c: connect.compression and connect.deflate compile
 * into the offer a user makes, and each mistake is refused at its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "helpers.h"

#define HEAD "name: t\ntarget: ws://127.0.0.1:9\nload: {users: 1, duration: 1s}\n"
#define SCEN "scenarios:\n  - name: a\n    connect:\n      url: \"{{target}}\"\n"
#define TASK "    tasks:\n      - {name: p, send: 'x'}\n"

static spec_t *load_text(const char *text, char *err, size_t errlen)
{
    char dir[256], path[300];
    make_tmpdir(dir, sizeof(dir), "spec");
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    write_file(path, text);
    spec_t *s = spec_load(path, NULL, err, errlen);
    rm_tree(dir);
    return s;
}

static spec_t *load_ok(const char *text)
{
    char err[1024] = "";
    spec_t *s = load_text(text, err, sizeof(err));
    if (!s)
        fail_msg("did not load: %s", err);
    return s;
}

static void offer_of(const spec_t *s, size_t i, char *buf, size_t n)
{
    assert_true(spec_deflate_offer(&s->scenarios[i].deflate, buf, n) >= 0);
}

static void off_by_default(void **state)
{
    (void)state;
    char offer[200];
    spec_t *s = load_ok(HEAD SCEN TASK);
    assert_false(s->scenarios[0].deflate.on);
    assert_false(spec_uses_deflate(s));
    offer_of(s, 0, offer, sizeof(offer));
    assert_int_equal(spec_deflate_offer(&s->scenarios[0].deflate, offer, sizeof(offer)), 0);
    spec_free(s);
    s = load_ok(HEAD SCEN "      compression: none\n" TASK);
    assert_false(s->scenarios[0].deflate.on);
    assert_false(spec_uses_deflate(s));
    spec_free(s);
}

static void deflate_default_offer(void **state)
{
    (void)state;
    char offer[200];
    spec_t *s = load_ok(HEAD SCEN "      compression: deflate\n" TASK
                                  "  - name: b\n    connect: {url: \"{{target}}\"}\n"
                                  "    tasks:\n      - {name: q, send: 'x'}\n");
    assert_true(s->scenarios[0].deflate.on);
    assert_false(s->scenarios[1].deflate.on);
    assert_true(spec_uses_deflate(s));
    offer_of(s, 0, offer, sizeof(offer));
    assert_string_equal(offer, "permessage-deflate; client_max_window_bits");
    spec_free(s);
}

static void deflate_parameters(void **state)
{
    (void)state;
    char offer[200];
    spec_t *s = load_ok(HEAD SCEN "      compression: deflate\n"
                                  "      deflate:\n"
                                  "        client_max_window_bits: 9\n"
                                  "        server_max_window_bits: 15\n"
                                  "        client_no_context_takeover: true\n"
                                  "        server_no_context_takeover: true\n" TASK);
    const spec_deflate_t *d = &s->scenarios[0].deflate;
    assert_int_equal(d->client_max_window_bits, 9);
    assert_int_equal(d->server_max_window_bits, 15);
    assert_true(d->client_no_context_takeover);
    assert_true(d->server_no_context_takeover);
    offer_of(s, 0, offer, sizeof(offer));
    assert_string_equal(offer, "permessage-deflate; client_max_window_bits=9; "
                               "server_max_window_bits=15; client_no_context_takeover; "
                               "server_no_context_takeover");
    /* too small a buffer is refused, never cut */
    assert_int_equal(spec_deflate_offer(d, offer, 30), -1);
    spec_free(s);

    s = load_ok(HEAD SCEN "      compression: deflate\n"
                          "      deflate: {server_no_context_takeover: true}\n" TASK);
    offer_of(s, 0, offer, sizeof(offer));
    assert_string_equal(offer,
                        "permessage-deflate; client_max_window_bits; server_no_context_takeover");
    spec_free(s);
}

typedef struct bad {
    const char *keys; /* under connect:, after url */
    const char *want[3];
    int line;
} bad_t;

static void refused(void **state)
{
    (void)state;
    static const bad_t cases[] = {
        { "      compression: gzip\n",
          { "scenarios[0].connect.compression \"gzip\" is not deflate or none",
            "compression: deflate" },
          8 },
        { "      deflate: {server_no_context_takeover: true}\n",
          { "scenarios[0].connect.deflate sets permessage-deflate's parameters but nothing "
            "offers it",
            "add compression: deflate to scenarios[0].connect" },
          8 },
        { "      compression: deflate\n      deflate:\n        client_max_window_bits: 7\n",
          { "scenarios[0].connect.deflate.client_max_window_bits is 7", "8 to 15 bits",
            "client_max_window_bits: 12" },
          10 },
        { "      compression: deflate\n      deflate:\n        server_max_window_bits: 16\n",
          { "scenarios[0].connect.deflate.server_max_window_bits is 16" },
          10 },
        { "      compression: deflate\n      deflate:\n        server_max_window_bits: 0x0a\n",
          { "server_max_window_bits" },
          10 },
        { "      compression: deflate\n      deflate:\n        client_no_context_takeover: yes\n",
          { "client_no_context_takeover", "true or false" },
          10 },
        { "      compression: deflate\n      deflate:\n        window_bits: 10\n",
          { "unknown key \"window_bits\"" },
          10 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024], err[1024] = "", want_line[32];
        snprintf(text, sizeof(text), "%s%s%s", HEAD, SCEN, cases[i].keys);
        strncat(text, TASK, sizeof(text) - strlen(text) - 1);
        spec_t *s = load_text(text, err, sizeof(err));
        if (s)
            fail_msg("case %zu loaded", i);
        snprintf(want_line, sizeof(want_line), ".yaml:%d:", cases[i].line);
        if (!strstr(err, want_line))
            fail_msg("case %zu: no %s in: %s", i, want_line, err);
        for (size_t k = 0; k < 3 && cases[i].want[k]; k++)
            if (!strstr(err, cases[i].want[k]))
                fail_msg("case %zu: no \"%s\" in: %s", i, cases[i].want[k], err);
        if (strchr(err, '\n'))
            fail_msg("case %zu: more than one line: %s", i, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_by_default),
        cmocka_unit_test(deflate_default_offer),
        cmocka_unit_test(deflate_parameters),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
