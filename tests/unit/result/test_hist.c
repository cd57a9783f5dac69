/* Unit tests for src/result/hist.c: exactness, relative error, the percentile rule,
 * exact merge, encode/decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result/hist.h"
#include "base/rng.h"

#define TOP (UINT64_C(1) << 40) /* first value past the bucket range */

/* p50 of {0, v, v, far}: rank 2 lands in v's bucket, and min/max are far
 * enough away that the midpoint is reported unclamped. */
static uint64_t bucket_midpoint_of(uint64_t v)
{
    hist_t *h = hist_new();
    hist_record(h, 0);
    hist_record_n(h, v, 2);
    hist_record(h, TOP - 1);
    uint64_t mid = hist_percentile(h, 50);
    hist_free(h);
    return mid;
}

static double rel_error(uint64_t got, uint64_t want)
{
    double d = got > want ? (double)(got - want) : (double)(want - got);
    return d / (double)want;
}

/* Cumulative counts at ascending bounds: exact below 2048 us, the bucket
 * holding a bound counted in above it. */
static void counts_le_are_cumulative(void **state)
{
    hist_t *h = hist_new();
    hist_record_n(h, 100, 3);
    hist_record_n(h, 101, 2);
    hist_record(h, 250000);
    hist_record(h, 90000000);
    const uint64_t le[] = { 99, 100, 101, 1000, 250000, 60000000, UINT64_MAX };
    const uint64_t want[] = { 0, 3, 5, 5, 6, 6, 7 };
    uint64_t got[7];
    hist_counts_le(h, le, 7, got);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(got[i], want[i]);
    hist_counts_le(h, le, 0, got); /* no bounds: nothing written */
    hist_free(h);
}

static void empty_histogram_reports_zeros(void **state)
{
    hist_t *h = hist_new();
    assert_non_null(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_percentile(h, 100), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0.0);
    char *text = hist_encode(h);
    assert_string_equal(text, "v1;0;0;0;0;");
    free(text);
    hist_free(h);
    hist_free(NULL);
}

static void small_values_are_exact(void **state)
{
    for (uint64_t v = 1; v < 2048; v++)
        assert_int_equal(bucket_midpoint_of(v), v);
    hist_t *h = hist_new();
    for (uint64_t v = 1; v <= 2000; v++)
        hist_record(h, v);
    assert_int_equal(hist_percentile(h, 50), 1000);
    assert_int_equal(hist_percentile(h, 99), 1980);
    assert_int_equal(hist_percentile(h, 100), 2000);
    assert_int_equal(hist_min(h), 1);
    assert_int_equal(hist_max(h), 2000);
    assert_true(hist_mean(h) == 1000.5);
    hist_free(h);
}

static void large_values_within_one_part_in_1024(void **state)
{
    /* bucket edges: 2048 and 2049 share a bucket of width 2, and so on */
    assert_int_equal(bucket_midpoint_of(2048), 2048);
    assert_int_equal(bucket_midpoint_of(2049), 2048);
    assert_int_equal(bucket_midpoint_of(4095), 4094);
    assert_int_equal(bucket_midpoint_of(4096), 4097); /* width 4: 4096..4099 */
    assert_int_equal(bucket_midpoint_of((UINT64_C(1) << 20) + 1000), (UINT64_C(1) << 20) + 511);
    uint64_t rng = 99, worst_bits = 0;
    double worst = 0;
    for (int i = 0; i < 20000; i++) {
        int bits = (int)rng_range(&rng, 11, 39);
        uint64_t v = (uint64_t)rng_range(&rng, (int64_t)1 << bits, ((int64_t)2 << bits) - 1);
        double e = rel_error(bucket_midpoint_of(v), v);
        if (e > worst) {
            worst = e;
            worst_bits = (uint64_t)bits;
        }
    }
    if (worst > 1.0 / 2048.0)
        fail_msg("relative error %g at 2^%d exceeds half a bucket", worst, (int)worst_bits);
    assert_true(worst > 1.0 / 8192.0); /* the buckets really are that coarse */
}

