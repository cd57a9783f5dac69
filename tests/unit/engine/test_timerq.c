/* Unit tests for src/engine/timerq.c: ordering, moves, cancels, against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/rng.h"
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

/* Random operations against a plain array model: the heap must always
 * pop the entry with the smallest deadline. */
static void matches_model_under_random_operations(void **state)
{
    enum { N = 200 };
    uint64_t model[N];
    int queued[N] = { 0 };
    timerq_t *q = timerq_new(N);
    uint64_t rng = 42;
    for (int step = 0; step < 20000; step++) {
        uint32_t id = (uint32_t)rng_range(&rng, 0, N - 1);
        int op = (int)rng_range(&rng, 0, 3);
        if (op <= 1) {
            model[id] = (uint64_t)rng_range(&rng, 0, 100000);
            queued[id] = 1;
            timerq_set(q, id, model[id]);
        } else if (op == 2) {
            queued[id] = 0;
            timerq_cancel(q, id);
        } else {
            uint64_t best = UINT64_MAX;
            for (int i = 0; i < N; i++)
                if (queued[i] && model[i] < best)
                    best = model[i];
            uint32_t got;
            uint64_t due;
            if (best == UINT64_MAX) {
                assert_false(timerq_peek(q, &got, &due));
                continue;
            }
            assert_true(timerq_pop_due(q, best, &got));
            assert_int_equal(model[got], best);
            assert_true(queued[got]);
            queued[got] = 0;
        }
    }
    size_t count = 0;
    for (int i = 0; i < N; i++)
        count += (size_t)queued[i];
    assert_int_equal(timerq_size(q), count);
    timerq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_deadline_order),
        cmocka_unit_test(set_moves_existing_entry),
        cmocka_unit_test(cancel_removes_only_that_id),
        cmocka_unit_test(matches_model_under_random_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
