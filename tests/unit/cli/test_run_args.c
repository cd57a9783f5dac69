/* Tests for src/cli/run_args.c: every flag lands in its field, and bad
 * command lines are usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/override_args.h"
#include "cli/run_args.h"

#include <stdlib.h>

#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])))

static void test_every_flag(void **state)
{
    char *argv[] = {
        "--target",       "ws://h:1",  "--out",      "o",   "--baseline",       "b.json",
        "--shard",        "2/3",       "--region",   "eu",  "--start-at",       "5",
        "--source-addrs", "127.0.0.1", "--threads",  "4",   "--seed",           "42",
        "--serve",        "--quiet",   "--live",     "-",   "--metrics-listen", ":0",
        "--users",        "7",         "--duration", "3s",  "--ramp-up",        "1s",
        "--var",          "a=1",       "--var",      "b=2", "--max-connecting", "50",
        "spec.yaml"
    };
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
    assert_string_equal(a.ovr.users, "7");
    assert_string_equal(a.ovr.duration, "3s");
    assert_string_equal(a.ovr.ramp_up, "1s");
    assert_string_equal(a.ovr.max_connecting, "50");
    assert_int_equal(a.ovr.nvars, 2);
    assert_string_equal(a.ovr.vars[1], "b=2");
}

/* The flag wins over its variable, the variable over the spec; values are
 * read strictly; an empty variable is an error; the record is what ran. */
static void test_overrides_resolve(void **state)
{
    spec_overrides_t o;
    override_flags_t f = { .users = "7" };
    setenv("WSGATE_USERS", "9", 1);
    setenv("WSGATE_DURATION", "4s", 1);
    assert_int_equal(override_resolve(&f, &o), 0);
    assert_int_equal(o.users, 7);
    assert_string_equal(o.users_from, "--users");
    assert_int_equal(o.duration_us, 4000000);
    assert_string_equal(o.duration_from, "WSGATE_DURATION");
    assert_null(o.ramp_up_from);
    int oom;
    res_overrides_t *r = override_record(&o, &oom);
    assert_false(oom);
    assert_int_equal(r->users, 7);
    assert_true(r->duration_s == 4 && !r->has_ramp_up && r->nvars == 0);
    res_overrides_free(r);
    override_free(&o);

    f.users = NULL;
    assert_int_equal(override_resolve(&f, &o), 0);
    assert_int_equal(o.users, 9);
    assert_string_equal(o.users_from, "WSGATE_USERS");
    override_free(&o);
    setenv("WSGATE_USERS", "", 1);
    assert_int_equal(override_resolve(&f, &o), EXIT_USAGE);
    override_free(&o);
    setenv("WSGATE_USERS", "9.5", 1);
    assert_int_equal(override_resolve(&f, &o), EXIT_USAGE);
    override_free(&o);
    unsetenv("WSGATE_USERS");
    unsetenv("WSGATE_DURATION");
    f = (override_flags_t){ .vars = { "a=1", "a=2" }, .nvars = 2 };
    assert_int_equal(override_resolve(&f, &o), EXIT_USAGE);
    override_free(&o);
    f = (override_flags_t){ 0 };
    assert_int_equal(override_resolve(&f, &o), 0);
    assert_null(override_record(&o, &oom)); /* nothing set: nothing recorded */
    assert_false(oom);

    /* --max-connecting: 1 to 1,000,000, strictly; recorded and shown */
    static const char *const bad[] = { "0", "1000001", "2.5", "5x", "-1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f = (override_flags_t){ .max_connecting = bad[i] };
        assert_int_equal(override_resolve(&f, &o), EXIT_USAGE);
        override_free(&o);
    }
    f = (override_flags_t){ .max_connecting = "300" };
    assert_int_equal(override_resolve(&f, &o), 0);
    assert_int_equal(o.max_connecting, 300);
    assert_string_equal(o.max_connecting_from, "--max-connecting");
    r = override_record(&o, &oom);
    assert_non_null(r);
    assert_int_equal(r->max_connecting, 300);
    char *text = res_overrides_text(r);
    assert_string_equal(text, "max-connecting 300");
    free(text);
    res_overrides_t *d = res_overrides_dup(r);
    assert_true(res_overrides_equal(r, d));
    d->max_connecting = 301;
    assert_false(res_overrides_equal(r, d));
    res_overrides_free(d);
    res_overrides_free(r);
    override_free(&o);
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
        { 0, { NULL } },                             /* no spec */
        { 2, { "a.yaml", "b.yaml" } },               /* two specs */
        { 2, { "a.yaml", "--nope" } },               /* unknown flag */
        { 2, { "a.yaml", "--out" } },                /* missing value */
        { 3, { "a.yaml", "--threads", "0" } },       /* below 1 */
        { 3, { "a.yaml", "--threads", "257" } },     /* above 256 */
        { 3, { "a.yaml", "--threads", "4x" } },      /* not a number */
        { 3, { "a.yaml", "--seed", "-1" } },         /* negative */
        { 2, { "a.yaml", "--seed" } },               /* missing value */
        { 2, { "a.yaml", "--users" } },              /* missing value */
        { 3, { "a.yaml", "--var", "" } },            /* empty */
        { 2, { "a.yaml", "--max-connecting" } },     /* missing value */
        { 3, { "a.yaml", "--max-connecting", "" } }, /* empty */
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
        cmocka_unit_test(test_overrides_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
