/* Unit tests for src/spec/load.c: per-user schedules from load stages, and
 * scenario assignment by weight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "spec/load.h"

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

/* ---- open model ---- */

static spec_t open_shape(spec_arrival_stage_t *st, size_t n)
{
    spec_t s = { 0 };
    s.open_model = true;
    s.open.stages = st;
    s.open.nstages = n;
    for (size_t i = 0; i < n; i++)
        s.duration_us += st[i].duration_us;
    return s;
}

static void constant_rate_arrives_every_1_over_rate(void **state)
{
    spec_arrival_stage_t st[] = { { 0, 20 }, { 4 * S, 20 } };
    spec_t s = open_shape(st, 2);
    assert_int_equal(load_arrivals_total(&s), 80);
    for (uint64_t k = 0; k < 80; k++)
        assert_int_equal(load_arrival_time(&s, k), k * 50000);
    spec_arrival_stage_t odd[] = { { 0, 3 }, { 10 * S, 3 } }; /* 1/3 s apart, rounded */
    s = open_shape(odd, 2);
    assert_int_equal(load_arrivals_total(&s), 30);
    assert_int_equal(load_arrival_time(&s, 1), 333333);
    assert_int_equal(load_arrival_time(&s, 2), 666667);
    assert_int_equal(load_arrival_time(&s, 29), 9666667);
}

static void fractional_total_rounds_up(void **state)
{
    spec_arrival_stage_t st[] = { { 0, 2.5 }, { 1 * S, 2.5 } }; /* 0, 0.4, 0.8 s */
    spec_t s = open_shape(st, 2);
    assert_int_equal(load_arrivals_total(&s), 3);
    assert_int_equal(load_arrival_time(&s, 2), 800000);
    assert_true(load_arrival_time(&s, 2) < s.duration_us);
}

static void ramp_follows_the_rate_integral(void **state)
{
    /* 0 -> 10/s over 10 s: N(t) = t^2 / 2, so arrival k comes at sqrt(2k). */
    spec_arrival_stage_t st[] = { { 10 * S, 10 }, { 5 * S, 10 } };
    spec_t s = open_shape(st, 2);
    assert_int_equal(load_arrivals_total(&s), 50 + 50);
    assert_int_equal(load_arrival_time(&s, 0), 0);
    assert_int_equal(load_arrival_time(&s, 2), 2 * S);
    assert_int_equal(load_arrival_time(&s, 32), 8 * S);
    assert_int_equal(load_arrival_time(&s, 50), 10 * S); /* the hold starts */
    assert_int_equal(load_arrival_time(&s, 55), 10 * S + 500000);
    uint64_t prev = 0;
    for (uint64_t k = 1; k < 100; k++) { /* strictly increasing, inside the run */
        uint64_t t = load_arrival_time(&s, k);
        assert_true(t > prev);
        assert_true(t < s.duration_us);
        prev = t;
    }
}

static void ramp_down_and_jump(void **state)
{
    /* jump to 10/s, hold 2 s (20), ramp down to 0 over 2 s (10) */
    spec_arrival_stage_t st[] = { { 0, 10 }, { 2 * S, 10 }, { 2 * S, 0 } };
    spec_t s = open_shape(st, 3);
    assert_int_equal(load_arrivals_total(&s), 30);
    /* N(2 + u) = 20 + 10u - 2.5u^2: 25 at u = 2 - sqrt(2) */
    uint64_t t = load_arrival_time(&s, 25);
    assert_true(t >= 2585786 && t <= 2585787);
    assert_true(load_arrival_time(&s, 29) < 4 * S);
}

static void slices_add_up_to_the_whole(void **state)
{
    uint64_t totals[] = { 0, 1, 7, 80, 1001 };
    for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++) {
        uint64_t total = totals[t];
        for (uint64_t n = 1; n <= 5; n++) {     /* shards */
            for (uint64_t w = 1; w <= 3; w++) { /* workers per shard */
                unsigned char seen[1001] = { 0 };
                uint64_t sum = 0;
                for (uint64_t k = 0; k < n; k++)
                    for (uint64_t i = 0; i < w; i++) {
                        load_slice_t sl = load_slice(total, i * n + k, w * n);
                        for (uint64_t j = 0; j < sl.count; j++) {
                            uint64_t a = sl.first + j * sl.step;
                            assert_true(a < total);
                            seen[a]++;
                        }
                        sum += sl.count;
                    }
                assert_int_equal(sum, total);
                for (uint64_t a = 0; a < total; a++)
                    assert_int_equal(seen[a], 1);
            }
        }
    }
    assert_int_equal(load_share(80, 0, 2) + load_share(80, 1, 2), 80);
    assert_int_equal(load_share(5, 3, 2), 1);
    assert_int_equal(load_share(3, 3, 4), 0);
}

static void pool_drops_at_the_cap_and_reuses_slots(void **state)
{
    load_pool_t p;
    uint32_t a, b, c, d;
    assert_int_equal(load_pool_init(&p, 3), 0);
    assert_true(load_pool_take(&p, &a));
    assert_true(load_pool_take(&p, &b));
    assert_true(load_pool_take(&p, &c));
    assert_int_equal(a, 0);
    assert_true(a != b && b != c && a != c && c < 3);
    assert_false(load_pool_take(&p, &d)); /* max_users running: dropped */
    load_pool_give(&p, b);
    assert_true(load_pool_take(&p, &d));
    assert_int_equal(d, b); /* the freed slot is reused: memory stays at cap */
    assert_false(load_pool_take(&p, &d));
    load_pool_release(&p);
}

static void closed_model_has_no_arrivals(void **state)
{
    spec_stage_t st[] = { { 0, 10 }, { 30 * S, 10 } };
    spec_t s = shape(st, 2);
    assert_int_equal(load_arrivals_total(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_users_start_together_and_stay),
        cmocka_unit_test(ramp_up_spreads_starts_evenly),
        cmocka_unit_test(ramp_down_stops_highest_first),
        cmocka_unit_test(user_returns_in_a_later_ramp),
        cmocka_unit_test(scenarios_follow_weights_exactly),
        cmocka_unit_test(constant_rate_arrives_every_1_over_rate),
        cmocka_unit_test(fractional_total_rounds_up),
        cmocka_unit_test(ramp_follows_the_rate_integral),
        cmocka_unit_test(ramp_down_and_jump),
        cmocka_unit_test(slices_add_up_to_the_whole),
        cmocka_unit_test(pool_drops_at_the_cap_and_reuses_slots),
        cmocka_unit_test(closed_model_has_no_arrivals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
