/* Tests for src/engine/selfmon.c: lag buckets and percentiles, the
 * time-weighted recording of a stalled loop, the seconds it spans, statm
 * parsing and the generator a run's series make. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/selfmon.h"
#include "helpers.h"

#define T0 5000000000ull /* an arbitrary monotonic start */
#define MS 1000ull
#define SEC 1000000ull

static void test_buckets(void **state)
{
    (void)state;
    assert_int_equal(selfmon_lag_bucket(0), 0);
    assert_int_equal(selfmon_lag_bucket(255), 0);
    assert_int_equal(selfmon_lag_bucket(256), 1);
    assert_int_equal(selfmon_lag_bucket(319), 1);
    assert_int_equal(selfmon_lag_bucket(320), 2);
    assert_int_equal(selfmon_lag_bucket((1ull << 24) - 1), SELFMON_LAG_BUCKETS - 2);
    assert_int_equal(selfmon_lag_bucket(1ull << 24), SELFMON_LAG_BUCKETS - 1);
    assert_int_equal(selfmon_lag_bucket(UINT64_MAX), SELFMON_LAG_BUCKETS - 1);
    for (uint64_t v = 256; v < (1ull << 24); v = v * 9 / 8 + 1) /* monotonic */
        assert_true(selfmon_lag_bucket(v) <= selfmon_lag_bucket(v + 1));
}

/* p99 of 100 samples is the 99th: one outlier does not make it. */
static void test_percentile(void **state)
{
    (void)state;
    selfmon_lag_t l;
    selfmon_lag_init(&l, T0);
    for (int i = 0; i < 99; i++)
        selfmon_lag_record(&l, T0 + (uint64_t)i * 10 * MS, T0 + (uint64_t)i * 10 * MS + 500);
    selfmon_lag_record(&l, T0 + 990 * MS, T0 + 990 * MS + 5 * MS); /* below one interval */
    assert_int_equal(l.nsecs, 1);
    assert_int_equal(l.secs[0].count, 100);
    assert_int_equal(l.secs[0].max_us, 5000);
    uint64_t p99 = selfmon_lag_percentile(&l.secs[0], 99);
    assert_true(p99 >= 448 && p99 <= 512); /* 500 us, within its bucket */
    assert_int_equal(selfmon_lag_percentile(&l.secs[0], 100), 5000);
    lag_hist_t empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(selfmon_lag_percentile(&empty, 99), 0);
    selfmon_lag_release(&l, NULL);
}

/* A loop stalled 300 ms counts every probe it held back: 30 late samples,
 * so the second's p99 is the stall's, not a single outlier's. */
static void test_stall_weighs_by_time(void **state)
{
    (void)state;
    selfmon_lag_t l;
    selfmon_lag_init(&l, T0);
    uint64_t t = T0;
    for (; t < T0 + 600 * MS; t += 10 * MS)
        selfmon_lag_record(&l, t, t + 100);
    selfmon_lag_record(&l, t, t + 300 * MS); /* due at 600 ms, ran at 900 */
    assert_int_equal(l.secs[0].count, 60 + 30);
    assert_int_equal(l.secs[0].max_us, 300000);
    uint64_t p99 = selfmon_lag_percentile(&l.secs[0], 99);
    assert_true(p99 > 250000 && p99 <= 300000);
    assert_true(selfmon_lag_percentile(&l.secs[0], 50) < 1000);
    selfmon_lag_release(&l, NULL);
}

/* A stall across seconds shows in each second it held the loop. */
static void test_stall_spans_seconds(void **state)
{
    (void)state;
    selfmon_lag_t l;
    selfmon_lag_init(&l, T0);
    selfmon_lag_record(&l, T0 + 500 * MS, T0 + 3200 * MS);
    assert_int_equal(l.nsecs, 4);
    for (int s = 0; s < 4; s++)
        assert_true(l.secs[s].count > 0);
    assert_int_equal(l.secs[0].count, 50);
    assert_int_equal(l.secs[3].count, 20);
    assert_int_equal(l.secs[0].max_us, 2700000);
    assert_true(selfmon_lag_percentile(&l.secs[2], 99) > 1000000);
    selfmon_lag_record(&l, T0 - 10 * MS, T0 - 5 * MS); /* before t0: nothing */
    assert_int_equal(l.secs[0].count, 50);
    selfmon_lag_release(&l, NULL);
}

static void test_statm(void **state)
{
    (void)state;
    double mb = 0;
    assert_true(selfmon_parse_statm("12345 2560 300 10 0 900 0\n", 4096, &mb));
    assert_true(mb == 10.0);
    assert_false(selfmon_parse_statm("", 4096, &mb));
    assert_false(selfmon_parse_statm("12 x", 4096, &mb));
    assert_false(selfmon_parse_statm("1 2", 0, &mb));
}

/* Two workers, one stalled in second 1: that second is saturated (p99 over
 * both workers' probes), the others are not; CPU and RSS come from the
 * process series. */
