/* Tests for reporters/: JSON, JUnit, Markdown, report_write_all and the
 * stdout summary, all rendered from a hand-built result with real
 * histograms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "result/hist.h"
#include "reporters/reporter.h"
#include "result/result.h"
#include "result/num.h"
#include "helpers.h"

#define STEP_PUBLISH 1
#define STEP_NEVER 2

/* ---- fixture ------------------------------------------------------------ */

/* A failed chat run: 5 assertions, 2 failing; three steps, one never run. */
static result_t *chat_result(void)
{
    /* started 2024-05-01T12:00:00.250Z, 50 s planned, 2 threads, 200 users */
    result_t *r = make_result("chat-support-room", "ws://127.0.0.1:8080", 3);
    add_step(r, 0, "connect", 200, 0);
    record_linear(r->steps[0].latency, 900, 3, 200);
    add_step(r, STEP_PUBLISH, "publish chat message", 98, 2);
    record_linear(r->steps[STEP_PUBLISH].latency, 1037, 1000, 97);
    hist_record(r->steps[STEP_PUBLISH].latency, 2500000);
    add_step(r, STEP_NEVER, "never run", 0, 0);

    r->msgs_sent = 12000;
    r->msgs_received = 11950;
    r->bytes_sent = 5000000000ULL;
    r->bytes_received = 9007199254740993ULL; /* 2^53 + 1: not a double */
    r->peak_active = 200;

    r->errors[ERR_TIMEOUT].count = 3;
    add_sample(&r->errors[ERR_TIMEOUT], "expect timed out after 5s: type == \"message_ack\"");
    add_sample(&r->errors[ERR_TIMEOUT], "second sample");
    r->errors[ERR_HTTP_STATUS].count = 1;
    add_sample(&r->errors[ERR_HTTP_STATUS], "HTTP 401 at upgrade");

    r->nassertions = 5;
    r->assertions = calloc(r->nassertions, sizeof *r->assertions);
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], "connect.success_rate >= 99.5%", 1, 1, 100, 99.5, "100.00%",
                  ">= 99.5%");
    set_assertion(&r->assertions[1], "p99(publish chat message) < 200ms", 0, 1, 312.4, 200,
                  "312.4 ms", "< 200 ms");
    set_assertion(&r->assertions[2], "errors.timeout <= 5", 1, 1, 3, 5, "3", "<= 5");
    set_assertion(&r->assertions[3], "p50(never run) < 100ms", 0, 0, 0, 100, "no samples",
                  "< 100 ms");
    set_assertion(&r->assertions[4], "messages.sent >= 1000", 1, 1, 12000, 1000, "12000",
                  ">= 1000");
    r->passed = false;
    return r;
}

static void make_passing(result_t *r)
{
    for (size_t i = 0; i < r->nassertions; i++)
        r->assertions[i].passed = true;
    r->passed = true;
}

static void clear_errors(result_t *r)
{
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        for (unsigned i = 0; i < r->errors[k].nsamples; i++)
            free(r->errors[k].samples[i]);
        memset(&r->errors[k], 0, sizeof r->errors[k]);
    }
}

__attribute__((noinline)) static char *render_summary(const result_t *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    report_print_summary(r, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void fmt_us(uint64_t us, char *buf, size_t n)
{
    num_latency((double)us, buf, n);
}

/* ---- temporary directories -------------------------------------------- */

/* Sorted, comma-joined names in dir (dotfiles included), e.g. "a,b". */
static void list_dir(const char *dir, char *out, size_t n)
{
    struct dirent **names;
    int count = scandir(dir, &names, NULL, alphasort);
    assert_true(count >= 0);
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        const char *nm = names[i]->d_name;
        if (strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0) {
            if (out[0])
                strncat(out, ",", n - strlen(out) - 1);
            strncat(out, nm, n - strlen(out) - 1);
        }
        free(names[i]);
    }
    free(names);
}

/* ---- reporter table ------------------------------------------------------ */

static void test_find(void **state)
{
    assert_ptr_equal(reporter_find("json"), &reporter_json);
    assert_ptr_equal(reporter_find("junit"), &reporter_junit);
    assert_ptr_equal(reporter_find("md"), &reporter_markdown);
    assert_ptr_equal(reporter_find("html"), &reporter_html);
    assert_ptr_equal(reporter_find("csv"), &reporter_csv);
    assert_ptr_equal(reporter_find("gitlab-load-performance"), &reporter_gitlab);
    assert_null(reporter_find("pdf"));
    assert_null(reporter_find(""));
    assert_null(reporter_find(NULL));

    size_t n = 0;
    while (reporters_all[n])
        n++;
    assert_int_equal(n, 6);
    assert_string_equal(reporter_json.filename, "result.json");
    assert_string_equal(reporter_junit.filename, "junit.xml");
    assert_string_equal(reporter_markdown.filename, "summary.md");
    assert_string_equal(reporter_csv.filename, "results.csv");
    assert_null(reporter_gitlab.filename); /* on request only */
}

/* ---- JSON --------------------------------------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("missing JSON key \"%s\"", key);
    return v;
}

static void assert_jnum(const cJSON *o, const char *key, double want)
{
    const cJSON *v = jget(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("JSON key \"%s\" is not a number", key);
    if (v->valuedouble != want)
        fail_msg("JSON key \"%s\": got %.17g, want %.17g", key, v->valuedouble, want);
}

static void assert_jstr(const cJSON *o, const char *key, const char *want)
{
    const cJSON *v = jget(o, key);
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, want);
}

static void check_json_run(const cJSON *root)
{
    assert_jnum(root, "schema_version", 1);
    assert_jstr(root, "wsgate_version", "0.1.0");
    assert_jstr(jget(root, "spec"), "name", "chat-support-room");
    assert_jstr(jget(root, "spec"), "path", "specs/chat.yaml");
    assert_jstr(root, "target", "ws://127.0.0.1:8080");
    assert_jstr(root, "started_at", "2024-05-01T12:00:00.250Z");
    assert_jstr(root, "ended_at", "2024-05-01T12:00:50.750Z");
    assert_jnum(root, "duration_s", 50);
    assert_jnum(root, "threads", 2);
    assert_jnum(root, "users_planned", 200);
    assert_jstr(root, "verdict", "fail");
}

static void check_json_step(const cJSON *step, const res_step_t *s, double success_rate)
{
    const hist_t *h = s->latency;
    assert_jstr(step, "name", s->name);
    assert_jnum(step, "ok", (double)s->ok);
    assert_jnum(step, "failed", (double)s->failed);
    assert_jnum(step, "success_rate", success_rate);
    const cJSON *lat = jget(step, "latency_us");
    assert_jnum(lat, "count", (double)hist_count(h));
    assert_jnum(lat, "min", (double)hist_min(h));
    assert_jnum(lat, "max", (double)hist_max(h));
    assert_jnum(lat, "avg", hist_mean(h));
    assert_jnum(lat, "p50", (double)hist_percentile(h, 50));
    assert_jnum(lat, "p90", (double)hist_percentile(h, 90));
    assert_jnum(lat, "p95", (double)hist_percentile(h, 95));
    assert_jnum(lat, "p99", (double)hist_percentile(h, 99));
    assert_jnum(lat, "p99_9", (double)hist_percentile(h, 99.9));
    char *enc = hist_encode(h);
    assert_non_null(enc);
    assert_jstr(step, "histogram", enc);
    free(enc);
}

static void check_json_steps(const cJSON *root, const result_t *r)
{
    const cJSON *steps = jget(root, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 3);
    check_json_step(cJSON_GetArrayItem(steps, 0), &r->steps[0], 100);
    check_json_step(cJSON_GetArrayItem(steps, STEP_PUBLISH), &r->steps[STEP_PUBLISH], 98);
    /* The recorded tail value must dominate max. */
    assert_jnum(jget(cJSON_GetArrayItem(steps, STEP_PUBLISH), "latency_us"), "max", 2500000);

    const cJSON *never = cJSON_GetArrayItem(steps, STEP_NEVER);
    assert_true(cJSON_IsNull(jget(never, "success_rate")));
    const cJSON *lat = jget(never, "latency_us");
    assert_jnum(lat, "count", 0);
    assert_true(cJSON_IsNull(jget(lat, "p50")));
    assert_true(cJSON_IsNull(jget(lat, "min")));
    assert_true(cJSON_IsString(jget(never, "histogram")));
}

