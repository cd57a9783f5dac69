/* Tests for src/spec/shard.c: K/N parsing, detection from the job engines'
 * variables (explicit WSGATE_SHARD first), and start times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/load.h"
#include "spec/shard.h"
#include "helpers.h"

static void clear_env(void)
{
    unsetenv("WSGATE_SHARD");
    unsetenv("CI_NODE_INDEX");
    unsetenv("CI_NODE_TOTAL");
    unsetenv("JOB_COMPLETION_INDEX");
    unsetenv("WSGATE_SHARD_TOTAL");
}

static void test_parse_ok(void **state)
{
    shard_t s;
    char err[160];
    assert_int_equal(shard_parse("2/4", &s, err, sizeof(err)), 0);
    assert_int_equal(s.index, 2);
    assert_int_equal(s.total, 4);
    assert_int_equal(shard_parse("1/1", &s, err, sizeof(err)), 0);
    assert_int_equal(shard_parse("100000/100000", &s, err, sizeof(err)), 0);
    assert_int_equal(s.index, 100000);
}

static void test_parse_bad(void **state)
{
    const char *bad[] = { "0/4",  "5/4", "2",  "2/0", "-1/4",     "a/b",
                          "2/4x", "",    "/4", "2/",  "1/100001", "99999999999999999999/4" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        shard_t s;
        char err[160] = "";
        if (shard_parse(bad[i], &s, err, sizeof(err)) != -1)
            fail_msg("\"%s\" parsed", bad[i]);
        assert_contains(err, "2/4");
    }
}

static void test_env_gitlab(void **state)
{
    shard_t s;
    char err[160];
    clear_env();
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), 0);
    assert_int_equal(s.total, 0);
    setenv("CI_NODE_INDEX", "3", 1);
    setenv("CI_NODE_TOTAL", "5", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), 1);
    assert_int_equal(s.index, 3);
    assert_int_equal(s.total, 5);
    assert_string_equal(s.source, "CI_NODE_INDEX");
    setenv("CI_NODE_INDEX", "0", 1); /* GitLab counts from 1 */
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), -1);
    assert_contains(err, "CI_NODE_INDEX");
    unsetenv("CI_NODE_TOTAL");
    setenv("CI_NODE_INDEX", "1", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), -1);
    assert_contains(err, "CI_NODE_TOTAL");
    clear_env();
}

static void test_env_kubernetes(void **state)
{
    shard_t s;
    char err[160];
    clear_env();
    setenv("JOB_COMPLETION_INDEX", "0", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), -1);
    assert_contains(err, "WSGATE_SHARD_TOTAL");
    setenv("WSGATE_SHARD_TOTAL", "4", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), 1);
    assert_int_equal(s.index, 1); /* 0-based index 0 is shard 1 */
    assert_int_equal(s.total, 4);
    setenv("JOB_COMPLETION_INDEX", "4", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), -1);
    setenv("JOB_COMPLETION_INDEX", "3", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), 1);
    assert_int_equal(s.index, 4);
    /* WSGATE_SHARD wins over the engines' variables */
    setenv("WSGATE_SHARD", "2/7", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), 1);
    assert_int_equal(s.index, 2);
    assert_int_equal(s.total, 7);
    setenv("WSGATE_SHARD", "9/7", 1);
    assert_int_equal(shard_from_env(&s, err, sizeof(err)), -1);
    assert_contains(err, "WSGATE_SHARD");
    clear_env();
}

static void test_time(void **state)
{
    double t;
    char err[160];
    assert_int_equal(shard_parse_time("2026-11-28T10:00:00Z", &t, err, sizeof(err)), 0);
    assert_true(t == 1795860000.0);
    assert_int_equal(shard_parse_time("2026-11-28T11:00:00+01:00", &t, err, sizeof(err)), 0);
    assert_true(t == 1795860000.0);
    assert_int_equal(shard_parse_time("2026-11-28T10:00:00.5Z", &t, err, sizeof(err)), 0);
    assert_true(t == 1795860000.5);
    assert_int_equal(shard_parse_time("1795860000", &t, err, sizeof(err)), 0);
    assert_true(t == 1795860000.0);
    const char *bad[] = { "tomorrow",
                          "2026-11-28 10:00:00",
                          "2026-11-28T10:00:00",
                          "2026-13-01T00:00:00Z",
                          "0",
                          "",
                          "0x10",
                          "1e3",
                          "2026-11-28T10:00:00.5e3Z",
                          "2026-11-28T10:00:00+-1:00",
                          "2026-11-28T10:00:00." };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (shard_parse_time(bad[i], &t, err, sizeof(err)) != -1)
            fail_msg("\"%s\" parsed", bad[i]);
        assert_contains(err, "RFC 3339");
    }
}

/* --shard K/N of an open-model spec: arrival k runs in shard k % N + 1, so
 * the N slices hold every arrival exactly once, on its global schedule. */
static void test_shards_slice_arrivals_exactly(void **state)
{
    spec_arrival_stage_t st[] = { { 2000000, 7 }, { 3000000, 7 } }; /* ramp, then hold */
    spec_t spec = { 0 };
    spec.open_model = true;
    spec.open.stages = st;
    spec.open.nstages = 2;
    spec.duration_us = 5000000;
    uint64_t total = load_arrivals_total(&spec); /* 7 + 21 */
    assert_int_equal(total, 28);
    for (unsigned n = 1; n <= 5; n++) {
        unsigned char seen[28] = { 0 };
        uint64_t sum = 0;
        for (unsigned k = 1; k <= n; k++) {
            char text[16], err[160];
            shard_t sh;
            snprintf(text, sizeof(text), "%u/%u", k, n);
            assert_int_equal(shard_parse(text, &sh, err, sizeof(err)), 0);
            load_slice_t sl = load_slice(total, sh.index - 1, sh.total);
            for (uint64_t j = 0; j < sl.count; j++) {
                uint64_t a = sl.first + j * sl.step;
                assert_int_equal(a % n, k - 1);
                seen[a]++;
            }
            sum += sl.count;
        }
        assert_int_equal(sum, total);
        for (size_t a = 0; a < total; a++)
            assert_int_equal(seen[a], 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),   cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_env_gitlab), cmocka_unit_test(test_env_kubernetes),
        cmocka_unit_test(test_time),       cmocka_unit_test(test_shards_slice_arrivals_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
