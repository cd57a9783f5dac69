/* Unit tests for src/hist.c: exactness, relative error, percentiles,
 * exact merge, encode/decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"
#include "rng.h"

static void empty_histogram_reports_zeros(void **state)
{
    hist_t *h = hist_new();
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0.0);
    hist_free(h);
}

static void small_values_are_exact(void **state)
{
    hist_t *h = hist_new();
    for (uint64_t v = 1; v <= 2000; v++)
        hist_record(h, v);
    assert_int_equal(hist_percentile(h, 50), 1000);
    assert_int_equal(hist_percentile(h, 99), 1980);
    assert_int_equal(hist_percentile(h, 100), 2000);
    assert_int_equal(hist_min(h), 1);
    assert_true(hist_mean(h) == 1000.5);
    hist_free(h);
}

static void large_values_within_one_part_in_1024(void **state)
{
    uint64_t rng = 99;
    for (int i = 0; i < 20000; i++) {
        uint64_t v = (uint64_t)rng_range(&rng, 2048, (int64_t)1 << 39);
        hist_t *h = hist_new();
        hist_record(h, v);
        hist_record(h, v + 1); /* max differs from the sample: forces bucket midpoints */
        uint64_t got = hist_percentile(h, 50);
        double rel = got > v ? (double)(got - v) / (double)v : (double)(v - got) / (double)v;
        assert_true(rel <= 1.0 / 1024.0);
        hist_free(h);
    }
}

static void percentiles_of_uniform_distribution(void **state)
{
    hist_t *h = hist_new();
    for (uint64_t v = 1; v <= 100000; v++)
        hist_record(h, v);
    uint64_t p50 = hist_percentile(h, 50), p99 = hist_percentile(h, 99);
    assert_in_range(p50, 50000 - 50, 50000 + 50);
    assert_in_range(p99, 99000 - 99, 99000 + 99);
    assert_int_equal(hist_percentile(h, 100), 100000);
    assert_int_equal(hist_max(h), 100000);
    hist_free(h);
}

static void huge_values_clamp_but_max_is_true(void **state)
{
    hist_t *h = hist_new();
    hist_record(h, UINT64_C(1) << 50);
    assert_int_equal(hist_max(h), UINT64_C(1) << 50);
    assert_int_equal(hist_count(h), 1);
    assert_true(hist_percentile(h, 50) <= (UINT64_C(1) << 50));
    hist_free(h);
}

static void merge_equals_one_histogram_of_all_samples(void **state)
{
    hist_t *all = hist_new(), *a = hist_new(), *b = hist_new();
    uint64_t rng = 5;
    for (int i = 0; i < 50000; i++) {
        uint64_t v = (uint64_t)rng_range(&rng, 0, 5000000);
        hist_record(all, v);
        hist_record(i % 3 ? a : b, v);
    }
    hist_merge(a, b);
    char *ea = hist_encode(a), *eall = hist_encode(all);
    assert_string_equal(ea, eall);
    double ps[] = { 50, 90, 95, 99, 99.9 };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_int_equal(hist_percentile(a, ps[i]), hist_percentile(all, ps[i]));
    free(ea);
    free(eall);
    hist_free(all);
    hist_free(a);
    hist_free(b);
}

static void encode_decode_round_trip(void **state)
{
    hist_t *h = hist_new();
    hist_record_n(h, 7, 3);
    hist_record(h, 123456);
    hist_record(h, 99999999);
    char *text = hist_encode(h);
    char err[160];
    hist_t *back = hist_decode(text, err, sizeof(err));
    assert_non_null(back);
    char *again = hist_encode(back);
    assert_string_equal(text, again);
    assert_int_equal(hist_count(back), 5);
    assert_int_equal(hist_min(back), 7);
    assert_int_equal(hist_max(back), 99999999);
    assert_int_equal(hist_percentile(back, 80), hist_percentile(h, 80));
    free(text);
    free(again);
    hist_free(back);
    hist_free(h);

    hist_t *empty = hist_new();
    text = hist_encode(empty);
    back = hist_decode(text, err, sizeof(err));
    assert_non_null(back);
    assert_int_equal(hist_count(back), 0);
    free(text);
    hist_free(back);
    hist_free(empty);
}

static void decode_rejects_garbage(void **state)
{
    const char *bad[] = {
        "",
        "v2;1;1;1;1;1:1",
        "v1;1;1;1;1;",
        "v1;2;1;1;2;1:1",
        "v1;1;5;1;1;5:1",
        "v1;1;1;1;1;99999999:1",
        "v1;1;1;1;1;1:1,",
        "v1;1;1;1;1;1:x",
        "v1;x;1;1;1;1:1",
        "v1;1;1;1;1;1:0",
    };
    char err[160];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(hist_decode(bad[i], err, sizeof(err)));
        assert_non_null(strstr(err, "malformed histogram"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_histogram_reports_zeros),
        cmocka_unit_test(small_values_are_exact),
        cmocka_unit_test(large_values_within_one_part_in_1024),
        cmocka_unit_test(percentiles_of_uniform_distribution),
        cmocka_unit_test(huge_values_clamp_but_max_is_true),
        cmocka_unit_test(merge_equals_one_histogram_of_all_samples),
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(decode_rejects_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
