/* Tests for src/engine/metrics.c: one worker's counters, latency
 * histograms, error samples and per-second series, and how they merge into
 * a result_t. Latencies below 2048 us are exact in a histogram. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"
#include "helpers.h"

enum { S_CONNECT, S_PUBLISH, S_NEVER, NSTEPS };

#define SEC 1000000u
#define T0 (5 * SEC) /* monotonic start of second 0 */

static metrics_t *new_metrics(void)
{
    metrics_t *m = metrics_new(NSTEPS);
    assert_non_null(m);
    m->t0_us = T0;
    return m;
}

/* A result with the steps metrics_merge_into adds into. */
static result_t *steps_result(void)
{
    result_t *r = make_result("chat", "ws://127.0.0.1:1", NSTEPS);
    add_step(r, S_CONNECT, "connect", 0, 0);
    add_step(r, S_PUBLISH, "publish", 0, 0);
    add_step(r, S_NEVER, "never", 0, 0);
    return r;
}

/* The decoded histogram of closed second sec, step step; NULL when none. */
static hist_t *second_hist(const metrics_t *m, size_t sec, size_t step)
{
    assert_true(sec < m->nsecs);
    const char *text = m->secs[sec].lat ? m->secs[sec].lat[step] : NULL;
    if (!text)
        return NULL;
    char err[128] = "";
    hist_t *h = hist_decode(text, err, sizeof err);
    if (!h)
        fail_msg("second %zu step %zu: %s", sec, step, err);
    return h;
}

/* ---- new, ok, fail ------------------------------------------------------ */

static void test_new_is_zeroed(void **state)
{
    metrics_t *m = metrics_new(NSTEPS);
    assert_non_null(m);
    assert_int_equal(m->nsteps, NSTEPS);
    for (size_t i = 0; i < NSTEPS; i++) {
        assert_int_equal(m->ok[i], 0);
        assert_int_equal(m->failed[i], 0);
        assert_non_null(m->lat[i]);
        assert_int_equal(hist_count(m->lat[i]), 0);
    }
    assert_int_equal(m->sent + m->received + m->bytes_sent + m->bytes_received, 0);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        assert_int_equal(m->errors[k].count, 0);
    assert_int_equal(m->nsecs, 0);
    metrics_free(m);
    metrics_free(NULL);
}

static void test_ok_records_latency(void **state)
{
    metrics_t *m = new_metrics();
    metrics_ok(m, S_PUBLISH, 1000);
    metrics_ok(m, S_PUBLISH, 1500);
    metrics_ok(m, S_PUBLISH, 2000);
    metrics_ok(m, S_CONNECT, 700);
    assert_int_equal(m->ok[S_PUBLISH], 3);
    assert_int_equal(m->ok[S_CONNECT], 1);
    assert_int_equal(m->ok[S_NEVER], 0);
    assert_int_equal(hist_count(m->lat[S_PUBLISH]), 3);
    assert_int_equal(hist_min(m->lat[S_PUBLISH]), 1000);
    assert_int_equal(hist_max(m->lat[S_PUBLISH]), 2000);
    assert_int_equal(hist_percentile(m->lat[S_PUBLISH], 50), 1500);
    assert_int_equal(hist_max(m->lat[S_CONNECT]), 700);
    assert_int_equal(hist_count(m->lat[S_NEVER]), 0);
    /* the run's histogram keeps large values as they came */
    metrics_ok(m, S_CONNECT, 123457);
    assert_int_equal(hist_max(m->lat[S_CONNECT]), 123457);
    /* steps outside the table are ignored, not written past it */
    metrics_ok(m, -1, 10);
    metrics_ok(m, NSTEPS, 10);
    assert_int_equal(m->ok[S_CONNECT] + m->ok[S_PUBLISH] + m->ok[S_NEVER], 5);
    metrics_free(m);
}

