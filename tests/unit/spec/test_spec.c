/* Tests for spec.c (loading and compiling specs) and yloc.c (the YAML
 * position tree it uses). Fixtures live in tests/data/specs/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "spec/data.h"
#include "base/sbuf.h"
#include "spec/spec.h"
#include "spec/yloc.h"
#include "helpers.h"

#ifndef WSGATE_TEST_DATA
#define WSGATE_TEST_DATA "tests/data"
#endif
#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

#define SEC 1000000ull

static char path_buf[1024];

static const char *fixture(const char *name)
{
    snprintf(path_buf, sizeof(path_buf), "%s/specs/%s", WSGATE_TEST_DATA, name);
    return path_buf;
}

static spec_t *load_ok(const char *path, const spec_opts_t *opts)
{
    char err[1024] = "";
    spec_t *s = spec_load(path, opts, err, sizeof(err));
    if (!s)
        fail_msg("%s did not load: %s", path, err);
    return s;
}

/* Renders a template that needs no per-user state. */
static void assert_renders(const tmpl_t *t, const char *want)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng };
    sbuf_t out = SBUF_INIT;
    assert_non_null(t);
    assert_true(tmpl_is_constant(t));
    assert_int_equal(tmpl_render(t, &ctx, &out), 0);
    assert_string_equal(out.data, want);
    sbuf_free(&out);
}

/* ------------------------------------------------------------------ */
/* Good specs.                                                          */

static void test_good_plan_shape(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    const char *path = fixture("good.yaml");
    spec_t *s = load_ok(path, NULL);
    assert_string_equal(s->path, path);
    assert_string_equal(s->name, "good-mix");
    assert_string_equal(s->target, "ws://127.0.0.1:9001"); /* trailing '/' stripped */

    assert_int_equal(s->nstages, 3);
    assert_int_equal(s->stages[0].duration_us, 10 * SEC);
    assert_int_equal(s->stages[0].users, 200);
    assert_int_equal(s->stages[1].duration_us, 40 * SEC);
    assert_int_equal(s->stages[1].users, 200);
    assert_int_equal(s->stages[2].duration_us, 5 * SEC);
    assert_int_equal(s->stages[2].users, 20);
    assert_int_equal(s->duration_us, 55 * SEC);
    assert_int_equal(s->peak_users, 200);

    assert_int_equal(s->nscenarios, 2);
    assert_int_equal(s->scenario_weight_sum, 4);
    assert_string_equal(s->scenarios[0].name, "chatter");
    assert_int_equal(s->scenarios[0].weight, 3);
    assert_string_equal(s->scenarios[1].name, "lurker");
    assert_int_equal(s->scenarios[1].weight, 1);

    static const char *const names[] = { "connect", "subscribe room", "publish", "ping",
                                         "first push" };
    assert_int_equal(s->nmetrics, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(s->metric_names[i], names[i]);
    spec_free(s);
}

static void test_good_open_model(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good_open.yaml"), NULL);
    assert_true(s->open_model);
    assert_int_equal(s->nstages, 0);
    assert_int_equal(s->open.nstages, 3);
    assert_int_equal(s->open.stages[0].duration_us, 0);
    assert_true(s->open.stages[0].rate_per_s == 5);
    assert_int_equal(s->open.stages[1].duration_us, 10 * SEC);
    assert_true(s->open.stages[2].rate_per_s == 50); /* 3000/m */
    assert_true(s->open.rate_min == 5 && s->open.rate_max == 50);
    assert_int_equal(s->duration_us, 30 * SEC);
    assert_int_equal(s->open.max_users, 400);
    assert_int_equal(s->peak_users, 400);
    assert_int_equal(s->open.iterations, 0); /* session.duration alone: no task limit */
    assert_int_equal(s->open.session_us, 30 * SEC);
    assert_int_equal(s->open.graceful_stop_us, 5 * SEC);
    assert_int_equal(s->scenarios[0].tasks[0].every_us, 250000);
    assert_int_equal(s->scenarios[0].tasks[1].every_us, 0);
    assert_int_equal(s->nassertions, 2);
    spec_free(s);
}

static void test_good_connect_and_steps(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_non_null(sc->url);
    assert_false(tmpl_is_constant(sc->url)); /* uses vu.id */
    assert_int_equal(sc->connect_timeout_us, 5 * SEC);
    assert_int_equal(sc->nheaders, 2);
    assert_renders(sc->headers[0], "X-Client-Version: web-2.14.0");
    assert_renders(sc->headers[1], "X-Shard: 7"); /* numeric variable kept as text */

    assert_int_equal(sc->non_start, 2);
    const spec_step_t *sub = &sc->on_start[0];
    assert_string_equal(sub->name, "subscribe room");
    assert_int_equal(sub->metric, 1);
    assert_non_null(sub->send);
    assert_non_null(sub->expect);
    assert_string_equal(sub->expect_src, "type == \"subscription_confirmed\"");
    cJSON *yes = cJSON_Parse("{\"type\":\"subscription_confirmed\"}");
    cJSON *no = cJSON_Parse("{\"type\":\"message_ack\"}");
    assert_true(pred_eval(sub->expect, yes));
    assert_false(pred_eval(sub->expect, no));
    cJSON_Delete(yes);
    cJSON_Delete(no);
    assert_int_equal(sub->expect_timeout_us, 2500000);
    assert_int_equal(sub->line, 21);

    const spec_step_t *hello = &sc->on_start[1];
    assert_null(hello->name);
    assert_int_equal(hello->metric, -1);
    assert_non_null(hello->send);
    assert_null(hello->expect);
    assert_null(hello->expect_src);
    assert_int_equal(hello->line, 24);

    const spec_scenario_t *lurk = &s->scenarios[1];
    assert_int_equal(lurk->connect_timeout_us, 10 * SEC); /* default */
    assert_int_equal(lurk->nheaders, 0);
    assert_renders(lurk->url, "ws://127.0.0.1:9001/ws/feed");
    assert_int_equal(lurk->ntasks, 0);
    assert_int_equal(lurk->on_start[0].metric, 4);
    assert_null(lurk->on_start[0].send);
    assert_int_equal(lurk->on_start[0].expect_timeout_us, 10 * SEC); /* default */
    spec_free(s);
}

static double read_push_ts(const spec_step_t *st, const char *msg)
{
    cJSON *m = cJSON_Parse(msg);
    double v = -1;
    if (!pred_path_number(st->latency_from, m, &v))
        v = -1;
    cJSON_Delete(m);
    return v;
}

static void test_push_latency(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("push_latency.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->non_start, 3);
    assert_false(sc->tls_resume); /* connect.tls_resume: false */
    const spec_step_t *ms = &sc->on_start[0], *us = &sc->on_start[1], *plain = &sc->on_start[2];
    assert_null(ms->send); /* receive-only */
    assert_string_equal(ms->latency_from_src, "ts");
    assert_int_equal(ms->latency_unit_us, 1000);
    assert_true(read_push_ts(ms, "{\"type\":\"quote\",\"ts\":1234}") == 1234.0);
    assert_string_equal(us->latency_from_src, "data.ts_us");
    assert_int_equal(us->latency_unit_us, 1);
    assert_int_equal(us->expect_timeout_us, 2 * SEC);
    assert_true(read_push_ts(us, "{\"data\":{\"ts_us\":99}}") == 99.0);
    assert_null(plain->latency_from);
    assert_null(plain->latency_from_src);

    assert_int_equal(sc->ncounts, 2);
    const spec_step_t *seen = &sc->counts[0], *age = &sc->counts[1];
    assert_string_equal(seen->name, "quotes seen");
    assert_string_equal(s->metric_names[seen->metric], "quotes seen");
    assert_string_equal(s->metric_names[age->metric], "quote age");
    assert_int_equal(seen->metric + 1, age->metric);
    assert_int_equal(seen->line, 15);
    assert_null(seen->latency_from);
    cJSON *q = cJSON_Parse("{\"type\":\"quote\"}");
    cJSON *o = cJSON_Parse("{\"type\":\"snapshot\"}");
    assert_true(pred_eval(seen->expect, q));
    assert_false(pred_eval(seen->expect, o));
    cJSON_Delete(q);
    cJSON_Delete(o);
    assert_int_equal(age->latency_unit_us, 1);
    assert_true(read_push_ts(age, "{\"ts_us\":42}") == 42.0);
    spec_free(s);
}

static void test_binary_and_close(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("binary_close.yaml"), NULL);
    const spec_task_t *t = &s->scenarios[0].tasks[0];
    assert_int_equal(t->nsteps, 5);
    static const unsigned char hex[] = { 0x00, 0xff, 0x7b };
    assert_int_equal(t->steps[0].binary_len, 3);
    assert_memory_equal(t->steps[0].binary, hex, 3);
    assert_non_null(t->steps[0].expect);
    assert_int_equal(t->steps[1].binary_len, 2);
    assert_memory_equal(t->steps[1].binary, "hi", 2);
    static const unsigned char b64[] = { 0, 1, 2, 3 };
    assert_int_equal(t->steps[2].binary_len, 4); /* padding is optional */
    assert_memory_equal(t->steps[2].binary, b64, 4);
    assert_null(t->steps[3].binary);
    assert_int_equal(t->steps[3].binary_random, 16);
    assert_int_equal(t->steps[4].close_code, 4001);
    assert_string_equal(s->metric_names[t->steps[4].metric], "bye");
    assert_null(t->steps[4].send);
    assert_int_equal(t->steps[0].close_code, 0);
    assert_string_equal(s->scenarios[0].subprotocol, "chat.v1");
    assert_true(s->scenarios[0].tls_resume); /* the default */
    spec_free(s);
}

static void test_good_tasks(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->ntasks, 2);
    assert_int_equal(sc->task_weight_sum, 5);

    const spec_task_t *pub = &sc->tasks[0];
    assert_string_equal(pub->name, "publish");
    assert_int_equal(pub->weight, 4);
    assert_int_equal(pub->pause.kind, PAUSE_UNIFORM);
    assert_int_equal(pub->pause.a_us, 2 * SEC);
    assert_int_equal(pub->pause.b_us, 5 * SEC);
    assert_int_equal(pub->nsteps, 1);
    assert_string_equal(pub->steps[0].name, "publish");
    assert_int_equal(pub->steps[0].metric, 2);
    assert_int_equal(pub->steps[0].expect_timeout_us, 5 * SEC);
    assert_string_equal(pub->steps[0].expect_src,
                        "type in [\"message_ack\", \"message_delivered\"]");

    const spec_task_t *ping = &sc->tasks[1];
    assert_int_equal(ping->weight, 1); /* default */
    assert_int_equal(ping->pause.kind, PAUSE_CONSTANT);
    assert_int_equal(ping->pause.a_us, 1 * SEC);
    assert_int_equal(ping->steps[0].metric, 3);
    assert_int_equal(ping->steps[0].expect_timeout_us, 10 * SEC);
    assert_string_equal(ping->steps[0].expect_src, "type == \"pong\"");
    assert_int_equal(ping->steps[0].line, 31);
    spec_free(s);
}

