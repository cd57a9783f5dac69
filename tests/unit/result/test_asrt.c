/* Tests for src/result/asrt.c (parse, check, eval), evaluated on a
 * hand-built result with real histograms (result.c's own helpers are in
 * test_result.c). Latency samples stay below 2048 us, where the histogram
 * is exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/asrt.h"
#include "result/hist.h"
#include "result/result.h"
#include "helpers.h"

enum { S_CONNECT, S_SUBSCRIBE, S_PUBLISH, S_NEVER, S_ALL_FAILED, S_TIGHT, NSTEPS };

/* ---- fixture ------------------------------------------------------------ */

/* subscribe room: 100 samples 1000, 1010, ... 1990 us, so p50 = 1490 us,
 * p99 = 1980 us, min 1000, max 1990, avg 1495. */
static int setup(void **state)
{
    result_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->duration_s = 10;
    r->nsteps = NSTEPS;
    r->steps = calloc(NSTEPS, sizeof(*r->steps));
    assert_non_null(r->steps);
    add_step(r, S_CONNECT, "connect", 200, 0);
    record_linear(r->steps[S_CONNECT].latency, 900, 3, 200);
    add_step(r, S_SUBSCRIBE, "subscribe room", 100, 0);
    record_linear(r->steps[S_SUBSCRIBE].latency, 1000, 10, 100);
    add_step(r, S_PUBLISH, "publish chat message", 390, 10);
    hist_record_n(r->steps[S_PUBLISH].latency, 2000, 390);
    add_step(r, S_NEVER, "never run", 0, 0);
    add_step(r, S_ALL_FAILED, "all failed", 0, 5);
    add_step(r, S_TIGHT, "tight", 2, 0);
    hist_record(r->steps[S_TIGHT].latency, 1000);
    hist_record(r->steps[S_TIGHT].latency, 1001);
    r->msgs_sent = 12000;
    r->msgs_received = 11950;
    r->peak_active = 200;
    r->connect_abandoned = 4;
    r->reconnect_attempts = 9;
    r->errors[ERR_TIMEOUT].count = 3;
    r->errors[ERR_CLOSED].count = 2;
    add_sample(&r->errors[ERR_CLOSED], "connection closed by peer (1006)");
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    free_result(*state);
    return 0;
}

static void ra_free(res_assertion_t *ra)
{
    free(ra->text);
    free(ra->observed_text);
    free(ra->expected_text);
    memset(ra, 0, sizeof(*ra));
}

/* Parses and evaluates text; the caller frees out with ra_free(). */
static void eval(const result_t *r, const char *text, res_assertion_t *out)
{
    asrt_t a;
    char err[512];
    if (asrt_parse(text, &a, err, sizeof(err)) != 0)
        fail_msg("parse \"%s\": %s", text, err);
    assert_int_equal(asrt_eval(&a, r, out), 0);
    asrt_clear(&a);
}

/* Evaluates text and checks verdict and both texts. */
static void expect_eval(const result_t *r, const char *text, bool passed, const char *otext,
                        const char *etext)
{
    res_assertion_t ra;
    eval(r, text, &ra);
    if (ra.passed != passed || strcmp(ra.observed_text, otext) != 0 ||
        strcmp(ra.expected_text, etext) != 0)
        fail_msg("\"%s\": got %s, observed \"%s\", expected \"%s\"; want %s, \"%s\", \"%s\"", text,
                 ra.passed ? "pass" : "fail", ra.observed_text, ra.expected_text,
                 passed ? "pass" : "fail", otext, etext);
    assert_string_equal(ra.text, text);
    ra_free(&ra);
}

/* ---- parse -------------------------------------------------------------- */

typedef struct form_case {
    const char *text;
    asrt_agg_t agg;
    double pct;
    const char *metric;
    asrt_op_t op;
    double threshold;
    asrt_unit_t unit;
} form_case_t;