static void test_fail_counts(void **state)
{
    metrics_t *m = new_metrics();
    metrics_fail(m, S_PUBLISH);
    metrics_fail(m, S_PUBLISH);
    metrics_fail(m, S_CONNECT);
    metrics_fail(m, -1); /* no step: nothing to count */
    metrics_fail(m, NSTEPS);
    assert_int_equal(m->failed[S_PUBLISH], 2);
    assert_int_equal(m->failed[S_CONNECT], 1);
    assert_int_equal(m->failed[S_NEVER], 0);
    /* a failure is no sample */
    assert_int_equal(m->ok[S_PUBLISH], 0);
    assert_int_equal(hist_count(m->lat[S_PUBLISH]), 0);
    metrics_free(m);
}

/* ---- errors --------------------------------------------------------------- */

static void test_error_samples_formatted(void **state)
{
    metrics_t *m = new_metrics();
    metrics_error(m, ERR_TIMEOUT, "%s: no reply within %d ms", "publish", 500);
    const res_errors_t *e = &m->errors[ERR_TIMEOUT];
    assert_int_equal(e->count, 1);
    assert_int_equal(e->nsamples, 1);
    assert_string_equal(e->samples[0], "publish: no reply within 500 ms");
    assert_int_equal(m->errors[ERR_CLOSED].count, 0);
    metrics_free(m);
}

/* Every error is counted; only the first RES_MAX_SAMPLES distinct texts
 * are kept, in order. */
static void test_error_sample_cap(void **state)
{
    metrics_t *m = new_metrics();
    const int n = RES_MAX_SAMPLES + 4;
    for (int i = 0; i < n; i++) {
        metrics_error(m, ERR_CLOSED, "closed %d", i);
        metrics_error(m, ERR_CLOSED, "closed %d", i); /* the same text again */
    }
    const res_errors_t *e = &m->errors[ERR_CLOSED];
    assert_int_equal(e->count, 2 * n);
    assert_int_equal(e->nsamples, RES_MAX_SAMPLES);
    for (unsigned i = 0; i < RES_MAX_SAMPLES; i++) {
        char want[32];
        snprintf(want, sizeof want, "closed %u", i);
        assert_string_equal(e->samples[i], want);
    }
    metrics_free(m);
}

/* A long sample is cut, not refused, and ends with "…"; a kind out of range
 * counts as protocol. */
static void test_error_long_and_unknown(void **state)
{
    metrics_t *m = new_metrics();
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    metrics_error(m, ERR_TLS, "%s", big);
    assert_int_equal(m->errors[ERR_TLS].nsamples, 1);
    const char *s = m->errors[ERR_TLS].samples[0];
    size_t len = strspn(s, "x");
    assert_true(len > 0 && len < sizeof big - 1);
    assert_string_equal(s + len, "…");

    metrics_error(m, (err_kind_t)ERR_KIND_COUNT, "odd");
    assert_int_equal(m->errors[ERR_PROTOCOL].count, 1);
    assert_string_equal(m->errors[ERR_PROTOCOL].samples[0], "odd");
    metrics_free(m);
}

/* ---- per-second series ---------------------------------------------------- */

/* The 511-byte cut of a formatted sample never splits a character: an é
 * across it goes, and the cut is marked. */
static void test_error_cut_on_character_boundary(void **state)
{
    metrics_t *m = new_metrics();
    char big[600];
    memset(big, 'x', 510);
    strcpy(big + 510, "\xc3\xa9 and more");
    metrics_error(m, ERR_TLS, "%s", big);
    char want[600];
    snprintf(want, sizeof want, "%.510s…", big);
    assert_string_equal(m->errors[ERR_TLS].samples[0], want);
    metrics_free(m);
}

/* Received bytes: a NUL is kept as "\0" (not the end of the sample), a
 * character across the 120-byte cut goes whole, and the cut is marked;
 * short data is kept as it is, invalid UTF-8 included. */