static void test_good_assertions(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good.yaml"), NULL);
    assert_int_equal(s->nassertions, 4);
    assert_string_equal(s->assertions[0].text, "connect.success_rate >= 99.5%");
    assert_string_equal(s->assertions[1].text, "p50(subscribe room) < 200ms");
    assert_string_equal(s->assertions[3].text, "errors.timeout == 0");
    assert_int_equal(s->assertions[0].line, 43);
    assert_int_equal(s->assertions[1].line, 44);
    assert_int_equal(s->assertions[3].line, 46);
    assert_string_equal(s->assertions[1].metric, "subscribe room");
    spec_free(s);
}

static void test_chat_example(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(WSGATE_SOURCE_DIR "/specs/chat.yaml", NULL);
    assert_string_equal(s->name, "chat-support-room");
    assert_string_equal(s->target, "embedded");
    assert_int_equal(s->nstages, 2);
    assert_int_equal(s->stages[0].duration_us, 5 * SEC); /* ramp */
    assert_int_equal(s->stages[0].users, 50);
    assert_int_equal(s->stages[1].duration_us, 15 * SEC); /* hold */
    assert_int_equal(s->stages[1].users, 50);
    assert_int_equal(s->duration_us, 20 * SEC);
    assert_int_equal(s->peak_users, 50);
    assert_int_equal(s->nmetrics, 3);
    assert_string_equal(s->metric_names[1], "subscribe room");
    assert_string_equal(s->metric_names[2], "publish chat message");
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->connect_timeout_us, 5 * SEC);
    assert_int_equal(sc->non_start, 1);
    assert_int_equal(sc->on_start[0].expect_timeout_us, 5 * SEC);
    assert_int_equal(sc->ntasks, 1);
    assert_int_equal(sc->tasks[0].pause.kind, PAUSE_UNIFORM);
    assert_int_equal(sc->tasks[0].pause.a_us, 2 * SEC);
    assert_int_equal(sc->tasks[0].pause.b_us, 5 * SEC);
    assert_false(tmpl_is_constant(sc->tasks[0].steps[0].send));
    assert_int_equal(s->nassertions, 4);
    assert_string_equal(s->assertions[2].text, "p99(publish chat message) < 500ms");
    assert_string_equal(s->assertions[3].text, "errors.timeout == 0");
    spec_free(s);
}

static char *render(const tmpl_t *t, uint32_t vu)
{
    uint64_t rng = 42;
    tmpl_ctx_t ctx = { .vu_id = vu, .rng = &rng };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(t, &ctx, &out), 0);
    return out.data;
}

/* The chat example renders the guide's messages as valid JSON. */
static void test_chat_renders(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_opts_t over = { .target_override = "ws://127.0.0.1:8080" };
    spec_t *s = load_ok(WSGATE_SOURCE_DIR "/specs/chat.yaml", &over);
    const spec_scenario_t *sc = &s->scenarios[0];

    char *url = render(sc->url, 7);
    assert_string_equal(url, "ws://127.0.0.1:8080/ws/chat?token=demo-jwt-token-7");
    free(url);

    char *sub = render(sc->on_start[0].send, 7);
    cJSON *j = cJSON_Parse(sub);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "action")->valuestring, "subscribe");
    assert_string_equal(cJSON_GetObjectItem(j, "channel")->valuestring, "room:support-room-42");
    assert_string_equal(cJSON_GetObjectItem(j, "userId")->valuestring, "user-7");
    cJSON_Delete(j);
    free(sub);

    char *pub = render(sc->tasks[0].steps[0].send, 7);
    j = cJSON_Parse(pub);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "action")->valuestring, "publish");
    const cJSON *msg = cJSON_GetObjectItem(j, "message");
    assert_int_equal(strlen(cJSON_GetObjectItem(msg, "id")->valuestring), 12);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(msg, "sentAt")));
    assert_contains(cJSON_GetObjectItem(msg, "text")->valuestring, " ");
    cJSON_Delete(j);
    free(pub);
    spec_free(s);
}

/* A ramp of 0 makes the first stage a jump of duration 0. */
static void test_no_ramp_jumps(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("no_ramp.yaml"), NULL);
    assert_int_equal(s->nstages, 2);
    assert_int_equal(s->stages[0].duration_us, 0);
    assert_int_equal(s->stages[0].users, 5);
    assert_int_equal(s->stages[1].duration_us, 10 * SEC);
    assert_int_equal(s->stages[1].users, 5);
    assert_int_equal(s->duration_us, 10 * SEC);
    assert_int_equal(s->nmetrics, 1); /* connect only */
    assert_int_equal(s->scenarios[0].non_start + s->scenarios[0].ntasks, 0);
    assert_renders(s->scenarios[0].url, "ws://127.0.0.1:9001/ws");
    assert_int_equal(s->nassertions, 0);
    spec_free(s);
}

/* ------------------------------------------------------------------ */
/* Target precedence.                                                   */

static void test_target_precedence(void **state)
{
    (void)state;
    const char *path = fixture("good.yaml");
    spec_opts_t over = { .target_override = "wss://override.example:9443/" };

    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(path, &over);
    assert_string_equal(s->target, "wss://override.example:9443");
    /* templates fold the effective target, not the spec's */
    assert_renders(s->scenarios[1].url, "wss://override.example:9443/ws/feed");
    spec_free(s);

    setenv("WSGATE_TARGET", "ws://from-env:7000", 1);
    s = load_ok(path, NULL);
    assert_string_equal(s->target, "ws://from-env:7000");
    spec_free(s);
    s = load_ok(path, &over); /* --target beats the environment */
    assert_string_equal(s->target, "wss://override.example:9443");
    spec_free(s);

    setenv("WSGATE_TARGET", "", 1); /* empty counts as unset */
    s = load_ok(path, NULL);
    assert_string_equal(s->target, "ws://127.0.0.1:9001");
    spec_free(s);
    unsetenv("WSGATE_TARGET");
}

static void test_target_missing_then_env(void **state)
{
    (void)state;
    char err[512];
    unsetenv("WSGATE_TARGET");
    const char *path = fixture("no_target.yaml");
    assert_null(spec_load(path, NULL, err, sizeof(err)));
    assert_contains(err, "missing target");
    assert_contains(err, "WSGATE_TARGET");

    setenv("WSGATE_TARGET", "embedded", 1);
    spec_t *s = load_ok(path, NULL);
    assert_string_equal(s->target, "embedded");
    spec_free(s);
    unsetenv("WSGATE_TARGET");
}

