/* Tests for reporters/gitlab.c: the k6-summary-shaped JSON of GitLab's
 * load_performance report, parsed back with cJSON: the keys the merge
 * request widget reads (metrics.http_reqs.rate, http_req_waiting "p(90)"
 * and "p(95)", checks passes and fails) and the values behind them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "result/hist.h"
#include "reporters/reporter.h"
#include "result/result.h"
#include "helpers.h"

/* A 50 s run whose main step "publish" made 98 + 2 attempts (latencies
 * 1037 us + 1000k us), with 3 assertions of which 1 failed. */
static result_t *chat_result(void)
{
    result_t *r = make_result("chat", "ws://127.0.0.1:8080", 3);
    add_step(r, 0, "connect", 200, 0);
    hist_record_n(r->steps[0].latency, 1100, 200);
    add_step(r, 1, "subscribe", 1000, 0); /* more samples, but not the main step */
    hist_record_n(r->steps[1].latency, 50, 1000);
    add_step(r, 2, "publish", 98, 2);
    record_linear(r->steps[2].latency, 1037, 1000, 98);
    r->main_step = xstrdup("publish");
    r->nassertions = 3;
    r->assertions = calloc(r->nassertions, sizeof *r->assertions);
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], "a", true, true, 1, 2, "1", "< 2");
    set_assertion(&r->assertions[1], "b", false, true, 3, 2, "3", "< 2");
    set_assertion(&r->assertions[2], "c", true, true, 1, 2, "1", "< 2");
    return r;
}

/* r rendered and parsed; the caller deletes it. */
static cJSON *render(const result_t *r)
{
    char *text = render_report(&reporter_gitlab, r, NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    return root;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("missing key \"%s\"", key);
    return v;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static size_t nkeys(const cJSON *o)
{
    return (size_t)cJSON_GetArraySize(o);
}

static void test_shape(void **state)
{
    result_t *r = chat_result();
    cJSON *root = render(r);
    assert_int_equal(nkeys(root), 1);
    const cJSON *m = get(root, "metrics");
    assert_int_equal(nkeys(m), 4);

    const cJSON *reqs = get(m, "http_reqs");
    assert_int_equal(nkeys(reqs), 2);
    assert_true(num(reqs, "count") == 100);
    assert_true(num(reqs, "rate") == 2); /* 100 attempts in 50 s */

    const hist_t *h = r->steps[2].latency;
    static const char *const trends[] = { "http_req_waiting", "http_req_duration" };
    for (size_t k = 0; k < 2; k++) {
        const cJSON *w = get(m, trends[k]);
        assert_int_equal(nkeys(w), 6);
        assert_true(num(w, "min") == 1.037);
        assert_true(num(w, "max") == 98.037);
        assert_true(num(w, "avg") == hist_mean(h) / 1000.0);
        assert_true(num(w, "med") == (double)hist_percentile(h, 50) / 1000.0);
        assert_true(num(w, "p(90)") == (double)hist_percentile(h, 90) / 1000.0);
        assert_true(num(w, "p(95)") == (double)hist_percentile(h, 95) / 1000.0);
        assert_true(num(w, "p(90)") > 80 && num(w, "p(95)") > num(w, "p(90)"));
    }

    const cJSON *checks = get(m, "checks");
    assert_int_equal(nkeys(checks), 3);
    assert_true(num(checks, "passes") == 2);
    assert_true(num(checks, "fails") == 1);
    assert_true(num(checks, "value") == 2.0 / 3.0);
    cJSON_Delete(root);
    free_result(r);
}

/* Without assertions there are no checks (the widget would show NaN%);
 * without a sample of the main step no latencies; a run of no known
 * duration has rate 0. */
static void test_missing_parts(void **state)
{
    result_t *r = chat_result();
    for (size_t i = 0; i < r->nassertions; i++) {
        free(r->assertions[i].text);
        free(r->assertions[i].observed_text);
        free(r->assertions[i].expected_text);
    }
    r->nassertions = 0;
    hist_reset(r->steps[2].latency);
    r->duration_s = 0;
    cJSON *root = render(r);
    const cJSON *m = get(root, "metrics");
    assert_int_equal(nkeys(m), 1);
    assert_true(num(get(m, "http_reqs"), "count") == 100);
    assert_true(num(get(m, "http_reqs"), "rate") == 0);
    cJSON_Delete(root);
    free_result(r);
}

/* A result without main_step (older files) uses result_main_step's rule:
 * the step after connect with the most samples. */
static void test_main_step_fallback(void **state)
{
    result_t *r = chat_result();
    free(r->main_step);
    r->main_step = NULL;
    cJSON *root = render(r);
    const cJSON *m = get(root, "metrics");
    assert_true(num(get(m, "http_reqs"), "count") == 1000);
    assert_true(num(get(m, "http_req_waiting"), "p(95)") == 0.05);
    cJSON_Delete(root);
    free_result(r);
}

static void test_not_in_out_dir(void **state)
{
    assert_ptr_equal(reporter_find("gitlab-load-performance"), &reporter_gitlab);
    assert_null(reporter_gitlab.filename);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_missing_parts),
        cmocka_unit_test(test_main_step_fallback),
        cmocka_unit_test(test_not_in_out_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