static void test_error_data(void **state)
{
    metrics_t *m = new_metrics();
    char data[130];
    memcpy(data, "{\"a\":\0\"b\"}", 10);
    memset(data + 10, 'z', 108);
    memcpy(data + 118, "\xe2\x80\xae!", 4); /* U+202E at bytes 118-120 */
    metrics_error_data(m, ERR_UNEXPECTED_MESSAGE, data, 122, "%s: ", "step");
    char want[200];
    snprintf(want, sizeof want, "step: {\"a\":\\0\"b\"}%.108s…", data + 10);
    assert_string_equal(m->errors[ERR_UNEXPECTED_MESSAGE].samples[0], want);

    metrics_error_data(m, ERR_PROTOCOL, "\xff\0\xc3", 3, "bad: ");
    assert_string_equal(m->errors[ERR_PROTOCOL].samples[0], "bad: \xff\\0\xc3");
    metrics_error_data(m, ERR_PROTOCOL, "", 0, "empty");
    assert_string_equal(m->errors[ERR_PROTOCOL].samples[1], "empty");
    assert_int_equal(m->errors[ERR_PROTOCOL].count, 2);
    metrics_free(m);
}
/* Second s holds what happened in [t0 + s, t0 + s + 1): messages, errors
 * and latencies land in the second that was open when they came. */
static void test_tick_closes_seconds(void **state)
{
    metrics_t *m = new_metrics();
    m->sent += 3;
    m->received += 2;
    metrics_ok(m, S_PUBLISH, 1000);
    metrics_ok(m, S_PUBLISH, 1200);
    assert_int_equal(metrics_tick(m, T0 + SEC / 2), 0);
    assert_int_equal(m->nsecs, 0); /* second 0 still open */

    assert_int_equal(metrics_tick(m, T0 + SEC + 10), 0);
    assert_int_equal(m->nsecs, 1);
    m->sent += 5;
    metrics_error(m, ERR_TIMEOUT, "late");
    metrics_ok(m, S_CONNECT, 300);
    metrics_ok(m, S_PUBLISH, 1700);
    /* seconds 1 and 2 close together; 2 is empty */
    assert_int_equal(metrics_tick(m, T0 + 3 * SEC), 0);
    assert_int_equal(m->nsecs, 3);
    m->received += 7;
    metrics_error(m, ERR_CLOSED, "gone");
    metrics_error(m, ERR_TIMEOUT, "late again");
    metrics_error(m, ERR_CLOSED, "gone again");
    assert_int_equal(metrics_finish(m), 0);
    assert_int_equal(m->nsecs, 4);

    const uint64_t sent[] = { 3, 5, 0, 0 }, received[] = { 2, 0, 0, 7 }, errors[] = { 0, 1, 0, 3 };
    /* by kind, in the second they came in */
    const uint64_t timeouts[] = { 0, 1, 0, 1 }, closed[] = { 0, 0, 0, 2 };
    for (size_t s = 0; s < 4; s++) {
        assert_int_equal(m->secs[s].sent, sent[s]);
        assert_int_equal(m->secs[s].received, received[s]);
        assert_int_equal(m->secs[s].errors, errors[s]);
        assert_int_equal(m->secs[s].errors_by_kind[ERR_TIMEOUT], timeouts[s]);
        assert_int_equal(m->secs[s].errors_by_kind[ERR_CLOSED], closed[s]);
        assert_int_equal(m->secs[s].errors_by_kind[ERR_REFUSED], 0);
    }

    hist_t *h = second_hist(m, 0, S_PUBLISH);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 2);
    assert_int_equal(hist_min(h), 1000);
    assert_int_equal(hist_max(h), 1200);
    hist_free(h);
    assert_null(second_hist(m, 0, S_CONNECT));
    h = second_hist(m, 1, S_CONNECT);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 1);
    assert_int_equal(hist_max(h), 300);
    hist_free(h);
    h = second_hist(m, 1, S_PUBLISH); /* only this second's sample */
    assert_non_null(h);
    assert_int_equal(hist_count(h), 1);
    assert_int_equal(hist_min(h), 1700);
    hist_free(h);
    assert_null(m->secs[2].lat); /* no sample at all that second */
    assert_null(m->secs[3].lat);

    /* the run's totals are untouched by the series */
    assert_int_equal(m->ok[S_PUBLISH], 3);
    assert_int_equal(hist_count(m->lat[S_PUBLISH]), 3);
    metrics_free(m);
}

