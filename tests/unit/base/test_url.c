/* Unit tests for src/base/url.c: every scheme splits, and each bad form
 * (scheme, host, IPv6 bracket, port) is refused with what to write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/url.h"
#include "helpers.h"

static void splits_each_scheme(void **state)
{
    (void)state;
    url_t u;
    char err[256];
    assert_int_equal(url_parse("ws://127.0.0.1:8080/ws?x=1", &u, err, sizeof(err)), 0);
    assert_true(u.websocket);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/ws?x=1");
    assert_int_equal(url_parse("wss://h", &u, err, sizeof(err)), 0);
    assert_true(u.websocket && u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/");
    assert_int_equal(url_parse("http://h:65535#frag", &u, err, sizeof(err)), 0);
    assert_false(u.websocket || u.tls);
    assert_int_equal(u.scheme, URL_HTTP);
    assert_int_equal(u.port, 65535);
    assert_int_equal(url_parse("https://[::1]/a", &u, err, sizeof(err)), 0);
    assert_int_equal(u.scheme, URL_HTTPS);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/a");
}

static void refuse(const char *url, const char *words)
{
    url_t u;
    char err[256] = "";
    if (url_parse(url, &u, err, sizeof(err)) == 0)
        fail_msg("\"%s\" was accepted", url);
    assert_contains(err, words);
}

static void refuses_bad_forms(void **state)
{
    (void)state;
    refuse("ftp://h/", "must start with ws://");
    refuse("ws://", "there is no host; write e.g. ws://127.0.0.1:8080");
    refuse("ws://:80/", "there is no host");
    refuse("ws://[::1", "the [ of the IPv6 host is not closed; write e.g. ws://[::1]:8080");
    refuse("ws://[::1/x]", "not closed");
    refuse("ws://127.0.0.1:", "no port after ':'");
    refuse("ws://127.0.0.1:/x", "no port after ':'");
    refuse("ws://127.0.0.1:99999", "port \"99999\" is not 1-65535; write e.g. ws://127.0.0.1:8080");
    refuse("ws://h:0", "port \"0\" is not 1-65535");
    refuse("ws://h:65536/", "port \"65536\"");
    refuse("ws://h:123456789012345678901234567890", "is not 1-65535");
    refuse("ws://h:8x", "port \"8x\"");
    refuse("ws://h: 80", "port \" 80\"");
    refuse("ws://h:+80", "port \"+80\"");
    refuse("https://[::1]:0", "write e.g. https://[::1]:8080");
    refuse("ws://[::1]x", "unexpected \"x\" after the host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_each_scheme),
        cmocka_unit_test(refuses_bad_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