static const form_case_t forms[] = {
    { "p50(subscribe room) < 200ms", AGG_PERCENTILE, 50, "subscribe room", OP_LT, 200000,
      ASRT_UNIT_MS },
    { "  p99.9( publish chat message )<=1.5s ", AGG_PERCENTILE, 99.9, "publish chat message", OP_LE,
      1500000, ASRT_UNIT_S },
    { "p75(x) > 0.5ms", AGG_PERCENTILE, 75, "x", OP_GT, 500, ASRT_UNIT_MS },
    { "p50(x) < 200 ms", AGG_PERCENTILE, 50, "x", OP_LT, 200000, ASRT_UNIT_MS },
    { "avg(connect) >= 850us", AGG_AVG, 0, "connect", OP_GE, 850, ASRT_UNIT_US },
    { "min(connect) == 1.49ms", AGG_MIN, 0, "connect", OP_EQ, 1490, ASRT_UNIT_MS },
    /* 1.005 * 1000 is not exactly 1005 in doubles */
    { "max(connect) <= 1.005ms", AGG_MAX, 0, "connect", OP_LE, 1005, ASRT_UNIT_MS },
    { "max(connect) != 2 s", AGG_MAX, 0, "connect", OP_NE, 2000000, ASRT_UNIT_S },
    { "count(publish) >= 10", AGG_COUNT, 0, "publish", OP_GE, 10, ASRT_UNIT_NONE },
    { "failures(publish) == 0", AGG_FAILURES, 0, "publish", OP_EQ, 0, ASRT_UNIT_NONE },
    { "rate(publish) > 40/s", AGG_RATE, 0, "publish", OP_GT, 40, ASRT_UNIT_PER_S },
    { "rate(publish) > 40", AGG_RATE, 0, "publish", OP_GT, 40, ASRT_UNIT_PER_S },
    { "success_rate(connect) >= 99.5%", AGG_SUCCESS_RATE, 0, "connect", OP_GE, 99.5,
      ASRT_UNIT_PERCENT },
    { "connect.success_rate >= 99.5%", AGG_SUCCESS_RATE, 0, "connect", OP_GE, 99.5,
      ASRT_UNIT_PERCENT },
    { "subscribe room.count > 5", AGG_COUNT, 0, "subscribe room", OP_GT, 5, ASRT_UNIT_NONE },
    { "v1.login.failures == 0", AGG_FAILURES, 0, "v1.login", OP_EQ, 0, ASRT_UNIT_NONE },
    { "publish.rate >= 2.5/s", AGG_RATE, 0, "publish", OP_GE, 2.5, ASRT_UNIT_PER_S },
    { "errors.timeout == 0", AGG_ERRORS, 0, "timeout", OP_EQ, 0, ASRT_UNIT_NONE },
    { "errors.total <= 3", AGG_ERRORS, 0, "total", OP_LE, 3, ASRT_UNIT_NONE },
    { "errors.timeout!=0", AGG_ERRORS, 0, "timeout", OP_NE, 0, ASRT_UNIT_NONE },
    { "messages.sent >= 1000", AGG_MSGS_SENT, 0, NULL, OP_GE, 1000, ASRT_UNIT_NONE },
    { "messages.received > 0", AGG_MSGS_RECEIVED, 0, NULL, OP_GT, 0, ASRT_UNIT_NONE },
    { "connections.peak >= 200", AGG_CONN_PEAK, 0, NULL, OP_GE, 200, ASRT_UNIT_NONE },
    { "connections.abandoned == 0", AGG_CONN_ABANDONED, 0, NULL, OP_EQ, 0, ASRT_UNIT_NONE },
    { "reconnects.failed == 0", AGG_FAILURES, 0, "reconnects", OP_EQ, 0, ASRT_UNIT_NONE },
    { "connections.reconnect_attempts < 50", AGG_CONN_RECONNECT_ATTEMPTS, 0, NULL, OP_LT, 50,
      ASRT_UNIT_NONE },
    { "p50(a<b) < 1ms", AGG_PERCENTILE, 50, "a<b", OP_LT, 1000, ASRT_UNIT_MS },
    { "p50(login (http)) < 1ms", AGG_PERCENTILE, 50, "login (http)", OP_LT, 1000, ASRT_UNIT_MS },
    { "slow_consumers.samples >= 2", AGG_SLOW_SAMPLES, 0, NULL, OP_GE, 2, ASRT_UNIT_NONE },
    { "slow_consumers.unread_bytes_max < 1MB", AGG_SLOW_UNREAD_MAX, 0, NULL, OP_LT, 1048576,
      ASRT_UNIT_MB },
    { "slow_consumers.unread_bytes_total <= 300000", AGG_SLOW_UNREAD_TOTAL, 0, NULL, OP_LE, 300000,
      ASRT_UNIT_NONE },
};

static void test_parse_forms(void **state)
{
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const form_case_t *c = &forms[i];
        asrt_t a;
        char err[512] = "";
        if (asrt_parse(c->text, &a, err, sizeof(err)) != 0)
            fail_msg("\"%s\": %s", c->text, err);
        assert_string_equal(a.text, c->text); /* kept as written */
        assert_int_equal(a.agg, c->agg);
        if (c->agg == AGG_PERCENTILE && a.pct != c->pct)
            fail_msg("\"%s\": pct %g, want %g", c->text, a.pct, c->pct);
        if (c->metric)
            assert_string_equal(a.metric, c->metric);
        else
            assert_null(a.metric);
        assert_int_equal(a.op, c->op);
        if (a.threshold != c->threshold)
            fail_msg("\"%s\": threshold %.17g, want %.17g", c->text, a.threshold, c->threshold);
        assert_int_equal(a.unit, c->unit);
        assert_int_equal(a.line, 0);
        asrt_clear(&a);
        assert_null(a.text);
    }
}