static void test_bad_override(void **state)
{
    (void)state;
    char err[512], want[1100];
    spec_opts_t over = { .target_override = "127.0.0.1:8080" };
    unsetenv("WSGATE_TARGET");
    assert_null(spec_load(fixture("good.yaml"), &over, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s: --target \"127.0.0.1:8080\"", fixture("good.yaml"));
    assert_memory_equal(err, want, strlen(want));
    assert_contains(err, "ws://host:port");
    /* an override with a bad port or host names the flag or variable */
    over.target_override = "ws://127.0.0.1:";
    assert_null(spec_load(fixture("good.yaml"), &over, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s: --target \"ws://127.0.0.1:\": no port after ':'",
             fixture("good.yaml"));
    assert_memory_equal(err, want, strlen(want));
    setenv("WSGATE_TARGET", "ws://[::1", 1);
    assert_null(spec_load(fixture("good.yaml"), NULL, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s: WSGATE_TARGET \"ws://[::1\": the [ of the IPv6 host",
             fixture("good.yaml"));
    assert_memory_equal(err, want, strlen(want));
    unsetenv("WSGATE_TARGET");
}

/* ------------------------------------------------------------------ */
/* Bad specs: file:line and key words.                                  */

typedef struct bad_case {
    const char *file;
    int line;
    const char *words[4];
} bad_case_t;

static const bad_case_t bad_cases[] = {
    { "bad_unknown_key.yaml",
      10,
      { "unknown key \"expect_type\" in scenarios[0].on_start[0]", "did you mean \"expect\"?" } },
    { "bad_unknown_top_key.yaml", 3, { "unknown key \"lod\" at the top level", "\"load\"" } },
    { "bad_unknown_key_nohint.yaml",
      6,
      { "unknown key \"think_time\" in load", "allowed here: users, duration, ramp_up, stages" } },
    { "bad_duration.yaml", 5, { "bad duration \"5 seconds\"", "load.duration" } },
    { "bad_assert_metric.yaml",
      13,
      { "assertion \"p50(subscribe rom) < 200ms\": ", "unknown metric", "subscribe room" } },
    { "bad_assert_slow.yaml",
      9,
      { "assertion \"slow_consumers.unread_bytes_max < 1MB\": ", "slow readers",
        "connect.read_rate", "pause_reading" } },
    { "bad_predicate.yaml",
      11,
      { "bad predicate", "scenarios[0].tasks[0].expect.match", "column" } },
    { "bad_template_var.yaml",
      10,
      { "bad template", "scenarios[0].on_start[0].send", "unknown variable \"rom\"" } },
    { "bad_syntax.yaml", 5, { "YAML syntax error: ", "mapping values are not allowed" } },
    { "missing_name.yaml", 2, { "missing key \"name\"", "add name: " } },
    { "missing_scenarios.yaml", 1, { "missing key \"scenarios\"", "- name:" } },
    { "empty_scenarios.yaml", 4, { "scenarios needs at least 1 entry" } },
    { "dup_step_names.yaml", 13, { "duplicate step name \"subscribe room\"", "line 8" } },
    { "ramp_too_long.yaml", 6, { "ramp_up (10s) must be shorter than load.duration (10s)" } },
    { "bad_send_type.yaml",
      9,
      { "scenarios[0].tasks[0].send must be a text value, not a mapping", "quotes" } },
    { "bad_weight.yaml",
      6,
      { "scenarios[0].weight \"lots\" is not a whole number; write digits only, e.g. weight: 1" } },
    { "zero_weight.yaml", 9, { "scenarios[0].tasks[0].weight must be at least 1" } },
    { "no_send_no_expect.yaml", 8, { "neither send nor expect", "scenarios[0].tasks[0]" } },
    { "dup_key.yaml", 10, { "key \"send\" appears twice", "first on line 9" } },
    { "both_load_kinds.yaml", 6, { "both stages and users" } },
    { "bad_version.yaml", 1, { "version 2 is not supported", "version: 1" } },
    { "reserved_name.yaml", 8, { "step name \"connect\" is reserved" } },
    { "bad_header.yaml", 10, { "header \"no colon here\"", "Name: value" } },
    { "bad_pause.yaml", 10, { "bad pause \"between(5s, 2s)\"", "tasks[0].pause" } },
    { "bad_variables.yaml", 5, { "variable name \"target\" is reserved" } },
    { "missing_match.yaml", 10, { "missing key \"match\" in scenarios[0].tasks[0].expect" } },
    { "not_a_mapping.yaml", 1, { "must be a mapping" } },
    { "empty.yaml", 1, { "the spec is empty" } },
    { "bad_latency_from.yaml",
      11,
      { "bad field path in scenarios[0].tasks[0].expect.latency_from", "one field path" } },
    { "bad_latency_unit.yaml",
      12,
      { "scenarios[0].tasks[0].expect.unit is \"seconds\"", "unit: ms or unit: us" } },
    { "bad_unit_alone.yaml", 11, { "expect.unit without latency_from", "latency_from: ts" } },
    { "bad_count_dup.yaml", 11, { "duplicate step name \"quote\"", "line 8" } },
    { "bad_count_match.yaml", 9, { "bad predicate in scenarios[0].count[0].match", "column" } },
    { "bad_count_unit.yaml",
      11,
      { "scenarios[0].count[0].unit is \"ns\"", "unit: ms or unit: us" } },
    { "bad_binary_hex.yaml", 10, { "steps[0].send_binary: bad hex data \"abc\"" } },
    { "bad_binary_kind.yaml",
      10,
      { "send_binary \"0xabcd\" is not hex:..., base64:... or random(N)", "hex:0a0b0c" } },
    { "bad_binary_random.yaml", 10, { "random(0) must be 1 to 1048576 bytes" } },
    { "bad_close_code.yaml",
      10,
      { "steps[0].close.code 1006 is not a code a client may send", "close: {code: 1000}" } },
    { "bad_subprotocol.yaml", 6, { "connect.subprotocol \"chat v1\" is not one protocol token" } },
    { "bad_close_mixed.yaml", 10, { "has close beside other actions" } },
    { "bad_arrival_rate.yaml", 5, { "load.arrival_rate.rate", "\"20\" is not a rate", "50/s" } },
    { "bad_arrival_no_max.yaml", 4, { "needs max_users", "arrivals.dropped", "max_users: 500" } },
    { "bad_arrival_mixed.yaml", 5, { "both arrival_rate", "closed model", "keep one" } },
    { "bad_arrival_stage_key.yaml",
      8,
      { "unknown key \"rates\" in load.arrival_rate.stages[1]", "did you mean \"rate\"?" } },
    { "bad_session_iterations.yaml", 8, { "session.iterations must be at least 1" } },
    { "bad_task_rate_pause.yaml", 9, { "both rate and pause", "rate: 10/s" } },
    { "bad_task_rate.yaml", 9, { "tasks[0].rate", "is not a rate", "50/s" } },
    { "bad_task_rate_tiny.yaml", 9, { "tasks[0].rate", "less than once in 31 years", "1/h" } },
    { "bad_arrivals_too_many.yaml",
      4,
      { "arrivals add up to 7200000000", "more than the 4294967295", "lower rate or duration" } },
    { "bad_arrivals_closed.yaml", 9, { "arrivals.dropped", "open-model", "arrival_rate" } },
    { "bad_second_entry.yaml",
      16,
      { "unknown key \"pasue\" in scenarios[1].tasks[1]", "did you mean \"pause\"?" } },
    { "bad_http_method.yaml",
      11,
      { "scenarios[0].on_start[0].http.method \"FETCH\"", "GET, POST, PUT, PATCH or DELETE" } },
    { "bad_http_url.yaml",
      11,
      { "http.url \"ftp://host/login\" must start with http://, https://", "{{target_http}}" } },
    { "bad_target_port.yaml",
      2,
      { "target \"ws://127.0.0.1:99999\": port \"99999\" is not 1-65535",
        "write e.g. ws://127.0.0.1:8080" } },
    { "bad_connect_url.yaml",
      10,
      { "scenarios[1].connect.url \"ws://[::1:9001/ws\"", "IPv6 host is not closed",
        "ws://[::1]:8080" } },
    { "bad_http_url_port.yaml",
      13,
      { "on_start[0].http.url \"http://127.0.0.1:/login\": no port after ':'",
        "http://127.0.0.1:8080" } },
    { "bad_yaml_tab.yaml",
      5,
      { "YAML syntax error: a tab at column 1; YAML indents with spaces; replace the tab" } },
    { "bad_yaml_quote.yaml",
      2,
      { "the quoted value opened on line 2 runs on to line 7",
        "close the quote opened on line 2" } },
    { "bad_yaml_quote_end.yaml",
      5,
      { "the quote opened on line 5 is never closed; close the quote opened on line 5" } },
    { "bad_yaml_latin1.yaml",
      3,
      { "the spec is not UTF-8 (byte 0xE9 at column 32", "save the file as UTF-8" } },
    { "bad_http_bodies.yaml", 9, { "http has more than one of json, form and body" } },
    { "bad_http_status.yaml", 12, { "http.expect_status 999 is not an HTTP status" } },
    { "bad_http_timeout.yaml", 12, { "http.timeout must be more than 0" } },
    { "bad_http_capture.yaml",
      12,
      { "http.capture.tok \"body.token\" is not json.FIELD or cookie.NAME" } },
    { "bad_http_capture_path.yaml", 12, { "http.capture.tok: bad field path \"a b\"" } },
    { "bad_http_capture_name.yaml", 13, { "capture name \"vu\"", "reserved" } },
    { "bad_http_unknown_key.yaml",
      11,
      { "unknown key \"metod\" in scenarios[0].on_start[0].http", "did you mean \"method\"?" } },
    { "bad_http_mixed.yaml", 9, { "has http beside other actions" } },
    { "bad_reconnect_jitter.yaml",
      8,
      { "connect.reconnect.jitter \"150%\" is not a percentage from 0% to 100%", "jitter: 50%" } },
    { "bad_read_rate.yaml",
      8,
      { "scenarios[0].connect.read_rate \"16KB\" is not a rate of bytes", "16KB/s" } },
    { "bad_read_rate_size.yaml",
      8,
      { "bad read rate \"16QB/s\" for scenarios[0].connect.read_rate", "e.g. 1KB" } },
    { "bad_pause_reading_mixed.yaml",
      9,
      { "has pause_reading beside other actions", "a step of its own" } },
    { "bad_pause_reading_zero.yaml",
      11,
      { "tasks[0].steps[0].pause_reading must be more than 0", "pause_reading: 10s" } },
    { "bad_reconnect_attempts.yaml",
      8,
      { "connect.reconnect.max_attempts is 0", "max_attempts: 5", "leave reconnect: out" } },
    { "bad_reconnect_key.yaml",
      10,
      { "unknown key \"backof\" in scenarios[0].connect.reconnect", "did you mean \"backoff\"?" } },
    { "bad_reconnect_max_backoff.yaml",
      8,
      { "max_backoff 100ms is below backoff 1s", "max_backoff: 1s or more" } },
    { "bad_on_reconnect_no_policy.yaml",
      7,
      { "on_reconnect runs only after automatic reconnects", "add connect.reconnect" } },
    { "bad_expect_capture_path.yaml",
      9,
      { "tasks[0].expect.capture.x: bad field path \"a b\"", "capture: {last_seq: sequence}" } },
    { "bad_count_capture_name.yaml", 10, { "capture name \"vu\"", "reserved" } },
    { "bad_http_uncaptured.yaml",
      8,
      { "bad template in scenarios[0].connect.headers[0]", "unknown variable \"token\"",
        "access_token" } },
};

/* connect.read_rate (bytes a second) and pause_reading steps: the run
 * then reports slow consumers; a spec without either does not. */
static void test_slow_readers(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good_slow_reader.yaml"), NULL);
    assert_int_equal(s->scenarios[0].read_rate, 16 * 1024);
    assert_int_equal(s->scenarios[1].read_rate, 0);
    const spec_step_t *st = &s->scenarios[1].tasks[0].steps[0];
    assert_int_equal(st->pause_reading_us, 1500000);
    assert_int_equal(st->sleep_us, 0);
    assert_null(st->send);
    assert_null(st->expect);
    assert_true(st->metric > 0);
    assert_string_equal(s->metric_names[st->metric], "stalled");
    assert_true(s->slow_readers);
    /* its assertions name the slow_consumers figures */
    assert_int_equal(s->nassertions, 2);
    assert_int_equal(s->assertions[0].agg, AGG_SLOW_UNREAD_MAX);
    assert_true(s->assertions[0].threshold == 1048576);
    assert_int_equal(s->assertions[1].agg, AGG_SLOW_SAMPLES);
    spec_free(s);
    s = load_ok(fixture("good_reconnect.yaml"), NULL);
    assert_false(s->slow_readers);
    spec_free(s);
}

/* connect.reconnect, on_reconnect, expect.capture and count capture. */
static void test_reconnect_and_captures(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("good_reconnect.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->reconnect.max_attempts, 4);
    assert_int_equal(sc->reconnect.backoff_us, 250000);
    assert_int_equal(sc->reconnect.max_backoff_us, 2 * SEC);
    assert_int_equal(sc->reconnect.jitter_pct, 25);
    const spec_reconnect_t *d = &s->scenarios[1].reconnect; /* reconnect: {} */
    assert_int_equal(d->max_attempts, 5);
    assert_int_equal(d->backoff_us, 1 * SEC);
    assert_int_equal(d->max_backoff_us, 30 * SEC);
    assert_int_equal(d->jitter_pct, 0);
    assert_int_equal(s->scenarios[2].reconnect.max_attempts, 0); /* no policy */
    assert_true(s->reconnect_metric > 0);
    assert_string_equal(s->metric_names[s->reconnect_metric], "reconnects");

    assert_int_equal(sc->non_reconnect, 1);
    assert_string_equal(sc->on_reconnect[0].name, "resume");
    assert_non_null(sc->on_reconnect[0].send);
    /* last_seq from three places is one slot; who from the task */
    assert_int_equal(sc->nslots, 2);
    assert_string_equal(sc->slot_names[0], "last_seq");
    assert_string_equal(sc->slot_names[1], "who");
    assert_int_equal(sc->on_start[0].ncaptures, 1);
    assert_int_equal(sc->on_start[0].captures[0].slot, 0);
    const spec_step_t *edit = &sc->tasks[0].steps[0];
    assert_int_equal(edit->ncaptures, 2);
    assert_int_equal(edit->captures[1].slot, 1);
    assert_string_equal(edit->captures[0].src, "data.sequence");
    cJSON *m = cJSON_Parse("{\"data\":{\"sequence\":42},\"user\":{\"name\":\"ann\"}}");
    assert_int_equal(cJSON_GetNumberValue(pred_path_value(edit->captures[0].json, m)), 42);
    assert_string_equal(cJSON_GetStringValue(pred_path_value(edit->captures[1].json, m)), "ann");
    cJSON_Delete(m);
    assert_int_equal(sc->counts[0].ncaptures, 1);
    assert_int_equal(sc->counts[0].captures[0].slot, 0);

    /* the resume template renders the captured values */
    char *slots[2] = { "17", "ann" };
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng, .slots = (const char *const *)slots };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(sc->on_reconnect[0].send, &ctx, &out), 0);
    assert_string_equal(out.data, "{\"action\":\"resume\",\"last\":17,\"who\":\"ann\"}");
    sbuf_free(&out);
    spec_free(s);
}

static void check_bad(const bad_case_t *bc)
{
    char err[1024] = "", prefix[1100];
    const char *path = fixture(bc->file);
    spec_t *s = spec_load(path, NULL, err, sizeof(err));
    if (s) {
        spec_free(s);
        fail_msg("%s loaded but should fail", bc->file);
    }
    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bc->line);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("%s: want prefix \"%s\", got \"%s\"", bc->file, prefix, err);
    assert_null(strchr(err, '\n'));
    for (size_t i = 0; i < 4 && bc->words[i]; i++)
        if (!strstr(err, bc->words[i]))
            fail_msg("%s: \"%s\" lacks \"%s\"", bc->file, err, bc->words[i]);
}

static void test_bad_specs(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        check_bad(&bad_cases[i]);
}

/* ------------------------------------------------------------------ */
/* Numbers and true/false are read exactly: a spec text with one %s, the */
/* value put there, the line and words of the error (NULL: it loads).    */

#define HEAD "name: t\ntarget: ws://127.0.0.1:9\n"
#define LOAD "load: {users: 1, duration: 1s}\n"
#define SCEN "scenarios:\n  - name: a\n    connect: {url: \"{{target}}/ws\"}\n"
#define USERS HEAD "load:\n  users: %s\n  duration: 1s\n" SCEN
#define STEP HEAD LOAD SCEN "    on_start:\n      - %s\n"

typedef struct scalar_case {
    const char *spec;
    const char *value;
    int line;
    const char *words;
} scalar_case_t;

static const scalar_case_t scalar_cases[] = {
    { USERS, "1e3", 4, "load.users \"1e3\" is not a whole number; write users: 1000" },
    { USERS, "3_000", 4, "load.users \"3_000\" has digit separators; write users: 3000" },
    { USERS, "1,000", 4, "\"1,000\" has digit separators; write users: 1000" },
    { USERS, "2.9", 4, "\"2.9\" is not a whole number; write users: 2 or users: 3" },
    { USERS, "10abc", 4, "\"10abc\" is not a whole number; write digits only, e.g. users: 10" },
    { USERS, "-1", 4, "load.users \"-1\" is negative; write a whole number, e.g. users: 10" },
    { USERS, "4294967296", 4,
      "\"4294967296\" is too large; write a whole number up to 4294967295" },
    { USERS, "1e30", 4, "\"1e30\" is too large" },
    { USERS, "0x10", 4, "\"0x10\" is not written in decimal; write users: 16" },
    { USERS, "010", 4,
      "\"010\" has a leading zero (YAML 1.1 reads that as octal); write users: 10" },
    { USERS, "+5", 4, "\"+5\" has a sign; write users: 5" },
    { USERS, "' 7'", 4, "\" 7\" has spaces or separators around the digits; write users: 7" },
    { USERS, "", 4, "load.users has no value; write users: 10" },
    { USERS, "true", 4, "\"true\" is not a whole number" },
    { USERS, "'12'", 0, NULL },
    { USERS, "4294967295", 0, NULL },
    { HEAD
      "load:\n  stages:\n    - {duration: 1s, users: 5}\n    - {duration: 1s, users: 2.5}\n" SCEN,
      NULL, 6, "load.stages[1].users \"2.5\" is not a whole number; write users: 2 or users: 3" },
    { HEAD "load:\n  arrival_rate: {rate: 1/s, duration: 1s, max_users: %s}\n" SCEN, "5k", 4,
      "load.arrival_rate.max_users \"5k\" is not a whole number; write digits only, e.g. "
      "max_users: 500" },
    { HEAD "load:\n  arrival_rate:\n    rate: 1/s\n    duration: 1s\n    max_users: 5\n"
           "    session: {iterations: %s}\n" SCEN,
      "1.0", 8,
      "load.arrival_rate.session.iterations \"1.0\" is not a whole number; write "
      "iterations: 1" },
    { "version: %s\n" HEAD LOAD SCEN, "1.0", 1,
      "version \"1.0\" is not a whole number; write version: 1" },
    { HEAD LOAD "scenarios:\n  - name: a\n    weight: %s\n    connect: {url: \"{{target}}/ws\"}\n",
      "2x", 6, "scenarios[0].weight \"2x\" is not a whole number" },
    { HEAD LOAD SCEN "    tasks:\n      - send: hi\n        weight: %s\n", "1_0", 9,
      "scenarios[0].tasks[0].weight \"1_0\" has digit separators; write weight: 10" },
    { HEAD LOAD "scenarios:\n  - name: a\n    connect:\n      url: \"{{target}}/ws\"\n"
                "      reconnect: {max_attempts: %s}\n",
      "5x", 8,
      "connect.reconnect.max_attempts \"5x\" is not a whole number; write digits only, "
      "e.g. max_attempts: 5" },
    { HEAD LOAD SCEN "    tasks:\n      - send: hi\n        weight: %s\n", "1000001", 9,
      "scenarios[0].tasks[0].weight 1000001 is more than 1000000; write smaller shares" },
    { STEP, "send_binary: random(+5)", 8, "send_binary \"random(+5)\" is not hex:..., base64:..." },
    { STEP, "send_binary: random( 5)", 8, "send_binary \"random( 5)\" is not hex:..." },
    { STEP, "send_binary: random(99999999999999999999)", 8,
      "send_binary random(99999999999999999999) must be 1 to 1048576 bytes" },
    { STEP, "close: {code: 1e3}", 8, "close.code \"1e3\" is not a whole number; write code: 1000" },
    { STEP, "http: {url: \"{{target_http}}/x\", expect_status: 2OO}", 8,
      "http.expect_status \"2OO\" is not a whole number" },
    { STEP, "reconnect: truex", 8,
      "on_start[0].reconnect \"truex\" is not true or false; write reconnect: true or reconnect: "
      "false" },
    { HEAD "tls: {insecure_skip_verify: yes}\n" LOAD SCEN, NULL, 3,
      "tls.insecure_skip_verify \"yes\" is not true or false; write insecure_skip_verify: true" },
    { HEAD "tls: {insecure_skip_verify: 'False'}\n" LOAD SCEN, NULL, 0, NULL },
};

static void check_scalar(const char *dir, const scalar_case_t *sc)
{
    char path[512], text[1024], err[1024] = "", prefix[600];
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    const char *hole = strstr(sc->spec, "%s");
    if (hole)
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(hole - sc->spec), sc->spec,
                 sc->value ? sc->value : "", hole + 2);
    else
        snprintf(text, sizeof(text), "%s", sc->spec);
    write_file(path, text);
    spec_t *s = spec_load(path, NULL, err, sizeof(err));
    if (!sc->words) {
        if (!s)
            fail_msg("value \"%s\" did not load: %s", sc->value, err);
        spec_free(s);
        return;
    }
    if (s) {
        spec_free(s);
        fail_msg("value \"%s\" loaded but should fail (%s)", sc->value, sc->words);
    }
    snprintf(prefix, sizeof(prefix), "%s:%d: ", path, sc->line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, sc->words))
        fail_msg("value \"%s\": want \"%s%s\", got \"%s\"", sc->value, prefix, sc->words, err);
}

