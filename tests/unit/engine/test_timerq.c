/* Unit tests for src/engine/timerq.c: ids over base/heap (its ordering: test_heap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/timerq.h"

static void pops_in_deadline_order(void **state)
{
    timerq_t *q = timerq_new(8);
    timerq_set(q, 3, 30);
    timerq_set(q, 1, 10);
    timerq_set(q, 7, 70);
    timerq_set(q, 2, 20);
    uint32_t id;
    assert_false(timerq_pop_due(q, 9, &id));
    assert_true(timerq_pop_due(q, 25, &id));
    assert_int_equal(id, 1);
    assert_true(timerq_pop_due(q, 25, &id));
    assert_int_equal(id, 2);
    assert_false(timerq_pop_due(q, 25, &id));
    assert_int_equal(timerq_size(q), 2);
    timerq_free(q);
}

static void set_moves_existing_entry(void **state)
{
    timerq_t *q = timerq_new(4);
    timerq_set(q, 0, 100);
    timerq_set(q, 1, 50);
    timerq_set(q, 0, 10); /* earlier */
    uint32_t id;
    uint64_t due;
    assert_true(timerq_peek(q, &id, &due));
    assert_int_equal(id, 0);
    assert_int_equal(due, 10);
    timerq_set(q, 0, 200); /* later */
    assert_true(timerq_peek(q, &id, &due));
    assert_int_equal(id, 1);
    assert_int_equal(timerq_size(q), 2);
    timerq_free(q);
}

static void cancel_removes_only_that_id(void **state)
{
    timerq_t *q = timerq_new(4);
    timerq_set(q, 0, 1);
    timerq_set(q, 1, 2);
    timerq_set(q, 2, 3);
    timerq_cancel(q, 0);
    timerq_cancel(q, 0); /* twice is harmless */
    assert_false(timerq_pending(q, 0));
    assert_true(timerq_pending(q, 1));
    uint32_t id;
    assert_true(timerq_pop_due(q, 10, &id));
    assert_int_equal(id, 1);
    assert_true(timerq_pop_due(q, 10, &id));
    assert_int_equal(id, 2);
    assert_false(timerq_peek(q, &id, &(uint64_t){ 0 }));
    timerq_free(q);
}

/* Ids map to their own entries while the heap moves them around. */
static void ids_survive_many_moves(void **state)
{
    enum { N = 100 };
    timerq_t *q = timerq_new(N);
    for (uint32_t i = 0; i < N; i++)
        timerq_set(q, i, 1000 + (i * 37) % N);
    for (uint32_t i = 0; i < N; i += 2)
        timerq_set(q, i, 500 + i); /* even ids first, in id order */
    uint32_t id;
    uint64_t due;
    for (uint32_t i = 0; i < N; i += 2) {
        assert_true(timerq_peek(q, &id, &due));
        assert_int_equal(id, i);
        assert_int_equal(due, 500 + i);
        assert_true(timerq_pop_due(q, due, &id));
        assert_int_equal(id, i);
        assert_false(timerq_pending(q, i));
    }
    assert_int_equal(timerq_size(q), N / 2);
    timerq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_deadline_order),
        cmocka_unit_test(set_moves_existing_entry),
        cmocka_unit_test(cancel_removes_only_that_id),
        cmocka_unit_test(ids_survive_many_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
