/* Tests for src/cli/run_args.c: every flag lands in its field, and bad
 * command lines are usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/run_args.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])))

static void test_every_flag(void **state)
{
    char *argv[] = { "--target",       "ws://h:1",  "--out",     "o",  "--baseline",       "b.json",
                     "--shard",        "2/3",       "--region",  "eu", "--start-at",       "5",
                     "--source-addrs", "127.0.0.1", "--threads", "4",  "--seed",           "42",
                     "--serve",        "--quiet",   "--live",    "-",  "--metrics-listen", ":0",
                     "spec.yaml" };
    run_args_t a;
    assert_int_equal(run_args_parse(ARGC(argv), argv, &a), 0);
    assert_string_equal(a.spec, "spec.yaml");
    assert_string_equal(a.target, "ws://h:1");
    assert_string_equal(a.out_dir, "o");
    assert_string_equal(a.baseline, "b.json");
    assert_string_equal(a.shard, "2/3");
    assert_string_equal(a.region, "eu");
    assert_string_equal(a.start_at, "5");
    assert_string_equal(a.source_addrs, "127.0.0.1");
    assert_string_equal(a.live, "-"); /* "-" is a value here, not a flag */
    assert_string_equal(a.metrics_listen, ":0");
    assert_int_equal(a.threads, 4);
    assert_int_equal(a.seed, 42);
    assert_true(a.serve);
    assert_true(a.quiet);
}

static void test_defaults(void **state)
{
    char *argv[] = { "spec.yaml" };
    run_args_t a;
    assert_int_equal(run_args_parse(ARGC(argv), argv, &a), 0);
    assert_null(a.target);
    assert_null(a.out_dir);
    assert_int_equal(a.threads, 0);
    assert_false(a.serve);
}

static void test_usage_errors(void **state)
{
    static const struct {
        int argc;
        char *argv[3];
    } bad[] = {
        { 0, { NULL } },                         /* no spec */
        { 2, { "a.yaml", "b.yaml" } },           /* two specs */
        { 2, { "a.yaml", "--nope" } },           /* unknown flag */
        { 2, { "a.yaml", "--out" } },            /* missing value */
        { 3, { "a.yaml", "--threads", "0" } },   /* below 1 */
        { 3, { "a.yaml", "--threads", "257" } }, /* above 256 */
        { 3, { "a.yaml", "--threads", "4x" } },  /* not a number */
        { 3, { "a.yaml", "--seed", "-1" } },     /* negative */
        { 2, { "a.yaml", "--seed" } },           /* missing value */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_args_t a;
        char *argv[3] = { bad[i].argv[0], bad[i].argv[1], bad[i].argv[2] };
        assert_int_equal(run_args_parse(bad[i].argc, argv, &a), EXIT_USAGE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
