/* Tests for src/live/ndjson.c: each line is one JSON object ending in a
 * newline; the second line carries the series entry, per-step percentiles
 * and the totals so far; the end line the verdict and exit status. */
#include "live_fixture.h"

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "live/ndjson.h"

/* The one line in out, parsed; the caller deletes it. */
static cJSON *one_line(sbuf_t *out)
{
    assert_non_null(out->data);
    assert_true(out->len > 1 && out->data[out->len - 1] == '\n');
    assert_null(memchr(out->data, '\n', out->len - 1));
    cJSON *o = cJSON_Parse(out->data);
    assert_non_null(o);
    return o;
}

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *save = NULL, *key = strtok_r(buf, ".", &save); key; key = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
    assert_true(cJSON_IsNumber(cur));
    return cur->valuedouble;
}

static void test_start_line(void **state)
{
    live_run_t run = {
        .spec = "chat", .version = "0.1.0", .shard_index = 1, .shard_total = 2, .duration_s = 8
    };
    sbuf_t out = SBUF_INIT;
    assert_int_equal(ndjson_start(&out, &run, 1700000000.5), 0);
    cJSON *o = one_line(&out);
    assert_string_equal(cJSON_GetObjectItem(o, "event")->valuestring, "start");
    assert_string_equal(cJSON_GetObjectItem(o, "ts")->valuestring, "2023-11-14T22:13:20.500Z");
    assert_string_equal(cJSON_GetObjectItem(o, "shard")->valuestring, "1/2");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "region")));
    assert_true(num(o, "duration_s") == 8);
    cJSON_Delete(o);
    sbuf_free(&out);
}

static void test_second_line(void **state)
{
    fixture_t f;
    fixture_init(&f);
    sbuf_t out = SBUF_INIT;
    assert_int_equal(ndjson_second(&out, &f.lv, 1700000000), 0);
    assert_true(strncmp(out.data, "{\"event\":\"second\",", 18) == 0);
    cJSON *o = one_line(&out);
    assert_true(num(o, "t") == 4);
    assert_true(num(o, "active") == 2);
    assert_true(num(o, "sent") == 10 && num(o, "received") == 11 && num(o, "errors") == 1);
    const cJSON *steps = cJSON_GetObjectItem(o, "steps");
    const cJSON *odd = cJSON_GetObjectItemCaseSensitive(steps, ODD_STEP);
    assert_non_null(odd);
    assert_true(num(odd, "count") == 4);
    assert_true(num(odd, "p50_ms") == 1.0);
    assert_true(num(odd, "p99_ms") == 5.0);
    assert_true(num(odd, "ok_total") == 7 && num(odd, "failed_total") == 2);
    const cJSON *conn = cJSON_GetObjectItem(steps, "connect");
    assert_true(num(conn, "count") == 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(conn, "p95_ms"))); /* no sample this second */
    assert_true(num(o, "generator.cpu_pct") == 87.5 && num(o, "generator.rss_mb") == 12.5);
    assert_true(num(o, "generator.loop_lag_p99_ms") == 60);
    assert_true(num(o, "generator.loop_lag_max_ms") == 250);
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "generator"), "saturated")));
    assert_true(num(o, "generator.saturated_seconds") == 2);
    assert_true(num(o, "total.connections_open") == 3);
    assert_true(num(o, "total.connects_ok") == 3 && num(o, "total.connects_failed") == 1);
    assert_true(num(o, "total.sent") == 40 && num(o, "total.bytes_received") == 4100);
    assert_true(num(o, "total.errors.timeout") == 3 && num(o, "total.errors.protocol") == 0);
    cJSON_Delete(o);
    sbuf_free(&out);
    fixture_free(&f);
}

static void test_end_line(void **state)
{
    static const struct {
        bool passed, aborted, interrupted, none;
        int rc;
        const char *verdict;
    } cases[] = {
        { true, false, false, false, EXIT_PASS, "pass" },
        { false, false, false, false, EXIT_ASSERT_FAILED, "fail" },
        { true, true, false, false, EXIT_ASSERT_FAILED, "aborted" },
        { true, false, true, false, EXIT_SIGINT, "interrupted" },
        { false, false, false, true, EXIT_CANNOT_RUN, "error" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        result_t r;
        memset(&r, 0, sizeof(r));
        r.passed = cases[i].passed;
        r.aborted = cases[i].aborted;
        r.interrupted = cases[i].interrupted;
        sbuf_t out = SBUF_INIT;
        assert_int_equal(ndjson_end(&out, cases[i].none ? NULL : &r, cases[i].rc, 1e9), 0);
        cJSON *o = one_line(&out);
        assert_string_equal(cJSON_GetObjectItem(o, "event")->valuestring, "end");
        assert_string_equal(cJSON_GetObjectItem(o, "verdict")->valuestring, cases[i].verdict);
        assert_true(num(o, "exit_status") == cases[i].rc);
        cJSON_Delete(o);
        sbuf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_line),
        cmocka_unit_test(test_second_line),
        cmocka_unit_test(test_end_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
