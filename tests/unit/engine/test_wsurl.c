/* Unit tests for src/engine/wsurl.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/wsurl.h"
#include "helpers.h"

static void splits_plain_url(void **state)
{
    wsurl_t u;
    char err[128];
    assert_int_equal(wsurl_parse("ws://127.0.0.1:8080/ws/chat?token=a", &u, err, sizeof(err)), 0);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/ws/chat?token=a");
}

static void default_ports_and_paths(void **state)
{
    wsurl_t u;
    char err[128];
    assert_int_equal(wsurl_parse("wss://localhost", &u, err, sizeof(err)), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/");
    assert_int_equal(wsurl_parse("ws://localhost/x", &u, err, sizeof(err)), 0);
    assert_int_equal(u.port, 80);
}

static void ipv6_literal(void **state)
{
    wsurl_t u;
    char err[128];
    assert_int_equal(wsurl_parse("ws://[::1]:9000/a", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9000);
    assert_string_equal(u.path, "/a");
}

static void rejects_bad_urls(void **state)
{
    wsurl_t u;
    char err[128];
    assert_int_equal(wsurl_parse("http://x/", &u, err, sizeof(err)), -1);
    assert_contains(err, "ws://");
    assert_int_equal(wsurl_parse("ws://:80/", &u, err, sizeof(err)), -1);
    assert_int_equal(wsurl_parse("ws://h:99999/", &u, err, sizeof(err)), -1);
    assert_contains(err, "port");
    assert_int_equal(wsurl_parse("ws://[::1/", &u, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_plain_url),
        cmocka_unit_test(default_ports_and_paths),
        cmocka_unit_test(ipv6_literal),
        cmocka_unit_test(rejects_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
