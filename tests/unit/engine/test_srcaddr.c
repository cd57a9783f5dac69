/* Tests for src/engine/srcaddr.c: lists, IPv4 ranges, limits, and the bind check
 * that refuses an address this machine does not have. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/srcaddr.h"
#include "helpers.h"

static void test_list_and_range(void **state)
{
    srcaddrs_t s;
    char err[160];
    assert_int_equal(srcaddr_parse("127.0.0.1-127.0.0.3, ::1,127.0.1.9", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.addr[0], "127.0.0.1");
    assert_string_equal(s.addr[2], "127.0.0.3");
    assert_string_equal(s.addr[3], "::1");
    assert_string_equal(s.addr[4], "127.0.1.9");
    srcaddr_free(&s);
    /* a range across an octet boundary */
    assert_int_equal(srcaddr_parse("127.0.0.254-127.0.1.1", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.addr[2], "127.0.1.0");
    srcaddr_free(&s);
}

static void test_bad(void **state)
{
    static const struct {
        const char *text, *word;
    } cases[] = {
        { "", "no source address" },        { "localhost", "numeric" },
        { "127.0.0.9-127.0.0.1", "go up" }, { "127.0.0.1-127.0.8.1", "at most" },
        { "127.0.0.1-x", "IPv4 range" },    { "::1-::5", "IPv4 range" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        srcaddrs_t s;
        char err[160] = "";
        if (srcaddr_parse(cases[i].text, &s, err, sizeof(err)) != -1)
            fail_msg("\"%s\" parsed", cases[i].text);
        if (!strstr(err, cases[i].word))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].word);
        assert_null(s.addr);
    }
}

static void test_check(void **state)
{
    srcaddrs_t s;
    char err[160];
    assert_int_equal(srcaddr_parse("127.0.0.1-127.0.0.4", &s, err, sizeof(err)), 0);
    assert_int_equal(srcaddr_check(&s, err, sizeof(err)), 0);
    srcaddr_free(&s);
    /* TEST-NET-1: never assigned to a local interface */
    assert_int_equal(srcaddr_parse("127.0.0.1,192.0.2.7", &s, err, sizeof(err)), 0);
    assert_int_equal(srcaddr_check(&s, err, sizeof(err)), -1);
    assert_contains(err, "192.0.2.7");
    srcaddr_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_range),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
