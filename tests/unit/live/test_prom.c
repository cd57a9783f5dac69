/* Tests for src/live/prom.c: the exposition's families (HELP and TYPE
 * before the samples), escaped label values, cumulative buckets with
 * +Inf == _count, and the text before the first second. */
#include "live_fixture.h"

#include "live/prom.h"

static const live_run_t RUN = {
    .spec = "chat", .version = "0.1.0", .shard_index = 2, .shard_total = 3, .region = "eu\\1"
};

static char *render(const engine_live_t *lv)
{
    sbuf_t out = SBUF_INIT;
    assert_int_equal(prom_render(&out, &RUN, lv), 0);
    assert_non_null(out.data);
    return out.data;
}

static void test_label_escaping(void **state)
{
    sbuf_t out = SBUF_INIT;
    assert_int_equal(prom_label_value(&out, "a\"b\\c\nd"), 0);
    assert_string_equal(out.data, "a\\\"b\\\\c\\nd");
    sbuf_free(&out);
}

static void test_families_and_counters(void **state)
{
    fixture_t f;
    fixture_init(&f);
    char *text = render(&f.lv);
    static const char *const families[][2] = {
        { "wsgate_run_info", "gauge" },
        { "wsgate_elapsed_seconds", "gauge" },
        { "wsgate_connections_open", "gauge" },
        { "wsgate_connects_total", "counter" },
        { "wsgate_messages_sent_total", "counter" },
        { "wsgate_messages_received_total", "counter" },
        { "wsgate_bytes_sent_total", "counter" },
        { "wsgate_bytes_received_total", "counter" },
        { "wsgate_step_total", "counter" },
        { "wsgate_step_latency_seconds", "histogram" },
        { "wsgate_errors_total", "counter" },
        { "wsgate_generator_loop_lag_p99_seconds", "gauge" },
        { "wsgate_generator_loop_lag_max_seconds", "gauge" },
        { "wsgate_generator_loop_lag_limit_seconds", "gauge" },
        { "wsgate_generator_saturated", "gauge" },
        { "wsgate_generator_saturated_seconds_total", "counter" },
        { "wsgate_generator_cpu_seconds_total", "counter" },
        { "wsgate_generator_resident_memory_bytes", "gauge" },
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char help[128], type[128];
        snprintf(help, sizeof help, "# HELP %s ", families[i][0]);
        snprintf(type, sizeof type, "\n# TYPE %s %s\n%s", families[i][0], families[i][1],
                 families[i][0]);
        assert_contains(text, help);
        assert_contains(text, type); /* TYPE right after HELP, then the samples */
    }
    assert_contains(text, "\nwsgate_run_info{spec=\"chat\",shard=\"2/3\",region=\"eu\\\\1\"} 1\n");
    assert_contains(text, "\nwsgate_elapsed_seconds 5.250\n");
    assert_contains(text, "\nwsgate_generator_loop_lag_p99_seconds 0.060000\n");
    assert_contains(text, "\nwsgate_generator_loop_lag_max_seconds 0.250000\n");
    assert_contains(text, "\nwsgate_generator_loop_lag_limit_seconds 0.050000\n");
    assert_contains(text, "\nwsgate_generator_saturated 1\n");
    assert_contains(text, "\nwsgate_generator_saturated_seconds_total 2\n");
    assert_contains(text, "\nwsgate_generator_cpu_seconds_total 4.250\n");
    assert_contains(text, "\nwsgate_generator_resident_memory_bytes 13107200\n");
    assert_contains(text, "\nwsgate_connections_open 3\n");
    assert_contains(text, "\nwsgate_connects_total{result=\"ok\"} 3\n");
    assert_contains(text, "\nwsgate_connects_total{result=\"failed\"} 1\n");
    assert_contains(text, "\nwsgate_messages_sent_total 40\n");
    assert_contains(text, "\nwsgate_messages_received_total 41\n");
    assert_contains(text, "\nwsgate_bytes_received_total 4100\n");
    assert_contains(text,
                    "\nwsgate_step_total{step=\"say \\\"hi\\\"\\\\now\\nthen\",result=\"ok\"} 7\n");
    assert_contains(
        text, "\nwsgate_step_total{step=\"say \\\"hi\\\"\\\\now\\nthen\",result=\"failed\"} 2\n");
    assert_contains(text, "\nwsgate_errors_total{kind=\"timeout\"} 3\n");
    assert_contains(text, "\nwsgate_errors_total{kind=\"refused\"} 1\n");
    assert_contains(text, "\nwsgate_errors_total{kind=\"protocol\"} 0\n"); /* every kind */
    assert_not_contains(text, "\n\n");
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    fixture_free(&f);
}

