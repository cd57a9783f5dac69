/* Unit tests for src/base/heap.c: ordering, moves, cancels, growth, against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/heap.h"
#include "base/rng.h"

/* Pops every node due at now, in order, into out (as indexes in base) and
 * their keys into keys; returns how many. */
static size_t pop_all(heap_t *h, uint64_t now, const heap_node_t *base, size_t *out, uint64_t *keys,
                      size_t max)
{
    size_t n = 0;
    heap_node_t *x;
    while (n < max && (x = heap_min(h)) && heap_key(h, x) <= now) {
        keys[n] = heap_key(h, x);
        assert_ptr_equal(heap_pop_due(h, now), x);
        out[n++] = (size_t)(x - base);
    }
    assert_true(n == max || !heap_pop_due(h, now));
    return n;
}

static void pops_in_key_order(void **state)
{
    heap_t h = { 0 };
    heap_node_t x[8] = { 0 };
    assert_int_equal(heap_set(&h, &x[3], 30), 0);
    assert_int_equal(heap_set(&h, &x[1], 10), 0);
    assert_int_equal(heap_set(&h, &x[7], 70), 0);
    assert_int_equal(heap_set(&h, &x[2], 20), 0);
    assert_null(heap_pop_due(&h, 9));
    assert_ptr_equal(heap_pop_due(&h, 25), &x[1]);
    assert_false(heap_queued(&x[1]));
    assert_ptr_equal(heap_pop_due(&h, 25), &x[2]);
    assert_null(heap_pop_due(&h, 25));
    assert_int_equal(heap_size(&h), 2);
    assert_ptr_equal(heap_min(&h), &x[3]);
    assert_int_equal(heap_key(&h, heap_min(&h)), 30);
    heap_free(&h);
    assert_null(heap_min(&h));
    assert_int_equal(heap_size(&h), 0);
}

static void set_moves_a_queued_node(void **state)
{
    heap_t h = { 0 };
    heap_node_t x[2] = { 0 };
    heap_set(&h, &x[0], 100);
    heap_set(&h, &x[1], 50);
    heap_set(&h, &x[0], 10); /* earlier */
    assert_ptr_equal(heap_min(&h), &x[0]);
    assert_int_equal(heap_key(&h, &x[0]), 10);
    heap_set(&h, &x[0], 200); /* later */
    assert_ptr_equal(heap_min(&h), &x[1]);
    assert_int_equal(heap_size(&h), 2);
    heap_free(&h);
}

static void cancel_removes_only_that_node(void **state)
{
    heap_t h = { 0 };
    heap_node_t x[3] = { 0 };
    heap_set(&h, &x[0], 1);
    heap_set(&h, &x[1], 2);
    heap_set(&h, &x[2], 3);
    heap_cancel(&h, &x[0]);
    heap_cancel(&h, &x[0]); /* twice is harmless */
    assert_false(heap_queued(&x[0]));
    assert_true(heap_queued(&x[1]));
    assert_ptr_equal(heap_pop_due(&h, 10), &x[1]);
    assert_ptr_equal(heap_pop_due(&h, 10), &x[2]);
    assert_null(heap_min(&h));
    heap_free(&h);
}

