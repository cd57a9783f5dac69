/* Unit tests for src/engine/connq.c: at most limit connects in flight, the
 * others wait in FIFO order, leave the line from any place, and the waits
 * are counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/connq.h"

static void slots_then_line_in_order(void **state)
{
    connq_t q = { 0 };
    assert_int_equal(connq_init(&q, 8, 2), 0);
    assert_true(connq_enter(&q, 0, 100));
    assert_true(connq_enter(&q, 1, 100));
    assert_false(connq_enter(&q, 2, 110)); /* both slots taken: waits */
    assert_false(connq_enter(&q, 3, 120));
    assert_true(connq_waiting(&q, 2));
    assert_int_equal(q.flight, 2);
    uint32_t id;
    assert_false(connq_next(&q, &id, 130)); /* no slot free yet */
    assert_false(connq_leave(&q, 0, 150));  /* held a slot, not waiting */
    assert_true(connq_next(&q, &id, 150));
    assert_int_equal(id, 2); /* first come, first served */
    assert_false(connq_next(&q, &id, 150));
    connq_leave(&q, 1, 400);
    assert_true(connq_next(&q, &id, 400));
    assert_int_equal(id, 3);
    assert_int_equal(q.waited, 2);
    assert_int_equal(q.max_wait_us, 280); /* 3 waited from 120 to 400 */
    assert_int_equal(q.flight, 2);
    connq_release(&q);
}

/* A newcomer never overtakes those waiting, even when a slot is free
 * before the line has been served. */
static void no_overtaking(void **state)
{
    connq_t q = { 0 };
    assert_int_equal(connq_init(&q, 4, 1), 0);
    assert_true(connq_enter(&q, 0, 0));
    assert_false(connq_enter(&q, 1, 0));
    connq_leave(&q, 0, 10);
    assert_false(connq_enter(&q, 2, 10)); /* 1 is first in line */
    uint32_t id;
    assert_true(connq_next(&q, &id, 10));
    assert_int_equal(id, 1);
    connq_release(&q);
}

/* Leaving the line from its head, middle or tail keeps the others in order. */
static void leave_from_any_place(void **state)
{
    connq_t q = { 0 };
    assert_int_equal(connq_init(&q, 8, 1), 0);
    assert_true(connq_enter(&q, 7, 0));
    for (uint32_t i = 0; i < 5; i++)
        assert_false(connq_enter(&q, i, 0));
    assert_true(connq_leave(&q, 0, 50));  /* head */
    assert_true(connq_leave(&q, 2, 60));  /* middle */
    assert_true(connq_leave(&q, 4, 70));  /* tail */
    assert_false(connq_leave(&q, 4, 70)); /* twice is harmless */
    assert_int_equal(q.len, 2);
    assert_int_equal(q.max_wait_us, 70); /* a wait that ended without a slot counts too */
    uint32_t id;
    connq_leave(&q, 7, 80);
    assert_true(connq_next(&q, &id, 80));
    assert_int_equal(id, 1);
    connq_leave(&q, 1, 90);
    assert_true(connq_next(&q, &id, 90));
    assert_int_equal(id, 3);
    assert_false(connq_next(&q, &id, 90));
    assert_false(connq_enter(&q, 5, 95) && q.len); /* slot held by 3: waits */
    assert_int_equal(q.len, 1);
    connq_release(&q);
}

static void default_limit(void **state)
{
    connq_t q = { 0 };
    assert_int_equal(connq_init(&q, 3, 0), 0);
    assert_int_equal(q.limit, CONNQ_DEFAULT_LIMIT);
    for (uint32_t i = 0; i < 3; i++)
        assert_true(connq_enter(&q, i, 0));
    connq_release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slots_then_line_in_order),
        cmocka_unit_test(no_overtaking),
        cmocka_unit_test(leave_from_any_place),
        cmocka_unit_test(default_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