static void percentiles_of_uniform_distribution(void **state)
{
    hist_t *h = hist_new();
    for (uint64_t v = 1; v <= 100000; v++)
        hist_record(h, v);
    struct {
        double p;
        uint64_t want;
    } cases[] = { { 50, 50000 }, { 90, 90000 }, { 95, 95000 }, { 99, 99000 }, { 99.9, 99900 } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t got = hist_percentile(h, cases[i].p);
        if (rel_error(got, cases[i].want) > 0.001)
            fail_msg("p%g = %llu, want %llu within 0.1%%", cases[i].p, (unsigned long long)got,
                     (unsigned long long)cases[i].want);
    }
    assert_int_equal(hist_percentile(h, 100), 100000);
    assert_int_equal(hist_max(h), 100000);
    assert_true(hist_mean(h) == 50000.5);
    hist_free(h);
}

static void percentile_rank_is_ceiling_of_share(void **state)
{
    hist_t *h = hist_new();
    for (uint64_t v = 1; v <= 1000; v++)
        hist_record(h, v);
    assert_int_equal(hist_percentile(h, 99.9), 999); /* not 1000: 99.9 is inexact in binary */
    assert_int_equal(hist_percentile(h, 99.95), 1000);
    assert_int_equal(hist_percentile(h, 0.1), 1);
    assert_int_equal(hist_percentile(h, 0.11), 2);
    assert_int_equal(hist_percentile(h, 0.0001), 1);
    assert_int_equal(hist_percentile(h, 0), 1); /* out of contract: the smallest */
    assert_int_equal(hist_percentile(h, 250), 1000);
    hist_free(h);

    h = hist_new();
    for (uint64_t v = 10; v <= 100; v += 10)
        hist_record(h, v);
    assert_int_equal(hist_percentile(h, 25), 30); /* rank ceil(2.5) = 3 */
    assert_int_equal(hist_percentile(h, 20), 20);
    hist_free(h);
}

static void midpoint_is_clamped_into_min_max(void **state)
{
    hist_t *h = hist_new();
    hist_record_n(h, 5000, 3); /* bucket 5000..5003, midpoint 5001 */
    assert_int_equal(hist_percentile(h, 50), 5000);
    hist_record(h, 5001);
    assert_int_equal(hist_percentile(h, 10), 5001);
    hist_reset(h);
    hist_record(h, 5003);
    hist_record(h, 5002);
    assert_int_equal(hist_percentile(h, 50), 5002);
    hist_free(h);
}

static void huge_values_clamp_but_max_is_true(void **state)
{
    hist_t *h = hist_new();
    hist_record(h, UINT64_C(1) << 50);
    assert_int_equal(hist_max(h), UINT64_C(1) << 50);
    assert_int_equal(hist_count(h), 1);
    assert_int_equal(hist_percentile(h, 50), UINT64_C(1) << 50); /* clamped up to min */
    hist_record(h, 10);
    hist_record(h, UINT64_C(1) << 45);
    /* 2^45 and 2^50 share the top bucket (2047 << 29 .. 2^40 - 1) */
    assert_int_equal(hist_percentile(h, 50), (UINT64_C(2047) << 29) + (UINT64_C(1) << 28) - 1);
    assert_int_equal(hist_percentile(h, 100), UINT64_C(1) << 50);
    assert_true(hist_mean(h) == (double)(10 + (UINT64_C(1) << 45) + (UINT64_C(1) << 50)) / 3.0);
    char *text = hist_encode(h), err[200];
    hist_t *back = hist_decode(text, err, sizeof(err));
    assert_non_null(back);
    assert_int_equal(hist_percentile(back, 50), hist_percentile(h, 50));
    free(text);
    hist_free(back);

    hist_reset(h); /* the sum saturates instead of wrapping */
    hist_record_n(h, UINT64_MAX / 2, 3);
    assert_true(hist_mean(h) == (double)UINT64_MAX / 3.0);
    hist_free(h);
}

static void record_n_equals_n_records(void **state)
{
    hist_t *a = hist_new(), *b = hist_new();
    hist_record_n(a, 123456, 5);
    hist_record_n(a, 9, 0); /* nothing */
    for (int i = 0; i < 5; i++)
        hist_record(b, 123456);
    char *ea = hist_encode(a), *eb = hist_encode(b);
    assert_string_equal(ea, eb);
    assert_int_equal(hist_min(a), 123456);
    free(ea);
    free(eb);
    hist_free(a);
    hist_free(b);
}

