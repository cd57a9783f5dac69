/* Unit tests for src/result/result_load.c: a result survives JSON and back
 * unchanged, and malformed files are refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reporters/reporter.h"
#include "result/overrides.h"
#include "result/result_load.h"
#include "result/tally.h"
#include "helpers.h"

/* A small but complete result, built by hand. */
static void make(result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->spec_name = xstrdup("round-trip");
    r->spec_path = xstrdup("specs/x.yaml");
    r->target = xstrdup("ws://127.0.0.1:9");
    r->wsgate_version = xstrdup("0.1.0");
    r->started_at = 1700000000.125;
    r->ended_at = 1700000004.5;
    r->duration_s = 4;
    r->threads = 2;
    r->users_planned = 20;
    r->nsteps = 2;
    r->steps = calloc(2, sizeof(res_step_t));
    assert_non_null(r->steps);
    add_step(r, 0, "connect", 20, 0);
    add_step(r, 1, "publish \"quoted\"", 1000, 3);
    record_linear(r->steps[1].latency, 997, 997, 1000);
    r->msgs_sent = 1020;
    r->msgs_received = 5000;
    r->peak_active = 20;
    r->connect_abandoned = 2;
    r->connect_attempts = 23; /* does not add up: 20 + 0 + 2 */
    r->connect_unstarted = 1;
    r->counts_known = true;
    assert_int_equal(tally_check(r), 1);
    r->reconnect_attempts = 7;
    r->slow =
        (res_slow_t){ .known = true, .samples = 4, .unread_total = 90000, .unread_max = 40000 };
    r->wire = (res_wire_t){ 20, 1500, 30000, 60000, 250000, 20, 18 };
    r->errors[ERR_TIMEOUT].count = 3;
    add_sample(&r->errors[ERR_TIMEOUT], "publish: no message within 5 s");
    r->nassertions = 1;
    r->assertions = calloc(1, sizeof(res_assertion_t));
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], "p99(publish) < 200ms", false, true, 991.5, 200, "991.5 ms",
                  "< 200 ms");
    r->interrupted = true;
    r->stop_signal = SIGTERM;
    r->planned_s = 60;
    r->tls_insecure = true;
}

/* Replaces the first from in the malloc'd *json by to. */
static void edit(char **json, const char *from, const char *to)
{
    char *p = strstr(*json, from);
    if (!p)
        fail_msg("fixture lacks %s", from);
    size_t head = (size_t)(p - *json), tail = strlen(p + strlen(from));
    char *out = malloc(head + strlen(to) + tail + 1);
    assert_non_null(out);
    memcpy(out, *json, head);
    strcpy(out + head, to);
    strcat(out, p + strlen(from));
    free(*json);
    *json = out;
}

/* Each verdict comes back from the file, whichever flags and assertions go
 * with it; a run whose assertions held keeps passed through an interrupt. */
static void every_verdict_survives_the_round_trip(void **state)
{
    (void)state;
    for (int v = 0; v < RES_VERDICT_COUNT; v++) {
        result_t r, back;
        char err[300];
        make(&r);
        r.interrupted = v == RES_VERDICT_INTERRUPTED;
        r.aborted = v == RES_VERDICT_ABORTED;
        r.assertions[0].passed = r.passed = v != RES_VERDICT_FAIL;
        char *json = render_report(&reporter_json, &r, NULL);
        assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
        assert_int_equal(result_verdict(&back), v);
        assert_int_equal(back.passed, r.passed);
        free(json);
        result_clear(&r);
        result_clear(&back);
    }
}

/* Files of older versions: "pass"/"fail" with interrupted true (an
 * interrupted run used to read as passed) load as interrupted; a "fail"
 * with an aborted object loads as aborted. An unknown verdict is refused. */
