/* Unit tests for src/spec/override.c and how spec_load applies overrides:
 * values read as strictly as the spec's (bad ones name the flag or the
 * variable and what to write), users + duration replaced, stages and
 * arrival stages scaled, overrides that make no sense for the load model
 * refused, --var replacing and adding variables, guard rails on the
 * overridden load, --max-connecting over load.max_connecting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/override.h"
#include "spec/spec.h"
#include "helpers.h"

/* A spec with the given load and variables lines; its one scenario
 * connects to {{scheme}}://127.0.0.1:1/ws, so a variable decides whether
 * the URL is a WebSocket one. */
static void write_spec(const char *load, const char *variables)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "version: 1\n"
             "name: overridden\n"
             "target: ws://127.0.0.1:1\n"
             "%s"
             "load: %s\n"
             "scenarios:\n"
             "  - name: s\n"
             "    connect: {url: \"{{scheme}}://127.0.0.1:1/ws\"}\n",
             variables, load);
    write_file(scratch_spec, text);
}

/* Loads scratch_spec with o (and g); *out gets the plan (NULL on error, else the
 * caller frees it). Returns the error, "" when it loaded. */
static const char *load(const spec_overrides_t *o, const spec_guard_t *g, spec_t **out)
{
    static char err[1024];
    err[0] = '\0';
    spec_t *s =
        spec_load(scratch_spec, &(spec_opts_t){ .guard = g, .overrides = o }, err, sizeof(err));
    if (out)
        *out = s;
    else
        spec_free(s);
    return err;
}

/* The error override_users gives for text from --users ("" when none). */
static const char *users_error(const char *text, const char *from)
{
    static char err[512];
    spec_overrides_t o = { 0 };
    err[0] = '\0';
    int rc = override_users(&o, text, from, err, sizeof(err));
    assert_int_equal(rc == 0, err[0] == '\0');
    if (rc == 0)
        assert_int_equal(o.users, strtoul(text, NULL, 10));
    return err;
}