static void assert_same(const hist_t *x, const hist_t *y)
{
    char *ex = hist_encode(x), *ey = hist_encode(y);
    assert_string_equal(ex, ey);
    free(ex);
    free(ey);
    double ps[] = { 1, 50, 90, 95, 99, 99.9, 99.99, 100 };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_int_equal(hist_percentile(x, ps[i]), hist_percentile(y, ps[i]));
    assert_int_equal(hist_count(x), hist_count(y));
    assert_int_equal(hist_min(x), hist_min(y));
    assert_int_equal(hist_max(x), hist_max(y));
    assert_true(hist_mean(x) == hist_mean(y));
}

static void merge_equals_one_histogram_of_all_samples(void **state)
{
    hist_t *all = hist_new(), *a = hist_new(), *b = hist_new(), *c = hist_new();
    uint64_t rng = 5;
    for (int i = 0; i < 50000; i++) {
        uint64_t v = (uint64_t)rng_range(&rng, 0, 5000000);
        hist_record(all, v);
        hist_record(i < 25000 ? a : b, v);
    }
    hist_merge(c, b); /* into an empty one */
    hist_merge(c, a); /* other order */
    hist_merge(a, b);
    assert_same(a, all);
    assert_same(c, all);
    hist_reset(b);
    hist_merge(a, b); /* an empty source changes nothing */
    assert_same(a, all);
    hist_free(all);
    hist_free(a);
    hist_free(b);
    hist_free(c);
}

/* A reset histogram is an empty one, however it was filled (reset clears
 * only the buckets between min and max), and is reused like a new one. */
static void reset_equals_new(void **state)
{
    hist_t *h = hist_new(), *fresh = hist_new(), *src = hist_new();
    hist_record(src, 1);
    hist_record(src, 90000000);
    hist_merge(h, src); /* buckets at both ends */
    hist_record(h, 5000);
    hist_reset(h);
    char *empty = hist_encode(h);
    assert_string_equal(empty, "v1;0;0;0;0;");
    free(empty);
    hist_record(h, 3000);
    hist_record(fresh, 3000);
    assert_same(h, fresh);
    uint64_t le[] = { 0, 2, 100000000 }, got[3];
    hist_counts_le(h, le, 3, got); /* no stale count below or above */
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 0);
    assert_int_equal(got[2], 1);
    hist_free(h);
    hist_free(fresh);
    hist_free(src);
}

static void encode_has_the_documented_form(void **state)
{
    hist_t *h = hist_new();
    hist_record_n(h, 7, 3);
    hist_record(h, 3000); /* bucket 2048 + (3000 >> 1) - 1024 = 2524 */
    char *text = hist_encode(h);
    assert_string_equal(text, "v1;4;7;3000;3021;7:3,2524:1");
    free(text);
    hist_free(h);
}

static void encode_decode_round_trip(void **state)
{
    hist_t *h = hist_new();
    uint64_t rng = 17;
    for (int i = 0; i < 20000; i++) {
        uint64_t shift = rng_next(&rng) % 64;
        hist_record(h, rng_next(&rng) >> shift); /* every magnitude */
    }
    char *text = hist_encode(h), err[200] = "";
    hist_t *back = hist_decode(text, err, sizeof(err));
    if (!back)
        fail_msg("decode failed: %s", err);
    assert_same(back, h);
    free(text);
    hist_free(back);
    hist_free(h);

    h = hist_new(); /* every bucket in use: the longest text there is */
    for (uint64_t v = 0; v < TOP; v += v < 2048 ? 1 : UINT64_C(1) << (53 - __builtin_clzll(v)))
        hist_record_n(h, v, UINT64_MAX / 40000); /* v steps by its bucket's width */
    text = hist_encode(h);
    size_t pairs = 1;
    for (const char *c = text; *c; c++)
        pairs += *c == ',';
    assert_int_equal(pairs, 2048 + 29 * 1024);
    back = hist_decode(text, err, sizeof(err));
    if (!back)
        fail_msg("decode failed: %s", err);
    assert_same(back, h);
    free(text);
    hist_free(back);
    hist_free(h);

    hist_t *empty = hist_new();
    text = hist_encode(empty);
    back = hist_decode(text, err, sizeof(err));
    assert_non_null(back);
    assert_int_equal(hist_count(back), 0);
    assert_int_equal(hist_percentile(back, 50), 0);
    free(text);
    hist_free(back);
    hist_free(empty);
}