static void test_result(void **state)
{
    (void)state;
    selfmon_lag_t a, b;
    selfmon_lag_init(&a, T0);
    selfmon_lag_init(&b, T0);
    for (uint64_t t = T0; t < T0 + 3 * SEC; t += 10 * MS) {
        selfmon_lag_record(&a, t, t + 200);
        if (t < T0 + 1 * SEC || t >= T0 + 2 * SEC)
            selfmon_lag_record(&b, t, t + 300);
    }
    selfmon_lag_record(&b, T0 + 1 * SEC, T0 + 1900 * MS); /* 900 ms stall */
    selfmon_proc_t p;
    selfmon_proc_start(&p, T0, T0);
    p.cpu_pct = calloc(3, sizeof(double));
    p.rss_mb = calloc(3, sizeof(double));
    assert_non_null(p.cpu_pct);
    assert_non_null(p.rss_mb);
    p.n = p.cap = 3;
    p.cpu_pct[1] = 97.50049; /* kept to 0.001, as result.json has it */
    p.rss_mb[2] = 42;
    selfmon_lagsum_t sum = { 0 };
    for (size_t t = 0; t < 3; t++) { /* what the monitor does as seconds come */
        lag_hist_t sec = { 0 };
        selfmon_lag_merge(&sec, &a.secs[t]);
        selfmon_lag_merge(&sec, &b.secs[t]);
        assert_int_equal(selfmon_lagsum_add(&sum, &sec), 0);
    }
    result_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(selfmon_result(&r, &sum, &p, 100, 2), 0);
    const res_gen_t *g = r.generator;
    assert_non_null(g);
    assert_int_equal(g->nsecs, 3);
    assert_false(g->secs[0].saturated);
    assert_true(g->secs[1].saturated);
    assert_false(g->secs[2].saturated);
    assert_true(g->secs[1].loop_lag_p99_ms > 700);
    assert_true(g->secs[1].loop_lag_max_ms == 900);
    assert_true(g->secs[0].loop_lag_p99_ms < 1);
    assert_true(g->saturated && g->nranges == 1 && g->ranges[0].from == 1 && g->ranges[0].to == 2);
    assert_true(g->cpu_pct_max == 97.5 && g->rss_max_mb == 42 && g->cores == 2);
    assert_true(g->lag_limit_ms == 100);
    assert_true(g->loop_lag_p99_ms > 1); /* over the run: the stall's 90 probes of 300 */
    result_clear(&r);
    selfmon_lagsum_release(&sum);
    selfmon_proc_release(&p);
    selfmon_lag_release(&a, NULL);
    selfmon_lag_release(&b, NULL);
}

/* A second is final once the next probe is due after it (every record
 * from then on is for that due time or later); dropping the final seconds
 * keeps the numbers of those after them, so a later record lands in its own
 * second. */
static void test_final_and_drop(void **state)
{
    (void)state;
    selfmon_lag_t l;
    selfmon_lag_init(&l, T0);
    l.due_us = T0;
    assert_int_equal(selfmon_lag_final(&l), 0);
    for (uint64_t t = T0; t < T0 + 2500 * MS; t += 10 * MS) {
        selfmon_lag_record(&l, t, t + 100);
        l.due_us = t + 10 * MS;
    }
    assert_int_equal(l.nsecs, 3);
    assert_int_equal(selfmon_lag_final(&l), 2); /* due in second 2: 0 and 1 are final */
    selfmon_lag_drop(&l, 2);
    assert_int_equal(l.nsecs, 1);
    assert_int_equal(l.base, 2);
    assert_int_equal(l.secs[0].count, 50); /* second 2's */
    assert_int_equal(selfmon_lag_final(&l), 0);
    selfmon_lag_record(&l, T0 + 3 * SEC, T0 + 3400 * MS); /* 400 ms late: seconds 3 */
    assert_int_equal(l.nsecs, 2);
    assert_int_equal(l.secs[1].count, 40);
    assert_int_equal(l.secs[1].max_us, 400000);
    l.due_us = T0 + 3410 * MS;
    assert_int_equal(selfmon_lag_final(&l), 1);
    selfmon_lag_release(&l, NULL);
}

/* The process series: one entry a second, measured when it ends. */
static void test_proc_seconds(void **state)
{
    (void)state;
    selfmon_proc_t p;
    uint64_t t0 = mono_us();
    selfmon_proc_start(&p, t0, t0);
    selfmon_proc_sample(&p, t0 + 500 * MS); /* within second 0: nothing yet */
    assert_int_equal(p.n, 0);
    selfmon_proc_sample(&p, t0 + 2100 * MS); /* seconds 0 and 1 ended */
    assert_int_equal(p.n, 2);
    assert_true(p.rss_mb[0] > 0 && p.rss_mb[1] == p.rss_mb[0]);
    assert_true(p.cpu_pct[0] >= 0 && p.cpu_pct[0] < 100);
    selfmon_proc_finish(&p, t0 + 2300 * MS); /* the partial last second */
    assert_int_equal(p.n, 3);
    selfmon_proc_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_stall_weighs_by_time),
        cmocka_unit_test(test_stall_spans_seconds),
        cmocka_unit_test(test_final_and_drop),
        cmocka_unit_test(test_statm),
        cmocka_unit_test(test_result),
        cmocka_unit_test(test_proc_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
