/* Tests for src/result/gen.c: the saturation rule (limit, marks, ranges),
 * the warning every report shows, and copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "result/gen.h"
#include "helpers.h"

/* 5% of the smallest expect timeout, within [10 ms, 1 s]; no expect: 5%
 * of the default 10 s. */
static void test_lag_limit(void **state)
{
    (void)state;
    assert_true(gen_lag_limit_ms(2000000) == 100);
    assert_true(gen_lag_limit_ms(10000000) == 500);
    assert_true(gen_lag_limit_ms(0) == 500);
    assert_true(gen_lag_limit_ms(100000) == 10);     /* 5 ms: raised to the floor */
    assert_true(gen_lag_limit_ms(60000000) == 1000); /* 3 s: cut to the cap */
}

/* A second is saturated when its lag p99 is above the limit (not at it);
 * consecutive ones make one range [from, to). */
static void test_rule_marks_seconds_and_ranges(void **state)
{
    (void)state;
    result_t r;
    init_result(&r, "gen", "ws://127.0.0.1:1", 0);
    const double p99[] = { 1, 100, 100.5, 300, 2, 2, 150, 1 };
    set_generator(&r, p99, 8, 100);
    const res_gen_t *g = r.generator;
    assert_true(g->saturated);
    assert_false(g->secs[1].saturated); /* at the limit: not above it */
    assert_true(g->secs[2].saturated && g->secs[3].saturated && g->secs[6].saturated);
    assert_int_equal(g->nranges, 2);
    assert_int_equal(g->ranges[0].from, 2);
    assert_int_equal(g->ranges[0].to, 4);
    assert_int_equal(g->ranges[1].from, 6);
    assert_int_equal(g->ranges[1].to, 7);
    assert_true(g->loop_lag_max_ms > 329.9 && g->loop_lag_max_ms < 330.1);
    assert_true(g->cpu_pct_max == 50 && g->rss_max_mb == 20);
    assert_true(gen_cpu_all_cores_pct(g) == 25);

    const double calm[] = { 1, 9.9, 10 };
    set_generator(&r, calm, 3, 10);
    assert_false(r.generator->saturated);
    assert_int_equal(r.generator->nranges, 0);
    result_clear(&r);
}

/* A saturated run ends with the range that reaches its last second. */
static void test_range_to_the_end(void **state)
{
    (void)state;
    result_t r;
    init_result(&r, "gen", "ws://127.0.0.1:1", 0);
    const double p99[] = { 1, 60, 70 };
    set_generator(&r, p99, 3, 50);
    assert_int_equal(r.generator->nranges, 1);
    assert_int_equal(r.generator->ranges[0].from, 1);
    assert_int_equal(r.generator->ranges[0].to, 3);
    result_clear(&r);
}

static void test_warning_text(void **state)
{
    (void)state;
    char buf[512];
    result_t r;
    init_result(&r, "gen", "ws://127.0.0.1:1", 0);
    gen_warning(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
    const double calm[] = { 1, 2 };
    set_generator(&r, calm, 2, 50);
    gen_warning(r.generator, buf, sizeof buf);
    assert_string_equal(buf, "");

    double p99[40] = { 0 };
    for (int t = 12; t < 31; t++)
        p99[t] = 200;
    p99[20] = 218.2; /* max 240 ms */
    set_generator(&r, p99, 40, 50);
    gen_warning(r.generator, buf, sizeof buf);
    assert_string_equal(buf, "The load generator was saturated from t=12 s to t=31 s: latencies "
                             "there include up to 240 ms of runner delay (loop lag p99 above 50 "
                             "ms; CPU up to 50% of one core, 25% of 2 cores)");

    const double bursts[] = { 90, 0, 90, 0, 90, 0, 90, 0, 90 };
    set_generator(&r, bursts, 9, 50);
    gen_warning(r.generator, buf, sizeof buf);
    assert_contains(buf, "from t=0 s to t=1 s, from t=2 s to t=3 s, from t=4 s to t=5 s and 2 "
                         "more times:");
    gen_warning(r.generator, buf, 20); /* cut, still a string */
    assert_int_equal(strlen(buf), 19);
    result_clear(&r);
}

/* A summary without its seconds (a merged shard's) keeps its ranges. */
static void test_summary_without_seconds(void **state)
{
    (void)state;
    res_gen_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->lag_limit_ms = 50;
    g->loop_lag_max_ms = 80;
    assert_int_equal(gen_add_range(g, 3, 5), 0);
    assert_int_equal(gen_summarize(g), 0);
    assert_true(g->saturated);
    assert_true(g->loop_lag_max_ms == 80);
    res_gen_t *c = gen_copy(g);
    assert_non_null(c);
    assert_int_equal(c->nranges, 1);
    assert_int_equal(c->ranges[0].to, 5);
    assert_ptr_not_equal(c->ranges, g->ranges);
    gen_free(c);
    gen_free(g);
    assert_null(gen_copy(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lag_limit),
        cmocka_unit_test(test_rule_marks_seconds_and_ranges),
        cmocka_unit_test(test_range_to_the_end),
        cmocka_unit_test(test_warning_text),
        cmocka_unit_test(test_summary_without_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
