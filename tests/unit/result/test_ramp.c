/* Unit tests for src/result/ramp.c: the planned and achieved connect rates
 * over the ramp window, merging, and the reports' line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "result/ramp.h"

/* 1,000 users planned over 10 s, 4,120 connected by 10 s: 100/s planned,
 * and achieved over the time it took. */
static void planned_vs_achieved(void **state)
{
    res_ramp_t r;
    ramp_init(&r);
    for (int i = 0; i < 1000; i++)
        ramp_plan(&r, (double)i / 100.0); /* 0 .. 9.99 s */
    assert_int_equal(r.planned, 1000);
    assert_true(r.start_s == 0.0 && r.end_s == 9.99);
    assert_float_equal(ramp_planned_per_s(&r), 1000.0 / 9.99, 1e-9);
    for (int i = 0; i < 800; i++)
        ramp_connected(&r, 2.0 + (double)i / 40.0); /* the last at 21.975 s */
    assert_float_equal(ramp_achieved_per_s(&r), 800.0 / 21.975, 1e-9);
    assert_true(ramp_behind(&r));
}

/* Every user connected within the window: achieved is the plan's rate,
 * not faster (the last connect came before the window ended). */
static void on_plan_is_not_behind(void **state)
{
    res_ramp_t r;
    ramp_init(&r);
    ramp_plan_n(&r, 50, 1.0, 6.0);
    assert_int_equal(r.planned, 50);
    for (int i = 0; i < 50; i++)
        ramp_connected(&r, 1.0 + (double)i / 10.0);
    assert_float_equal(ramp_planned_per_s(&r), 10.0, 1e-9);
    assert_float_equal(ramp_achieved_per_s(&r), 10.0, 1e-9);
    assert_false(ramp_behind(&r));
    char line[256];
    ramp_line(&r, line, sizeof line);
    assert_string_equal(line, "");
    r.waited = 1; /* any wait for a slot is reported */
    assert_true(ramp_behind(&r));
}

/* Everyone planned at once: the window counts as 1 s. */
static void instant_ramp_window(void **state)
{
    res_ramp_t r;
    ramp_init(&r);
    ramp_plan_n(&r, 1, 0.0, 0.0);
    assert_int_equal(r.planned, 1);
    for (int i = 0; i < 499; i++)
        ramp_plan(&r, 0.0);
    assert_float_equal(ramp_planned_per_s(&r), 500.0, 1e-9);
    assert_float_equal(ramp_achieved_per_s(&r), 0.0, 1e-9);
    res_ramp_t none;
    ramp_init(&none);
    assert_float_equal(ramp_planned_per_s(&none), 0.0, 0);
    assert_false(ramp_behind(&none));
}

static void merge_adds_and_widens(void **state)
{
    res_ramp_t a, b, unknown = { 0 };
    ramp_init(&a);
    ramp_init(&b);
    ramp_plan_n(&a, 10, 2.0, 4.0);
    ramp_plan_n(&b, 30, 0.5, 3.0);
    ramp_connected(&a, 5.0);
    ramp_connected(&b, 7.5);
    a.max_connecting = b.max_connecting = 2000;
    a.waited = 3;
    b.max_waiting = 9;
    a.max_wait_s = 1.25;
    ramp_merge(&a, &b);
    ramp_merge(&a, &unknown); /* a file from before: changes nothing */
    assert_int_equal(a.planned, 40);
    assert_true(a.start_s == 0.5 && a.end_s == 4.0 && a.last_connected_s == 7.5);
    assert_int_equal(a.connected, 2);
    assert_int_equal(a.max_connecting, 4000);
    assert_int_equal(a.max_waiting, 9);
    assert_true(a.max_wait_s == 1.25);
}

static void the_reports_line(void **state)
{
    res_ramp_t r;
    ramp_init(&r);
    ramp_plan_n(&r, 10000, 0.0, 10.0);
    for (int i = 0; i < 4120; i++)
        ramp_connected(&r, 10.0 * (double)i / 4119.0);
    r.waited = 9000;
    r.max_waiting = 7300;
    r.max_wait_s = 4.06;
    r.max_connecting = 2000;
    char line[256];
    ramp_line(&r, line, sizeof line);
    assert_string_equal(line, "ramp: 1,000/s planned, 412/s achieved; up to 7,300 users waited "
                              "for a connect slot (max 4.1 s, load.max_connecting 2000)");
    r.waited = 0;
    ramp_line(&r, line, sizeof line);
    assert_string_equal(line, "ramp: 1,000/s planned, 412/s achieved");
}

static void round_to_ms(void **state)
{
    res_ramp_t r;
    ramp_init(&r);
    ramp_plan_n(&r, 3, 0.0004, 2.0006);
    r.max_wait_s = 1.23456;
    ramp_round(&r);
    assert_true(r.start_s == 0.0 && r.end_s == 2.001 && r.max_wait_s == 1.235);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(planned_vs_achieved), cmocka_unit_test(on_plan_is_not_behind),
        cmocka_unit_test(instant_ramp_window), cmocka_unit_test(merge_adds_and_widens),
        cmocka_unit_test(the_reports_line),    cmocka_unit_test(round_to_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
