/* Unit tests for src/result/spool.c: seconds appended come back the same,
 * in order, one at a time, from a file that has no name in the temporary directory. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "result/spool.h"

enum { NSTEPS = 3 };

/* Entries of dir other than . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *encode_n(uint64_t v, uint64_t n)
{
    hist_t *h = hist_new();
    assert_non_null(h);
    hist_record_n(h, v, n);
    char *text = hist_encode(h);
    hist_free(h);
    assert_non_null(text);
    return text;
}

/* Second t of the test series: counters from t, a histogram for some
 * steps, none at all in every fifth second. */
static void make_second(res_second_t *s, size_t t)
{
    memset(s, 0, sizeof(*s));
    s->active = 1000 + t;
    s->sent = 3 * t;
    s->received = 7 * t + 1;
    s->errors = t % 4;
    s->errors_by_kind[ERR_TIMEOUT] = t % 4;
    s->errors_by_kind[ERR_CLOSE_4500] = t;
    if (t % 5 == 4)
        return;
    s->step_hist = calloc(NSTEPS, sizeof(char *));
    assert_non_null(s->step_hist);
    s->step_hist[1] = encode_n(1000 + t, t + 1);
    if (t % 2)
        s->step_hist[2] = encode_n(5, 2);
}

static void free_second(res_second_t *s)
{
    for (size_t i = 0; s->step_hist && i < NSTEPS; i++)
        free(s->step_hist[i]);
    free(s->step_hist);
}

static void assert_second(const res_second_t *got, size_t t)
{
    res_second_t want;
    make_second(&want, t);
    assert_int_equal(got->active, want.active);
    assert_int_equal(got->sent, want.sent);
    assert_int_equal(got->received, want.received);
    assert_int_equal(got->errors, want.errors);
    assert_memory_equal(got->errors_by_kind, want.errors_by_kind, sizeof(want.errors_by_kind));
    assert_non_null(got->step_hist); /* always an array, as the engine's merge makes it */
    for (size_t i = 0; i < NSTEPS; i++) {
        const char *w = want.step_hist ? want.step_hist[i] : NULL;
        if (!w)
            assert_null(got->step_hist[i]);
        else
            assert_string_equal(got->step_hist[i], w);
    }
    free_second(&want);
}

/* Checks second t against make_second; counts the seconds in ctx. */
static int check_second(const res_second_t *sec, size_t t, void *ctx)
{
    size_t *n = ctx;
    assert_int_equal(t, *n);
    assert_second(sec, t);
    (*n)++;
    return 0;
}

/* Stops at the fourth second with its own code. */
static int stop_at_3(const res_second_t *sec, size_t t, void *ctx)
{
    (void)sec;
    *(size_t *)ctx = t;
    return t == 3 ? 7 : 0;
}

/* A walk that stops returns what stopped it; appends and walks go on after
 * it as before. */
static void test_each_stops(void **state)
{
    char err[256] = "";
    res_spool_t *sp = spool_new(NSTEPS, err, sizeof(err));
    assert_non_null(sp);
    for (size_t t = 0; t < 10; t++) {
        res_second_t s;
        make_second(&s, t);
        assert_int_equal(spool_append(sp, &s), 0);
        free_second(&s);
    }
    size_t at = 0;
    assert_int_equal(spool_each(sp, stop_at_3, &at), 7);
    assert_int_equal(at, 3);
    res_second_t s;
    make_second(&s, 10);
    assert_int_equal(spool_append(sp, &s), 0);
    free_second(&s);
    size_t n = 0;
    assert_int_equal(spool_each(sp, check_second, &n), 0);
    assert_int_equal(n, 11);
    spool_free(sp);
}

/* Seconds come back in order, field for field and text for text; the file
 * is unlinked from the start; reading back twice, with appends between,
 * gives every second each time. */
static void test_round_trip(void **state)
{
    char dir[256], err[256] = "";
    make_tmpdir(dir, sizeof(dir), "spool");
    setenv("TMPDIR", dir, 1);
    res_spool_t *sp = spool_new(NSTEPS, err, sizeof(err));
    unsetenv("TMPDIR");
    assert_non_null(sp);
    assert_int_equal(entries(dir), 0);
    for (size_t t = 0; t < 30; t++) {
        res_second_t s;
        make_second(&s, t);
        assert_int_equal(spool_append(sp, &s), 0);
        free_second(&s);
    }
    assert_int_equal(spool_count(sp), 30);
    assert_true(spool_bytes(sp) > 30 * (4 + ERR_KIND_COUNT) * sizeof(uint64_t));

    size_t n = 0;
    assert_int_equal(spool_each(sp, check_second, &n), 0);
    assert_int_equal(n, 30);

    res_second_t s;
    make_second(&s, 30);
    assert_int_equal(spool_append(sp, &s), 0);
    free_second(&s);
    n = 0;
    assert_int_equal(spool_each(sp, check_second, &n), 0);
    assert_int_equal(n, 31);
    spool_free(sp);
    assert_int_equal(entries(dir), 0);
    rm_tree(dir);
}

/* No second: an empty series. */
static void test_empty(void **state)
{
    char err[256] = "";
    res_spool_t *sp = spool_new(NSTEPS, err, sizeof(err));
    assert_non_null(sp);
    size_t n = 0;
    assert_int_equal(spool_each(sp, check_second, &n), 0);
    assert_int_equal(n, 0);
    spool_free(sp);
}

/* A temporary directory that cannot take the file: the reason names it
 * and what to do. */
static void test_bad_tmpdir(void **state)
{
    char err[256] = "";
    setenv("TMPDIR", "/nonexistent/wsgate-spool", 1);
    res_spool_t *sp = spool_new(NSTEPS, err, sizeof(err));
    unsetenv("TMPDIR");
    assert_null(sp);
    assert_contains(err, "/nonexistent/wsgate-spool");
    assert_contains(err, "TMPDIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_each_stops),
        cmocka_unit_test(test_bad_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