static void check_json_traffic_errors(const cJSON *root)
{
    const cJSON *m = jget(root, "messages");
    assert_jnum(m, "sent", 12000);
    assert_jnum(m, "received", 11950);
    assert_jnum(m, "bytes_sent", 5000000000.0);
    assert_jnum(jget(root, "connections"), "peak", 200);

    const cJSON *errors = jget(root, "errors");
    assert_int_equal(cJSON_GetArraySize(errors), ERR_KIND_COUNT);
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        const cJSON *e = jget(errors, err_kind_name((err_kind_t)k));
        assert_true(cJSON_IsArray(jget(e, "samples")));
    }
    const cJSON *t = jget(errors, "timeout");
    assert_jnum(t, "count", 3);
    const cJSON *samples = jget(t, "samples");
    assert_int_equal(cJSON_GetArraySize(samples), 2);
    assert_string_equal(cJSON_GetArrayItem(samples, 0)->valuestring,
                        "expect timed out after 5s: type == \"message_ack\"");
    assert_string_equal(cJSON_GetArrayItem(samples, 1)->valuestring, "second sample");
    assert_jnum(jget(errors, "http_status"), "count", 1);
    assert_jnum(jget(errors, "refused"), "count", 0);
    assert_int_equal(cJSON_GetArraySize(jget(jget(errors, "refused"), "samples")), 0);
}

static void check_json_assertions(const cJSON *root)
{
    const cJSON *as = jget(root, "assertions");
    assert_int_equal(cJSON_GetArraySize(as), 5);
    const cJSON *a1 = cJSON_GetArrayItem(as, 1);
    assert_jstr(a1, "text", "p99(publish chat message) < 200ms");
    assert_true(cJSON_IsFalse(jget(a1, "passed")));
    assert_jnum(a1, "observed", 312.4);
    assert_jnum(a1, "threshold", 200);
    assert_jstr(a1, "observed_text", "312.4 ms");
    assert_jstr(a1, "expected_text", "< 200 ms");
    assert_true(cJSON_IsTrue(jget(cJSON_GetArrayItem(as, 0), "passed")));
    const cJSON *a3 = cJSON_GetArrayItem(as, 3);
    assert_true(cJSON_IsNull(jget(a3, "observed")));
    assert_jstr(a3, "observed_text", "no samples");
}

static void test_json(void **state)
{
    result_t *r = chat_result();
    size_t len;
    char *text = render_report(&reporter_json, r, &len);
    assert_true(len > 2);
    assert_string_equal(text + len - 2, "}\n");
    /* Counters are exact integers, even past 2^53. */
    assert_contains(text, "9007199254740993");
    assert_contains(text, "\n\t\"steps\":"); /* pretty-printed */

    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    check_json_run(root);
    check_json_steps(root, r);
    check_json_traffic_errors(root);
    check_json_assertions(root);
    cJSON_Delete(root);
    free(text);

    make_passing(r);
    text = render_report(&reporter_json, r, NULL);
    root = cJSON_Parse(text);
    assert_non_null(root);
    assert_jstr(root, "verdict", "pass");
    cJSON_Delete(root);
    free(text);
    free_result(r);
}

/* The embedded histogram decodes back to the same distribution. */
static void test_json_histogram_roundtrip(void **state)
{
    result_t *r = chat_result();
    char *text = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *step = cJSON_GetArrayItem(jget(root, "steps"), STEP_PUBLISH);
    char err[256] = "";
    hist_t *h = hist_decode(jget(step, "histogram")->valuestring, err, sizeof err);
    if (!h)
        fail_msg("hist_decode: %s", err);
    const hist_t *orig = r->steps[STEP_PUBLISH].latency;
    assert_int_equal(hist_count(h), hist_count(orig));
    assert_int_equal(hist_max(h), hist_max(orig));
    assert_int_equal(hist_percentile(h, 99), hist_percentile(orig, 99));
    hist_free(h);
    cJSON_Delete(root);
    free(text);
    free_result(r);
}