/* Clearing a second frees its texts and zeroes it. */
static void test_second_clear(void **state)
{
    metrics_t *m = new_metrics();
    m->sent += 2;
    metrics_ok(m, S_PUBLISH, 1000);
    assert_int_equal(metrics_tick(m, T0 + SEC), 0);
    assert_non_null(m->secs[0].lat);
    metrics_second_clear(&m->secs[0], m->nsteps);
    assert_null(m->secs[0].lat);
    assert_int_equal(m->secs[0].sent, 0);
    metrics_free(m);
}

/* A tick before t0 (or at it) closes nothing. */
static void test_tick_before_start(void **state)
{
    metrics_t *m = new_metrics();
    assert_int_equal(metrics_tick(m, T0 - SEC), 0);
    assert_int_equal(metrics_tick(m, T0), 0);
    assert_int_equal(m->nsecs, 0);
    metrics_free(m);
}

/* The series keeps latencies to 1/256 of their value; the run's histogram
 * keeps them exact. */
static void test_series_precision(void **state)
{
    metrics_t *m = new_metrics();
    const uint64_t vals[] = { 2047, 2048, 5000, 123457, 9876543 };
    const size_t n = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < n; i++) {
        metrics_ok(m, S_PUBLISH, vals[i]);
        assert_int_equal(metrics_finish(m), 0);
    }
    assert_int_equal(m->nsecs, n);
    for (size_t i = 0; i < n; i++) {
        hist_t *h = second_hist(m, i, S_PUBLISH);
        assert_non_null(h);
        uint64_t got = hist_max(h), v = vals[i];
        uint64_t diff = got > v ? got - v : v - got;
        if (diff * 256 > v)
            fail_msg("%llu kept as %llu", (unsigned long long)v, (unsigned long long)got);
        hist_free(h);
    }
    assert_int_equal(hist_max(m->lat[S_PUBLISH]), 9876543);
    assert_int_equal(hist_min(m->lat[S_PUBLISH]), 2047);
    metrics_free(m);
}

/* Merges second s of the workers that have it (NULL: a worker whose
 * series is shorter) into dst, and leaves each step's merged second in acc. */
static void merge_second(res_second_t *dst, metrics_t *const *ms, size_t n, size_t s,
                         hist_t *const *acc)
{
    const metrics_second_t *secs[4] = { NULL };
    assert_true(n <= 4);
    for (size_t w = 0; w < n; w++)
        secs[w] = s < ms[w]->nsecs ? &ms[w]->secs[s] : NULL;
    assert_int_equal(metrics_merge_second(dst, secs, n, ms[0]->nsteps, acc), 0);
}

/* Two workers' seconds sum second by second; a worker with a shorter series
 * adds nothing to the later seconds; each step's text is the merged
 * histogram (NULL when no worker had a sample), which acc holds too. */
