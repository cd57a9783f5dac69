/* Unit tests for src/load.c: per-user schedules from load stages, and
 * scenario assignment by weight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load.h"

#define S 1000000ull

static spec_t shape(spec_stage_t *stages, size_t n)
{
    spec_t s = { 0 };
    s.stages = stages;
    s.nstages = n;
    for (size_t i = 0; i < n; i++) {
        s.duration_us += stages[i].duration_us;
        if (stages[i].users > s.peak_users)
            s.peak_users = stages[i].users;
    }
    return s;
}

static void constant_users_start_together_and_stay(void **state)
{
    spec_stage_t st[] = { { 0, 10 }, { 30 * S, 10 } };
    spec_t s = shape(st, 2);
    uint64_t start, stop;
    for (uint32_t k = 0; k < 10; k++) {
        assert_true(load_interval(&s, k, 0, &start, &stop));
        assert_int_equal(start, 0);
        assert_int_equal(stop, 30 * S);
    }
    assert_false(load_interval(&s, 10, 0, &start, &stop));
}

static void ramp_up_spreads_starts_evenly(void **state)
{
    spec_stage_t st[] = { { 5 * S, 50 }, { 15 * S, 50 } };
    spec_t s = shape(st, 2);
    uint64_t start, stop;
    assert_true(load_interval(&s, 0, 0, &start, &stop));
    assert_int_equal(start, 0);
    assert_true(load_interval(&s, 1, 0, &start, &stop));
    assert_int_equal(start, 100000); /* 5 s / 50 users */
    assert_true(load_interval(&s, 49, 0, &start, &stop));
    assert_int_equal(start, 4900000);
    assert_int_equal(stop, 20 * S);
}

static void ramp_down_stops_highest_first(void **state)
{
    spec_stage_t st[] = { { 0, 4 }, { 10 * S, 4 }, { 4 * S, 0 } };
    spec_t s = shape(st, 3);
    uint64_t start, stop;
    assert_true(load_interval(&s, 3, 0, &start, &stop));
    assert_int_equal(stop, 11 * S); /* first to leave */
    assert_true(load_interval(&s, 0, 0, &start, &stop));
    assert_int_equal(stop, 14 * S); /* last to leave */
}

static void user_returns_in_a_later_ramp(void **state)
{
    spec_stage_t st[] = {
        { 0, 2 }, { 10 * S, 2 }, { 0, 1 }, { 10 * S, 1 }, { 0, 2 }, { 10 * S, 2 }
    };
    spec_t s = shape(st, 6);
    uint64_t start, stop;
    assert_true(load_interval(&s, 1, 0, &start, &stop));
    assert_int_equal(start, 0);
    assert_int_equal(stop, 10 * S);
    assert_true(load_interval(&s, 1, stop, &start, &stop));
    assert_int_equal(start, 20 * S);
    assert_int_equal(stop, 30 * S);
    assert_false(load_interval(&s, 1, 30 * S, &start, &stop));
}

static void scenarios_follow_weights_exactly(void **state)
{
    spec_scenario_t sc[2] = { { .weight = 3 }, { .weight = 1 } };
    spec_t s = { 0 };
    s.scenarios = sc;
    s.nscenarios = 2;
    s.scenario_weight_sum = 4;
    unsigned count[2] = { 0, 0 };
    for (uint32_t k = 0; k < 400; k++)
        count[load_scenario_for(&s, k)]++;
    assert_int_equal(count[0], 300);
    assert_int_equal(count[1], 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_users_start_together_and_stay),
        cmocka_unit_test(ramp_up_spreads_starts_evenly),
        cmocka_unit_test(ramp_down_stops_highest_first),
        cmocka_unit_test(user_returns_in_a_later_ramp),
        cmocka_unit_test(scenarios_follow_weights_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