/* Loads text (a spec) from a fresh file; NULL with err set when it fails. */
static spec_t *load_text(const char *text, char *err, size_t errlen, char *dir, size_t dirlen)
{
    char path[300];
    make_tmpdir(dir, dirlen, "spec");
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    write_file(path, text);
    return spec_load(path, NULL, err, errlen);
}

/* {{target_http}} is the target's origin: http(s), host and port as
 * written, no path, query or fragment, in observe: URLs and HTTP steps. */
static void test_target_http_is_the_origin(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
    spec_t *s = load_text("name: t\ntarget: ws://127.0.0.1:9/ws/chat?room=1#x\n" LOAD SCEN
                          "observe:\n  - prometheus: \"{{target_http}}/metrics\"\n"
                          "    metrics: [a]\n",
                          err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    assert_string_equal(s->observe[0].url, "http://127.0.0.1:9/metrics");
    spec_free(s);
    rm_tree(dir);
    s = load_text("name: t\ntarget: wss://[::1]:8443/ws\n" LOAD SCEN
                  "    on_start:\n      - http: {url: \"{{target_http}}/login\"}\n",
                  err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 1 };
    assert_int_equal(tmpl_render(s->scenarios[0].on_start[0].http->url, &ctx, &out), 0);
    assert_string_equal(out.data, "https://[::1]:8443/login");
    sbuf_free(&out);
    spec_free(s);
    rm_tree(dir);
}

/* observe: over https:// (a wss:// target's {{target_http}}, or written
 * out) loads with the spec's tls: block; a scheme other than http(s) is
 * still refused at its line. */
static void test_observe_https(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
    spec_t *s = load_text("name: t\ntarget: wss://127.0.0.1:8443/ws\n" LOAD SCEN
                          "observe:\n  - prometheus: \"{{target_http}}/metrics\"\n"
                          "    metrics: [a]\n"
                          "  - prometheus: \"https://localhost:9443/m\"\n"
                          "    metrics: [b]\n"
                          "tls: {insecure_skip_verify: true}\n",
                          err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    assert_string_equal(s->observe[0].url, "https://127.0.0.1:8443/metrics");
    assert_string_equal(s->observe[1].url, "https://localhost:9443/m");
    assert_true(s->tls.insecure);
    spec_free(s);
    rm_tree(dir);
    s = load_text("name: t\ntarget: ws://127.0.0.1:9/ws\n" LOAD SCEN
                  "observe:\n  - prometheus: \"wss://127.0.0.1:9/metrics\"\n"
                  "    metrics: [a]\n",
                  err, sizeof(err), dir, sizeof(dir));
    assert_null(s);
    assert_contains(err, "observe[0].prometheus \"wss://127.0.0.1:9/metrics\" must start with "
                         "http:// or https://");
    rm_tree(dir);
}

/* send: "A\u0000B" is three bytes: libcyaml's copy ends at the NUL, the
 * compiled step keeps it (also with a hole after it); a NUL where it
 * cannot be sent (a URL, a header) is a spec error at its line. */
static void test_send_carries_nul(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
    spec_t *s = load_text(HEAD LOAD SCEN "    on_start:\n"
                                         "      - send: \"A\\u0000B\"\n"
                                         "      - send: \"{{vu.id}}\\u0000\\u0000{{vu.id}}\"\n",
                          err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    sbuf_t out = SBUF_INIT;
    tmpl_ctx_t ctx = { .vu_id = 7 };
    assert_int_equal(tmpl_render(s->scenarios[0].on_start[0].send, &ctx, &out), 0);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "A\0B", 3);
    sbuf_truncate(&out, 0);
    assert_int_equal(tmpl_render(s->scenarios[0].on_start[1].send, &ctx, &out), 0);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data,
                        "7\0\0"
                        "7",
                        4);
    sbuf_free(&out);
    spec_free(s);
    rm_tree(dir);

    s = load_text(HEAD LOAD
                  "scenarios:\n  - name: a\n"
                  "    connect: {url: \"{{target}}/ws\", headers: [\"X-A: a\\u0000b\"]}\n",
                  err, sizeof(err), dir, sizeof(dir));
    assert_null(s);
    assert_contains(err, ":6: scenarios[0].connect.headers[0] holds a NUL byte");
    rm_tree(dir);
}

/* msg_keys: each top-level field a predicate (expect, fail_if, a count's
 * match), a latency_from path or a capture reads, once, whatever its
 * block; nothing else. */
static void test_scenario_msg_keys(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
    spec_t *s = load_text(HEAD LOAD SCEN
                          "    on_start:\n"
                          "      - send: x\n"
                          "        expect: {match: 'type == \"a\" && !(data.id > 1)', "
                          "fail_if: 'error', capture: {sid: session.id}}\n"
                          "    tasks:\n"
                          "      - send: y\n"
                          "        expect: {match: 'type in [\"b\", \"c\"] || kind', latency_from: "
                          "sent.us}\n"
                          "    count:\n"
                          "      - name: pushes\n"
                          "        match: 'type == \"push\"'\n"
                          "        latency_from: ts_us\n",
                          err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    const spec_scenario_t *sc = &s->scenarios[0];
    const char *want[] = { "type", "data", "error", "session", "kind", "sent", "ts_us" };
    assert_int_equal(sc->nmsg_keys, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sc->nmsg_keys; i++)
        assert_string_equal(sc->msg_keys[i], want[i]);
    spec_free(s);
    rm_tree(dir);
}

/* protocol: and stomp: keys: what compiles, and each mistake at its line. */
static void test_protocol_keys(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
#define STOMP_SCEN                                                                                 \
    "scenarios:\n  - name: a\n    protocol: stomp\n    stomp: {login: u, heartbeat: 2s}\n"         \
    "    connect: {url: \"{{target}}/ws\"}\n"
    spec_t *s =
        load_text(HEAD LOAD STOMP_SCEN "    on_start:\n"
                                       "      - name: sub\n"
                                       "        stomp: {subscribe: /topic/x, receipt: true}\n"
                                       "      - stomp: {send: /topic/x, body: \"a\\u0000b\"}\n"
                                       "      - stomp: {subscribe: /queue/q, ack: client, "
                                       "nack_if: 'headers.redelivered != \"true\"'}\n",
                  err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->protocol, SPEC_PROTO_STOMP);
    assert_int_equal(sc->stomp->heartbeat_us, 2 * SEC);
    assert_non_null(sc->stomp->host); /* "/" by default */
    assert_string_equal(sc->on_start[0].stomp->id, "sub-0");
    assert_string_equal(sc->on_start[0].stomp->ack, "auto");
    assert_string_equal(sc->on_start[0].expect_src, "RECEIPT");
    assert_int_equal(sc->on_start[0].expect_timeout_us, 10 * SEC);
    assert_int_equal(sc->on_start[1].stomp->command, SPEC_STOMP_SEND);
    assert_null(sc->on_start[1].expect);
    assert_null(sc->on_start[0].stomp->nack_if);
    assert_non_null(sc->on_start[2].stomp->nack_if);
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(sc->on_start[1].stomp->body, NULL, &out), 0);
    assert_int_equal(out.len, 3);
    sbuf_free(&out);
    spec_free(s);
    rm_tree(dir);

    static const struct {
        const char *text, *want;
    } bad[] = {
        { HEAD LOAD
          "scenarios:\n  - name: a\n    protocol: mqtt\n    connect: {url: \"{{target}}/ws\"}\n",
          ":6: scenarios[0].protocol \"mqtt\" is not json, text, stomp, socketio, graphql or "
          "graphql-apollo" },
        { HEAD LOAD
          "scenarios:\n  - name: a\n    stomp: {login: u}\n    connect: {url: \"{{target}}/ws\"}\n",
          ":6: scenarios[0].stomp is for protocol: stomp" },
        { HEAD LOAD "scenarios:\n  - name: a\n    connect: {url: \"{{target}}/ws\"}\n    "
                    "on_start:\n      - stomp: {subscribe: /x}\n",
          ":8: scenarios[0].on_start[0].stomp is a STOMP frame; add protocol: stomp" },
        { HEAD LOAD STOMP_SCEN "    on_start:\n      - stomp: {subscribe: /x, send: /y}\n",
          ":10: scenarios[0].on_start[0].stomp needs exactly one of subscribe: and send:" },
        { HEAD LOAD STOMP_SCEN
          "    on_start:\n      - stomp: {send: /x, receipt: true}\n        expect: {match: 'a'}\n",
          "receipt: true times the step to its RECEIPT" },
        { HEAD LOAD "scenarios:\n  - name: a\n    protocol: stomp\n    stomp: {heartbeat: 1s}\n"
                    "    connect: {url: \"{{target}}/ws\", ping_interval: 5s}\n",
          ":7: scenarios[0].stomp.heartbeat and connect.ping_interval both keep" },
        { HEAD LOAD STOMP_SCEN "    on_start:\n      - stomp: {subscribe: /x, ack: maybe}\n",
          "ack \"maybe\" is not auto, client or client-individual" },
        { HEAD LOAD STOMP_SCEN
          "    on_start:\n      - stomp: {subscribe: /x, nack_if: 'body == 1'}\n",
          ":10: scenarios[0].on_start[0].stomp.nack_if needs messages that are acknowledged; add "
          "ack: client-individual" },
        { HEAD LOAD STOMP_SCEN
          "    on_start:\n      - stomp: {subscribe: /x, ack: client, nack_if: "
          "'body =='}\n",
          ":10: bad predicate in scenarios[0].on_start[0].stomp.nack_if" },
        { HEAD LOAD STOMP_SCEN "    on_start:\n      - stomp: {send: /x, nack_if: 'body == 1'}\n",
          "id, ack and nack_if belong to subscribe:" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = load_text(bad[i].text, err, sizeof(err), dir, sizeof(dir));
        if (s) {
            spec_free(s);
            fail_msg("case %zu loaded", i);
        }
        assert_contains(err, bad[i].want);
        rm_tree(dir);
    }
#undef STOMP_SCEN
}

/* protocol: graphql: connection_init's payload, pings, graphql: steps with
 * their metrics (as:, as.complete) and the wait for the first next. */
static void test_graphql_keys(void **state)
{
    (void)state;
    char dir[256], err[1024] = "";
#define GQL_SCEN                                                                                   \
    "scenarios:\n  - name: a\n    protocol: graphql\n"                                             \
    "    graphql: {init: '{\"token\": \"{{vu.id}}\"}', ping_interval: 2s}\n"                       \
    "    connect: {url: \"{{target}}/graphql\"}\n"
    spec_t *s = load_text(HEAD LOAD GQL_SCEN "    on_start:\n"
                                             "      - graphql: {subscribe: 'subscription { m }',"
                                             " as: msgs, timeout: 3s}\n"
                                             "      - name: q\n"
                                             "        graphql: {subscribe: '{ hello }', id: x1,"
                                             " variables: '{\"a\": 1}', operation_name: Q}\n",
                          err, sizeof(err), dir, sizeof(dir));
    if (!s)
        fail_msg("did not load: %s", err);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->protocol, SPEC_PROTO_GRAPHQL);
    assert_int_equal(sc->graphql->ping_interval_us, 2 * SEC);
    assert_non_null(sc->graphql->init);
    const spec_step_t *a = &sc->on_start[0], *b = &sc->on_start[1];
    assert_string_equal(a->name, "msgs");
    assert_string_equal(a->graphql->as, "msgs");
    assert_string_equal(s->metric_names[a->metric], "msgs");
    assert_string_equal(s->metric_names[a->graphql->complete_metric], "msgs.complete");
    assert_int_equal(a->expect_timeout_us, 3 * SEC);
    assert_non_null(a->expect);
    assert_null(a->graphql->id);
    assert_string_equal(b->graphql->as, "q");
    assert_string_equal(s->metric_names[b->graphql->complete_metric], "q.complete");
    assert_string_equal(b->graphql->operation_name, "Q");
    assert_non_null(b->graphql->variables);
    assert_non_null(b->graphql->id);
    assert_int_equal(b->expect_timeout_us, 10 * SEC);
    spec_free(s);
    rm_tree(dir);

    static const struct {
        const char *text, *want;
    } bad[] = {
        { HEAD LOAD "scenarios:\n  - name: a\n    graphql: {init: '{}'}\n"
                    "    connect: {url: \"{{target}}/ws\"}\n",
          ":6: scenarios[0].graphql is for protocol: graphql" },
        { HEAD LOAD "scenarios:\n  - name: a\n    connect: {url: \"{{target}}/ws\"}\n"
                    "    on_start:\n      - graphql: {subscribe: '{ a }'}\n",
          ":8: scenarios[0].on_start[0].graphql is a GraphQL operation; add protocol: graphql" },
        { HEAD LOAD GQL_SCEN "    on_start:\n      - graphql: {as: x}\n",
          ":10: scenarios[0].on_start[0].graphql needs subscribe:" },
        { HEAD LOAD GQL_SCEN
          "    on_start:\n      - graphql: {subscribe: '{ a }', variables: '[1'}\n",
          "scenarios[0].on_start[0].graphql.variables is not a JSON object" },
        { HEAD LOAD "scenarios:\n  - name: a\n    protocol: graphql\n    graphql: {init: 'x'}\n"
                    "    connect: {url: \"{{target}}/ws\"}\n",
          ":7: scenarios[0].graphql.init is not a JSON object" },
        { HEAD LOAD GQL_SCEN "    on_start:\n      - name: a\n"
                             "        graphql: {subscribe: '{ a }', as: b}\n",
          "graphql.as \"b\" and the step's name \"a\" differ" },
        { HEAD LOAD GQL_SCEN "    on_start:\n      - graphql: {subscribe: '{ a }'}\n"
                             "        expect: {match: 'type == \"next\"'}\n",
          "is timed to the operation's first next; put the expect in a step of its own" },
        { HEAD LOAD GQL_SCEN "    on_start:\n      - graphql: {subscribe: '{ a }'}\n"
                             "        send: x\n",
          "has graphql beside send" },
        { HEAD LOAD GQL_SCEN "    on_start:\n      - graphql: {subscribe: '{ a }', as: x}\n"
                             "      - graphql: {subscribe: '{ a }', as: x}\n",
          "duplicate step name \"x\"" },
        { HEAD LOAD "scenarios:\n  - name: a\n    protocol: graphql\n"
                    "    graphql: {ping_interval: 1s}\n"
                    "    connect: {url: \"{{target}}/ws\", ping_interval: 5s}\n",
          ":7: scenarios[0].graphql.ping_interval and connect.ping_interval both keep" },
        { HEAD LOAD "scenarios:\n  - name: a\n    protocol: graphql-apollo\n"
                    "    graphql: {ping_interval: 1s}\n"
                    "    connect: {url: \"{{target}}/ws\"}\n",
          ":7: scenarios[0].graphql.ping_interval: graphql-apollo has no client pings" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = load_text(bad[i].text, err, sizeof(err), dir, sizeof(dir));
        if (s) {
            spec_free(s);
            fail_msg("case %zu loaded", i);
        }
        if (!strstr(err, bad[i].want))
            fail_msg("case %zu: expected \"%s\" in: %s", i, bad[i].want, err);
        rm_tree(dir);
    }
#undef GQL_SCEN
}

static void test_strict_scalars(void **state)
{
    (void)state;
    char dir[256];
    unsetenv("WSGATE_TARGET");
    make_tmpdir(dir, sizeof(dir), "scalars");
    for (size_t i = 0; i < sizeof(scalar_cases) / sizeof(scalar_cases[0]); i++)
        check_scalar(dir, &scalar_cases[i]);
    rm_tree(dir);
}

static void test_missing_file(void **state)
{
    (void)state;
    char err[512];
    const char *path = fixture("does-not-exist.yaml");
    assert_null(spec_load(path, NULL, err, sizeof(err)));
    assert_contains(err, "cannot read the spec");
    assert_memory_equal(err, path, strlen(path));
}

static void test_small_or_no_err_buffer(void **state)
{
    (void)state;
    char err[16];
    memset(err, 'x', sizeof(err));
    assert_null(spec_load(fixture("bad_duration.yaml"), NULL, err, sizeof(err)));
    assert_int_equal(strlen(err), sizeof(err) - 1); /* truncated, terminated */
    assert_null(spec_load(fixture("bad_duration.yaml"), NULL, NULL, 0));
    spec_free(NULL);
}

/* ------------------------------------------------------------------ */
/* yloc.                                                                */

static yloc_node_t *parse_ok(const char *text)
{
    yloc_node_t *root = NULL;
    char err[256] = "";
    int line = -1;
    if (yloc_parse(text, strlen(text), &root, &line, err, sizeof(err)) < 0)
        fail_msg("yloc_parse failed at line %d: %s", line, err);
    return root;
}

static void test_yloc_paths_and_lines(void **state)
{
    (void)state;
    const char *text = "name: x\n"
                       "scenarios:\n"
                       "  - name: a\n"
                       "    tasks:\n"
                       "      - send: one\n"
                       "      - send: two\n"
                       "        pause: 3s\n"
                       "vars: {room: 42, q: 'it''s'}\n";
    yloc_node_t *root = parse_ok(text);
    assert_int_equal(root->kind, YLOC_MAP);
    const yloc_node_t *p = yloc_find(root, "scenarios[0].tasks[1].pause");
    assert_non_null(p);
    assert_string_equal(p->value, "3s");
    assert_int_equal(p->key_line, 7);
    assert_int_equal(yloc_line(root, "scenarios[0].tasks[1].pause"), 7);
    assert_int_equal(yloc_line(root, "scenarios[0].tasks[1]"), 6);
    /* a missing tail reports the deepest part that exists */
    assert_int_equal(yloc_line(root, "scenarios[0].tasks[1].expect.match"), 6);
    assert_int_equal(yloc_line(root, "scenarios[0].tasks[9]"), 4);
    assert_null(yloc_find(root, "scenarios[0].tasks[9]"));
    assert_null(yloc_find(root, "name.deeper"));
    assert_ptr_equal(yloc_find(root, ""), root);

    const yloc_node_t *vars = yloc_child(root, "vars");
    assert_int_equal(vars->kind, YLOC_MAP);
    assert_int_equal(vars->nkids, 2);
    assert_string_equal(vars->kids[0]->key, "room");
    assert_string_equal(vars->kids[0]->value, "42");
    assert_false(vars->kids[0]->quoted);
    assert_string_equal(vars->kids[1]->value, "it's");
    assert_true(vars->kids[1]->quoted);
    assert_int_equal(vars->kids[1]->line, 8);
    assert_ptr_equal(yloc_item(yloc_child(root, "scenarios"), 0), yloc_find(root, "scenarios[0]"));
    assert_null(yloc_item(yloc_child(root, "scenarios"), 1));
    yloc_free(root);
}

static void test_yloc_aliases_nulls_empty(void **state)
{
    (void)state;
    yloc_node_t *root = parse_ok("base: &b {x: 1, y: [a, b]}\n"
                                 "copy: *b\n"
                                 "none:\n"
                                 "tilde: ~\n"
                                 "quoted: ''\n");
    const yloc_node_t *copy = yloc_child(root, "copy");
    assert_int_equal(copy->kind, YLOC_MAP);
    assert_string_equal(copy->key, "copy");
    assert_int_equal(copy->line, 2);
    assert_string_equal(yloc_find(root, "copy.y[1]")->value, "b");
    assert_true(yloc_is_null(yloc_child(root, "none")));
    assert_true(yloc_is_null(yloc_child(root, "tilde")));
    assert_false(yloc_is_null(yloc_child(root, "quoted")));
    assert_false(yloc_is_null(copy));
    yloc_free(root);

    yloc_node_t *empty = (yloc_node_t *)1;
    char err[64];
    int line;
    assert_int_equal(yloc_parse("# only a comment\n", 17, &empty, &line, err, sizeof(err)), 0);
    assert_null(empty);
}

static void test_yloc_errors(void **state)
{
    (void)state;
    yloc_node_t *root = NULL;
    char err[256];
    int line = 0;
    const char *bad = "a: 1\nb:\n  - x\n  y: 2\n";
    assert_int_equal(yloc_parse(bad, strlen(bad), &root, &line, err, sizeof(err)), -1);
    assert_null(root);
    assert_int_equal(line, 4);
    assert_true(strlen(err) > 0);
    assert_null(strchr(err, '\n'));

    /* Reader errors (bytes that are not UTF-8) have no problem mark: the
     * line comes from the byte offset. */
    const char *latin1 = "a: 1\nb: caf\xe9\nc: 3\n";
    assert_int_equal(yloc_parse(latin1, strlen(latin1), &root, &line, err, sizeof(err)), -1);
    assert_int_equal(line, 2);
    assert_contains(err, "byte 0xE9 at column 7");
    const char *ctl = "a: 1\nb: 2\n\x01: 3\n";
    assert_int_equal(yloc_parse(ctl, strlen(ctl), &root, &line, err, sizeof(err)), -1);
    assert_int_equal(line, 3);
    assert_contains(err, "control character (byte 0x01) at column 1; remove it");
    const char *tab = "a:\n  b: 1\n \tc: 2\n";
    assert_int_equal(yloc_parse(tab, strlen(tab), &root, &line, err, sizeof(err)), -1);
    assert_int_equal(line, 3);
    assert_contains(err, "a tab at column 2; YAML indents with spaces");
    const char *plain_colon = "a: ws://h:\n";
    assert_int_equal(yloc_parse(plain_colon, strlen(plain_colon), &root, &line, err, sizeof(err)),
                     -1);
    assert_contains(err, "in quotes");

    const char *alias = "a: *nowhere\n";
    assert_int_equal(yloc_parse(alias, strlen(alias), &root, &line, err, sizeof(err)), -1);
    assert_contains(err, "nowhere");
    assert_int_equal(line, 1);

    const char *complex_key = "? [a, b]\n: 1\n";
    assert_int_equal(yloc_parse(complex_key, strlen(complex_key), &root, &line, err, sizeof(err)),
                     -1);
    assert_contains(err, "mapping keys");

    /* An alias bomb stops at the node cap instead of eating memory. */
    sbuf_t b = SBUF_INIT;
    sbuf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 8; i++)
        sbuf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1,
                    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    assert_int_equal(yloc_parse(b.data, b.len, &root, &line, err, sizeof(err)), -1);
    assert_contains(err, "too large");
    sbuf_free(&b);

    /* Deep nesting is refused, not recursed into. */
    sbuf_t d = SBUF_INIT;
    for (int i = 0; i < 300; i++)
        sbuf_putc(&d, '[');
    for (int i = 0; i < 300; i++)
        sbuf_putc(&d, ']');
    assert_int_equal(yloc_parse(d.data, d.len, &root, &line, err, sizeof(err)), -1);
    assert_contains(err, "nesting");
    sbuf_free(&d);
}

/* ------------------------------------------------------------------ */
/* HTTP steps and their captures.                                       */

/* Renders t for user 1 with the given slot values. */
static void assert_renders_slots(const tmpl_t *t, const char *const *slots, const char *want)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng, .slots = slots };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(t, &ctx, &out), 0);
    assert_string_equal(out.data, want);
    sbuf_free(&out);
}