/* Unknown times become null; strings from servers that are not UTF-8 are
 * repaired so the file still parses. */
static void test_json_edges(void **state)
{
    result_t *r = chat_result();
    r->started_at = 0;
    r->ended_at = 0;
    free(r->spec_path);
    r->spec_path = NULL;
    free(r->errors[ERR_TIMEOUT].samples[1]);
    r->errors[ERR_TIMEOUT].samples[1] = xstrdup("bad \xff\xfe byte \x01 ctl");
    char *text = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_true(cJSON_IsNull(jget(root, "started_at")));
    assert_true(cJSON_IsNull(jget(root, "ended_at")));
    assert_true(cJSON_IsNull(jget(jget(root, "spec"), "path")));
    const cJSON *s = jget(jget(jget(root, "errors"), "timeout"), "samples");
    assert_string_equal(cJSON_GetArrayItem(s, 1)->valuestring,
                        "bad \xef\xbf\xbd\xef\xbf\xbd byte \x01 ctl");
    assert_not_contains(text, "\xff");
    cJSON_Delete(root);
    free(text);
    free_result(r);
}

/* ---- JUnit ------------------------------------------------------------- */

static xmlNode *first_elem(xmlNode *n)
{
    while (n && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static xmlNode *next_elem(xmlNode *n)
{
    return first_elem(n ? n->next : NULL);
}

static size_t count_elems(xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (xmlNode *c = first_elem(parent->children); c; c = next_elem(c))
        n += strcmp((const char *)c->name, name) == 0;
    return n;
}

static void assert_attr(xmlNode *n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        fail_msg("<%s> has no attribute %s", (const char *)n->name, name);
    if (strcmp((const char *)v, want) != 0) {
        char got[512];
        snprintf(got, sizeof got, "%s", (const char *)v);
        xmlFree(v);
        fail_msg("<%s %s>: got \"%s\", want \"%s\"", (const char *)n->name, name, got, want);
    }
    xmlFree(v);
}

static xmlDoc *parse_xml(const char *text, size_t len)
{
    xmlDoc *doc = xmlReadMemory(text, (int)len, "junit.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_non_null(doc);
    return doc;
}

static void check_properties(xmlNode *suite)
{
    xmlNode *props = first_elem(suite->children);
    assert_non_null(props);
    assert_string_equal((const char *)props->name, "properties");
    static const char *const want[][2] = {
        { "target", "ws://127.0.0.1:8080" },
        { "wsgate_version", "0.1.0" },
        { "threads", "2" },
        { "users_planned", "200" },
        { "load_model", "closed" },
        { "spec_path", "specs/chat.yaml" },
    };
    xmlNode *p = first_elem(props->children);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++, p = next_elem(p)) {
        assert_non_null(p);
        assert_attr(p, "name", want[i][0]);
        assert_attr(p, "value", want[i][1]);
    }
    assert_null(p);
}

static void check_failure(xmlNode *tc, const char *msg)
{
    xmlNode *f = first_elem(tc->children);
    assert_non_null(f);
    assert_string_equal((const char *)f->name, "failure");
    assert_attr(f, "message", msg);
    assert_attr(f, "type", "assertion");
    xmlChar *content = xmlNodeGetContent(f);
    assert_string_equal((const char *)content, msg);
    xmlFree(content);
}

static void check_testcases(xmlNode *suite, const result_t *r)
{
    assert_int_equal(count_elems(suite, "testcase"), 5);
    xmlNode *tc = next_elem(first_elem(suite->children)); /* after properties */
    for (size_t i = 0; i < r->nassertions; i++, tc = next_elem(tc)) {
        assert_non_null(tc);
        assert_string_equal((const char *)tc->name, "testcase");
        assert_attr(tc, "classname", "wsgate.chat-support-room");
        assert_attr(tc, "name", r->assertions[i].text);
        /* no series in this fixture: a step's assertion ran 0 s, the others the run's time */
        bool about_step = i != 2 && i != 4;
        assert_attr(tc, "time", about_step ? "0.000" : "50.500");
        xmlNode *c = first_elem(tc->children);
        if (!r->assertions[i].passed)
            c = next_elem(c); /* after <failure> */
        assert_non_null(c);
        assert_string_equal((const char *)c->name, "system-out");
        assert_null(next_elem(c));
    }
    xmlNode *tc1 = next_elem(next_elem(first_elem(suite->children)));
    check_failure(tc1, "observed 312.4 ms, expected < 200 ms");
    xmlNode *tc3 = next_elem(next_elem(tc1));
    check_failure(tc3, "observed no samples, expected < 100 ms");
}

static void test_junit(void **state)
{
    result_t *r = chat_result();
    size_t len;
    char *text = render_report(&reporter_junit, r, &len);
    assert_int_equal(strncmp(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38), 0);
    xmlDoc *doc = parse_xml(text, len);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->name, "testsuites");
    assert_attr(root, "name", "wsgate");
    assert_attr(root, "tests", "5");
    assert_attr(root, "failures", "2");
    assert_attr(root, "time", "50.500");
    assert_int_equal(count_elems(root, "testsuite"), 1);

    xmlNode *suite = first_elem(root->children);
    assert_attr(suite, "name", "chat-support-room");
    assert_attr(suite, "tests", "5");
    assert_attr(suite, "failures", "2");
    assert_attr(suite, "errors", "0");
    assert_attr(suite, "time", "50.500");
    assert_attr(suite, "timestamp", "2024-05-01T12:00:00");
    check_properties(suite);
    check_testcases(suite, r);
    xmlFreeDoc(doc);
    free(text);
    free_result(r);
}

/* A run with no assertions is still a valid, empty suite. */
static void test_junit_no_assertions(void **state)
{
    result_t *r = chat_result();
    for (size_t i = 0; i < r->nassertions; i++) {
        free(r->assertions[i].text);
        free(r->assertions[i].observed_text);
        free(r->assertions[i].expected_text);
    }
    free(r->assertions);
    r->assertions = NULL;
    r->nassertions = 0;
    r->passed = true;

    size_t len;
    char *text = render_report(&reporter_junit, r, &len);
    xmlDoc *doc = parse_xml(text, len);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_attr(root, "tests", "0");
    assert_attr(root, "failures", "0");
    xmlNode *suite = first_elem(root->children);
    assert_non_null(suite);
    assert_string_equal((const char *)suite->name, "testsuite");
    assert_attr(suite, "tests", "0");
    assert_int_equal(count_elems(suite, "testcase"), 0);
    assert_int_equal(count_elems(suite, "properties"), 1);
    xmlFreeDoc(doc);
    free(text);

    char *md = render_report(&reporter_markdown, r, NULL);
    assert_int_equal(strncmp(md, "### ✅ wsgate: chat-support-room passed\n", 41), 0);
    assert_contains(md, "_No assertions._\n");
    free(md);
    free_result(r);
}

/* ---- Markdown ------------------------------------------------------------ */

static void test_markdown(void **state)
{
    result_t *r = chat_result();
    char *md = render_report(&reporter_markdown, r, NULL);
    const char *verdict = "### ❌ wsgate: chat-support-room failed: 2 of 5 assertions\n";
    assert_int_equal(strncmp(md, verdict, strlen(verdict)), 0);

    assert_contains(md, "\n| | Assertion | Observed | Expected |\n|---|---|---|---|\n");
    assert_contains(md, "\n| ✅ | connect.success\\_rate >= 99.5% | 100.00% | >= 99.5% |\n");
    assert_contains(md, "\n| ❌ | p99(publish chat message) \\< 200ms | 312.4 ms | \\< 200 ms |\n");
    assert_contains(md, "\n| ❌ | p50(never run) \\< 100ms | no samples | \\< 100 ms |\n");

    /* one formatter: the rate over the 50 s load, avg and p90 too */
    assert_contains(md, "\n| Step | Count | Failed | Rate | Avg | p50 | p90 | p95 | p99 | Max |\n");
    assert_contains(md, "\n| connect | 200 | 0 | 4.00/s | 1.20 ms | 1.20 ms | 1.44 ms | 1.47 ms | "
                        "1.49 ms | 1.50 ms |\n");
    assert_contains(md, "\n| publish chat message | 98 | 2 | 1.96/s | 74.0 ms | 49.0 ms | 89.1 ms "
                        "| 94.0 ms | 2500 ms | 2500 ms |\n");
    assert_contains(md, "\n| never run | 0 | 0 | 0/s | – | – | – | – | – | – |\n");

    assert_contains(md, "\n**Messages:** 12,000 sent, 11,950 received (5.0 GB sent, 9.0 PB "
                        "received) · **Peak connections:** 200\n");
    assert_contains(md,
                    "\n| timeout | 3 | expect timed out after 5s: type == \"message\\_ack\" |\n");
    assert_contains(md, "\n| http\\_status | 1 | HTTP 401 at upgrade |\n");
    assert_not_contains(md, "second sample");
    assert_not_contains(md, "| refused |");

    char dur[32], shape[128];
    snprintf(dur, sizeof dur, "50.0 s");
    snprintf(shape, sizeof shape,
             "\n**Run:** target ws://127.0.0.1:8080 · closed model, 200 users · %s · 2 threads\n",
             dur);
    assert_contains(md, shape);
    free(md);

    make_passing(r);
    clear_errors(r);
    md = render_report(&reporter_markdown, r, NULL);
    assert_int_equal(strncmp(md, "### ✅ wsgate: chat-support-room passed\n", 41), 0);
    assert_contains(md, "\n**Errors:** none\n");
    free(md);
    free_result(r);
}

/* tls.insecure_skip_verify: every report says verification was off. */
static void test_tls_insecure_is_loud(void **state)
{
    (void)state;
    result_t *r = chat_result();
    char *md = render_report(&reporter_markdown, r, NULL),
         *js = render_report(&reporter_json, r, NULL);
    assert_not_contains(md, "verification was OFF");
    assert_contains(js, "\"tls_verify\":\ttrue");
    free(md);
    free(js);
    r->tls_insecure = true;
    md = render_report(&reporter_markdown, r, NULL);
    js = render_report(&reporter_json, r, NULL);
    char *xml = render_report(&reporter_junit, r, NULL);
    assert_contains(md,
                    "> ⚠️ **TLS certificate verification was OFF** (`tls.insecure_skip_verify: "
                    "true`)");
    assert_contains(js, "\"tls_verify\":\tfalse");
    assert_contains(xml, "<property name=\"tls_verify\" value=\"false (");
    free(md);
    free(js);
    free(xml);
    free_result(r);
}

/* ---- escaping ------------------------------------------------------------ */

static result_t *make_nasty(void)
{
    result_t *r = chat_result();
    free(r->spec_name);
    r->spec_name = xstrdup("room<1> & \"co\" | x");
    free(r->assertions[1].text);
    r->assertions[1].text = xstrdup("p99(a|b) < 200ms & \"x\" \x01");
    free(r->errors[ERR_TIMEOUT].samples[0]);
    r->errors[ERR_TIMEOUT].samples[0] = xstrdup("line1\nline2 | <b>");
    return r;
}

static void test_escape_xml(void **state)
{
    result_t *r = make_nasty();
    size_t len;
    char *text = render_report(&reporter_junit, r, &len);
    assert_contains(text, "name=\"room&lt;1&gt; &amp; &quot;co&quot; | x\"");
    assert_contains(text, "classname=\"wsgate.room&lt;1&gt; &amp; &quot;co&quot; | x\"");
    assert_not_contains(text, "\x01");
    xmlDoc *doc = parse_xml(text, len);
    xmlNode *suite = first_elem(xmlDocGetRootElement(doc)->children);
    assert_attr(suite, "name", "room<1> & \"co\" | x");
    xmlNode *tc1 = next_elem(next_elem(first_elem(suite->children)));
    assert_attr(tc1, "name", "p99(a|b) < 200ms & \"x\" \\u0001");
    xmlFreeDoc(doc);
    free(text);
    free_result(r);
}

static void test_escape_markdown(void **state)
{
    result_t *r = make_nasty();
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_int_equal(strncmp(md, "### ❌ wsgate: room\\<1> \\& \"co\" \\| x failed", 44), 0);
    assert_contains(md, "\n| ❌ | p99(a\\|b) \\< 200ms \\& \"x\" \\u0001 | 312.4 ms |");
    assert_contains(md, "\n| timeout | 3 | line1<br>line2 \\| \\<b> |\n");
    free(md);

    /* Long samples are cut at a character boundary and marked. */
    char long_sample[400];
    memset(long_sample, 'a', sizeof long_sample - 1);
    long_sample[sizeof long_sample - 1] = '\0';
    free(r->errors[ERR_TIMEOUT].samples[0]);
    r->errors[ERR_TIMEOUT].samples[0] = xstrdup(long_sample);
    md = render_report(&reporter_markdown, r, NULL);
    char want[200];
    snprintf(want, sizeof want, "| timeout | 3 | %.160s… |\n", long_sample);
    assert_contains(md, want);
    free(md);
    free_result(r);
}

/* A result decoded from an older or partial file may lack strings: every
 * reporter still renders, with placeholders. */
static void test_null_strings(void **state)
{
    result_t *r = chat_result();
    free(r->spec_name);
    free(r->spec_path);
    free(r->target);
    free(r->wsgate_version);
    r->spec_name = r->spec_path = r->target = r->wsgate_version = NULL;
    free(r->assertions[1].expected_text);
    r->assertions[1].expected_text = NULL;

    char *json = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_true(cJSON_IsNull(jget(jget(root, "spec"), "name")));
    assert_true(cJSON_IsNull(jget(root, "target")));
    const cJSON *a1 = cJSON_GetArrayItem(jget(root, "assertions"), 1);
    assert_true(cJSON_IsNull(jget(a1, "expected_text")));
    cJSON_Delete(root);
    free(json);

    size_t len;
    char *xml = render_report(&reporter_junit, r, &len);
    xmlDoc *doc = parse_xml(xml, len);
    xmlNode *suite = first_elem(xmlDocGetRootElement(doc)->children);
    assert_attr(suite, "name", "unnamed");
    assert_attr(next_elem(first_elem(suite->children)), "classname", "wsgate.unnamed");
    xmlFreeDoc(doc);
    free(xml);

    char *md = render_report(&reporter_markdown, r, NULL);
    assert_int_equal(strncmp(md, "### ❌ wsgate: unnamed failed: 2 of 5", 37), 0);
    assert_contains(md, "**Run:** target unknown · ");
    assert_contains(md, "\n| ❌ | p99(publish chat message) \\< 200ms | 312.4 ms |  |\n");
    free(md);
    free_result(r);
}

/* ---- write failures ------------------------------------------------------ */

static void test_write_error_reported(void **state)
{
    FILE *probe = fopen("/dev/full", "w");
    if (!probe)
        skip();
    fclose(probe);
    result_t *r = chat_result();
    for (size_t i = 0; reporters_all[i]; i++) {
        FILE *f = fopen("/dev/full", "w");
        assert_non_null(f);
        char err[256] = "";
        assert_int_equal(reporters_all[i]->write(r, f, err, sizeof err), -1);
        assert_contains(err, "write failed: ");
        assert_contains(err, strerror(ENOSPC));
        fclose(f);
    }
    free_result(r);
}

/* ---- report_write_all ---------------------------------------------------- */

static void test_write_all(void **state)
{
    result_t *r = chat_result();
    char tmp[64], dir[128], names[256], err[512] = "";
    make_tmpdir(tmp, sizeof tmp, "reporters");
    snprintf(dir, sizeof dir, "%s/out/nested/", tmp);
    assert_int_equal(report_write_all(r, dir, err, sizeof err), 0);
    list_dir(dir, names, sizeof names);
    assert_string_equal(names, "junit.xml,report.html,result.json,results.csv,summary.md");

    /* Each file holds exactly what the reporter renders. */
    for (size_t i = 0; reporters_all[i]; i++) {
        if (!reporters_all[i]->filename)
            continue;
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, reporters_all[i]->filename);
        char *disk = read_whole(path);
        char *mem = render_report(reporters_all[i], r, NULL);
        assert_string_equal(disk, mem);
        free(disk);
        free(mem);
    }
    /* Writing again replaces the files and still leaves no temporaries. */
    assert_int_equal(report_write_all(r, dir, err, sizeof err), 0);
    list_dir(dir, names, sizeof names);
    assert_string_equal(names, "junit.xml,report.html,result.json,results.csv,summary.md");
    rm_tree(tmp);
    free_result(r);
}