static void older_verdicts_load(void **state)
{
    (void)state;
    result_t r, back;
    char err[300];
    make(&r);
    r.assertions[0].passed = r.passed = true;
    r.stop_signal = 0;
    char *json = render_report(&reporter_json, &r, NULL);
    edit(&json, "\"verdict\":\t\"interrupted\"", "\"verdict\":\t\"pass\"");
    edit(&json, "\t\"stop_signal\":\tnull,\n", "");
    edit(&json, "\t\"planned_s\":\t60,\n", "");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_int_equal(result_verdict(&back), RES_VERDICT_INTERRUPTED);
    assert_true(back.passed);
    assert_true(back.planned_s == 0);
    result_clear(&back);
    edit(&json, "\"verdict\":\t\"pass\"", "\"verdict\":\t\"maybe\"");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), -1);
    assert_contains(err, "\"verdict\" must be");
    free(json);
    r.interrupted = false;
    r.aborted = true;
    r.abort_reason = xstrdup("why");
    json = render_report(&reporter_json, &r, NULL);
    edit(&json, "\"verdict\":\t\"aborted\"", "\"verdict\":\t\"fail\"");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_int_equal(result_verdict(&back), RES_VERDICT_ABORTED);
    result_clear(&back);
    edit(&json, "\"verdict\":\t\"fail\"", "\"verdict\":\t\"pass\"");
    edit(&json, "\"stop_signal\":\tnull", "\"stop_signal\":\t\"SIGHUP\"");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), -1);
    assert_contains(err, "\"stop_signal\"");
    free(json);
    result_clear(&r);
}

static void every_report_survives_the_round_trip(void **state)
{
    result_t r, back;
    char err[300];
    make(&r);
    char *json = render_report(&reporter_json, &r, NULL);
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    for (const reporter_t *const *rep = reporters_all; *rep; rep++) {
        char *a = render_report(*rep, &r, NULL), *b = render_report(*rep, &back, NULL);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    assert_int_equal(hist_percentile(back.steps[1].latency, 99),
                     hist_percentile(r.steps[1].latency, 99));
    assert_true(back.interrupted);
    assert_int_equal(back.stop_signal, SIGTERM);
    assert_true(back.planned_s == 60);
    assert_int_equal(result_verdict(&back), RES_VERDICT_INTERRUPTED);
    assert_true(back.tls_insecure);
    assert_false(back.passed);
    assert_int_equal(back.connect_abandoned, 2);
    assert_true(back.counts_known);
    assert_int_equal(back.connect_attempts, 23);
    assert_int_equal(back.connect_unstarted, 1);
    assert_int_equal(back.nwarnings, 1);
    assert_string_equal(back.warnings[0], r.warnings[0]);
    assert_int_equal(back.reconnect_attempts, 7);
    assert_true(back.slow.known);
    assert_int_equal(back.slow.samples, 4);
    assert_int_equal(back.slow.unread_total, 90000);
    assert_int_equal(back.slow.unread_max, 40000);
    assert_memory_equal(&back.wire, &r.wire, sizeof(r.wire));
    char *md = render_report(&reporter_markdown, &back, NULL);
    if (!strstr(md, "**permessage-deflate:** accepted on 18 of 20 connects; received 30,000 B on "
                    "the wire for 250,000 B of messages (8.3x); sent 1,500 B on the wire for "
                    "60,000 B of messages (40.0x)"))
        fail_msg("summary.md has no deflate line:\n%s", md);
    assert_contains(md, "> ⚠️ **Warning:** connect counts do not add up: 20 ok + 0 failed + 2 "
                        "abandoned = 22, but 23 connects were attempted");
    assert_contains(md, "**Connects abandoned:** 2 (still pending at the end; 1 never started)");
    assert_contains(md, "**Slow consumers:** 90,000 B left unread in 4 samples (pauses ended, slow "
                        "readers closed), at most 40,000 B in one");
    free(md);
    free(json);
    result_clear(&r);
    result_clear(&back);
}

/* A result written before "wire" existed loads with zeros, and a wire
 * that is not an object, or lacks a count, is refused by name. */
static void older_results_lack_wire(void **state)
{
    (void)state;
    result_t r, back;
    char err[300];
    make(&r);
    char *json = render_report(&reporter_json, &r, NULL);
    char *p = strstr(json, "\n\t\"wire\":");
    assert_non_null(p);
    char *end = strstr(p, "},");
    assert_non_null(end);
    memmove(p, end + 2, strlen(end + 2) + 1);
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    res_wire_t zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&back.wire, &zero, sizeof(zero));
    char *md = render_report(&reporter_markdown, &back, NULL);
    assert_null(strstr(md, "permessage-deflate"));
    free(md);
    result_clear(&back);
    free(json);
    json = render_report(&reporter_json, &r, NULL);
    edit(&json, "\"deflate_accepted\":\t18", "\"deflate_acepted\":\t18");
    assert_int_not_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    if (!strstr(err, "\"deflate_accepted\" in wire"))
        fail_msg("error: %s", err);
    result_clear(&back);
    free(json);
    result_clear(&r);
}