/* 200 nodes: the array doubles past its first 64 cells and keeps order. */
static void grows_and_keeps_order(void **state)
{
    heap_t h = { 0 };
    heap_node_t x[200];
    memset(x, 0, sizeof(x));
    for (size_t i = 0; i < 200; i++) /* due in a shuffled order */
        assert_int_equal(heap_set(&h, &x[i], 1000 + (i * 7919) % 200), 0);
    heap_cancel(&h, &x[5]);                         /* due 1000 + 39595 % 200 = 1195 */
    assert_int_equal(heap_set(&h, &x[0], 5000), 0); /* moved later */
    assert_int_equal(heap_set(&h, &x[7], 10), 0);   /* moved first */
    assert_int_equal(heap_key(&h, heap_min(&h)), 10);
    size_t order[200];
    uint64_t key[200];
    size_t n = pop_all(&h, 1100, x, order, key, 200);
    /* x[7], then keys 1000..1100 but x[0] (1000) and x[7] (was 1033) */
    assert_int_equal(n, 1 + 99);
    assert_int_equal(order[0], 7);
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(key[i], 1000 + (order[i] * 7919) % 200);
        assert_true(key[i] >= key[i - 1]);
        assert_true(key[i] <= 1100);
        assert_false(heap_queued(&x[order[i]]));
    }
    assert_int_equal(pop_all(&h, 4999, x, order, key, 200), 98); /* 1101..1199 but x[5] */
    assert_int_equal(pop_all(&h, 5000, x, order, key, 200), 1);
    assert_int_equal(order[0], 0);
    assert_null(heap_min(&h));
    heap_free(&h);
}

/* A reserved heap takes exactly that many nodes without growing. */
static void reserve_makes_room(void **state)
{
    heap_t h = { 0 };
    heap_node_t x[10] = { 0 };
    assert_int_equal(heap_reserve(&h, 10), 0);
    assert_int_equal(heap_reserve(&h, 3), 0); /* never shrinks */
    const heap_cell_t *v = h.v;
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(heap_set(&h, &x[i], 10 - i), 0);
    assert_ptr_equal(h.v, v);
    assert_ptr_equal(heap_min(&h), &x[9]);
    heap_free(&h);
}

/* The smallest key the model holds, or UINT64_MAX when it holds none. */
static uint64_t model_min(const uint64_t *key, const int *queued, int n)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < n; i++)
        if (queued[i] && key[i] < best)
            best = key[i];
    return best;
}

/* Every parent's key <= its children's; every node knows its cell. */
static void assert_heap_ok(const heap_t *h)
{
    for (size_t i = 0; i < h->n; i++) {
        assert_int_equal(h->v[i].node->slot, i + 1);
        if (i > 0)
            assert_true(h->v[(i - 1) / 2].key <= h->v[i].key);
    }
}

/* Random operations against a plain array model: the heap must always
 * pop a node with the smallest key, and every node knows its place. */
static void matches_model_under_random_operations(void **state)
{
    enum { N = 200 };
    uint64_t model[N];
    int queued[N] = { 0 };
    heap_node_t x[N];
    memset(x, 0, sizeof(x));
    heap_t h = { 0 };
    uint64_t rng = 42;
    for (int step = 0; step < 20000; step++) {
        int id = (int)rng_range(&rng, 0, N - 1);
        int op = (int)rng_range(&rng, 0, 3);
        if (op <= 1) {
            model[id] = (uint64_t)rng_range(&rng, 0, 100000);
            queued[id] = 1;
            assert_int_equal(heap_set(&h, &x[id], model[id]), 0);
        } else if (op == 2) {
            queued[id] = 0;
            heap_cancel(&h, &x[id]);
        } else {
            uint64_t best = model_min(model, queued, N);
            if (best == UINT64_MAX) {
                assert_null(heap_min(&h));
                continue;
            }
            heap_node_t *got = heap_pop_due(&h, best);
            assert_non_null(got);
            assert_int_equal(model[got - x], best);
            assert_true(queued[got - x]);
            queued[got - x] = 0;
        }
        assert_int_equal(heap_queued(&x[id]), queued[id]);
        if (step % 1000 == 0)
            assert_heap_ok(&h);
    }
    assert_heap_ok(&h);
    size_t count = 0;
    for (int i = 0; i < N; i++)
        count += (size_t)queued[i];
    assert_int_equal(heap_size(&h), count);
    heap_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_key_order),
        cmocka_unit_test(set_moves_a_queued_node),
        cmocka_unit_test(cancel_removes_only_that_node),
        cmocka_unit_test(grows_and_keeps_order),
        cmocka_unit_test(reserve_makes_room),
        cmocka_unit_test(matches_model_under_random_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