static void test_write_all_under_file(void **state)
{
    result_t *r = chat_result();
    char tmp[64], file[128], dir[160], names[256], err[512] = "";
    make_tmpdir(tmp, sizeof tmp, "reporters");
    snprintf(file, sizeof file, "%s/plain", tmp);
    write_file(file, "");
    snprintf(dir, sizeof dir, "%s/out", file);

    assert_int_equal(report_write_all(r, dir, err, sizeof err), -1);
    assert_contains(err, dir);
    assert_contains(err, strerror(ENOTDIR));
    list_dir(tmp, names, sizeof names);
    assert_string_equal(names, "plain");
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    rm_tree(tmp);
    free_result(r);
}

/* The second file cannot be created: nothing is published and the first
 * temporary is removed. */
static void test_write_all_tmp_fails(void **state)
{
    result_t *r = chat_result();
    char tmp[64], blocker[128], names[256], err[512] = "";
    make_tmpdir(tmp, sizeof tmp, "reporters");
    snprintf(blocker, sizeof blocker, "%s/.junit.xml.tmp", tmp);
    assert_int_equal(mkdir(blocker, 0700), 0);

    assert_int_equal(report_write_all(r, tmp, err, sizeof err), -1);
    assert_contains(err, blocker);
    assert_contains(err, strerror(EISDIR));
    list_dir(tmp, names, sizeof names);
    assert_string_equal(names, ".junit.xml.tmp");
    rm_tree(tmp);
    free_result(r);
}