typedef struct error_case {
    const char *text;
    const char *words[3]; /* each must appear in the message */
    const char *absent;   /* must not appear, or NULL */
} error_case_t;

static const error_case_t errors[] = {
    { "p99(x) < 5%", { "time unit (us, ms or s)", "not \"%\"", "write \"p99(x) < 5ms\"" }, NULL },
    { "avg(x) < 5", { "avg needs a time unit", "\"avg(x) < 5ms\"" }, NULL },
    { "connect.success_rate >= 99.5",
      { "percent sign", "write \"connect.success_rate >= 99.5%\"" },
      NULL },
    { "success_rate(connect) > 99ms", { "percentage", "not \"ms\"", "99%" }, NULL },
    { "connect.success_rate >= 120%", { "at most 100%" }, NULL },
    { "errors.timeout == 0ms", { "count", "no unit", "write \"errors.timeout == 0\"" }, NULL },
    { "count(publish) > 5/s", { "no unit", "\"count(publish) > 5\"" }, NULL },
    { "rate(publish) > 5ms", { "per second", "not \"ms\"", "\"rate(publish) > 5/s\"" }, NULL },
    { "avgg(x) < 1ms",
      { "unknown aggregate \"avgg\"", "did you mean \"avg\"?", "p50, p90, p95, p99, p99.9" },
      NULL },
    { "median(x) < 1ms", { "unknown aggregate \"median\"", "success_rate" }, "did you mean" },
    { "x(p) < 1ms", { "unknown aggregate \"x\"", "count" }, NULL },
    { "p0(x) < 1ms", { "\"p0\" is out of range", "at most 100" }, NULL },
    { "p100.5(x) < 1ms", { "out of range" }, NULL },
    { "p50(x) 200ms", { "no comparison operator", "< <= > >= == !=" }, NULL },
    { "errors.timeout = 0", { "\"=\" is not a comparison", "\"==\"" }, NULL },
    { "errors.timeout =< 0", { "unknown operator \"=<\"", "write \"<=\"" }, NULL },
    { "errors.timeout => 0", { "write \">=\"" }, NULL },
    { "errors.timeout <> 0", { "unknown operator \"<>\"" }, NULL },
    { "p50(x) <", { "missing threshold after \"<\"" }, NULL },
    { "p50(x) < fast", { "\"fast\" is not a non-negative number" }, NULL },
    { "p50(x) < -5ms", { "not a non-negative number" }, NULL },
    { "p50(x) < 0x10ms", { "time unit", "not \"x10ms\"" }, NULL },
    { "p50() < 1ms", { "p50() needs a step name" }, NULL },
    { "(x) < 1ms", { "missing aggregate" }, NULL },
    { "x) < 1ms", { "without \"(\"" }, NULL },
    { "< 1ms", { "missing metric" }, NULL },
    { "latency < 5ms", { "\"latency\" is not a metric", "AGG(STEP)", "METRIC.FIELD" }, NULL },
    { ".count > 1", { "is not a metric" }, NULL },
    { "connect. > 1", { "is not a metric" }, NULL },
    { "connect.sucess_rate >= 99%",
      { "unknown field \"sucess_rate\" in \"connect.sucess_rate\"",
        "did you mean \"success_rate\"?", "count, failures, rate" },
      NULL },
    { "messages.sen > 0", { "unknown field \"sen\"", "did you mean \"sent\"?" }, NULL },
    { "connections.active > 0", { "unknown field \"active\"", "peak" }, NULL },
    { "slow_consumers.unread_bytes < 1MB",
      { "unknown field \"unread_bytes\" in \"slow_consumers.unread_bytes\"",
        "did you mean \"unread_bytes_max\"?", "samples, unread_bytes_total, unread_bytes_max" },
      NULL },
    { "slow_consumers.samples < 1KB", { "is a count and takes no unit" }, NULL },
    { "slow_consumers.unread_bytes_max < 1QB", { "a plain number or a size" }, NULL },
    { "slow_consumers.samples > 1, abort_on_fail", { "upper bound" }, NULL },
    { "connect.p99 < 5ms", { "call form", "\"p99(connect)\"" }, NULL },
    { "connect.avg < 5ms", { "call form", "\"avg(connect)\"" }, NULL },
    { "p95(publish) < baseline / 2", { "baseline", "* 1.10" }, NULL },
    { "p95(publish) < baseline * 1.1ms", { "plain factor" }, NULL },
    { "p95(publish) < baseline + 20", { "time unit", "20ms" }, NULL },
    { "p95(x) < 1ms, abort_on_fail soon", { "abort_on_fail", "after 10s" }, NULL },
    { "p95(x) < 1ms, abort_on_fail after 10q", { "grace", "unit" }, NULL },
    { "messages.received >= 50, abort_on_fail", { "upper bound", "<=" }, NULL },
    { "count(x) == 6, abort_on_fail after 1s", { "upper bound" }, NULL },
    { "errors.observe == 1, abort_on_fail", { "upper bound", "== 0" }, NULL },
    { "errors.total == baseline, abort_on_fail", { "upper bound" }, NULL },
    { "", { "empty assertion" }, NULL },
    { "   ", { "empty assertion" }, NULL },
};

