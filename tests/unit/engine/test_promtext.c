/* Tests for src/engine/promtext.c: the Prometheus text exposition format (the
 * first text is the format documentation's example)
 * (comments, HELP/TYPE, labels with escapes, +Inf/NaN, timestamps, CRLF)
 * and selectors matched against samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/promtext.h"
#include "helpers.h"

typedef struct seen {
    char text[4096]; /* "name{a=x,b=y}=value;" per sample */
    size_t len;
} seen_t;

static void collect(const promtext_sample_t *s, void *ctx)
{
    seen_t *z = ctx;
    char one[1024];
    int n = snprintf(one, sizeof(one), "%s{", s->name);
    for (size_t i = 0; i < s->nlabels; i++)
        n += snprintf(one + n, sizeof(one) - (size_t)n, "%s%s=%s", i ? "," : "", s->labels[i].name,
                      s->labels[i].value);
    snprintf(one + n, sizeof(one) - (size_t)n, "}=%g;", s->value);
    z->len += (size_t)snprintf(z->text + z->len, sizeof(z->text) - z->len, "%s", one);
}

static void expect_parse(const char *text, long count, const char *want)
{
    seen_t z = { "", 0 };
    char err[256] = "";
    long n = promtext_parse(text, strlen(text), collect, &z, err, sizeof(err));
    if (n != count)
        fail_msg("got %ld samples (%s), want %ld", n, err, count);
    assert_string_equal(z.text, want);
}

static void test_the_format(void **state)
{
    (void)state;
    expect_parse(
        "# HELP http_requests_total The total number of HTTP requests.\n"
        "# TYPE http_requests_total counter\n"
        "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
        "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
        "\n"
        "# Escaping in label values:\n"
        "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
        "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
        "metric_without_timestamp_and_labels 12.47\n"
        "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
        "rpc_duration_seconds{quantile=\"0.5\"} NaN\n"
        "neg -Inf\n"
        "  indented{a=\"1\",} 2\r\n",
        8,
        "http_requests_total{method=post,code=200}=1027;"
        "http_requests_total{method=post,code=400}=3;"
        "msdos_file_access_time_seconds{path=C:\\DIR\\FILE.TXT,error=Cannot find file:\n"
        "\"FILE.TXT\"}=1.45826e+09;metric_without_timestamp_and_labels{}=12.47;"
        "something_weird{problem=division by zero}=inf;rpc_duration_seconds{quantile=0.5}=nan;"
        "neg{}=-inf;indented{a=1}=2;");
}

static void test_samples(void **state)
{
    (void)state;
    expect_parse("# TYPE x counter\n"
                 "x{method=\"post\",code=\"200\"} 1027 1395066363000\n"
                 "y{path=\"C:\\\\DIR\",e=\"a\\n\\\"b\\\"\"} 1.5e3\n"
                 "z 12.47\n"
                 "w{p=\"q\"} +Inf -3982045\n"
                 "  v{a=\"1\",} 2\r\n"
                 "ns:rule:sum{} -0.5\n"
                 "# EOF\n",
                 6,
                 "x{method=post,code=200}=1027;y{path=C:\\DIR,e=a\n\"b\"}=1500;z{}=12.47;"
                 "w{p=q}=inf;v{a=1}=2;ns:rule:sum{}=-0.5;");
    seen_t z = { "", 0 };
    char err[128];
    assert_int_equal(promtext_parse("n NaN\nm -Inf", 12, collect, &z, err, sizeof(err)), 2);
    assert_string_equal(z.text, "n{}=nan;m{}=-inf;");
    assert_int_equal(promtext_parse("", 0, collect, &z, err, sizeof(err)), 0);
}

static void expect_error(const char *text, const char *part)
{
    seen_t z = { "", 0 };
    char err[256] = "";
    if (promtext_parse(text, strlen(text), collect, &z, err, sizeof(err)) != -1)
        fail_msg("\"%s\" parsed", text);
    if (!strstr(err, part))
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, part);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("a 1\n<html>\n", "line 2: expected a metric name");
    expect_error("a\n", "line 1: expected a value");
    expect_error("a{b=\"1\" 2\n", "expected \",\" or \"}\"");
    expect_error("a{b=1} 2\n", "expected a quoted label value");
    expect_error("a{b=\"1} 2\n", "unterminated label value");
    expect_error("a{b=\"\\t\"} 2\n", "unknown escape");
    expect_error("a 0x1f\n", "not a number");
    expect_error("a infinity\n", "not a number");
    expect_error("a 1 2 3\n", "unexpected text after the value");
    expect_error("a 1 now\n", "the timestamp is not a number");
    expect_error("{a=\"1\"} 2\n", "expected a metric name");
    char big[PROMTEXT_MAX_TEXT + 16];
    memset(big, 'a', sizeof(big) - 3);
    memcpy(big + sizeof(big) - 3, " 1", 3);
    expect_error(big, "too long");
}

static void test_selectors_match(void **state)
{
    (void)state;
    promtext_sample_t *sel = calloc(1, sizeof(*sel)), *s = calloc(1, sizeof(*s));
    char err[256];
    assert_non_null(sel);
    assert_non_null(s);
    assert_int_equal(promtext_selector("http_requests_total{code=\"500\"}", sel, err, sizeof(err)),
                     0);
    strcpy(s->name, "http_requests_total");
    strcpy(s->labels[0].name, "method");
    strcpy(s->labels[0].value, "get");
    strcpy(s->labels[1].name, "code");
    strcpy(s->labels[1].value, "500");
    s->nlabels = 2;
    assert_true(promtext_match(sel, s));
    strcpy(s->labels[1].value, "200");
    assert_false(promtext_match(sel, s));
    assert_int_equal(promtext_selector("http_requests_total", sel, err, sizeof(err)), 0);
    assert_true(promtext_match(sel, s)); /* no labels: every sample of the name */
    strcpy(s->name, "http_requests");
    assert_false(promtext_match(sel, s));
    assert_int_equal(promtext_selector("a b", sel, err, sizeof(err)), -1);
    assert_int_equal(promtext_selector("a{b=\"1\"} 5", sel, err, sizeof(err)), -1);
    free(sel);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_format),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_selectors_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