static void test_merge_second(void **state)
{
    metrics_t *a = new_metrics(), *b = new_metrics();
    a->sent = 4;
    metrics_ok(a, S_PUBLISH, 1000);
    metrics_ok(a, S_PUBLISH, 1000);
    b->sent = 6;
    b->received = 1;
    metrics_ok(b, S_PUBLISH, 1500);
    metrics_error(b, ERR_TIMEOUT, "late");
    assert_int_equal(metrics_tick(a, T0 + SEC), 0);
    assert_int_equal(metrics_tick(b, T0 + SEC), 0);
    a->sent += 10;
    metrics_ok(a, S_CONNECT, 400);
    metrics_error(a, ERR_RESET, "reset");
    assert_int_equal(metrics_finish(a), 0); /* a: 2 seconds, b: 1 */

    result_t *r = steps_result();
    hist_t *acc[NSTEPS];
    for (size_t i = 0; i < NSTEPS; i++)
        acc[i] = hist_new();
    metrics_t *ms[] = { a, b };
    r->nseconds = 2;
    r->series = calloc(2, sizeof(res_second_t));
    assert_non_null(r->series);
    merge_second(&r->series[0], ms, 2, 0, acc);
    assert_int_equal(r->series[0].sent, 10);
    assert_int_equal(r->series[0].received, 1);
    assert_int_equal(r->series[0].errors, 1);
    assert_int_equal(r->series[0].errors_by_kind[ERR_TIMEOUT], 1);
    assert_int_equal(hist_count(acc[S_PUBLISH]), 3);
    merge_second(&r->series[1], ms, 2, 1, acc);
    assert_int_equal(r->series[1].sent, 10);
    assert_int_equal(r->series[1].errors, 1);
    assert_int_equal(r->series[1].errors_by_kind[ERR_RESET], 1);
    assert_int_equal(r->series[1].errors_by_kind[ERR_TIMEOUT], 0);
    assert_int_equal(hist_count(acc[S_PUBLISH]), 0);
    assert_int_equal(hist_count(acc[S_CONNECT]), 1);

    hist_t *h = result_second_hist(r, 0, S_PUBLISH);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 3);
    assert_int_equal(hist_min(h), 1000);
    assert_int_equal(hist_max(h), 1500);
    hist_free(h);
    assert_null(result_second_hist(r, 0, S_CONNECT));
    h = result_second_hist(r, 1, S_CONNECT);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 1);
    hist_free(h);
    assert_null(result_second_hist(r, 1, S_PUBLISH));
    assert_null(result_second_hist(r, 1, S_NEVER));
    free_result(r);
    for (size_t i = 0; i < NSTEPS; i++)
        hist_free(acc[i]);
    metrics_free(a);
    metrics_free(b);
}

/* ---- snapshot and merge --------------------------------------------------- */

static void fill(metrics_t *m, uint64_t lat, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        metrics_ok(m, S_PUBLISH, lat);
    metrics_ok(m, S_CONNECT, 100);
    metrics_fail(m, S_PUBLISH);
    m->sent += 10 * n;
    m->received += 20 * n;
    m->bytes_sent += 100 * n;
    m->bytes_received += 200 * n;
    m->connect_abandoned += 1;
    m->reconnect_attempts += 2;
}