/* The last rename fails (a directory holds the name): an error naming the
 * file, and no temporary left behind. */
static void test_write_all_rename_fails(void **state)
{
    result_t *r = chat_result();
    char tmp[64], blocker[128], inner[160], names[256], err[512] = "";
    make_tmpdir(tmp, sizeof tmp, "reporters");
    snprintf(blocker, sizeof blocker, "%s/summary.md", tmp);
    assert_int_equal(mkdir(blocker, 0700), 0);
    snprintf(inner, sizeof inner, "%s/keep", blocker);
    write_file(inner, "");

    assert_int_equal(report_write_all(r, tmp, err, sizeof err), -1);
    assert_contains(err, "rename");
    assert_contains(err, blocker);
    list_dir(tmp, names, sizeof names);
    assert_not_contains(names, ".tmp");
    rm_tree(tmp);
    free_result(r);
}

/* ---- stdout summary ------------------------------------------------------- */

static void test_summary(void **state)
{
    result_t *r = chat_result();
    char *s = render_summary(r);
    const char *first = "wsgate: chat-support-room FAILED: 2 of 5 assertions failed\n";
    assert_int_equal(strncmp(s, first, strlen(first)), 0);
    assert_contains(s, "\n  PASS  connect.success_rate >= 99.5%  "
                       "(observed 100.00%, expected >= 99.5%)\n");
    assert_contains(s, "\n  FAIL  p99(publish chat message) < 200ms  "
                       "(observed 312.4 ms, expected < 200 ms)\n");
    assert_contains(s, "\nerrors: timeout 3, http_status 1\n");

    /* The publish line names the step with its count, percentiles and failures. */
    const char *line = strstr(s, "\n  publish chat message ");
    assert_non_null(line);
    const char *end = strchr(line + 1, '\n');
    assert_non_null(end);
    char buf[256], p50[32], p99[32];
    snprintf(buf, sizeof buf, "%.*s", (int)(end - line), line);
    fmt_us(hist_percentile(r->steps[STEP_PUBLISH].latency, 50), p50, sizeof p50);
    fmt_us(hist_percentile(r->steps[STEP_PUBLISH].latency, 99), p99, sizeof p99);
    assert_contains(buf, "count 98 ");
    assert_contains(buf, p50);
    assert_contains(buf, p99);
    assert_contains(buf, "failed 2");
    free(s);

    make_passing(r);
    clear_errors(r);
    s = render_summary(r);
    assert_int_equal(strncmp(s, "wsgate: chat-support-room PASSED (5 assertions held)\n", 52), 0);
    assert_not_contains(s, "errors:");
    free(s);
    free_result(r);
}

