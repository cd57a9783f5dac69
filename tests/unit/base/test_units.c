/* Unit tests for src/base/units.c: durations, think times, sampling, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/units.h"

static void parses_every_duration_unit(void **state)
{
    struct {
        const char *text;
        uint64_t us;
    } cases[] = {
        { "1500us", 1500 },  { "250ms", 250000 }, { "5s", 5000000 },
        { "1.5s", 1500000 }, { "2m", 120000000 }, { "1h", 3600000000ull },
        { "0s", 0 },         { " 3s ", 3000000 }, { "0.5ms", 500 },
        { ".25s", 250000 },  { "0.001s", 1000 },  { "1.25h", 4500000000ull },
        { "007ms", 7000 },   { "\t10us\n", 10 },  { "100000h", 360000000000000ull },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t us = 42;
        if (units_parse_duration(cases[i].text, &us, err, sizeof(err)) != 0)
            fail_msg("\"%s\" rejected: %s", cases[i].text, err);
        assert_int_equal(us, cases[i].us);
    }
}

static void rejects_bad_durations_with_advice(void **state)
{
    struct {
        const char *text;
        const char *words;
    } cases[] = {
        { "5", "\"5\" has no unit: write 5s, 5ms or 5us" },
        { "1.5", "\"1.5\" has no unit: write 1.5s, 1.5ms or 1.5us" },
        { "5 seconds", "\"5\" has no unit right after it: write 5s" },
        { "5 s", "right after it" },
        { "5sec", "unknown unit \"sec\"; units are us, ms, s, m, h" },
        { "5S", "unknown unit \"S\"" },
        { "5ns", "unknown unit \"ns\"" },
        { "-1s", "\"-1s\" is negative" },
        { "+1s", "not a duration" },
        { "", "empty duration" },
        { "   ", "empty duration" },
        { NULL, "empty duration" },
        { "s", "\"s\" is not a duration: write a number and a unit" },
        { "3s later", "unexpected \" later\" after the duration" },
        { "3s5ms", "unexpected \"5ms\"" },
        { "nan s", "not a duration" },
        { "inf s", "not a duration" },
        { "0x10s", "unknown unit \"x\"" },
        { "1e3ms", "unknown unit \"e\"" },
        { "1,5s", "unexpected ',' after the number" },
        { "5.s", "unexpected '.'" },
        { "1000000h", "too long" },
        { "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "00000000000000000000000000000000000000000000000001s",
          "too long" },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t us = 42;
        err[0] = '\0';
        if (units_parse_duration(cases[i].text, &us, err, sizeof(err)) != -1)
            fail_msg("\"%s\" accepted", cases[i].text);
        if (!strstr(err, cases[i].words))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].words);
        assert_int_equal(us, 42); /* untouched on error */
    }
    char tiny[6];
    uint64_t us;
    assert_int_equal(units_parse_duration("5", &us, tiny, sizeof(tiny)), -1);
    assert_string_equal(tiny, "\"5\" h"); /* truncated, terminated */
}

static void parses_think_times(void **state)
{
    struct {
        const char *text;
        pause_kind_t kind;
        uint64_t a, b;
    } cases[] = {
        { "3s", PAUSE_CONSTANT, 3000000, 0 },
        { "0s", PAUSE_CONSTANT, 0, 0 },
        { " 250ms ", PAUSE_CONSTANT, 250000, 0 },
        { "between(2s, 5s)", PAUSE_UNIFORM, 2000000, 5000000 },
        { "between(2s,5s)", PAUSE_UNIFORM, 2000000, 5000000 },
        { "  between ( 2s ,\t5s )  ", PAUSE_UNIFORM, 2000000, 5000000 },
        { "between(500ms, 1.5s)", PAUSE_UNIFORM, 500000, 1500000 },
        { "between(1s, 1s)", PAUSE_UNIFORM, 1000000, 1000000 },
        { "between(0s, 0s)", PAUSE_UNIFORM, 0, 0 },
        { "exponential(300ms)", PAUSE_EXPONENTIAL, 300000, 0 },
        { "exponential( 3s )", PAUSE_EXPONENTIAL, 3000000, 0 },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pause_t p = { PAUSE_NONE, 7, 7 };
        if (units_parse_pause(cases[i].text, &p, err, sizeof(err)) != 0)
            fail_msg("\"%s\" rejected: %s", cases[i].text, err);
        assert_int_equal(p.kind, cases[i].kind);
        assert_int_equal(p.a_us, cases[i].a);
        assert_int_equal(p.b_us, cases[i].b);
    }
}

static void rejects_bad_think_times(void **state)
{
    struct {
        const char *text;
        const char *words;
    } cases[] = {
        { "between(5s, 2s)", "the first must not exceed the second, e.g. between(2s, 5s)" },
        { "between(5s)", "between() takes two durations: write between(2s, 5s)" },
        { "between(1s, 2s, 3s)", "takes two durations" },
        { "between()", "takes two durations" },
        { "between(1, 2s)", "\"1\" has no unit" },
        { "between(1s, 2)", "\"2\" has no unit" },
        { "between(1s, )", "empty duration" },
        { "exponential(-1s)", "negative" },
        { "exponential()", "empty duration" },
        { "exponential(1s, 2s)", "unexpected" },
        { "gaussian(1s)", "unknown think time \"gaussian(1s)\": write 3s, between(2s, 5s) or "
                          "exponential(3s)" },
        { "between(1s, 2s", "unknown think time" },
        { "between(1s, 2s) x", "unknown think time" },
        { "3", "\"3\" has no unit" },
        { "", "empty duration" },
        { NULL, "empty duration" },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pause_t p = { PAUSE_CONSTANT, 7, 7 };
        err[0] = '\0';
        if (units_parse_pause(cases[i].text, &p, err, sizeof(err)) != -1)
            fail_msg("\"%s\" accepted", cases[i].text);
        if (!strstr(err, cases[i].words))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].words);
        assert_int_equal(p.kind, PAUSE_NONE); /* no half-parsed result */
        assert_int_equal(p.a_us, 0);
    }
}