static void decode_rejects_garbage_with_a_reason(void **state)
{
    struct {
        const char *text;
        const char *why;
    } cases[] = {
        { "", "layout" },
        { "v2;1;1;1;1;1:1", "layout" },
        { "V1;1;1;1;1;1:1", "layout" },
        { "v1;x;1;1;1;1:1", "number for count" },
        { "v1;-1;1;1;1;1:1", "number for count" },
        { "v1;99999999999999999999999;1;1;1;1:1", "too large" },
        { "v1;1;1;1;1", "';' after sum" },
        { "v1;1;1;1;1;", "add up to 0 but count is 1" },
        { "v1;2;1;1;2;1:1", "add up to 1 but count is 2" },
        { "v1;1;1;1;1;1:x", "bucket count" },
        { "v1;1;1;1;1; 1:1", "bucket index" },
        { "v1;1;1;1;1;1;1", "':' after bucket index" },
        { "v1;1;1;1;1;1:1,", "trailing ','" },
        { "v1;1;1;1;1;1:1;", "expected ',' after bucket count" },
        { "v1;1;1;1;1;1:1,,2:1", "bucket index" },
        { "v1;1;1;1;1;99999999:1", "out of range" },
        { "v1;1;1;1;1;31744:1", "out of range" },
        { "v1;2;1;2;3;2:1,1:1", "in order" },
        { "v1;2;1;1;2;1:1,1:1", "in order" },
        { "v1;1;1;1;1;1:0", "count 0" },
        { "v1;1;5;1;1;5:1", "exceeds max" },
        { "v1;1;1;9;1;1:1", "min or max" },
        { "v1;1;1;1;5;1:1", "sum 5 is impossible" },
        { "v1;0;0;0;5;", "count is 0" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[200] = "";
        if (hist_decode(cases[i].text, err, sizeof(err)))
            fail_msg("accepted \"%s\"", cases[i].text);
        if (!strstr(err, "malformed histogram: ") || !strstr(err, cases[i].why))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].why);
    }
    /* longer than hist_encode ever writes (here by leading zeros): refused
     * before reading a number */
    size_t pad = 900000;
    char *longer = malloc(pad + 32), err[200] = "";
    assert_non_null(longer);
    strcpy(longer, "v1;1;1;1;1;");
    memset(longer + strlen(longer), '0', pad);
    strcpy(longer + strlen("v1;1;1;1;1;") + pad, "1:1");
    assert_null(hist_decode(longer, err, sizeof(err)));
    if (!strstr(err, "malformed histogram: longer than 857175 bytes (31744 buckets at most)"))
        fail_msg("error \"%s\"", err);
    free(longer);
    char tiny[8];
    assert_null(hist_decode(NULL, tiny, sizeof(tiny)));
    assert_string_equal(tiny, "malform"); /* truncated, terminated */
    assert_null(hist_decode("v9", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_histogram_reports_zeros),
        cmocka_unit_test(counts_le_are_cumulative),
        cmocka_unit_test(small_values_are_exact),
        cmocka_unit_test(large_values_within_one_part_in_1024),
        cmocka_unit_test(percentiles_of_uniform_distribution),
        cmocka_unit_test(percentile_rank_is_ceiling_of_share),
        cmocka_unit_test(midpoint_is_clamped_into_min_max),
        cmocka_unit_test(huge_values_clamp_but_max_is_true),
        cmocka_unit_test(record_n_equals_n_records),
        cmocka_unit_test(merge_equals_one_histogram_of_all_samples),
        cmocka_unit_test(reset_equals_new),
        cmocka_unit_test(encode_has_the_documented_form),
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(decode_rejects_garbage_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
