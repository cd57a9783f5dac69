/* Unit tests for src/spec/guard.c and the guard rails spec_load applies:
 * constant URLs outside --allow-hosts or inside --block-hosts refused at
 * their line, {{env.NAME}} only for allowed names with the value kept as a
 * secret, and the --max-users, --max-duration and --max-rate limits on the
 * whole spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hostrule.h"
#include "base/namepat.h"
#include "base/redact.h"
#include "spec/spec.h"
#include "helpers.h"

/* A spec with the given target, load and scenario lines. */
static void write_spec(const char *target, const char *load, const char *scenario)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "version: 1\n"
             "name: guarded\n"
             "target: %s\n"
             "load: %s\n"
             "scenarios:\n"
             "%s",
             target, load, scenario);
    write_file(scratch_spec, text);
}

static const char plain[] = "  - name: plain\n"
                            "    connect: {url: \"{{target}}/ws\"}\n";

/* Loads scratch_spec under g; returns the error ("" when it loaded). */
static const char *load(const spec_guard_t *g)
{
    static char err[1024];
    err[0] = '\0';
    spec_t *s = spec_load(scratch_spec, &(spec_opts_t){ .guard = g }, err, sizeof(err));
    spec_free(s);
    return err;
}

static void refuses_constant_urls(void **state)
{
    (void)state;
    char err[256];
    hostrules_t *allow = hostrules_parse("127.0.0.1, *.example.com", err, sizeof(err));
    hostrules_t *block = hostrules_parse("127.0.0.0/8:9", err, sizeof(err));
    hostguard_t hg = { allow, "--allow-hosts", NULL, NULL };
    spec_guard_t g = { .hosts = &hg };

    write_spec("ws://127.0.0.2:8080", "{users: 1, duration: 1s}", plain);
    assert_contains(load(&g), "spec.yaml:3: target: 127.0.0.2:8080 is not in --allow-hosts");
    assert_string_equal(load(NULL), ""); /* no rules: fine */

    write_spec("ws://127.0.0.1:8080", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect: {url: \"{{target}}/ws\"}\n"
               "  - name: other\n"
               "    connect: {url: \"ws://evil.org/ws\"}\n");
    /* a name an address entry might admit is decided after DNS, at the run */
    assert_string_equal(load(&g), "");
    hostrules_t *names = hostrules_parse("*.example.com", err, sizeof(err));
    hg.allow = names;
    write_spec("ws://api.example.com:8080", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect: {url: \"{{target}}/ws\"}\n"
               "  - name: other\n"
               "    connect: {url: \"ws://evil.org/ws\"}\n");
    assert_contains(load(&g), "spec.yaml:9: scenarios[1].connect.url: evil.org:80 is not in "
                              "--allow-hosts");
    hg.allow = allow;
    hostrules_free(names);

    write_spec("ws://api.example.com", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect: {url: \"{{target}}/ws\"}\n"
               "    on_start:\n"
               "      - http: {method: GET, url: \"http://[::1]:80/login\"}\n");
    assert_contains(load(&g), "spec.yaml:9: scenarios[0].on_start[0].http.url: [::1]:80 is not "
                              "in --allow-hosts");

    /* templated per user: left to the run (after rendering and DNS) */
    write_spec("ws://127.0.0.1:8080", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect: {url: \"ws://127.0.0.{{vu.id}}:9/ws\"}\n");
    assert_string_equal(load(&g), "");

    /* a block entry wins; a port narrows it */
    hg = (hostguard_t){ allow, "--allow-hosts", block, "WSGATE_BLOCK_HOSTS" };
    write_spec("ws://127.0.0.1:9", "{users: 1, duration: 1s}", plain);
    assert_contains(load(&g), "spec.yaml:3: target: 127.0.0.1:9 is blocked by WSGATE_BLOCK_HOSTS "
                              "entry 127.0.0.0/8:9");
    write_spec("ws://127.0.0.1:10", "{users: 1, duration: 1s}", plain);
    assert_string_equal(load(&g), "");
    hostrules_free(allow);
    hostrules_free(block);
}

static void env_needs_allowing(void **state)
{
    (void)state;
    char err[256];
    setenv("GUARD_TEST_TOKEN", "guard-secret-value", 1);
    setenv("LOADTEST_GUARD_PW", "another-secret", 1);
    write_spec("ws://127.0.0.1:1", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect:\n"
               "      url: \"{{target}}/ws?t={{env.GUARD_TEST_TOKEN}}\"\n");
    /* the default: WSGATE_* and LOADTEST_* only; the same without a guard */
    const char *e = load(&(spec_guard_t){ 0 });
    assert_contains(e, "spec.yaml:8: bad template in scenarios[0].connect.url: "
                       "{{env.GUARD_TEST_TOKEN}}: reading GUARD_TEST_TOKEN needs --allow-env "
                       "GUARD_TEST_TOKEN (or WSGATE_ALLOW_ENV)");
    assert_not_contains(e, "guard-secret-value");
    assert_contains(load(NULL), "needs --allow-env GUARD_TEST_TOKEN");

    namepat_t *pat = namepat_parse("GUARD_*", err, sizeof(err));
    redact_secrets_t *secrets = redact_secrets_new();
    spec_guard_t g = { .env_allow = pat, .env_allow_from = "--allow-env", .secrets = secrets };
    assert_string_equal(load(&g), "");
    char text[] = "x guard-secret-value y";
    redact_secrets_scrub(secrets, text);
    assert_string_equal(text, "x *** y");

    /* a list that does not name it; the default names are not added */
    write_spec("ws://127.0.0.1:1", "{users: 1, duration: 1s}",
               "  - name: plain\n"
               "    connect: {url: \"{{target}}/ws?p={{env.LOADTEST_GUARD_PW}}\"}\n");
    assert_contains(load(&g), "reading LOADTEST_GUARD_PW needs --allow-env LOADTEST_GUARD_PW "
                              "(or WSGATE_ALLOW_ENV); --allow-env does not name it");
    assert_string_equal(load(&(spec_guard_t){ .secrets = secrets }), "");
    char text2[] = "another-secret";
    redact_secrets_scrub(secrets, text2);
    assert_string_equal(text2, "***");
    namepat_free(pat);
    redact_secrets_free(secrets);
    unsetenv("GUARD_TEST_TOKEN");
    unsetenv("LOADTEST_GUARD_PW");
}

static void limits_the_whole_spec(void **state)
{
    (void)state;
    spec_guard_t g = { .max_users = 100, .max_users_from = "--max-users" };
    write_spec("ws://127.0.0.1:1", "{users: 1000, duration: 1s}", plain);
    assert_contains(load(&g),
                    "spec.yaml:4: the load reaches 1000 users at once, over the limit of 100 "
                    "set by --max-users; lower the users or raise --max-users");
    write_spec("ws://127.0.0.1:1", "{users: 100, duration: 1s}", plain);
    assert_string_equal(load(&g), "");
    write_spec("ws://127.0.0.1:1",
               "\n  stages:\n    - {duration: 1s, users: 50}\n    - {duration: 1s, users: 101}",
               plain);
    assert_contains(load(&g), "spec.yaml:5: the load reaches 101 users");

    g = (spec_guard_t){ .max_duration_us = 60000000, .max_duration_from = "WSGATE_MAX_DURATION" };
    write_spec("ws://127.0.0.1:1", "{users: 1, duration: 61s}", plain);
    assert_contains(load(&g), "spec.yaml:4: the load lasts 61.00 s, over the limit of 60.00 s set "
                              "by WSGATE_MAX_DURATION");
    write_spec("ws://127.0.0.1:1", "{users: 1, duration: 60s}", plain);
    assert_string_equal(load(&g), "");
    write_spec("ws://127.0.0.1:1",
               "{arrival_rate: {rate: 1/s, duration: 50s, max_users: 5, graceful_stop: 20s}}",
               plain);
    assert_contains(load(&g), "the load lasts 70.00 s with its graceful_stop");

    g = (spec_guard_t){ .max_rate = 100,
                        .max_rate_from = "--max-rate",
                        .max_users = 10,
                        .max_users_from = "--max-users" };
    write_spec("ws://127.0.0.1:1", "{arrival_rate: {rate: 150/s, duration: 2s, max_users: 10}}",
               plain);
    assert_contains(load(&g), "spec.yaml:4: the arrival rate reaches 150/s, over the limit of "
                              "100/s set by --max-rate");
    write_spec("ws://127.0.0.1:1", "{arrival_rate: {rate: 100/s, duration: 2s, max_users: 11}}",
               plain);
    assert_contains(load(&g), "reaches 11 users"); /* open model: max_users */

    /* fixed-rate tasks: 10 users x 20/s = 200/s, weights share the users */
    const char *fixed = "  - name: fast\n"
                        "    connect: {url: \"{{target}}/ws\"}\n"
                        "    tasks:\n"
                        "      - name: tick\n"
                        "        rate: 20/s\n"
                        "        send: x\n";
    write_spec("ws://127.0.0.1:1", "{users: 10, duration: 1s}", fixed);
    assert_contains(load(&g), "spec.yaml:10: fixed-rate tasks start up to 200/s (task rate x "
                              "users), over the limit of 100/s set by --max-rate");
    write_spec("ws://127.0.0.1:1", "{users: 5, duration: 1s}", fixed);
    assert_string_equal(load(&g), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_constant_urls),
        cmocka_unit_test(env_needs_allowing),
        cmocka_unit_test(limits_the_whole_spec),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