/* A result written before connections.abandoned / reconnect_attempts
 * existed still loads, with both 0. */
static void older_results_lack_connection_counts(void **state)
{
    (void)state;
    result_t r, back;
    char err[300];
    make(&r);
    char *json = render_report(&reporter_json, &r, NULL);
    const char *added = ",\n\t\t\"abandoned\":\t2,\n\t\t\"reconnect_attempts\":\t7";
    char *p = strstr(json, added);
    assert_non_null(p);
    memmove(p, p + strlen(added), strlen(p + strlen(added)) + 1);
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_int_equal(back.peak_active, 20);
    assert_int_equal(back.connect_abandoned, 0);
    assert_int_equal(back.reconnect_attempts, 0);
    free(json);
    result_clear(&r);
    result_clear(&back);
}

/* The open model's load and arrivals come back, and every report renders
 * the same from the file (the Markdown run line names the model). */
static void open_model_survives_the_round_trip(void **state)
{
    result_t r, back;
    char err[300];
    make(&r);
    r.open_model = true;
    r.rate_min = 10;
    r.rate_max = 50;
    r.session_iterations = 2;
    r.users_planned = 500;
    r.arrivals_planned = 1200;
    r.arrivals_started = 1150;
    r.arrivals_dropped = 50;
    char *json = render_report(&reporter_json, &r, NULL);
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_true(back.open_model);
    assert_true(back.rate_min == 10 && back.rate_max == 50 && back.session_s == 0);
    assert_int_equal(back.session_iterations, 2);
    assert_int_equal(back.arrivals_planned, 1200);
    assert_int_equal(back.arrivals_started, 1150);
    assert_int_equal(back.arrivals_dropped, 50);
    for (const reporter_t *const *rep = reporters_all; *rep; rep++) {
        char *a = render_report(*rep, &r, NULL), *b = render_report(*rep, &back, NULL);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    /* rates and session_s are range-checked: 1e999 reads as inf, which
     * the Markdown would print and a re-rendered file could not load */
    static const struct {
        const char *from, *to;
    } bad[] = {
        { "\"rate_min_per_s\":\t10", "\"rate_min_per_s\":\t1e999" },
        { "\"rate_max_per_s\":\t50", "\"rate_max_per_s\":\t-1" },
        { "\"rate_max_per_s\":\t50", "\"rate_max_per_s\":\t2e7" },
        { "\"session_s\":\tnull", "\"session_s\":\t1e999" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = strstr(json, bad[i].from);
        if (!p)
            fail_msg("fixture lacks %s", bad[i].from);
        char *b = malloc(strlen(json) + 64);
        sprintf(b, "%.*s%s%s", (int)(p - json), json, bad[i].to, p + strlen(bad[i].from));
        result_t out;
        err[0] = '\0';
        assert_int_equal(result_from_json(b, &out, err, sizeof(err)), -1);
        const char *key = bad[i].from + 1;
        if (!strstr(err, "must be a number from 0 to") || strncmp(strstr(err, "\"") + 1, key, 6))
            fail_msg("case %zu: \"%s\"", i, err);
        free(b);
    }
    char *md = render_report(&reporter_markdown, &back, NULL);
    assert_contains(md, "open model, 10 to 50/s arrivals, sessions of 2 tasks, at most 500 "
                        "at once");
    assert_contains(md, "**Arrivals:** 1,200 planned, 1,150 started, 50 dropped");
    free(md);
    /* an older file without "load" reads as the closed model */
    char *old = strstr(json, "\"load\":");
    assert_non_null(old);
    memcpy(old, "\"lxxd\":", 7);
    result_t closed;
    assert_int_equal(result_from_json(json, &closed, err, sizeof(err)), 0);
    assert_false(closed.open_model);
    assert_int_equal(closed.arrivals_dropped, 0);
    result_clear(&closed);
    free(json);
    result_clear(&r);
    result_clear(&back);
}

/* The main step comes back as recorded, also when it is not the busiest
 * step; a file written before the field reads as unknown, and the HTML
 * chart then follows the busiest step. */
static void main_step_survives_the_round_trip(void **state)
{
    (void)state;
    result_t r, back, old;
    char err[300];
    make(&r);
    r.main_step = xstrdup("connect"); /* publish has every sample */
    char *json = render_report(&reporter_json, &r, NULL);
    assert_contains(json, "\"main_step\":\t\"connect\"");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_string_equal(back.main_step, "connect");
    assert_int_equal(result_main_step(&back), 0);
    char *a = render_report(&reporter_html, &r, NULL),
         *b = render_report(&reporter_html, &back, NULL);
    assert_string_equal(a, b);
    assert_contains(b, "<h3>Latency (ms): connect</h3>");
    free(a);
    free(b);

    const char *added = "\n\t\"main_step\":\t\"connect\",";
    char *p = strstr(json, added);
    assert_non_null(p);
    memmove(p, p + strlen(added), strlen(p + strlen(added)) + 1);
    assert_int_equal(result_from_json(json, &old, err, sizeof(err)), 0);
    assert_null(old.main_step);
    assert_int_equal(result_main_step(&old), 1);
    b = render_report(&reporter_html, &old, NULL);
    assert_non_null(strstr(b, "<h3>Latency (ms): publish &quot;quoted&quot;</h3>"));
    free(b);
    free(json);
    result_clear(&r);
    result_clear(&back);
    result_clear(&old);
}

static void refuses_malformed_files_with_the_field_named(void **state)
{
    result_t r;
    make(&r);
    char *json = render_report(&reporter_json, &r, NULL);
    result_clear(&r);
    struct {
        const char *from, *to, *words;
    } cases[] = {
        { "\"schema_version\":\t1", "\"schema_version\":\t2", "schema_version 2 is not supported" },
        { "\"steps\":", "\"stops\":", "missing \"steps\"" },
        { "\"histogram\":\t\"v1;", "\"histogram\":\t\"v7;", "steps[0]: malformed histogram" },
        { "2023-11-14T22:13:20.125Z", "yesterday", "\"started_at\" must be a time" },
        { "\"threads\":\t2", "\"threads\":\t\"two\"",
          "\"threads\" in the result must be a number" },
        { "\"threads\":\t2", "\"threads\":\t1e30",
          "\"threads\" in the result must be a whole number" },
        { "\"threads\":\t2", "\"threads\":\t2.5", "must be a whole number" },
        { "\"name\":\t\"connect\"", "\"name\":\tnull", "\"name\" in steps[0] must be a string" },
        { "\"interrupted\":\ttrue",
          "\"interrupted\":\ttrue, \"shard\": {\"index\": 5, \"total\": 4}",
          "shard index 5 is not within 1..4" },
        { "\"interrupted\":\ttrue",
          "\"interrupted\":\ttrue, \"shard\": {\"index\": 1, \"total\": 4294967295}",
          "from 0 to 100000" },
        { "\"series\":\t[]", "\"series\":\t\"abc\"", "\"series\" must be an array" },
        { "\"series\":\t[]",
          "\"series\":\t[{\"active\":0,\"sent\":0,\"received\":0,\"errors\":0,"
          "\"steps\":{\"connect\":{\"histogram\":\"v9;\"}}}]",
          "series[0].steps.connect: malformed" },
        { "\"series\":\t[]",
          "\"series\":\t[{\"active\":0,\"sent\":0,\"received\":0,\"errors\":0,"
          "\"steps\":{\"connect\":{\"histogram\":\"v1;1;5;5;5;5:1\"},"
          "\"connect\":{\"histogram\":\"v1;1;5;5;5;5:1\"}}}]",
          "unknown, repeated" },
        { "\"main_step\":\tnull", "\"main_step\":\t\"gone\"",
          "\"main_step\" \"gone\" is not one of the steps" },
        { "\"main_step\":\tnull", "\"main_step\":\t1",
          "\"main_step\" in the result must be a string" },
    };
    char err[300];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = strstr(json, cases[i].from);
        if (!p)
            fail_msg("fixture lacks %s", cases[i].from);
        char *bad = malloc(strlen(json) + 512);
        sprintf(bad, "%.*s%s%s", (int)(p - json), json, cases[i].to, p + strlen(cases[i].from));
        result_t out;
        err[0] = '\0';
        assert_int_equal(result_from_json(bad, &out, err, sizeof(err)), -1);
        if (!strstr(err, cases[i].words))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].words);
        assert_null(out.steps); /* left cleared */
        free(bad);
    }
    result_t out;
    assert_int_equal(result_from_json("[1,2]", &out, err, sizeof(err)), -1);
    assert_contains(err, "not a JSON object");
    free(json);
}

