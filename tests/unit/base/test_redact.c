/* Unit tests for src/base/redact.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/redact.h"

static void check(const char *in, const char *want)
{
    char *got = redact_url(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void hides_secret_query_values(void **state)
{
    check("ws://h/ws/chat?token=demo-jwt-token-1", "ws://h/ws/chat?token=***");
    check("wss://h/x?room=a&access_token=abc&n=1", "wss://h/x?room=a&access_token=***&n=1");
    check("ws://h/?API_KEY=k#frag", "ws://h/?API_KEY=***#frag");
    check("ws://h/?session=s&password=p", "ws://h/?session=***&password=***");
}

static void leaves_the_rest_alone(void **state)
{
    check("ws://127.0.0.1:8080", "ws://127.0.0.1:8080");
    check("ws://h/ws?room=a&flag&clientId=x", "ws://h/ws?room=a&flag&clientId=x");
    check("ws://h/ws?", "ws://h/ws?");
}

static void knows_secret_header_names(void **state)
{
    assert_true(redact_is_secret_name("Authorization", 13));
    assert_true(redact_is_secret_name("X-Api-Key", 9));
    assert_true(redact_is_secret_name("Cookie", 6));
    assert_false(redact_is_secret_name("X-Client-Version", 16));
}

/* Values read from the environment: hidden wherever they appear, longer
 * ones first, short ones left alone. */
static void hides_remembered_values(void **state)
{
    redact_secrets_t *s = redact_secrets_new();
    assert_non_null(s);
    assert_int_equal(redact_secrets_add(s, "tok-123"), 0);
    assert_int_equal(redact_secrets_add(s, "tok-123-long"), 0);
    assert_int_equal(redact_secrets_add(s, "tok-123"), 0); /* once */
    assert_int_equal(redact_secrets_add(s, "abc"), 0);     /* shorter than REDACT_MIN_SECRET */
    char text[] = "a tok-123-long b tok-123tok-123 abc";
    redact_secrets_scrub(s, text);
    assert_string_equal(text, "a *** b ****** abc");
    char stars[] = "x****y"; /* a value of stars shrinks to "***" and stops */
    assert_int_equal(redact_secrets_add(s, "****"), 0);
    redact_secrets_scrub(s, stars);
    assert_string_equal(stars, "x***y");
    redact_secrets_scrub(s, NULL);
    redact_secrets_scrub(NULL, stars);
    assert_string_equal(stars, "x***y");
    redact_secrets_free(s);
    redact_secrets_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hides_secret_query_values),
        cmocka_unit_test(leaves_the_rest_alone),
        cmocka_unit_test(knows_secret_header_names),
        cmocka_unit_test(hides_remembered_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