/* A count: entry without latency_from has successes but no latency
 * samples: its count is what count(STEP) reads, not 0. */
static void test_untimed_count(void **state)
{
    (void)state;
    result_t *r = make_result("socketio", "ws://127.0.0.1:3000", 1);
    add_step(r, 0, "pings", 150, 0);
    char *s = render_summary(r);
    assert_contains(s, "\n  pings                    count 150 ");
    free(s);
    s = render_report(&reporter_markdown, r, NULL);
    assert_contains(s, "| pings | 150 | 0 |");
    free(s);
    free_result(r);
}

/* ---- reading at a glance: deltas, plurals, JUnit detail ------------------ */

/* A baseline from commit 0123456789ab on main: connect twice as fast and
 * at twice the rate; no step "publish chat message". */
static result_t *chat_baseline(void)
{
    result_t *b = make_result("chat-support-room", "ws://127.0.0.1:8080", 2);
    add_step(b, 0, "connect", 400, 0);
    record_linear(b->steps[0].latency, 450, 1, 400);
    add_step(b, 1, "never run", 0, 0);
    b->git_commit = xstrdup("0123456789abcdef0123456789abcdef01234567");
    b->git_ref = xstrdup("main");
    return b;
}

static void test_markdown_baseline_deltas(void **state)
{
    (void)state;
    result_t *r = chat_result();
    r->baseline = chat_baseline();
    r->baseline_path = xstrdup("/tmp/ci/previous/result.json");
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_contains(md, "\n| connect | 200 | 0 | 🔴 4.00/s (was 8.00/s, -50.0% worse) | 1.20 ms | "
                        "🔴 1.20 ms (was 649 us, +84.4% worse) | 1.44 ms | "
                        "🔴 1.47 ms (was 829 us, +77.0% worse) | "
                        "🔴 1.49 ms (was 845 us, +76.4% worse) | 1.50 ms |\n");
    assert_contains(md, "\n| publish chat message | 98 | 2 | 1.96/s (new) | 74.0 ms | "
                        "49.0 ms (new) | 89.1 ms | 94.0 ms (new) | 2500 ms (new) | 2500 ms |\n");
    assert_contains(md, "| never run | 0 | 0 | 0/s (was 0/s, no change) |");
    assert_contains(md, "\n_Changes in parentheses are against the baseline 0123456789ab (main): "
                        "🔴 worse or 🟢 better by 5% or more._\n");
    assert_not_contains(md, "/tmp/ci");
    free(md);

    /* the other way round: now faster than the baseline */
    result_t *b = r->baseline;
    hist_reset(b->steps[0].latency);
    record_linear(b->steps[0].latency, 1800, 6, 200);
    free(b->git_ref);
    b->git_ref = NULL;
    md = render_report(&reporter_markdown, r, NULL);
    assert_contains(md, "🟢 1.20 ms (was 2.39 ms, -50.0% better)");
    assert_contains(md, "against the baseline 0123456789ab:");
    char *html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<td class=\"n better\">🟢 1.20 ms (was 2.39 ms, -50.0% better)</td>");
    assert_contains(html, "<td class=\"n worse\">🔴 4.00/s (was 8.00/s, -50.0% worse)</td>");
    assert_contains(html, "<dt>Baseline</dt><dd>0123456789ab</dd>");
    free(html);
    free(md);
    free_result(r);
}

/* A run's length in minutes once it is a minute or more, the same in the
 * Markdown summary and the HTML header. */