static void test_parse_errors(void **state)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        const error_case_t *c = &errors[i];
        asrt_t a;
        char err[512] = "";
        if (asrt_parse(c->text, &a, err, sizeof(err)) != -1)
            fail_msg("\"%s\" parsed, want an error", c->text);
        for (int w = 0; w < 3 && c->words[w]; w++)
            if (!strstr(err, c->words[w]))
                fail_msg("\"%s\": message \"%s\" lacks \"%s\"", c->text, err, c->words[w]);
        if (c->absent && strstr(err, c->absent))
            fail_msg("\"%s\": message \"%s\" has \"%s\"", c->text, err, c->absent);
        /* nothing left to free after a failure */
        assert_null(a.text);
        assert_null(a.metric);
    }
}

static void test_parse_error_exact(void **state)
{
    asrt_t a;
    char err[512];
    assert_int_equal(asrt_parse("p50(subscribe room) < 200", &a, err, sizeof(err)), -1);
    assert_string_equal(err, "p50 needs a time unit: write \"p50(subscribe room) < 200ms\"");
    assert_int_equal(asrt_parse(NULL, &a, err, sizeof(err)), -1);
    assert_contains(err, "empty");
}

static void test_parse_small_errbuf(void **state)
{
    asrt_t a;
    char err[16];
    memset(err, 'x', sizeof(err));
    assert_int_equal(asrt_parse("avgg(x) < 1ms", &a, err, sizeof(err)), -1);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_int_equal(asrt_parse("avgg(x) < 1ms", &a, NULL, 0), -1);
}

/* ---- check -------------------------------------------------------------- */

static const char *const step_names[] = { "connect", "subscribe room", "publish chat message" };
#define NNAMES (sizeof(step_names) / sizeof(step_names[0]))

/* Returns asrt_check's result for text; its message is left in err. */
static int check(const char *text, char *err, size_t errlen, size_t nsteps)
{
    asrt_t a;
    assert_int_equal(asrt_parse(text, &a, err, errlen), 0);
    err[0] = '\0';
    int rc = asrt_check(&a, step_names, nsteps, err, errlen);
    asrt_clear(&a);
    return rc;
}