static void uniform_samples_stay_in_range_and_average_mid(void **state)
{
    pause_t u = { PAUSE_UNIFORM, 2000000, 5000000 };
    uint64_t rng = 11, lo = UINT64_MAX, hi = 0;
    double sum = 0;
    enum { N = 100000 };
    for (int i = 0; i < N; i++) {
        uint64_t v = pause_sample(&u, &rng);
        assert_in_range(v, 2000000, 5000000);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += (double)v;
    }
    assert_in_range((uint64_t)(sum / N), 3480000, 3520000);
    assert_true(lo < 2010000 && hi > 4990000); /* spread over the whole range */

    pause_t small = { PAUSE_UNIFORM, 10, 12 }; /* both ends are reachable */
    unsigned seen[3] = { 0, 0, 0 };
    for (int i = 0; i < 3000; i++) {
        uint64_t v = pause_sample(&small, &rng);
        assert_in_range(v, 10, 12);
        seen[v - 10]++;
    }
    for (int i = 0; i < 3; i++)
        assert_in_range(seen[i], 850, 1150);
    pause_t same = { PAUSE_UNIFORM, 5, 5 };
    assert_int_equal(pause_sample(&same, &rng), 5);
}

static void exponential_samples_have_the_mean_and_cap(void **state)
{
    pause_t e = { PAUSE_EXPONENTIAL, 1000000, 0 };
    uint64_t rng = 3, above_mean = 0, max = 0;
    double sum = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        uint64_t x = pause_sample(&e, &rng);
        assert_true(x <= 10000000);
        sum += (double)x;
        above_mean += x > 1000000;
        max = x > max ? x : max;
    }
    assert_in_range((uint64_t)(sum / N), 985000, 1015000);
    /* P(X > mean) = 1/e for an exponential, not 1/2 as for a uniform */
    assert_in_range(above_mean, (uint64_t)(N * 0.358), (uint64_t)(N * 0.378));
    assert_true(max > 8000000); /* the tail is there */

    pause_t zero = { PAUSE_EXPONENTIAL, 0, 0 };
    assert_int_equal(pause_sample(&zero, &rng), 0);
}

static void constant_and_none_samples(void **state)
{
    pause_t c = { PAUSE_CONSTANT, 777, 0 }, none = { PAUSE_NONE, 777, 0 };
    uint64_t rng = 1;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(pause_sample(&c, &rng), 777);
        assert_int_equal(pause_sample(&none, &rng), 0);
    }
}

static void same_seed_same_samples(void **state)
{
    pause_t u = { PAUSE_UNIFORM, 0, 1000000000 };
    uint64_t r1 = 42, r2 = 42, r3 = 43;
    int differs = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t a = pause_sample(&u, &r1);
        assert_int_equal(a, pause_sample(&u, &r2));
        differs += a != pause_sample(&u, &r3);
    }
    assert_true(differs > 90);
}

static void formats_for_people(void **state)
{
    struct {
        double us;
        const char *text;
    } cases[] = {
        { 0, "0 us" },         { 850, "850 us" },    { 999.4, "999 us" },    { 999.6, "1.0 ms" },
        { 1000, "1.0 ms" },    { 12345, "12.3 ms" }, { 999949, "999.9 ms" }, { 999960, "1.00 s" },
        { 4200000, "4.20 s" }, { 90e6, "90.00 s" },  { 300200, "300.2 ms" },
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        units_format_us(cases[i].us, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
    char tiny[4];
    units_format_us(12345, tiny, sizeof(tiny));
    assert_string_equal(tiny, "12.");
}

static void parses_sizes_in_powers_of_1024(void **state)
{
    (void)state;
    char err[160];
    double v = -1;
    assert_int_equal(units_parse_bytes("512", &v, err, sizeof(err)), 0);
    assert_true(v == 512);
    assert_int_equal(units_parse_bytes("512B", &v, err, sizeof(err)), 0);
    assert_true(v == 512);
    assert_int_equal(units_parse_bytes("1KB", &v, err, sizeof(err)), 0);
    assert_true(v == 1024);
    assert_int_equal(units_parse_bytes("1.5MiB", &v, err, sizeof(err)), 0);
    assert_true(v == 1572864);
    assert_int_equal(units_parse_bytes("2 GB", &v, err, sizeof(err)), 0);
    assert_true(v == 2147483648.0);
    const char *bad[] = { "", "KB", "1XB", "1KBs", "-1KB", "1 K" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(units_parse_bytes(bad[i], &v, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "e.g. 1KB"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_duration_unit),
        cmocka_unit_test(rejects_bad_durations_with_advice),
        cmocka_unit_test(parses_think_times),
        cmocka_unit_test(rejects_bad_think_times),
        cmocka_unit_test(uniform_samples_stay_in_range_and_average_mid),
        cmocka_unit_test(exponential_samples_have_the_mean_and_cap),
        cmocka_unit_test(constant_and_none_samples),
        cmocka_unit_test(same_seed_same_samples),
        cmocka_unit_test(formats_for_people),
        cmocka_unit_test(parses_sizes_in_powers_of_1024),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
