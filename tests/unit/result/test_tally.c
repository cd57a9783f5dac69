/* Unit tests for src/result/tally.c: the end-of-run check that a result's
 * counts add up, and its warnings (once each, in every format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "result/tally.h"

/* A result of 10 users with a connect step: 7 ok, 2 failed, 1 abandoned
 * of 10 attempts, at most 10 open. */
static void fill(result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->steps = calloc(1, sizeof(res_step_t));
    assert_non_null(r->steps);
    r->nsteps = 1;
    r->steps[0].ok = 7;
    r->steps[0].failed = 2;
    r->connect_abandoned = 1;
    r->connect_attempts = 10;
    r->counts_known = true;
    r->users_planned = 10;
    r->peak_active = 10;
}

static void counts_that_add_up_warn_nothing(void **state)
{
    result_t r;
    fill(&r);
    assert_int_equal(tally_check(&r), 0);
    assert_int_equal(r.nwarnings, 0);
    result_clear(&r);
}

/* One connect more attempted than ended (or one less): a warning naming
 * the four numbers, once however often the check runs. */
static void connects_that_do_not_add_up(void **state)
{
    result_t r;
    fill(&r);
    r.connect_attempts = 11;
    assert_int_equal(tally_check(&r), 1);
    assert_int_equal(tally_check(&r), 1);
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0],
                        "connect counts do not add up: 7 ok + 2 failed + 1 abandoned = 10, but "
                        "11 connects were attempted; the connect figures and the verdict on "
                        "them are not to be trusted");
    result_clear(&r);
    fill(&r);
    r.connect_attempts = 9;
    assert_int_equal(tally_check(&r), 1);
    result_clear(&r);
}

/* A result from before connections.attempts: nothing to check there. */
static void unknown_attempts_are_not_checked(void **state)
{
    result_t r;
    fill(&r);
    r.counts_known = false;
    r.connect_attempts = 0;
    assert_int_equal(tally_check(&r), 0);
    result_clear(&r);
}

/* More connections open at once than users: a warning. */
static void more_open_than_users(void **state)
{
    result_t r;
    fill(&r);
    r.peak_active = 5001;
    assert_int_equal(tally_check(&r), 1);
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0], "5001 connections were counted open at once, but only 10 "
                                       "users ran; the connection counts are not to be trusted");
    r.connect_attempts = 12; /* both rules broken: two warnings */
    assert_int_equal(tally_check(&r), 2);
    assert_int_equal(r.nwarnings, 2);
    result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_that_add_up_warn_nothing),
        cmocka_unit_test(connects_that_do_not_add_up),
        cmocka_unit_test(unknown_attempts_are_not_checked),
        cmocka_unit_test(more_open_than_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
