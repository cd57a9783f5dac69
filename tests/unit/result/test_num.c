/* Tests for src/result/num.c: the number formatter every report shares,
 * with exact strings (latencies, counts, rates, run lengths), and the
 * baseline deltas in both directions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "result/num.h"
#include "helpers.h"

static void check_latency(double us, const char *want)
{
    char buf[48];
    num_latency(us, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* us below 1 ms, ms with 3 significant digits, whole ms to 10 s, s above. */
static void test_latency(void **state)
{
    (void)state;
    check_latency(0, "0 us");
    check_latency(53, "53 us");
    check_latency(53.4, "53 us");
    check_latency(999.4, "999 us");
    check_latency(999.6, "1.00 ms");
    check_latency(1000, "1.00 ms");
    check_latency(4100, "4.10 ms");
    check_latency(41049, "41.0 ms");
    check_latency(312400, "312 ms");
    check_latency(999960, "1000 ms");
    check_latency(4213400, "4213 ms");
    check_latency(9999400, "9999 ms");
    check_latency(9999600, "10.0 s");
    check_latency(12345678, "12.3 s");
    check_latency(123456789, "123 s");
    check_latency(4567890123.0, "4568 s");
    check_latency(-1, "–");
    check_latency(NAN, "–");
}

static void check_duration(double s, const char *want)
{
    char buf[48];
    num_duration(s, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* Tenths of a second below a minute, then min and s, then h and min. */
static void test_duration(void **state)
{
    (void)state;
    check_duration(0, "0.0 s");
    check_duration(4, "4.0 s");
    check_duration(12.34, "12.3 s");
    check_duration(59.94, "59.9 s");
    check_duration(59.96, "1 min");
    check_duration(60, "1 min");
    check_duration(150, "2 min 30 s");
    check_duration(150.4, "2 min 30 s");
    check_duration(900, "15 min");
    check_duration(3599.4, "59 min 59 s");
    check_duration(3599.6, "1 h");
    check_duration(3600 + 5 * 60 + 20, "1 h 5 min");
    check_duration(2 * 3600 + 29, "2 h");
    check_duration(2 * 3600 + 31, "2 h 1 min");
    check_duration(-1, "–");
    check_duration(NAN, "–");
    check_duration(INFINITY, "–");
}

/* More digits where rounding would read as another verdict; parse back. */
static void test_latency_sig_and_parse(void **state)
{
    (void)state;
    char buf[48];
    num_latency_sig(199960, 5, buf, sizeof buf);
    assert_string_equal(buf, "199.96 ms");
    num_latency_sig(53.25, 5, buf, sizeof buf);
    assert_string_equal(buf, "53.25 us");
    assert_true(num_latency_parse("4.10 ms") == 4100);
    assert_true(num_latency_parse("53 us") == 53);
    assert_true(num_latency_parse("12.3 s") == 12300000);
    assert_true(num_latency_parse("12.3") < 0);
    assert_true(num_latency_parse("12.3 kg") < 0);
}

static void test_count_rate_pct(void **state)
{
    (void)state;
    char buf[48];
    num_count(0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    num_count(999, buf, sizeof buf);
    assert_string_equal(buf, "999");
    num_count(12000, buf, sizeof buf);
    assert_string_equal(buf, "12,000");
    num_count(18446744073709551615ULL, buf, sizeof buf);
    assert_string_equal(buf, "18,446,744,073,709,551,615");
    num_rate(0, buf, sizeof buf);
    assert_string_equal(buf, "0/s");
    num_rate(0.5, buf, sizeof buf);
    assert_string_equal(buf, "0.500/s");
    num_rate(12.34, buf, sizeof buf);
    assert_string_equal(buf, "12.3/s");
    num_rate(9.996, buf, sizeof buf);
    assert_string_equal(buf, "10.0/s");
    num_rate(123.4, buf, sizeof buf);
    assert_string_equal(buf, "123/s");
    num_rate(1234.5, buf, sizeof buf);
    assert_string_equal(buf, "1,235/s");
    num_rate(2500000, buf, sizeof buf);
    assert_string_equal(buf, "2,500,000/s");
    num_pct(99.5, buf, sizeof buf);
    assert_string_equal(buf, "99.50%");
    num_pct(100, buf, sizeof buf);
    assert_string_equal(buf, "100.00%");
    num_value(NUM_COUNT, 1234567, buf, sizeof buf);
    assert_string_equal(buf, "1,234,567");
}

static void check_delta(num_kind_t k, bool higher_is_worse, double now, double was,
                        const char *want)
{
    char buf[128];
    num_delta(k, higher_is_worse, now, was, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* Direction-aware: latency and errors are worse higher, rates better. */
static void test_delta(void **state)
{
    (void)state;
    check_delta(NUM_LATENCY, true, 4100, 3600, "🔴 4.10 ms (was 3.60 ms, +13.9% worse)");
    check_delta(NUM_LATENCY, true, 3600, 4500, "🟢 3.60 ms (was 4.50 ms, -20.0% better)");
    check_delta(NUM_LATENCY, true, 4100, 4050, "4.10 ms (was 4.05 ms, +1.2% worse)");
    check_delta(NUM_LATENCY, true, 4100, 4100, "4.10 ms (was 4.10 ms, no change)");
    check_delta(NUM_RATE, false, 900, 1000, "🔴 900/s (was 1,000/s, -10.0% worse)");
    check_delta(NUM_RATE, false, 1200, 1000, "🟢 1,200/s (was 1,000/s, +20.0% better)");
    check_delta(NUM_PCT, false, 97.5, 100, "97.50% (was 100.00%, -2.5% worse)");
    check_delta(NUM_COUNT, true, 2, 4, "🟢 2 (was 4, -50.0% better)");
}

/* A zero or tiny baseline: no percentage in the hundreds of thousands. */
static void test_delta_zero_and_tiny_baseline(void **state)
{
    (void)state;
    check_delta(NUM_COUNT, true, 3, 0, "🔴 3 (was 0, worse)");
    check_delta(NUM_COUNT, true, 0, 0, "0 (was 0, no change)");
    check_delta(NUM_RATE, false, 5, 0, "🟢 5.00/s (was 0/s, better)");
    check_delta(NUM_LATENCY, true, 12300, 15, "🔴 12.3 ms (was 15 us, 820x worse)");
    check_delta(NUM_LATENCY, true, 15, 12300, "🟢 15 us (was 12.3 ms, 820x better)");
    check_delta(NUM_COUNT, true, 0, 5, "🟢 0 (was 5, -100.0% better)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_latency_sig_and_parse),
        cmocka_unit_test(test_count_rate_pct),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_delta_zero_and_tiny_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