static void test_http_login_step(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("http_good.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_int_equal(sc->nslots, 3);
    assert_string_equal(sc->slot_names[0], "access_token");
    assert_string_equal(sc->slot_names[1], "session");
    assert_string_equal(sc->slot_names[2], "who");
    assert_int_equal(sc->npre_connect, 1);
    const spec_http_t *h = sc->on_start[0].http;
    assert_non_null(h);
    assert_string_equal(sc->on_start[0].name, "login");
    assert_string_equal(h->method, "POST"); /* case folded */
    assert_string_equal(h->content_type, "application/json");
    assert_int_equal(h->expect_status, 201);
    assert_int_equal(h->timeout_us, 3 * SEC);
    assert_renders(h->url, "https://127.0.0.1:9443/api/auth/login"); /* wss -> https */
    assert_true(h->https);
    assert_true(spec_http_uses_tls(s));
    assert_true(spec_uses_http(s));
    assert_renders_slots(h->headers[0], NULL, "X-Trace: 1");
    assert_renders_slots(h->body, NULL, "{\"username\":\"user1\"}");
    assert_int_equal(h->ncaptures, 2);
    assert_int_equal(h->captures[0].slot, 0);
    assert_null(h->captures[0].cookie);
    assert_non_null(h->captures[0].json);
    assert_string_equal(h->captures[0].src, "json.data.token");
    assert_int_equal(h->captures[1].slot, 1);
    assert_string_equal(h->captures[1].cookie, "session");
    assert_null(sc->on_start[1].http);
    spec_free(s);
}

static void test_http_captures_render(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(fixture("http_good.yaml"), NULL);
    const spec_scenario_t *sc = &s->scenarios[0];
    const char *const slots[] = { "tok-123", "sess-9", "ann" };
    assert_renders_slots(sc->headers[0], slots, "Authorization: Bearer tok-123");
    assert_renders_slots(sc->url, slots, "wss://127.0.0.1:9443/ws/notifications?s=sess-9");
    assert_renders_slots(sc->on_start[1].send, slots,
                         "{\"type\":\"subscribe\",\"token\":\"tok-123\"}");
    assert_renders_slots(sc->headers[0], NULL, "Authorization: Bearer "); /* not captured yet */
    spec_free(s);
    s = load_ok(fixture("good.yaml"), NULL);
    assert_false(spec_http_uses_tls(s)); /* no http steps */
    assert_false(spec_uses_http(s));
    spec_free(s);
}

static void test_http_defaults_and_tasks(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_opts_t o = { .target_override = "ws://10.0.0.5:81" };
    spec_t *s = load_ok(fixture("http_good.yaml"), &o);
    const spec_scenario_t *sc = &s->scenarios[0];
    assert_renders(sc->on_start[0].http->url, "http://10.0.0.5:81/api/auth/login");
    assert_false(sc->on_start[0].http->https);
    assert_true(sc->tasks[0].steps[0].http->https); /* https://api.example.com/me */
    assert_true(spec_http_uses_tls(s));
    assert_true(spec_uses_http(s));
    const spec_task_t *t = &sc->tasks[0];
    assert_int_equal(t->nsteps, 2);
    const spec_http_t *p = t->steps[0].http, *w = t->steps[1].http;
    assert_string_equal(p->method, "GET");
    assert_int_equal(p->expect_status, 0); /* any 2xx */
    assert_int_equal(p->timeout_us, 10 * SEC);
    assert_string_equal(p->content_type, "application/x-www-form-urlencoded");
    assert_int_equal(p->ncaptures, 0);
    assert_null(w->content_type); /* body: is sent as written */
    assert_renders(w->body, "raw");
    assert_int_equal(w->ncaptures, 1);
    assert_int_equal(w->captures[0].slot, 2);
    /* metrics: login, subscribe, profile, whoami after connect */
    assert_int_equal(s->nmetrics, 5);
    assert_string_equal(s->metric_names[1], "login");
    assert_string_equal(s->metric_names[4], "whoami");
    spec_free(s);
}

/* data: the CSV path is relative to the spec; its columns render per row. */
static void test_data_rows(void **state)
{
    (void)state;
    unsetenv("WSGATE_TARGET");
    spec_t *s = load_ok(WSGATE_TEST_DATA "/it/data-login.yaml", NULL);
    assert_string_equal(s->data_file, WSGATE_TEST_DATA "/it/data-users.csv");
    assert_false(s->data_random);
    assert_non_null(s->data);
    assert_int_equal(data_nrows(s->data), 4);
    const spec_http_t *h = s->scenarios[0].on_start[0].http;
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng, .data_row = data_row(s->data, 0) };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(h->body, &ctx, &out), 0);
    assert_string_equal(out.data, "{\"username\":\"alice\",\"password\":\"pw,1\"}");
    sbuf_free(&out);
    spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_rows),
        cmocka_unit_test(test_scenario_msg_keys),
        cmocka_unit_test(test_good_plan_shape),
        cmocka_unit_test(test_good_open_model),
        cmocka_unit_test(test_good_connect_and_steps),
        cmocka_unit_test(test_good_tasks),
        cmocka_unit_test(test_push_latency),
        cmocka_unit_test(test_binary_and_close),
        cmocka_unit_test(test_good_assertions),
        cmocka_unit_test(test_chat_example),
        cmocka_unit_test(test_chat_renders),
        cmocka_unit_test(test_no_ramp_jumps),
        cmocka_unit_test(test_target_precedence),
        cmocka_unit_test(test_target_missing_then_env),
        cmocka_unit_test(test_bad_override),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_reconnect_and_captures),
        cmocka_unit_test(test_slow_readers),
        cmocka_unit_test(test_strict_scalars),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_small_or_no_err_buffer),
        cmocka_unit_test(test_yloc_paths_and_lines),
        cmocka_unit_test(test_yloc_aliases_nulls_empty),
        cmocka_unit_test(test_yloc_errors),
        cmocka_unit_test(test_http_login_step),
        cmocka_unit_test(test_http_captures_render),
        cmocka_unit_test(test_http_defaults_and_tasks),
        cmocka_unit_test(test_target_http_is_the_origin),
        cmocka_unit_test(test_observe_https),
        cmocka_unit_test(test_send_carries_nul),
        cmocka_unit_test(test_protocol_keys),
        cmocka_unit_test(test_graphql_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