static void test_run_length_in_minutes(void **state)
{
    (void)state;
    result_t *r = chat_result();
    r->duration_s = 150;
    r->planned_s = 150;
    r->ended_at = r->started_at + 150.2;
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_contains(md, " · 2 min 30 s · ");
    char *html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<dt>Duration</dt><dd>2 min 30 s (planned 2 min 30 s)</dd>");
    free(html);
    free(md);
    free_result(r);
}

/* "1 thread", "1 user", "1 of 1 assertion": no "1 threads". */
static void test_plurals(void **state)
{
    (void)state;
    result_t *r = chat_result();
    r->threads = 1;
    r->users_planned = 1;
    r->nassertions = 2; /* the first two: one holds, one fails */
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_contains(md, " · closed model, 1 user · 50.0 s · 1 thread\n");
    assert_contains(md, "failed: 1 of 2 assertions\n");
    free(md);
    r->assertions[0].passed = false;
    r->nassertions = 1;
    md = render_report(&reporter_markdown, r, NULL);
    assert_contains(md, "failed: 1 of 1 assertion\n");
    free(md);
    char *html = render_report(&reporter_html, r, NULL);
    assert_contains(html, ": 1 of 1 assertion failed</p>");
    assert_contains(html, "<dt>Threads</dt><dd>1</dd>");
    free(html);
    char *sum = render_summary(r);
    assert_contains(sum, "FAILED: 1 of 1 assertion failed\n");
    free(sum);
    r->nassertions = 5;
    free_result(r);
}

/* Every assertion testcase: the observed value and threshold in
 * system-out; as time the seconds its step had samples (publish: seconds
 * 1 to 3 of 5), the run's time for one about no step. */
static void test_junit_time_and_system_out(void **state)
{
    (void)state;
    result_t *r = chat_result();
    r->nseconds = 5;
    r->series = calloc(r->nseconds, sizeof *r->series);
    assert_non_null(r->series);
    for (size_t i = 0; i < r->nseconds; i++) {
        r->series[i].step_hist = calloc(r->nsteps, sizeof(char *));
        assert_non_null(r->series[i].step_hist);
        if (i >= 1 && i <= 3)
            r->series[i].step_hist[STEP_PUBLISH] = hist_encode(r->steps[STEP_PUBLISH].latency);
    }
    size_t len;
    char *text = render_report(&reporter_junit, r, &len);
    xmlDoc *doc = parse_xml(text, len);
    xmlNode *suite = first_elem(xmlDocGetRootElement(doc)->children);
    xmlNode *tc = next_elem(next_elem(first_elem(suite->children))); /* p99(publish ...) */
    assert_attr(tc, "name", "p99(publish chat message) < 200ms");
    assert_attr(tc, "time", "3.000");
    xmlNode *out = next_elem(first_elem(tc->children));
    assert_string_equal((const char *)out->name, "system-out");
    xmlChar *content = xmlNodeGetContent(out);
    assert_string_equal((const char *)content, "observed: 312.4 ms\nthreshold: < 200 ms\n"
                                               "step: publish chat message, 3 s with samples\n");
    xmlFree(content);
    tc = next_elem(tc); /* errors.timeout <= 5: no step */
    assert_attr(tc, "time", "50.500");
    content = xmlNodeGetContent(first_elem(tc->children));
    assert_string_equal((const char *)content, "observed: 3\nthreshold: <= 5\n");
    xmlFree(content);
    xmlFreeDoc(doc);
    free(text);
    free_result(r);
}

/* ---- the verdict in every report ------------------------------------------ */

/* chat_result in one verdict state: its assertions all hold, so only the
 * abort or the interrupt keeps it from passing. */
static result_t *result_in_state(res_verdict_t v)
{
    result_t *r = chat_result();
    if (v != RES_VERDICT_FAIL)
        make_passing(r);
    r->planned_s = 50;
    if (v == RES_VERDICT_ABORTED) {
        r->aborted = true;
        r->aborted_at_s = 2.5;
        r->planned_s = 30;
        r->abort_reason = xstrdup("p50(ping) < 100ms: observed 312 ms");
    }
    if (v == RES_VERDICT_INTERRUPTED) {
        r->interrupted = true;
        r->stop_signal = SIGINT;
        r->ended_at = r->started_at + 12.34;
        r->duration_s = 12.34;
        r->planned_s = 60;
    }
    return r;
}

typedef struct verdict_case {
    res_verdict_t v;
    const char *json;    /* result.json's verdict */
    const char *md;      /* summary.md's first line */
    const char *summary; /* the stdout summary's first line */
} verdict_case_t;

static const verdict_case_t verdict_cases[] = {
    { RES_VERDICT_PASS, "pass", "### ✅ wsgate: chat-support-room passed\n",
      "wsgate: chat-support-room PASSED (5 assertions held)\n" },
    { RES_VERDICT_FAIL, "fail", "### ❌ wsgate: chat-support-room failed: 2 of 5 assertions\n",
      "wsgate: chat-support-room FAILED: 2 of 5 assertions failed\n" },
    { RES_VERDICT_ABORTED, "aborted",
      "### ❌ wsgate: chat-support-room aborted after 2.5 s of 30 s\n",
      "wsgate: chat-support-room ABORTED after 2.5 s of 30 s: p50(ping) < 100ms: observed 312 "
      "ms\n" },
    { RES_VERDICT_INTERRUPTED, "interrupted",
      "### ⚠️ wsgate: chat-support-room interrupted after 12.3 s of 60 s\n",
      "wsgate: chat-support-room INTERRUPTED by SIGINT after 12.3 s of 60 s (partial results, "
      "not a verdict)\n" },
};

static void assert_starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("expected to start with \"%s\":\n%.400s", prefix, s);
}

/* Every state says itself first: result.json, summary.md, stdout. */
static void test_verdict_states(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof verdict_cases / sizeof verdict_cases[0]; i++) {
        const verdict_case_t *c = &verdict_cases[i];
        result_t *r = result_in_state(c->v);
        assert_int_equal(result_verdict(r), c->v);
        char *json = render_report(&reporter_json, r, NULL);
        cJSON *root = cJSON_Parse(json);
        assert_non_null(root);
        assert_jstr(root, "verdict", c->json);
        cJSON_Delete(root);
        char *md = render_report(&reporter_markdown, r, NULL);
        assert_starts_with(md, c->md);
        char *sum = render_summary(r);
        assert_starts_with(sum, c->summary);
        free(json);
        free(md);
        free(sum);
        free_result(r);
    }
}