static void users_are_read_strictly(void **state)
{
    (void)state;
    static const struct {
        const char *text, *error;
    } cases[] = {
        { "12", "" },
        { "+5", "--users \"+5\" has a sign; write --users 5" },
        { "05", "--users \"05\" has a leading zero" },
        { "1_000", "--users \"1_000\" has digit separators; write --users 1000" },
        { "1.5", "--users \"1.5\" is not a whole number; write --users 1 or --users 2" },
        { "1e3", "--users \"1e3\" is not a whole number; write --users 1000" },
        { "-1", "--users \"-1\" is negative; write a whole number, e.g. --users 10" },
        { "abc", "--users \"abc\" is not a whole number; write digits only, e.g. --users 10" },
        { "4294967296", "--users \"4294967296\" is too large" },
        { "0", "--users must be at least 1; write e.g. --users 10" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *err = users_error(cases[i].text, "--users");
        if (!cases[i].error[0])
            assert_string_equal(err, "");
        else
            assert_contains(err, cases[i].error);
    }
    /* the variable's form of the same advice */
    assert_contains(users_error("+7", "WSGATE_USERS"), "WSGATE_USERS \"+7\" has a sign; write "
                                                       "WSGATE_USERS=7");
}

static void durations_and_vars(void **state)
{
    (void)state;
    char err[512];
    spec_overrides_t o = { 0 };
    assert_int_equal(override_duration(&o, "5", "--duration", err, sizeof(err)), -1);
    assert_contains(err, "--duration: \"5\" has no unit");
    assert_int_equal(override_duration(&o, "0s", "WSGATE_DURATION", err, sizeof(err)), -1);
    assert_contains(err, "WSGATE_DURATION must be more than 0; write e.g. WSGATE_DURATION=30s");
    assert_null(o.duration_from);
    assert_int_equal(override_duration(&o, "90s", "--duration", err, sizeof(err)), 0);
    assert_int_equal(o.duration_us, 90000000);
    assert_int_equal(override_ramp_up(&o, "0s", "--ramp-up", err, sizeof(err)), 0);
    assert_non_null(o.ramp_up_from); /* 0 s is a value, not "unset" */

    static const struct {
        const char *arg, *error;
    } bad[] = {
        { "room", "--var \"room\" needs NAME=VALUE" },
        { "=x", "--var \"=x\" needs NAME=VALUE" },
        { "room=", "--var room= has no value; write e.g. --var room=VALUE" },
        { "1room=x", "the name is not usable in {{ }}" },
        { "vu=1", "--var vu: the name is reserved" },
        { "target=ws://x:1", "--var target: the name is reserved" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(override_var(&o, bad[i].arg, err, sizeof(err)), -1);
        assert_contains(err, bad[i].error);
    }
    assert_int_equal(o.nvars, 0);
    assert_int_equal(override_var(&o, "url=a=b", err, sizeof(err)), 0);
    assert_string_equal(o.vars[0].name, "url");
    assert_string_equal(o.vars[0].value, "a=b"); /* everything after the first = */
    assert_int_equal(override_var(&o, "url=c", err, sizeof(err)), -1);
    assert_contains(err, "--var url is given twice; keep one");
    assert_true(override_any(&o));
    override_free(&o);
    assert_false(override_any(&o));
}

static void users_and_duration_replace_the_spec(void **state)
{
    (void)state;
    spec_overrides_t o = {
        .users = 7, .users_from = "--users", .duration_us = 4000000, .duration_from = "--duration"
    };
    spec_t *s;
    write_spec("{users: 50, ramp_up: 2s, duration: 20s}", "variables: {scheme: ws}\n");
    assert_string_equal(load(&o, NULL, &s), "");
    assert_int_equal(s->peak_users, 7);
    assert_int_equal(s->duration_us, 4000000);
    assert_int_equal(s->stages[0].duration_us, 2000000); /* the spec's ramp */
    spec_free(s);

    o.ramp_up_us = 5000000;
    o.ramp_up_from = "--ramp-up";
    assert_contains(load(&o, NULL, NULL), "the ramp-up (5.00 s, from --ramp-up) must be shorter "
                                          "than the duration (4.00 s, from --duration)");
    o.duration_from = NULL;
    o.ramp_up_us = 25000000;
    assert_contains(load(&o, NULL, NULL), "from --ramp-up) must be shorter than the duration "
                                          "(20.00 s, from load.duration)");
    /* an override can mend a spec value the override replaces */
    write_spec("{users: 5, ramp_up: 30s, duration: 20s}", "variables: {scheme: ws}\n");
    o.ramp_up_us = 0;
    assert_string_equal(load(&o, NULL, NULL), "");
    assert_contains(load(NULL, NULL, NULL), "load.ramp_up (30s) must be shorter");
}

static void stages_scale(void **state)
{
    (void)state;
    spec_overrides_t o = { .users = 5, .users_from = "--users" };
    spec_t *s;
    write_spec("{stages: [{duration: 10s, users: 10}, {duration: 20s, users: 20}, {duration: 0s, "
               "users: 1}, {duration: 10s, users: 0}]}",
               "variables: {scheme: ws}\n");
    assert_string_equal(load(&o, NULL, &s), "");
    static const unsigned users[] = { 3, 5, 1, 0 }; /* 2.5 rounds up; 0.25 keeps 1 */
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s->stages[i].users, users[i]);
    assert_int_equal(s->peak_users, 5);
    assert_int_equal(s->duration_us, 40000000);
    spec_free(s);

    o = (spec_overrides_t){ .duration_us = 7000000, .duration_from = "WSGATE_DURATION" };
    assert_string_equal(load(&o, NULL, &s), "");
    static const uint64_t us[] = { 1750000, 3500000, 0, 1750000 };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(s->stages[i].duration_us, us[i]);
    assert_int_equal(s->duration_us, 7000000);
    assert_int_equal(s->stages[1].users, 20);
    spec_free(s);

    o = (spec_overrides_t){ .ramp_up_from = "--ramp-up" };
    assert_contains(load(&o, NULL, NULL), "spec.yaml:5: --ramp-up cannot apply: load.stages sets "
                                          "each stage's own ramp");
}

static void open_model_takes_duration_only(void **state)
{
    (void)state;
    spec_overrides_t o = { .duration_us = 3000000, .duration_from = "--duration" };
    spec_t *s;
    write_spec("{arrival_rate: {stages: [{duration: 10s, rate: 10/s}, {duration: 30s, rate: "
               "10/s}], max_users: 20}}",
               "variables: {scheme: ws}\n");
    assert_string_equal(load(&o, NULL, &s), "");
    assert_int_equal(s->duration_us, 3000000);
    assert_int_equal(s->open.stages[0].duration_us, 750000);
    assert_int_equal(s->open.stages[1].duration_us, 2250000);
    assert_int_equal(s->peak_users, 20);
    spec_free(s);
    o = (spec_overrides_t){ .users = 3, .users_from = "WSGATE_USERS" };
    assert_contains(load(&o, NULL, NULL), "spec.yaml:5: WSGATE_USERS cannot apply: the load is "
                                          "load.arrival_rate (the open model)");
    o = (spec_overrides_t){ .ramp_up_from = "--ramp-up" };
    assert_contains(load(&o, NULL, NULL), "--ramp-up cannot apply");
}

static void vars_replace_and_add(void **state)
{
    (void)state;
    char err[256];
    spec_overrides_t o = { 0 };
    write_spec("{users: 1, duration: 1s}", "variables: {scheme: http}\n");
    assert_contains(load(NULL, NULL, NULL), "ws://"); /* http:// is no WebSocket URL */
    assert_int_equal(override_var(&o, "scheme=ws", err, sizeof(err)), 0);
    assert_string_equal(load(&o, NULL, NULL), "");
    write_spec("{users: 1, duration: 1s}", ""); /* {{scheme}} defined only by --var */
    assert_string_not_equal(load(NULL, NULL, NULL), "");
    assert_string_equal(load(&o, NULL, NULL), "");
    override_free(&o);
}

static void guard_rails_see_the_overrides(void **state)
{
    (void)state;
    spec_guard_t g = { .max_users = 10,
                       .max_users_from = "--max-users",
                       .max_duration_us = 60000000,
                       .max_duration_from = "WSGATE_MAX_DURATION" };
    spec_overrides_t o = { .users = 11, .users_from = "--users" };
    write_spec("{users: 5, duration: 10s}", "variables: {scheme: ws}\n");
    assert_string_equal(load(NULL, &g, NULL), "");
    assert_contains(load(&o, &g, NULL), "--users: the load reaches 11 users at once, over the "
                                        "limit of 10 set by --max-users; lower --users");
    o = (spec_overrides_t){ .duration_us = 120000000, .duration_from = "--duration" };
    assert_contains(load(&o, &g, NULL), "--duration: the load lasts 120.00 s, over the limit");
}

/* --max-connecting: a whole number from 1 to SPEC_MAX_CONNECTING, read as
 * strictly as the spec's key; it replaces load.max_connecting, or sets it
 * when the spec has none, and leaves the spec's own when not given. */
static void max_connecting_replaces_the_spec(void **state)
{
    (void)state;
    static const struct {
        const char *text, *error;
    } bad[] = {
        { "0", "--max-connecting must be from 1 to 1000000 connects in flight (0 given); "
               "write e.g. --max-connecting 2000" },
        { "1000001", "--max-connecting must be from 1 to 1000000 connects in flight" },
        { "2.5", "--max-connecting \"2.5\" is not a whole number" },
        { "+5", "--max-connecting \"+5\" has a sign; write --max-connecting 5" },
        { "-3", "--max-connecting \"-3\" is negative" },
        { "many", "--max-connecting \"many\" is not a whole number" },
    };
    char err[512];
    spec_overrides_t o = { 0 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            override_max_connecting(&o, bad[i].text, "--max-connecting", err, sizeof(err)), -1);
        assert_contains(err, bad[i].error);
        assert_null(strchr(err, '\n')); /* one line */
    }
    assert_null(o.max_connecting_from);
    assert_false(override_any(&o));
    assert_int_equal(override_max_connecting(&o, "1000000", "--max-connecting", err, sizeof(err)),
                     0);
    assert_int_equal(override_max_connecting(&o, "40", "--max-connecting", err, sizeof(err)), 0);
    assert_int_equal(o.max_connecting, 40);
    assert_true(override_any(&o));

    spec_t *s;
    write_spec("{users: 50, duration: 20s, max_connecting: 500}", "variables: {scheme: ws}\n");
    assert_string_equal(load(&o, NULL, &s), "");
    assert_int_equal(s->max_connecting, 40);
    spec_free(s);
    assert_string_equal(load(NULL, NULL, &s), "");
    assert_int_equal(s->max_connecting, 500);
    spec_free(s);
    write_spec("{users: 50, duration: 20s}", "variables: {scheme: ws}\n");
    assert_string_equal(load(&o, NULL, &s), "");
    assert_int_equal(s->max_connecting, 40);
    spec_free(s);
    assert_string_equal(load(NULL, NULL, &s), "");
    assert_int_equal(s->max_connecting, 0); /* the engine's default */
    spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(users_are_read_strictly),
        cmocka_unit_test(durations_and_vars),
        cmocka_unit_test(users_and_duration_replace_the_spec),
        cmocka_unit_test(stages_scale),
        cmocka_unit_test(open_model_takes_duration_only),
        cmocka_unit_test(vars_replace_and_add),
        cmocka_unit_test(guard_rails_see_the_overrides),
        cmocka_unit_test(max_connecting_replaces_the_spec),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