static void test_check_known(void **state)
{
    char err[512];
    const char *ok[] = {
        "connect.success_rate >= 99%",
        "p50(subscribe room) < 200ms",
        "count(publish chat message) > 0",
        "rate(connect) > 1/s",
        "errors.timeout == 0",
        "errors.http_status == 0",
        "errors.unexpected_message == 0",
        "errors.total < 5",
        "messages.sent > 0",
        "messages.received > 0",
        "connections.peak > 0",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (check(ok[i], err, sizeof(err), NNAMES) != 0)
            fail_msg("\"%s\": %s", ok[i], err);
    /* run-wide metrics need no steps at all */
    assert_int_equal(check("messages.sent > 0", err, sizeof(err), 0), 0);
}

static void test_check_unknown_step(void **state)
{
    char err[512];
    assert_int_equal(check("p50(subscribe rom) < 200ms", err, sizeof(err), NNAMES), -1);
    assert_string_equal(err, "unknown metric \"subscribe rom\"; did you mean \"subscribe "
                             "room\"? Known: connect, subscribe room, publish chat message");
    assert_int_equal(check("xyzzy.success_rate > 1%", err, sizeof(err), NNAMES), -1);
    assert_contains(err, "unknown metric \"xyzzy\"");
    assert_not_contains(err, "did you mean");
    assert_contains(err, "publish chat message");
    /* names are case-sensitive; the suggestion points at the right spelling */
    assert_int_equal(check("p50(Connect) < 1ms", err, sizeof(err), NNAMES), -1);
    assert_contains(err, "did you mean \"connect\"?");
    assert_int_equal(check("p50(connect) < 1ms", err, sizeof(err), 0), -1);
    assert_contains(err, "(none)");
}

static void test_check_unknown_error_kind(void **state)
{
    char err[512];
    assert_int_equal(check("errors.timout == 0", err, sizeof(err), NNAMES), -1);
    assert_contains(err, "unknown metric \"errors.timout\"");
    assert_contains(err, "did you mean \"errors.timeout\"?");
    assert_contains(err, "unexpected_message");
    assert_contains(err, "total");
    assert_int_equal(check("errors.Timeout == 0", err, sizeof(err), NNAMES), -1);
}

static void test_check_small_errbuf(void **state)
{
    asrt_t a;
    char err[10];
    assert_int_equal(asrt_parse("p50(subscribe rom) < 1ms", &a, err, sizeof(err)), 0);
    assert_int_equal(asrt_check(&a, step_names, NNAMES, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown m");
    asrt_clear(&a);
}

/* ---- eval --------------------------------------------------------------- */

static void test_eval_percentile_boundary(void **state)
{
    const result_t *r = *state;
    res_assertion_t ra;
    eval(r, "p50(subscribe room) < 1.491ms", &ra);
    assert_true(ra.passed);
    assert_true(ra.has_observed);
    assert_true(ra.observed == 1.49); /* in the unit written: ms */
    assert_true(ra.threshold == 1.491);
    assert_string_equal(ra.observed_text, "1.49 ms");
    assert_string_equal(ra.expected_text, "< 1.491 ms");
    ra_free(&ra);

    expect_eval(r, "p50(subscribe room) < 1.489ms", false, "1.49 ms", "< 1.489 ms");
    expect_eval(r, "p50(subscribe room) < 1.49ms", false, "1.49 ms", "< 1.49 ms");
    expect_eval(r, "p50(subscribe room) <= 1.49ms", true, "1.49 ms", "<= 1.49 ms");
    expect_eval(r, "p50(subscribe room) <= 1490us", true, "1.49 ms", "<= 1.49 ms");
    expect_eval(r, "p50(subscribe room) < 1490us", false, "1.49 ms", "< 1.49 ms");
    expect_eval(r, "p50(subscribe room) > 1489us", true, "1.49 ms", "> 1.489 ms");
    /* 36th of connect's 200 samples is 1005 us; 1.005 * 1000 is not 1005 in doubles */
    expect_eval(r, "p18(connect) <= 1.005ms", true, "1.00 ms", "<= 1.005 ms");
    expect_eval(r, "p18(connect) >= 0.001005s", true, "1.005 ms", ">= 1.005 ms");
    /* the 51st of 100 samples is 1500 us */
    expect_eval(r, "p51(subscribe room) == 1500us", true, "1.50 ms", "== 1.5 ms");
}

static void test_eval_latency_aggregates(void **state)
{
    const result_t *r = *state;
    expect_eval(r, "p99(subscribe room) < 2ms", true, "1.98 ms", "< 2 ms");
    expect_eval(r, "p99.9(connect) <= 1497us", true, "1.497 ms", "<= 1.497 ms");
    expect_eval(r, "min(subscribe room) >= 1000us", true, "1.00 ms", ">= 1 ms");
    expect_eval(r, "max(subscribe room) < 1s", true, "1.99 ms", "< 1000 ms");
    expect_eval(r, "max(subscribe room) > 1.99ms", false, "1.99 ms", "> 1.99 ms");
    expect_eval(r, "avg(subscribe room) == 1495us", true, "1.495 ms", "== 1.495 ms");
    expect_eval(r, "avg(subscribe room) < 1.4ms", false, "1.50 ms", "< 1.4 ms");
    expect_eval(r, "avg(tight) < 1ms", false, "1.00 ms", "< 1 ms"); /* text agrees */
    expect_eval(r, "avg(tight) <= 1ms", false, "1.0005 ms", "<= 1 ms");
    expect_eval(r, "avg(tight) > 1000us", true, "1.0005 ms", "> 1 ms");
    expect_eval(r, "p50(publish chat message) < 250ms", true, "2.00 ms", "< 250 ms");

    res_assertion_t ra;
    eval(r, "avg(tight) > 1000us", &ra);
    assert_true(ra.observed == 1000.5);
    ra_free(&ra);
}

static void test_eval_no_samples(void **state)
{
    const result_t *r = *state;
    const char *texts[] = {
        "p50(never run) < 100ms", "avg(never run) > 0us", "max(all failed) >= 0s",
        "min(all failed) != 5ms", "p99(no such) < 1ms",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        res_assertion_t ra;
        eval(r, texts[i], &ra);
        assert_false(ra.passed);
        assert_false(ra.has_observed);
        assert_true(ra.observed == 0);
        assert_string_equal(ra.observed_text, i == 4 ? "no such step" : "no samples");
        ra_free(&ra);
    }
    res_assertion_t ra;
    eval(r, "p50(never run) < 100ms", &ra);
    assert_true(ra.threshold == 100);
    assert_string_equal(ra.expected_text, "< 100 ms");
    ra_free(&ra);
}

static void test_eval_success_rate(void **state)
{
    const result_t *r = *state;
    res_assertion_t ra;
    eval(r, "publish chat message.success_rate >= 99.5%", &ra);
    assert_false(ra.passed);
    assert_true(ra.observed == 97.5);
    assert_true(ra.threshold == 99.5);
    assert_string_equal(ra.observed_text, "97.50%");
    assert_string_equal(ra.expected_text, ">= 99.50%");
    ra_free(&ra);

    expect_eval(r, "publish chat message.success_rate >= 97.5%", true, "97.50%", ">= 97.50%");
    expect_eval(r, "success_rate(connect) == 100%", true, "100.00%", "== 100.00%");
    expect_eval(r, "all failed.success_rate < 1%", true, "0.00%", "< 1.00%");
    expect_eval(r, "connect.success_rate >= 99.995%", true, "100.00%", ">= 99.995%");

    /* no attempts: nothing to judge, so even ">= 0%" fails */
    eval(r, "never run.success_rate >= 0%", &ra);
    assert_false(ra.passed);
    assert_false(ra.has_observed);
    assert_string_equal(ra.observed_text, "no attempts");
    assert_string_equal(ra.expected_text, ">= 0.00%");
    ra_free(&ra);
}

static void test_eval_rate(void **state)
{
    result_t *r = *state;
    res_assertion_t ra;
    eval(r, "rate(publish chat message) > 40/s", &ra);
    assert_false(ra.passed);
    assert_true(ra.observed == 39);
    assert_string_equal(ra.observed_text, "39.0/s");
    assert_string_equal(ra.expected_text, "> 40/s");
    ra_free(&ra);
    expect_eval(r, "publish chat message.rate >= 39", true, "39.0/s", ">= 39/s");
    expect_eval(r, "rate(subscribe room) == 10/s", true, "10.0/s", "== 10/s");
    expect_eval(r, "rate(all failed) < 0.5", true, "0/s", "< 0.5/s");

    r->duration_s = 0;
    eval(r, "rate(publish chat message) >= 0/s", &ra);
    r->duration_s = 10;
    assert_false(ra.passed);
    assert_false(ra.has_observed);
    assert_string_equal(ra.observed_text, "no run duration");
    ra_free(&ra);
}

static void test_eval_counts(void **state)
{
    const result_t *r = *state;
    expect_eval(r, "publish chat message.count == 390", true, "390", "== 390");
    expect_eval(r, "count(publish chat message) > 390", false, "390", "> 390");
    expect_eval(r, "failures(publish chat message) == 0", false, "10", "== 0");
    expect_eval(r, "all failed.failures >= 5", true, "5", ">= 5");
    expect_eval(r, "errors.timeout == 0", false, "3", "== 0");
    expect_eval(r, "errors.closed < 2", false, "2", "< 2");
    expect_eval(r, "errors.refused == 0", true, "0", "== 0");
    expect_eval(r, "errors.total == 5", true, "5", "== 5");
    expect_eval(r, "messages.sent >= 12000", true, "12,000", ">= 12,000");
    expect_eval(r, "messages.received > 11950", false, "11,950", "> 11,950");
    expect_eval(r, "connections.peak >= 200", true, "200", ">= 200");
    expect_eval(r, "connections.abandoned == 0", false, "4", "== 0");
    expect_eval(r, "connections.reconnect_attempts <= 9", true, "9", "<= 9");
    expect_eval(r, "errors.timeout < 3.5", true, "3", "< 3.5");

    res_assertion_t ra;
    eval(r, "errors.bogus == 0", &ra); /* not checked: eval still answers */
    assert_false(ra.passed);
    assert_false(ra.has_observed);
    ra_free(&ra);
}

/* errors.timeout is 3; each op against 2, 3 and 4. */
static void test_eval_ops(void **state)
{
    const result_t *r = *state;
    static const struct {
        const char *op;
        bool want[3];
    } ops[] = {
        { "<", { false, false, true } },  { "<=", { false, true, true } },
        { ">", { true, false, false } },  { ">=", { true, true, false } },
        { "==", { false, true, false } }, { "!=", { true, false, true } },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        for (int t = 0; t < 3; t++) {
            char text[64];
            snprintf(text, sizeof(text), "errors.timeout %s %d", ops[i].op, 2 + t);
            res_assertion_t ra;
            eval(r, text, &ra);
            if (ra.passed != ops[i].want[t])
                fail_msg("\"%s\": got %s", text, ra.passed ? "pass" : "fail");
            assert_true(ra.observed == 3);
            assert_true(ra.threshold == 2 + t);
            ra_free(&ra);
        }
    }
}

/* Rounded text never contradicts the verdict. */
static void test_eval_text_refines(void **state)
{
    const result_t *r = *state;
    expect_eval(r, "avg(tight) != 1ms", true, "1.0005 ms", "!= 1 ms");
    expect_eval(r, "avg(tight) == 1.0005ms", true, "1.0005 ms", "== 1.0005 ms");
    expect_eval(r, "max(tight) < 1.001ms", false, "1.001 ms", "< 1.001 ms");
}

/* ---- baselines ------------------------------------------------------------ */

/* A baseline whose publish p95 is 1000 us, subscribe p50 1490 us (same
 * samples as the run), and no "tight" step. */
static result_t *make_baseline(void)
{
    result_t *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->nsteps = 2;
    b->steps = calloc(2, sizeof(*b->steps));
    assert_non_null(b->steps);
    add_step(b, 0, "publish chat message", 100, 0);
    hist_record_n(b->steps[0].latency, 1000, 100);
    add_step(b, 1, "subscribe room", 100, 0);
    record_linear(b->steps[1].latency, 1000, 10, 100);
    b->errors[ERR_TIMEOUT].count = 1;
    return b;
}

static void test_eval_relative(void **state)
{
    result_t *r = *state;
    r->baseline = make_baseline();
    /* run publish p95 = 2000 us against baseline 1000 us */
    expect_eval(r, "p95(publish chat message) < baseline * 1.10", false, "2.00 ms",
                "< 1.10 ms (baseline)");
    expect_eval(r, "p95(publish chat message) < baseline * 2.5", true, "2.00 ms",
                "< 2.50 ms (baseline)");
    expect_eval(r, "p95(publish chat message) <= baseline + 1ms", true, "2.00 ms",
                "<= 2.00 ms (baseline)");
    expect_eval(r, "p95(publish chat message) < baseline + 1ms", false, "2.00 ms",
                "< 2.00 ms (baseline)");
    expect_eval(r, "p50(subscribe room) <= baseline", true, "1.49 ms", "<= 1.49 ms (baseline)");
    expect_eval(r, "errors.timeout <= baseline + 1", false, "3", "<= 2 (baseline)");
    expect_eval(r, "p50(tight) < baseline", false, "1.00 ms",
                "< baseline (baseline has no samples)");

    asrt_t a;
    char err[256];
    assert_int_equal(asrt_parse("p50(tight) < baseline * 1.2", &a, err, sizeof(err)), 0);
    assert_true(a.relative);
    assert_int_equal(asrt_check_baseline(&a, r->baseline, err, sizeof(err)), -1);
    assert_contains(err, "no step \"tight\"");
    assert_int_equal(asrt_check_baseline(&a, NULL, err, sizeof(err)), -1);
    assert_contains(err, "--baseline");
    asrt_clear(&a);
    assert_int_equal(asrt_parse("p50(subscribe room) < baseline - 100us", &a, err, sizeof(err)), 0);
    assert_int_equal(asrt_check_baseline(&a, r->baseline, err, sizeof(err)), 0);
    assert_true(a.offset == -100.0 && a.factor == 1.0);
    asrt_clear(&a);
}

static void test_parse_abort(void **state)
{
    asrt_t a;
    char err[256];
    assert_int_equal(asrt_parse("errors.total < 5, abort_on_fail after 10s", &a, err, sizeof(err)),
                     0);
    assert_true(a.abort_on_fail);
    assert_int_equal(a.abort_grace_us, 10000000);
    assert_int_equal(a.agg, AGG_ERRORS);
    assert_true(a.threshold == 5);
    assert_string_equal(a.text, "errors.total < 5, abort_on_fail after 10s");
    asrt_clear(&a);
    assert_int_equal(asrt_parse("p95(x) < 2ms, abort_on_fail", &a, err, sizeof(err)), 0);
    assert_true(a.abort_on_fail);
    assert_int_equal(a.abort_grace_us, 0);
    assert_true(a.threshold == 2000);
    asrt_clear(&a);
    assert_int_equal(asrt_parse("p95(x) < 2ms", &a, err, sizeof(err)), 0);
    assert_false(a.abort_on_fail);
    asrt_clear(&a);
    /* "== 0" on a counter is an upper bound: it holds at the start */
    assert_int_equal(asrt_parse("errors.observe == 0, abort_on_fail", &a, err, sizeof(err)), 0);
    assert_true(a.abort_on_fail && a.op == OP_EQ && a.threshold == 0);
    asrt_clear(&a);
}

/* result_clear frees what eval wrote into a result too (LeakSanitizer
 * checks) and zeroes it. */
static void test_result_clear(void **state)
{
    result_t *r = *state;
    r->spec_name = xstrdup("chat");
    r->target = xstrdup("ws://127.0.0.1:1");
    r->nassertions = 2;
    r->assertions = calloc(2, sizeof(*r->assertions));
    assert_non_null(r->assertions);
    eval(r, "errors.total == 5", &r->assertions[0]);
    eval(r, "p50(never run) < 1ms", &r->assertions[1]);
    result_clear(r);
    assert_null(r->steps);
    assert_int_equal(r->nsteps, 0);
    assert_null(r->assertions);
    assert_null(r->spec_name);
    assert_int_equal(r->errors[ERR_CLOSED].count, 0);
    assert_null(r->errors[ERR_CLOSED].samples[0]);
}

/* generator.saturated compares with true or false (== or != only);
 * generator.loop_lag_p99 and loop_lag_max take a time; neither can abort
 * a run, which knows them only at its end. */
static void test_parse_generator(void **state)
{
    (void)state;
    asrt_t a;
    char err[256];
    assert_int_equal(asrt_parse("generator.saturated == false", &a, err, sizeof err), 0);
    assert_int_equal(a.agg, AGG_GEN_SATURATED);
    assert_true(asrt_is_generator(&a) && a.threshold == 0 && a.op == OP_EQ);
    asrt_clear(&a);
    assert_int_equal(asrt_parse("generator.saturated != true", &a, err, sizeof err), 0);
    assert_true(a.threshold == 1 && a.op == OP_NE);
    asrt_clear(&a);
    assert_int_equal(asrt_parse("generator.loop_lag_p99 < 50ms", &a, err, sizeof err), 0);
    assert_int_equal(a.agg, AGG_GEN_LAG_P99);
    assert_true(a.threshold == 50000 && a.unit == ASRT_UNIT_MS);
    asrt_clear(&a);
    assert_int_equal(asrt_parse("generator.loop_lag_max <= 1s", &a, err, sizeof err), 0);
    assert_int_equal(a.agg, AGG_GEN_LAG_MAX);
    asrt_clear(&a);
    assert_int_equal(asrt_parse("generator.saturated == 0", &a, err, sizeof err), -1);
    assert_contains(err, "true or false");
    assert_int_equal(asrt_parse("generator.saturated < true", &a, err, sizeof err), -1);
    assert_contains(err, "== or !=");
    assert_int_equal(asrt_parse("generator.loop_lag_p99 < 50", &a, err, sizeof err), -1);
    assert_contains(err, "time unit");
    assert_int_equal(asrt_parse("generator.saturatd == false", &a, err, sizeof err), -1);
    assert_contains(err, "saturated");
    assert_int_equal(
        asrt_parse("generator.loop_lag_p99 < 50ms, abort_on_fail", &a, err, sizeof err), -1);
    assert_contains(err, "only once the run has ended");
}

static void test_eval_generator(void **state)
{
    result_t *r = *state;
    expect_eval(r, "generator.saturated == false", false, "unknown (no generator figures)",
                "== false");
    const double calm[] = { 1, 2, 3 };
    set_generator(r, calm, 3, 50);
    expect_eval(r, "generator.saturated == false", true, "false", "== false");
    expect_eval(r, "generator.loop_lag_p99 < 50ms", true, "3.00 ms", "< 50 ms");
    expect_eval(r, "generator.loop_lag_max < 3ms", false, "3.30 ms", "< 3 ms");
    const double busy[] = { 1, 80, 3 };
    set_generator(r, busy, 3, 50);
    expect_eval(r, "generator.saturated == false", false, "true", "== false");
    expect_eval(r, "generator.saturated != false", true, "true", "!= false");
    expect_eval(r, "generator.loop_lag_p99 < 50ms", false, "80.0 ms", "< 50 ms");
}

/* slow_consumers.* read result.json's slow_consumers: bytes in the unit
 * written, "no slow consumers" when the result has none; a live result
 * (known not yet set) counts what its samples hold. */
static void test_eval_slow(void **state)
{
    result_t *r = *state;
    expect_eval(r, "slow_consumers.samples == 0", false, "no slow consumers in the result", "== 0");
    r->slow = (res_slow_t){ .known = true };
    expect_eval(r, "slow_consumers.unread_bytes_max == 0", true, "0", "== 0");
    r->slow =
        (res_slow_t){ .known = true, .samples = 2, .unread_total = 256000, .unread_max = 250880 };
    expect_eval(r, "slow_consumers.samples >= 2", true, "2", ">= 2");
    expect_eval(r, "slow_consumers.unread_bytes_total <= 256000", true, "256,000", "<= 256,000");
    expect_eval(r, "slow_consumers.unread_bytes_max < 1MB", true, "0.24 MB", "< 1 MB");
    expect_eval(r, "slow_consumers.unread_bytes_max < 200KB", false, "245 KB", "< 200 KB");
    r->slow.known = false; /* the live check's result */
    expect_eval(r, "slow_consumers.unread_bytes_max < 200KB", false, "245 KB", "< 200 KB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_error_exact),
        cmocka_unit_test(test_parse_small_errbuf),
        cmocka_unit_test(test_check_known),
        cmocka_unit_test(test_check_unknown_step),
        cmocka_unit_test(test_check_unknown_error_kind),
        cmocka_unit_test(test_check_small_errbuf),
        cmocka_unit_test_setup_teardown(test_eval_percentile_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_latency_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_no_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_success_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_text_refines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_relative, setup, teardown),
        cmocka_unit_test(test_parse_abort),
        cmocka_unit_test_setup_teardown(test_result_clear, setup, teardown),
        cmocka_unit_test(test_parse_generator),
        cmocka_unit_test_setup_teardown(test_eval_generator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_slow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