/* An interrupted run whose assertions all held never reads as passed, and
 * result.json names the signal and the plan. */
static void test_interrupted_is_not_passed(void **state)
{
    (void)state;
    result_t *r = result_in_state(RES_VERDICT_INTERRUPTED);
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_not_contains(md, "passed");
    assert_not_contains(md, "✅ wsgate");
    assert_contains(md, "_Interrupted by SIGINT after 12.3 s of 60 s: partial results");
    char *json = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_jstr(root, "stop_signal", "SIGINT");
    assert_jnum(root, "planned_s", 60);
    assert_true(cJSON_IsTrue(jget(root, "interrupted")));
    cJSON_Delete(root);
    char *sum = render_summary(r);
    assert_not_contains(sum, "PASSED");
    free(md);
    free(json);
    free(sum);
    free_result(r);
}

/* A merge names the inputs that were interrupted. */
static void test_merged_interrupt_names_shards(void **state)
{
    (void)state;
    result_t *r = result_in_state(RES_VERDICT_INTERRUPTED);
    r->stop_signal = 0; /* a merge has none of its own */
    r->nshards = 2;
    r->shards = calloc(2, sizeof *r->shards);
    assert_non_null(r->shards);
    for (unsigned i = 0; i < 2; i++) {
        r->shards[i].index = i + 1;
        r->shards[i].total = 2;
        r->shards[i].started_at = r->started_at;
        r->shards[i].ended_at = r->started_at + (i ? 7.5 : 60);
    }
    r->shards[1].interrupted = true;
    r->shards[1].stop_signal = SIGTERM;
    char *md = render_report(&reporter_markdown, r, NULL);
    assert_starts_with(md,
                       "### ⚠️ wsgate: chat-support-room interrupted: shard 2/2 after 7.5 s "
                       "of 60 s\n");
    assert_not_contains(md, "shard 1/2 after");
    char *sum = render_summary(r);
    assert_starts_with(sum, "wsgate: chat-support-room INTERRUPTED: shard 2/2 by SIGTERM after "
                            "7.5 s of 60 s");
    char *json = render_report(&reporter_json, r, NULL);
    cJSON *root = cJSON_Parse(json);
    const cJSON *rows = jget(root, "shards");
    assert_true(cJSON_IsTrue(jget(cJSON_GetArrayItem(rows, 1), "interrupted")));
    assert_jstr(cJSON_GetArrayItem(rows, 1), "stop_signal", "SIGTERM");
    assert_true(cJSON_IsFalse(jget(cJSON_GetArrayItem(rows, 0), "interrupted")));
    assert_true(cJSON_IsNull(jget(root, "stop_signal")));
    cJSON_Delete(root);
    free(md);
    free(sum);
    free(json);
    free_result(r);
}

/* A saturated generator puts one warning line in summary.md, report.html
 * and the stdout summary, with its seconds and delay; a calm one or an
 * unknown one (older files) puts none; result.json carries the figures. */
static void test_generator_warning(void **state)
{
    (void)state;
    const char *warn = "The load generator was saturated from t=2 s to t=4 s: latencies there "
                       "include up to 264 ms of runner delay (loop lag p99 above 50 ms; CPU up "
                       "to 50% of one core, 25% of 2 cores)";
    result_t *r = chat_result();
    const double p99[] = { 1, 2, 200, 240, 3 };
    set_generator(r, p99, 5, 50);
    char *md = render_report(&reporter_markdown, r, NULL);
    char *html = render_report(&reporter_html, r, NULL);
    char *sum = render_summary(r);
    char *json = render_report(&reporter_json, r, NULL);
    char line[512];
    snprintf(line, sizeof line, "\n> ⚠️ %s.\n", warn);
    assert_contains(md, line);
    snprintf(line, sizeof line,
             "<p class=\"note\" id=\"generator-saturated\">&#9888;&#65039; %s.</p>", warn);
    assert_contains(html, line);
    snprintf(line, sizeof line, "\n  WARNING: %s\n", warn);
    assert_contains(sum, line);
    assert_contains(json, "\"saturated\":\ttrue");
    assert_contains(json, "\"saturated_seconds\":\t[[2, 4]]");
    free(md), free(html), free(sum), free(json);

    const double calm[] = { 1, 2, 3 };
    set_generator(r, calm, 3, 50);
    md = render_report(&reporter_markdown, r, NULL);
    html = render_report(&reporter_html, r, NULL);
    sum = render_summary(r);
    assert_not_contains(md, "saturated");
    assert_not_contains(html, "saturated");
    assert_not_contains(sum, "saturated");
    free(md), free(html), free(sum);

    gen_free(r->generator);
    r->generator = NULL;
    md = render_report(&reporter_markdown, r, NULL);
    json = render_report(&reporter_json, r, NULL);
    assert_not_contains(md, "saturated");
    assert_contains(json, "\"generator\":\tnull");
    free(md), free(json);
    free_result(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_histogram_roundtrip),
        cmocka_unit_test(test_json_edges),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_no_assertions),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_tls_insecure_is_loud),
        cmocka_unit_test(test_escape_xml),
        cmocka_unit_test(test_escape_markdown),
        cmocka_unit_test(test_null_strings),
        cmocka_unit_test(test_write_error_reported),
        cmocka_unit_test(test_write_all),
        cmocka_unit_test(test_write_all_under_file),
        cmocka_unit_test(test_write_all_tmp_fails),
        cmocka_unit_test(test_write_all_rename_fails),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_untimed_count),
        cmocka_unit_test(test_verdict_states),
        cmocka_unit_test(test_interrupted_is_not_passed),
        cmocka_unit_test(test_merged_interrupt_names_shards),
        cmocka_unit_test(test_generator_warning),
        cmocka_unit_test(test_markdown_baseline_deltas),
        cmocka_unit_test(test_plurals),
        cmocka_unit_test(test_run_length_in_minutes),
        cmocka_unit_test(test_junit_time_and_system_out),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
