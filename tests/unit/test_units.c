/* Unit tests for src/units.c: durations, think times, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "units.h"

static void parses_every_duration_unit(void **state)
{
    struct {
        const char *text;
        uint64_t us;
    } cases[] = {
        { "1500us", 1500 },  { "250ms", 250000 },     { "5s", 5000000 }, { "1.5s", 1500000 },
        { "2m", 120000000 }, { "1h", 3600000000ull }, { "0s", 0 },       { " 3s ", 3000000 },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t us = 42;
        assert_int_equal(units_parse_duration(cases[i].text, &us, err, sizeof(err)), 0);
        assert_int_equal(us, cases[i].us);
    }
}

static void rejects_bad_durations_with_advice(void **state)
{
    struct {
        const char *text;
        const char *words;
    } cases[] = {
        { "5", "no unit" },
        { "5 seconds", "no unit" },
        { "5sec", "units are" },
        { "-1s", "5s" },
        { "", "5s" },
        { "s", "5s" },
        { "3s later", "units are" },
        { "nan s", "5s" },
    };
    char err[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t us;
        err[0] = '\0';
        assert_int_equal(units_parse_duration(cases[i].text, &us, err, sizeof(err)), -1);
        if (!strstr(err, cases[i].words))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cases[i].text, err, cases[i].words);
    }
}

static void parses_think_times(void **state)
{
    pause_t p;
    char err[200];
    assert_int_equal(units_parse_pause("3s", &p, err, sizeof(err)), 0);
    assert_int_equal(p.kind, PAUSE_CONSTANT);
    assert_int_equal(p.a_us, 3000000);
    assert_int_equal(units_parse_pause("between( 2s ,5s )", &p, err, sizeof(err)), 0);
    assert_int_equal(p.kind, PAUSE_UNIFORM);
    assert_int_equal(p.a_us, 2000000);
    assert_int_equal(p.b_us, 5000000);
    assert_int_equal(units_parse_pause("exponential(300ms)", &p, err, sizeof(err)), 0);
    assert_int_equal(p.kind, PAUSE_EXPONENTIAL);
    assert_int_equal(p.a_us, 300000);
}

static void rejects_bad_think_times(void **state)
{
    pause_t p;
    char err[200];
    assert_int_equal(units_parse_pause("between(5s, 2s)", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must not exceed"));
    assert_int_equal(units_parse_pause("between(5s)", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "between(2s, 5s)"));
    assert_int_equal(units_parse_pause("gaussian(1s)", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "exponential"));
    assert_int_equal(units_parse_pause("between(1, 2s)", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no unit"));
}

static void samples_stay_in_range_and_average_right(void **state)
{
    pause_t u = { PAUSE_UNIFORM, 2000000, 5000000 };
    pause_t e = { PAUSE_EXPONENTIAL, 1000000, 0 };
    pause_t c = { PAUSE_CONSTANT, 777, 0 };
    uint64_t rng = 11;
    double sum_u = 0, sum_e = 0;
    enum { N = 100000 };
    for (int i = 0; i < N; i++) {
        uint64_t v = pause_sample(&u, &rng);
        assert_in_range(v, 2000000, 5000000);
        sum_u += (double)v;
        uint64_t x = pause_sample(&e, &rng);
        assert_true(x <= 10000000);
        sum_e += (double)x;
        assert_int_equal(pause_sample(&c, &rng), 777);
    }
    assert_in_range((uint64_t)(sum_u / N), 3450000, 3550000);
    assert_in_range((uint64_t)(sum_e / N), 970000, 1030000);
}

static void formats_for_people(void **state)
{
    char buf[32];
    units_format_us(850, buf, sizeof(buf));
    assert_string_equal(buf, "850 us");
    units_format_us(12345, buf, sizeof(buf));
    assert_string_equal(buf, "12.3 ms");
    units_format_us(4200000, buf, sizeof(buf));
    assert_string_equal(buf, "4.20 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_duration_unit),
        cmocka_unit_test(rejects_bad_durations_with_advice),
        cmocka_unit_test(parses_think_times),
        cmocka_unit_test(rejects_bad_think_times),
        cmocka_unit_test(samples_stay_in_range_and_average_right),
        cmocka_unit_test(formats_for_people),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