static void test_merge_into(void **state)
{
    metrics_t *a = new_metrics(), *b = new_metrics();
    fill(a, 1000, 3);
    fill(b, 2000, 1);
    metrics_error(a, ERR_TIMEOUT, "same");
    metrics_error(a, ERR_TIMEOUT, "from a");
    metrics_error(b, ERR_TIMEOUT, "same");
    metrics_error(b, ERR_TIMEOUT, "from b");
    metrics_error(b, ERR_TIMEOUT, "one too many");
    metrics_error(b, ERR_DNS, "nosuch");

    result_t *r = steps_result();
    assert_int_equal(metrics_merge_into(r, a), 0);
    assert_int_equal(metrics_merge_into(r, b), 0);
    assert_int_equal(r->steps[S_PUBLISH].ok, 4);
    assert_int_equal(r->steps[S_PUBLISH].failed, 2);
    assert_int_equal(r->steps[S_CONNECT].ok, 2);
    assert_int_equal(r->steps[S_NEVER].ok + r->steps[S_NEVER].failed, 0);
    const hist_t *h = r->steps[S_PUBLISH].latency;
    assert_int_equal(hist_count(h), 4);
    assert_int_equal(hist_percentile(h, 75), 1000);
    assert_int_equal(hist_max(h), 2000);
    assert_int_equal(hist_count(r->steps[S_CONNECT].latency), 2);
    assert_int_equal(r->msgs_sent, 40);
    assert_int_equal(r->msgs_received, 80);
    assert_int_equal(r->bytes_sent, 400);
    assert_int_equal(r->bytes_received, 800);
    assert_int_equal(r->connect_abandoned, 2);
    assert_int_equal(r->reconnect_attempts, 4);

    /* counts add up; samples are copied once each while there is room */
    const res_errors_t *e = &r->errors[ERR_TIMEOUT];
    assert_int_equal(e->count, 5);
    assert_int_equal(e->nsamples, RES_MAX_SAMPLES);
    assert_string_equal(e->samples[0], "same");
    assert_string_equal(e->samples[1], "from a");
    assert_string_equal(e->samples[2], "from b");
    assert_int_equal(r->errors[ERR_DNS].count, 1);
    assert_string_equal(r->errors[ERR_DNS].samples[0], "nosuch");
    assert_ptr_not_equal(r->errors[ERR_DNS].samples[0], b->errors[ERR_DNS].samples[0]);
    assert_int_equal(result_error_total(r), 6);

    /* the result owns its copies: freeing the workers first is fine */
    metrics_free(a);
    metrics_free(b);
    assert_string_equal(r->errors[ERR_DNS].samples[0], "nosuch");
    free_result(r);
}

/* A snapshot replaces (does not add to) dst's counters, histograms and
 * error counts, and leaves samples and the series alone. */
static void test_snapshot(void **state)
{
    metrics_t *src = new_metrics(), *dst = new_metrics();
    fill(src, 1500, 2);
    metrics_error(src, ERR_REFUSED, "refused");
    assert_int_equal(metrics_finish(src), 0);

    for (int round = 0; round < 2; round++) {
        metrics_snapshot(dst, src);
        assert_int_equal(dst->ok[S_PUBLISH], 2);
        assert_int_equal(dst->failed[S_PUBLISH], 1);
        assert_int_equal(dst->ok[S_CONNECT], 1);
        assert_int_equal(hist_count(dst->lat[S_PUBLISH]), 2);
        assert_int_equal(hist_max(dst->lat[S_PUBLISH]), 1500);
        assert_int_equal(dst->sent, 20);
        assert_int_equal(dst->received, 40);
        assert_int_equal(dst->bytes_sent, 200);
        assert_int_equal(dst->bytes_received, 400);
        assert_int_equal(dst->connect_abandoned, 1);
        assert_int_equal(dst->reconnect_attempts, 2);
        assert_int_equal(dst->errors[ERR_REFUSED].count, 1);
        assert_int_equal(dst->errors[ERR_REFUSED].nsamples, 0);
        assert_int_equal(dst->nsecs, 0);
    }
    /* later changes of src show in the next snapshot only */
    metrics_ok(src, S_PUBLISH, 1000);
    assert_int_equal(hist_count(dst->lat[S_PUBLISH]), 2);
    metrics_snapshot(dst, src);
    assert_int_equal(hist_count(dst->lat[S_PUBLISH]), 3);
    assert_int_equal(hist_min(dst->lat[S_PUBLISH]), 1000);
    metrics_free(src);
    metrics_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_is_zeroed),
        cmocka_unit_test(test_ok_records_latency),
        cmocka_unit_test(test_fail_counts),
        cmocka_unit_test(test_error_samples_formatted),
        cmocka_unit_test(test_error_sample_cap),
        cmocka_unit_test(test_error_long_and_unknown),
        cmocka_unit_test(test_error_cut_on_character_boundary),
        cmocka_unit_test(test_error_data),
        cmocka_unit_test(test_tick_closes_seconds),
        cmocka_unit_test(test_second_clear),
        cmocka_unit_test(test_tick_before_start),
        cmocka_unit_test(test_series_precision),
        cmocka_unit_test(test_merge_second),
        cmocka_unit_test(test_merge_into),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
