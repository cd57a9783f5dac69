/* Unit tests for src/engine/wsrand.c: the per-thread random pool that replaces
 * libwebsockets' read(2) of /dev/urandom per client frame mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libwebsockets.h>
#include <pthread.h>
#include <string.h>

#include "engine/wsrand.h"

/* 4-byte requests (a frame mask each) refill once per WSRAND_BLOCK bytes,
 * and the bytes look random: every byte value turns up in 64 KiB. */
static void test_masks_share_one_refill_per_block(void **state)
{
    enum { MASKS = 16384 };
    uint64_t r0 = wsrand_refills(), s0 = wsrand_bytes_served();
    unsigned seen[256] = { 0 };
    for (int i = 0; i < MASKS; i++) {
        unsigned char mask[4];
        assert_int_equal(wsrand_bytes(mask, 4), 4);
        for (int k = 0; k < 4; k++)
            seen[mask[k]]++;
    }
    assert_int_equal(wsrand_bytes_served() - s0, MASKS * 4);
    uint64_t refills = wsrand_refills() - r0;
    assert_true(refills >= MASKS * 4 / WSRAND_BLOCK);
    assert_true(refills <= MASKS * 4 / WSRAND_BLOCK + 1);
    for (int b = 0; b < 256; b++)
        assert_true(seen[b] > 0);
}

/* Requests larger than the pool and across its edge are served whole, and
 * two consecutive requests never repeat the same bytes. */
static void test_requests_across_the_pool_edge(void **state)
{
    unsigned char big[3 * WSRAND_BLOCK + 7], a[16], b[16];
    assert_int_equal(wsrand_bytes(big, sizeof(big)), sizeof(big));
    unsigned char zero[64] = { 0 };
    assert_memory_not_equal(big + sizeof(big) - 64, zero, 64);
    for (int i = 0; i < 3 * WSRAND_BLOCK; i++) {
        assert_int_equal(wsrand_bytes(a, sizeof(a)), sizeof(a));
        assert_int_equal(wsrand_bytes(b, sizeof(b)), sizeof(b));
        assert_memory_not_equal(a, b, sizeof(a));
    }
}

/* libwebsockets' own calls land here: lws_hex_random() inside the shared
 * library asks lws_get_random() for (len - 1) / 2 bytes. If the override
 * were not linked, the counter would not move. */
static void test_library_calls_reach_the_pool(void **state)
{
    char hex[33];
    uint64_t s0 = wsrand_bytes_served();
    assert_int_equal(lws_hex_random(NULL, hex, sizeof(hex)), 0);
    assert_int_equal(wsrand_bytes_served() - s0, 16);
    assert_int_equal(strlen(hex), 32);
}

static void *draw(void *arg)
{
    unsigned char *out = arg;
    for (int i = 0; i < 1000; i++)
        wsrand_bytes(out, 4);
    return NULL;
}

/* Each thread has its own pool: two threads drawing at once get different
 * bytes (a shared unsynchronised pool could hand both the same ones). */
static void test_threads_have_their_own_pools(void **state)
{
    unsigned char a[4], b[4];
    pthread_t ta, tb;
    uint64_t r0 = wsrand_refills();
    pthread_create(&ta, NULL, draw, a);
    pthread_create(&tb, NULL, draw, b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_memory_not_equal(a, b, 4);
    /* each thread refilled its own pool: 2 x ceil(4000 / BLOCK) */
    assert_int_equal(wsrand_refills() - r0, 2 * ((4000 + WSRAND_BLOCK - 1) / WSRAND_BLOCK));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masks_share_one_refill_per_block),
        cmocka_unit_test(test_requests_across_the_pool_edge),
        cmocka_unit_test(test_library_calls_reach_the_pool),
        cmocka_unit_test(test_threads_have_their_own_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
