/* Unit tests for src/base/namepat.c: the --allow-env patterns and the
 * default (WSGATE_*, LOADTEST_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/namepat.h"
#include "helpers.h"

static void matches_patterns(void **state)
{
    (void)state;
    char err[256] = "";
    namepat_t *p = namepat_parse("LOADTEST_*, API_TOKEN\t*_PUBLIC,A*B*C", err, sizeof(err));
    assert_non_null(p);
    assert_true(namepat_match(p, "LOADTEST_"));
    assert_true(namepat_match(p, "LOADTEST_PASSWORD"));
    assert_false(namepat_match(p, "loadtest_password")); /* case matters */
    assert_false(namepat_match(p, "XLOADTEST_A"));
    assert_true(namepat_match(p, "API_TOKEN"));
    assert_false(namepat_match(p, "API_TOKEN2"));
    assert_false(namepat_match(p, "API_TOKE"));
    assert_true(namepat_match(p, "HOST_PUBLIC"));
    assert_false(namepat_match(p, "HOST_PUBLIC_KEY"));
    assert_true(namepat_match(p, "ABC"));
    assert_true(namepat_match(p, "AxxBxxBxxC"));
    assert_false(namepat_match(p, "AxxCxxB"));
    assert_false(namepat_match(p, ""));
    assert_false(namepat_match(p, NULL));
    namepat_free(p);

    p = namepat_parse("", err, sizeof(err)); /* nothing */
    assert_non_null(p);
    assert_false(namepat_match(p, "WSGATE_X"));
    namepat_free(p);
    p = namepat_parse("*", err, sizeof(err)); /* everything */
    assert_true(namepat_match(p, "GITHUB_TOKEN"));
    namepat_free(p);
}

static void refuses_bad_patterns(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(namepat_parse("OK_*,BAD-NAME", err, sizeof(err)));
    assert_contains(err, "pattern \"BAD-NAME\": '-' is not allowed");
    assert_null(namepat_parse("A?", err, sizeof(err)));
    assert_contains(err, "'?' is not allowed");
}

static void default_reads_own_prefixes(void **state)
{
    (void)state;
    char err[256] = "";
    namepat_t *p = namepat_parse(NAMEPAT_DEFAULT_ENV, err, sizeof(err));
    const char *names[] = { "WSGATE_TOKEN", "LOADTEST_PASSWORD",     "GITHUB_TOKEN",
                            "WSGATE",       "AWS_SECRET_ACCESS_KEY", "LOADTEST" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(namepat_default_env(names[i]), namepat_match(p, names[i]));
    assert_true(namepat_default_env("WSGATE_TOKEN"));
    assert_false(namepat_default_env("GITHUB_TOKEN"));
    assert_false(namepat_default_env(NULL));
    namepat_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_patterns),
        cmocka_unit_test(refuses_bad_patterns),
        cmocka_unit_test(default_reads_own_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