static void load_file_names_the_path(void **state)
{
    result_t r;
    char err[300];
    assert_int_equal(result_load_file("/nonexistent/result.json", &r, err, sizeof(err)), -1);
    assert_contains(err, "/nonexistent/result.json: No such file");
}

/* A fixture result.json, as the json reporter writes it; the caller frees. */
static char *fixture_json(void)
{
    result_t r;
    make(&r);
    char *json = render_report(&reporter_json, &r, NULL);
    result_clear(&r);
    return json;
}

/* Malformed JSON is refused with its exact position (line and column from
 * 1), and empty, truncated and non-object texts say so. */
static void malformed_json_names_the_position(void **state)
{
    struct {
        const char *text, *err;
    } cases[] = {
        { "", "empty file (is this a wsgate result.json?)" },
        { " \n\t\n", "empty file (is this a wsgate result.json?)" },
        { "{\"a\": 1", "1:8: truncated JSON (ends inside an object)" },
        { "{\n  \"a\": [1,\n  2\n\n", "3:4: truncated JSON (ends inside an array)" },
        { "{\n  \"name\": \"chat", "2:16: truncated JSON (ends inside a string)" },
        { "{\"a\": \"x\\", "1:10: truncated JSON (ends inside a string)" },
        { "{\"a\": tr", "1:9: truncated JSON (ends inside a value)" },
        { "{\"a\": 1x}", "1:8: malformed JSON (unexpected 'x')" },
        { "{\n  \"a\": 1,\n  \"b\" 2\n}", "3:7: malformed JSON (unexpected '2')" },
        { "{\"a\": 1,}", "1:9: malformed JSON (unexpected '}')" },
        { "{}\n\n  x", "3:3: malformed JSON (unexpected 'x')" },
        { "{\n\t#\"a\": 1}", "2:2: malformed JSON (unexpected '#')" },
        { "{\"a\": 1, b: 2}", "1:10: malformed JSON (unexpected 'b')" },
        { "[1, 2x]", "1:6: malformed JSON (unexpected 'x')" },
        { "{\"a\": [1,x]}", "1:10: malformed JSON (unexpected 'x')" },
        { "{\"a\": \xc3\xa9}", "1:7: malformed JSON (unexpected byte 0xc3)" },
        { "[1,2]", "not a JSON object (the file holds an array; is this a wsgate result.json?)" },
        { "42",
          "not a JSON object (the file holds a single value; is this a wsgate result.json?)" },
    };
    char err[300];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        result_t out;
        err[0] = '\0';
        assert_int_equal(result_from_json(cases[i].text, &out, err, sizeof(err)), -1);
        if (strcmp(err, cases[i].err) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, err, cases[i].err);
    }

    /* a real result cut short, and the file's name before the position */
    char *json = fixture_json(), dir[64], path[128];
    size_t lines = 0, cut = strlen(json) / 2;
    for (size_t i = 0; i < cut; i++)
        lines += json[i] == '\n';
    json[cut] = '\0';
    make_tmpdir(dir, sizeof(dir), "load");
    snprintf(path, sizeof(path), "%s/result.json", dir);
    write_file(path, json);
    result_t out;
    assert_int_equal(result_load_file(path, &out, err, sizeof(err)), -1);
    char want[200];
    snprintf(want, sizeof(want), "%s:%zu:", path, lines + 1);
    assert_contains(err, want);
    assert_contains(err, ": truncated JSON (ends inside ");
    write_file(path, "{\"schema_version\": 1,\n  \"spec\": {}\n  \"x\": 1}");
    assert_int_equal(result_load_file(path, &out, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:3:3: malformed JSON (unexpected '\"')", path);
    assert_string_equal(err, want);
    write_file(path, "");
    assert_int_equal(result_load_file(path, &out, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: empty file (is this a wsgate result.json?)", path);
    assert_string_equal(err, want);
    rm_tree(dir);
    free(json);
}

/* Writes json padded with trailing spaces to exactly size bytes. */
static void write_padded(const char *path, const char *json, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(json);
    assert_true(n <= size);
    assert_int_equal(fwrite(json, 1, n, f), n);
    for (size_t i = n; i < size; i++)
        fputc(' ', f);
    assert_int_equal(fclose(f), 0);
}

/* $WSGATE_MAX_RESULT_MB bounds what is read: a file of exactly the limit
 * loads, one byte more is refused with the limit named. */
static void load_file_stops_at_the_size_limit(void **state)
{
    char *json = fixture_json(), dir[64], path[128], err[300], want[256];
    make_tmpdir(dir, sizeof(dir), "limit");
    snprintf(path, sizeof(path), "%s/result.json", dir);
    result_t r;
    setenv("WSGATE_MAX_RESULT_MB", "1", 1);
    write_padded(path, json, 1 << 20);
    if (result_load_file(path, &r, err, sizeof(err)) < 0)
        fail_msg("at the limit: %s", err);
    result_clear(&r);
    write_padded(path, json, (1 << 20) + 1);
    assert_int_equal(result_load_file(path, &r, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: larger than 1 MiB (WSGATE_MAX_RESULT_MB raises the limit)",
             path);
    assert_string_equal(err, want);
    assert_null(r.steps);
    setenv("WSGATE_MAX_RESULT_MB", "2", 1);
    assert_int_equal(result_load_file(path, &r, err, sizeof(err)), 0);
    result_clear(&r);

    const char *bad[] = { "0", "x", "-1", "1.5", "", "1048577", "99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("WSGATE_MAX_RESULT_MB", bad[i], 1);
        assert_int_equal(result_load_file(path, &r, err, sizeof(err)), -1);
        assert_contains(err, "is not a whole number of MiB from 1 to 1048576");
    }
    unsetenv("WSGATE_MAX_RESULT_MB");
    size_t mb = 0;
    assert_int_equal(result_max_mb(&mb, err, sizeof(err)), 0);
    assert_int_equal(mb, 256);
    rm_tree(dir);
    free(json);
}

/* Strings are bounded: a spec name past RESULT_STR_MAX is refused. */
static void refuses_overlong_strings(void **state)
{
    char *json = fixture_json(), err[300];
    const char *from = "\"round-trip\"";
    char *p = strstr(json, from);
    assert_non_null(p);
    size_t n = RESULT_STR_MAX + 1, head = (size_t)(p - json);
    char *big = malloc(strlen(json) + n + 8);
    assert_non_null(big);
    memcpy(big, json, head);
    big[head] = '"';
    memset(big + head + 1, 'n', n);
    big[head + 1 + n] = '"';
    strcpy(big + head + 2 + n, p + strlen(from));
    result_t r;
    assert_int_equal(result_from_json(big, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "\"name\" in spec is 65537 bytes long; at most 65536");
    free(big);
    free(json);
}

/* The generator comes back: summary, series and marks, and a merge's
 * shard summaries (one of them unknown); a file without it (older) loads
 * as unknown, not as "not saturated". */
static void generator_survives_the_round_trip(void **state)
{
    (void)state;
    result_t r, back;
    char err[300];
    make(&r);
    const double p99[] = { 1.25, 70, 80.5, 2 };
    set_generator(&r, p99, 4, 50);
    r.generator->loop_lag_p99_ms = 75.125;
    r.generator->secs[2].rss_mb = 33.5;
    r.generator->secs[1].cpu_pct = 99.75;
    assert_int_equal(gen_summarize(r.generator), 0);
    r.generator->nshards = 2;
    r.generator->shards = calloc(2, sizeof(res_gen_shard_t));
    assert_non_null(r.generator->shards);
    r.generator->shards[0].index = 1;
    r.generator->shards[0].gen = gen_copy(r.generator);
    r.generator->shards[1].index = 2;
    char *json = render_report(&reporter_json, &r, NULL);
    if (result_from_json(json, &back, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    const res_gen_t *g = back.generator;
    assert_non_null(g);
    assert_true(g->saturated);
    assert_int_equal(g->cores, 2);
    assert_true(g->lag_limit_ms == 50 && g->loop_lag_p99_ms == 75.125);
    assert_true(g->cpu_pct_max == 99.75 && g->rss_max_mb == 33.5);
    assert_true(g->loop_lag_max_ms > 88.549 && g->loop_lag_max_ms < 88.551); /* 80.5 * 1.1 */
    assert_int_equal(g->nsecs, 4);
    assert_true(g->secs[0].loop_lag_p99_ms == 1.25 && !g->secs[0].saturated);
    assert_true(g->secs[1].saturated && g->secs[2].saturated && !g->secs[3].saturated);
    assert_int_equal(g->nranges, 1);
    assert_true(g->ranges[0].from == 1 && g->ranges[0].to == 3);
    assert_int_equal(g->nshards, 2);
    assert_int_equal(g->shards[0].index, 1);
    assert_non_null(g->shards[0].gen);
    assert_true(g->shards[0].gen->saturated && g->shards[0].gen->nranges == 1);
    assert_null(g->shards[1].gen);
    char *again = render_report(&reporter_json, &back, NULL);
    assert_string_equal(again, json); /* byte for byte */
    free(again);
    result_clear(&back);

    edit(&json, "\"generator\":", "\"generator_was\":"); /* as an older file */
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_null(back.generator);
    result_clear(&back);
    edit(&json, "\"generator_was\":\t{", "\"generator\":\t{\"cores\": \"x\", ");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), -1);
    assert_contains(err, "\"cores\" in generator");
    free(json);
    result_clear(&r);
}

/* The overrides a run took: back from the file as they went in, written
 * by every report (json, markdown, html, junit), and refused when mangled;
 * a file without the key (older) or with null has none. */
static void overrides_survive_the_round_trip(void **state)
{
    (void)state;
    result_t r, back;
    char err[300];
    make(&r);
    assert_non_null(r.overrides = res_overrides_new());
    r.overrides->users = 50;
    r.overrides->duration_s = 30;
    r.overrides->has_ramp_up = true; /* ramp_up 0 s: set, not absent */
    r.overrides->max_connecting = 300;
    assert_int_equal(res_overrides_add_var(r.overrides, "room", "<b>&\"r\"</b>"), 0);
    assert_int_equal(res_overrides_add_var(r.overrides, "n", "2"), 0);
    char *json = render_report(&reporter_json, &r, NULL);
    assert_contains(json, "\"overrides\":\t{\n\t\t\"users\":\t50,\n\t\t\"duration_s\":\t30,\n\t\t"
                          "\"ramp_up_s\":\t0,");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_non_null(back.overrides);
    assert_true(res_overrides_equal(r.overrides, back.overrides));
    assert_true(back.overrides->has_ramp_up);
    assert_int_equal(back.overrides->max_connecting, 300);
    assert_string_equal(back.overrides->var_names[1], "n");
    char *text = res_overrides_text(back.overrides);
    assert_string_equal(text, "users 50, duration 30s, ramp-up 0s, max-connecting 300, var "
                              "room=<b>&\"r\"</b>, var n=2");
    free(text);
    const char *want[] = { "md",
                           "**Overrides:** users 50, duration 30s",
                           "html",
                           ("<dt>Overrides</dt><dd>users 50, duration 30s, ramp-up 0s, "
                            "max-connecting 300, var room=&lt;b&gt;&amp;"),
                           "junit",
                           "<property name=\"overrides\" value=\"users 50," };
    size_t seen = 0;
    for (const reporter_t *const *rep = reporters_all; *rep; rep++) {
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i += 2) {
            if (strcmp((*rep)->name, want[i]) != 0)
                continue;
            char *out = render_report(*rep, &back, NULL);
            assert_contains(out, want[i + 1]);
            free(out);
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    result_clear(&back);

    char *bad = xstrdup(json);
    edit(&bad, "\"n\":\t\"2\"", "\"n\":\t2");
    assert_int_equal(result_from_json(bad, &back, err, sizeof(err)), -1);
    assert_contains(err, "\"n\" in overrides.vars must be a string");
    free(bad);
    bad = xstrdup(json);
    edit(&bad, "\"users\":\t50", "\"users\":\t-1");
    assert_int_equal(result_from_json(bad, &back, err, sizeof(err)), -1);
    assert_contains(err, "\"users\" in overrides");
    free(bad);
    edit(&json, "\"overrides\":\t{", "\"no_overrides\":\t{");
    assert_int_equal(result_from_json(json, &back, err, sizeof(err)), 0);
    assert_null(back.overrides);
    result_clear(&back);
    free(json);
    res_overrides_free(r.overrides);
    r.overrides = NULL;
    json = render_report(&reporter_json, &r, NULL);
    assert_contains(json, "\"overrides\":\tnull,");
    free(json);
    result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(older_results_lack_connection_counts),
        cmocka_unit_test(older_results_lack_wire),
        cmocka_unit_test(every_report_survives_the_round_trip),
        cmocka_unit_test(every_verdict_survives_the_round_trip),
        cmocka_unit_test(older_verdicts_load),
        cmocka_unit_test(open_model_survives_the_round_trip),
        cmocka_unit_test(main_step_survives_the_round_trip),
        cmocka_unit_test(refuses_malformed_files_with_the_field_named),
        cmocka_unit_test(load_file_names_the_path),
        cmocka_unit_test(malformed_json_names_the_position),
        cmocka_unit_test(load_file_stops_at_the_size_limit),
        cmocka_unit_test(refuses_overlong_strings),
        cmocka_unit_test(generator_survives_the_round_trip),
        cmocka_unit_test(overrides_survive_the_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