/* The bucket counts of the odd step, in order, from the text. */
static size_t odd_buckets(const char *text, uint64_t *counts, size_t cap)
{
    const char *prefix =
        "wsgate_step_latency_seconds_bucket{step=\"say \\\"hi\\\"\\\\now\\nthen\",le=\"";
    size_t n = 0;
    for (const char *p = strstr(text, prefix); p && n < cap; p = strstr(p + 1, prefix)) {
        const char *v = strstr(p, "} ");
        assert_non_null(v);
        counts[n++] = strtoull(v + 2, NULL, 10);
    }
    return n;
}

static void test_cumulative_buckets(void **state)
{
    fixture_t f;
    fixture_init(&f);
    char *text = render(&f.lv);
    uint64_t c[PROM_NLE + 2];
    assert_int_equal(odd_buckets(text, c, PROM_NLE + 2), PROM_NLE + 1); /* + the +Inf bucket */
    for (size_t k = 1; k < PROM_NLE + 1; k++)
        assert_true(c[k] >= c[k - 1]);
    const char *b = "wsgate_step_latency_seconds_bucket{step=\"say \\\"hi\\\"\\\\now\\nthen\"";
    char line[256];
    snprintf(line, sizeof line, "\n%s,le=\"0.0001\"} 3\n", b); /* 100 us is at the bound */
    assert_contains(text, line);
    snprintf(line, sizeof line, "\n%s,le=\"0.0005\"} 5\n", b);
    assert_contains(text, line);
    snprintf(line, sizeof line, "\n%s,le=\"0.0025\"} 6\n", b);
    assert_contains(text, line);
    snprintf(line, sizeof line, "\n%s,le=\"60\"} 6\n", b); /* 90 s is above every bound */
    assert_contains(text, line);
    snprintf(line, sizeof line, "\n%s,le=\"+Inf\"} 7\n", b);
    assert_contains(text, line);
    assert_contains(text, "_count{step=\"say \\\"hi\\\"\\\\now\\nthen\"} 7\n");
    assert_contains(text, "_sum{step=\"say \\\"hi\\\"\\\\now\\nthen\"} 90.002900\n");
    assert_contains(text, "wsgate_step_latency_seconds_bucket{step=\"connect\",le=\"+Inf\"} 3\n");
    free(text);
    fixture_free(&f);
}

static void test_bounds_ascend(void **state)
{
    for (size_t k = 1; k < PROM_NLE; k++)
        assert_true(prom_le_s[k] > prom_le_s[k - 1]);
    assert_true(prom_le_s[0] <= 0.0005 && prom_le_s[PROM_NLE - 1] == 60);
}

static void test_before_first_second(void **state)
{
    char *text = render(NULL);
    assert_contains(text, "wsgate_run_info{spec=\"chat\"");
    assert_contains(text, "\nwsgate_connections_open 0\n");
    assert_not_contains(text, "wsgate_step_total");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_escaping),      cmocka_unit_test(test_families_and_counters),
        cmocka_unit_test(test_cumulative_buckets),  cmocka_unit_test(test_bounds_ascend),
        cmocka_unit_test(test_before_first_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
