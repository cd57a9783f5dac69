/* Tests for reporters/html.c: the self-contained HTML report, rendered from
 * a hand-built result with real histograms and a per-second series, then
 * parsed back with libxml2's HTML parser and queried with XPath. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include "result/hist.h"
#include "reporters/reporter.h"
#include "result/result.h"
#include "result/result_load.h"
#include "helpers.h"

#define STEP_PUBLISH 1
#define NSECONDS 5

/* Chart geometry the expected points are computed from (see html.c). */
#define X0 56.0
#define XSTEP 163.0 /* (720 - 56 - 12) / (NSECONDS - 1) */
#define YTOP 24.0
#define YBOTTOM 212.0

/* ---- fixture ------------------------------------------------------------ */

/* hist_encode text of one value recorded n times. */
static char *encoded(uint64_t us, uint64_t n)
{
    hist_t *h = hist_new();
    assert_non_null(h);
    hist_record_n(h, us, n);
    char *s = hist_encode(h);
    assert_non_null(s);
    hist_free(h);
    return s;
}

/* Per-second latency of the publish step in ms; 0: no samples that second. */
static const uint64_t lat_ms[NSECONDS] = { 0, 20, 40, 80, 40 };
static const uint64_t active[NSECONDS] = { 0, 50, 100, 100, 100 };
static const uint64_t sent[NSECONDS] = { 8, 16, 24, 32, 40 };
static const uint64_t errs[NSECONDS] = { 0, 0, 1, 0, 0 };

static void set_series(result_t *r, size_t n)
{
    r->nseconds = n;
    r->series = calloc(n, sizeof *r->series);
    assert_non_null(r->series);
    for (size_t i = 0; i < n; i++) {
        res_second_t *s = &r->series[i];
        s->active = active[i];
        s->sent = sent[i];
        s->received = sent[i] / 2;
        s->errors = errs[i];
        s->step_hist = calloc(r->nsteps, sizeof *s->step_hist);
        assert_non_null(s->step_hist);
        s->step_hist[0] = encoded(1000, 3);
        if (lat_ms[i])
            s->step_hist[STEP_PUBLISH] = encoded(lat_ms[i] * 1000, 4);
    }
}

/* A failed chat run: 3 assertions (one failing), three steps (one never
 * run), two kinds of error, a 5-second series. */
static result_t *chat_result(void)
{
    /* started 2024-05-01T12:00:00.250Z, 50 s planned, 2 threads, 200 users */
    result_t *r = make_result("chat-support-room", "ws://127.0.0.1:8080/ws?token=[REDACTED]", 3);
    r->peak_active = 187;
    add_step(r, 0, "connect", 200, 0);
    hist_record_n(r->steps[0].latency, 1100, 200);
    add_step(r, STEP_PUBLISH, "publish chat message", 98, 2);
    record_linear(r->steps[STEP_PUBLISH].latency, 1037, 1000, 97);
    hist_record(r->steps[STEP_PUBLISH].latency, 2500000);
    add_step(r, 2, "never run", 0, 0);

    r->errors[ERR_TIMEOUT].count = 3;
    add_sample(&r->errors[ERR_TIMEOUT], "expect timed out after 5s: type == \"message_ack\"");
    r->errors[ERR_HTTP_STATUS].count = 1;
    add_sample(&r->errors[ERR_HTTP_STATUS], "HTTP 401 at upgrade");

    r->nassertions = 3;
    r->assertions = calloc(r->nassertions, sizeof *r->assertions);
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], "connect.success_rate >= 99.5%", 1, 1, 100, 99.5, "100.00%",
                  ">= 99.5%");
    set_assertion(&r->assertions[1], "p99(publish chat message) < 200ms", 0, 1, 312.4, 200,
                  "312.4 ms", "< 200 ms");
    set_assertion(&r->assertions[2], "errors.timeout <= 5", 1, 1, 3, 5, "3", "<= 5");
    r->passed = false;
    set_series(r, NSECONDS);
    return r;
}

/* ---- parsing ---------------------------------------------------------------- */

/* Errors of severity error or worse that libxml2 reported while parsing. */
typedef struct parse_log {
    int errors;
    char first[256];
} parse_log_t;

/* libxml2's HTML parser knows HTML 4 only, so the inline SVG elements come
 * out as "Tag svg invalid"; those are the one error kind tolerated. */
static bool svg_tag_error(const xmlError *e)
{
    static const char *const svg_tags[] = { "svg",    "polyline", "line", "text",
                                            "circle", "title",    "rect" };
    if (e->code != XML_HTML_UNKNOWN_TAG || !e->str1)
        return false;
    for (size_t i = 0; i < sizeof svg_tags / sizeof svg_tags[0]; i++)
        if (strcmp(e->str1, svg_tags[i]) == 0)
            return true;
    return false;
}

static void on_parse_error(void *ctx, xmlErrorPtr e)
{
    parse_log_t *log = ctx;
    if (e->level < XML_ERR_ERROR || svg_tag_error(e))
        return;
    if (log->errors++ == 0)
        snprintf(log->first, sizeof log->first, "line %d: %s", e->line,
                 e->message ? e->message : "?");
}

/* Parses html; fails the test on any parse error other than SVG tags. */
static htmlDocPtr parse(const char *html)
{
    parse_log_t log = { 0 };
    xmlSetStructuredErrorFunc(&log, on_parse_error);
    htmlDocPtr doc =
        htmlReadMemory(html, (int)strlen(html), "report.html", "UTF-8", HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    assert_non_null(doc);
    if (log.errors)
        fail_msg("%d HTML parse errors; first: %s", log.errors, log.first);
    return doc;
}

static xmlXPathObjectPtr query(htmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    assert_non_null(ctx);
    xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    xmlXPathFreeContext(ctx);
    if (!obj)
        fail_msg("bad xpath %s", xpath);
    return obj;
}

static int count(htmlDocPtr doc, const char *xpath)
{
    xmlXPathObjectPtr obj = query(doc, xpath);
    int n = obj->nodesetval ? obj->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(obj);
    return n;
}

/* String value of an XPath expression (first node's text), malloc'd. */
static char *text_of(htmlDocPtr doc, const char *xpath)
{
    char expr[512];
    snprintf(expr, sizeof expr, "string(%s)", xpath);
    xmlXPathObjectPtr obj = query(doc, expr);
    char *s = xstrdup(obj->stringval ? (const char *)obj->stringval : "");
    xmlXPathFreeObject(obj);
    return s;
}

static void assert_text(htmlDocPtr doc, const char *xpath, const char *want)
{
    char *got = text_of(doc, xpath);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", xpath, got, want);
    free(got);
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- tests --------------------------------------------------------------------- */

static void test_table_entry(void **state)
{
    assert_string_equal(reporter_html.name, "html");
    assert_string_equal(reporter_html.filename, "report.html");
    assert_ptr_equal(reporter_find("html"), &reporter_html);
}

static void test_header(void **state)
{
    result_t *r = chat_result();
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 32), 0);
    assert_text(doc, "//title", "wsgate: chat-support-room failed");
    assert_text(doc, "//h1", "wsgate: chat-support-room");
    assert_text(doc, "//p[contains(@class,'verdict')]",
                "\xe2\x9c\x98 FAILED: 1 of 3 assertions failed");
    assert_text(doc, "//dt[.='Target']/following-sibling::dd[1]",
                "ws://127.0.0.1:8080/ws?token=[REDACTED]");
    assert_text(doc, "//dt[.='Started']/following-sibling::dd[1]", "2024-05-01 12:00:00 UTC");
    assert_text(doc, "//dt[.='Ended']/following-sibling::dd[1]", "2024-05-01 12:00:50 UTC");
    assert_text(doc, "//dt[.='Duration']/following-sibling::dd[1]", "50.5 s (planned 50.0 s)");
    r->open_model = true; /* duration_s is the time the load ran */
    char *open_html = render_report(&reporter_html, r, NULL);
    htmlDocPtr open_doc = parse(open_html);
    assert_text(open_doc, "//dt[.='Duration']/following-sibling::dd[1]", "50.5 s (load 50.0 s)");
    xmlFreeDoc(open_doc);
    free(open_html);
    r->open_model = false;
    assert_text(doc, "//dt[.='Threads']/following-sibling::dd[1]", "2");
    assert_text(doc, "//dt[.='Users planned']/following-sibling::dd[1]", "200");
    assert_text(doc, "//dt[.='Peak connections']/following-sibling::dd[1]", "187");
    /* Not sharded, not aborted: those lines are absent. */
    assert_int_equal(count(doc, "//dt[.='Shard']"), 0);
    assert_int_equal(count(doc, "//dt[.='Region']"), 0);
    assert_int_equal(count(doc, "//*[@id='aborted']"), 0);
    assert_int_equal(count(doc, "//*[@id='interrupted']"), 0);
    assert_int_equal(count(doc, "//table[@class='shards']"), 0);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Interrupted and aborted runs say so in the title and the banner, with
 * how far they got; an interrupted one is never "passed". */
static void test_stopped_runs(void **state)
{
    result_t *r = chat_result();
    for (size_t i = 0; i < r->nassertions; i++)
        r->assertions[i].passed = true;
    r->passed = true;
    r->interrupted = true;
    r->stop_signal = SIGTERM;
    r->ended_at = r->started_at + 12.34;
    r->duration_s = 12.34;
    r->planned_s = 60;
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_text(doc, "//title", "wsgate: chat-support-room interrupted after 12.3 s of 60 s");
    assert_text(doc, "//p[contains(@class,'verdict')]",
                "\xe2\x9a\xa0 INTERRUPTED by SIGTERM after 12.3 s of 60 s: partial results, not "
                "a verdict");
    assert_int_equal(count(doc, "//p[contains(@class,'pass')]"), 0);
    assert_text(doc, "//dt[.='Duration']/following-sibling::dd[1]", "12.3 s (planned 1 min)");
    xmlFreeDoc(doc);
    free(html);

    r->interrupted = false;
    r->aborted = true;
    r->aborted_at_s = 2.5;
    r->abort_reason = xstrdup("p50(ping) < 100ms: observed 312 ms");
    html = render_report(&reporter_html, r, NULL);
    doc = parse(html);
    assert_text(doc, "//title", "wsgate: chat-support-room aborted after 2.5 s of 60 s");
    assert_text(doc, "//p[contains(@class,'verdict')]", "\xe2\x9c\x98 ABORTED after 2.5 s of 60 s");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

static void test_flags_and_shards(void **state)
{
    result_t *r = chat_result();
    r->aborted = true;
    r->aborted_at_s = 12.5;
    r->abort_reason = xstrdup("p99(publish chat message) < 200ms: observed 312.4 ms");
    r->interrupted = true;
    r->shard_index = 2;
    r->shard_total = 3;
    r->region = xstrdup("eu-west");
    r->nshards = 2;
    r->shards = calloc(2, sizeof *r->shards);
    assert_non_null(r->shards);
    r->shards[0] = (res_shard_t){ .index = 1, .total = 2, .peak_active = 90, .msgs_sent = 7 };
    r->shards[1] = (res_shard_t){ .index = 2, .total = 2, .region = xstrdup("r<2>"), .errors = 4 };
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_text(doc, "//*[@id='aborted']",
                "Aborted 12.5 s into the run by an assertion: p99(publish chat message) < 200ms: "
                "observed 312.4 ms");
    assert_int_equal(count(doc, "//*[@id='interrupted']"), 1);
    assert_text(doc, "//dt[.='Shard']/following-sibling::dd[1]", "2/3");
    assert_text(doc, "//dt[.='Region']/following-sibling::dd[1]", "eu-west");
    assert_int_equal(count(doc, "//table[@class='shards']//tr"), 3);
    assert_text(doc, "//table[@class='shards']//tr[2]/td[1]", "1/2");
    assert_text(doc, "//table[@class='shards']//tr[2]/td[3]", "90");
    assert_text(doc, "//table[@class='shards']//tr[3]/td[2]", "r<2>");
    assert_text(doc, "//table[@class='shards']//tr[3]/td[8]", "4");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

static void test_assertion_rows(void **state)
{
    result_t *r = chat_result();
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//table[@class='assertions']//tr"), 1 + 3);
    static const char *const rows[][4] = {
        { "\xe2\x9c\x94 pass", "connect.success_rate >= 99.5%", "100.00%", ">= 99.5%" },
        { "\xe2\x9c\x98 fail", "p99(publish chat message) < 200ms", "312.4 ms", "< 200 ms" },
        { "\xe2\x9c\x94 pass", "errors.timeout <= 5", "3", "<= 5" },
    };
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 4; c++) {
            char xp[128];
            snprintf(xp, sizeof xp, "//table[@class='assertions']//tr[%d]/td[%d]", i + 2, c + 1);
            assert_text(doc, xp, rows[i][c]);
        }
    assert_int_equal(count(doc, "//table[@class='assertions']//tr[@class='fail']"), 1);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

static void test_step_rows(void **state)
{
    result_t *r = chat_result();
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//table[@class='steps']//tr"), 1 + 3);
    assert_int_equal(count(doc, "//table[@class='steps']//tr[1]/th"), 11);
    assert_text(doc, "//table[@class='steps']//tr[1]/th[5]", "Rate");
    assert_text(doc, "//table[@class='steps']//tr[1]/th[8]", "p90");
    const char *pub = "//table[@class='steps']//tr[td[1]='publish chat message']";
    char xp[256];
    /* count, ok, failed, rate over 50 s, avg, p50, p90, p95, p99, max */
    static const char *const want[] = { "98",      "98",      "2",       "1.96/s",  "74.0 ms",
                                        "49.0 ms", "89.1 ms", "94.0 ms", "2500 ms", "2500 ms" };
    for (int c = 0; c < 10; c++) {
        if (!want[c])
            continue;
        snprintf(xp, sizeof xp, "%s/td[%d]", pub, c + 2);
        assert_text(doc, xp, want[c]);
    }
    assert_text(doc, "//table[@class='steps']//tr[td[1]='connect']/td[7]", "1.10 ms");
    assert_text(doc, "//table[@class='steps']//tr[td[1]='never run']/td[7]", "–");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Baseline: connect 1000 us then, 1100 us now (+10.0%); publish absent
 * from the baseline ("new"); "never run" without samples on both sides. */
static void test_baseline_deltas(void **state)
{
    result_t *r = chat_result();
    r->baseline = calloc(1, sizeof *r->baseline);
    assert_non_null(r->baseline);
    r->baseline_path = xstrdup("main/result.json");
    result_t *b = r->baseline;
    b->nsteps = 2;
    b->steps = calloc(2, sizeof *b->steps);
    assert_non_null(b->steps);
    add_step(b, 0, "connect", 10, 0);
    hist_record_n(b->steps[0].latency, 1000, 10);
    add_step(b, 1, "never run", 0, 0);

    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//table[@class='steps']//tr[1]/th"), 11);
    const char *conn = "//table[@class='steps']//tr[td[1]='connect']";
    const char *pub = "//table[@class='steps']//tr[td[1]='publish chat message']";
    const char *never = "//table[@class='steps']//tr[td[1]='never run']";
    char xp[256];
    static const int delta_cols[] = { 7, 9, 10 }; /* p50, p95, p99 */
    for (int k = 0; k < 3; k++) {
        int c = delta_cols[k];
        snprintf(xp, sizeof xp, "%s/td[%d]", conn, c);
        assert_text(doc, xp, "🔴 1.10 ms (was 1.00 ms, +10.0% worse)");
        snprintf(xp, sizeof xp, "%s/td[%d][@class='n worse']", conn, c);
        assert_int_equal(count(doc, xp), 1);
        snprintf(xp, sizeof xp, "%s/td[%d]", never, c);
        assert_text(doc, xp, "–");
    }
    snprintf(xp, sizeof xp, "%s/td[7]", pub);
    assert_text(doc, xp, "49.0 ms (new)");
    snprintf(xp, sizeof xp, "%s/td[5]", never);
    assert_text(doc, xp, "0/s (was –)");       /* this baseline has no duration */
    snprintf(xp, sizeof xp, "%s/td[8]", conn); /* p90: no delta */
    assert_text(doc, xp, "1.10 ms");
    /* no commit, ref or start time in this baseline: its file name */
    assert_contains(html, "against the baseline result.json:");
    assert_not_contains(html, "main/result.json");

    /* A slower baseline gives a negative change. */
    hist_reset(b->steps[0].latency);
    hist_record_n(b->steps[0].latency, 2200, 10);
    char *html2 = render_report(&reporter_html, r, NULL);
    assert_int_equal(occurrences(html2, "🟢 1.10 ms (was 2.20 ms, -50.0% better)<"), 3);
    free(html2);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* The sample of a hostile server: markup, an attribute with a URL,
 * quotes, a control character, invalid UTF-8, a C1 control and a
 * noncharacter (U+FFFE): the controls and the noncharacter shown as
 * "\uXXXX", the invalid bytes as U+FFFD. */
static void test_hostile_sample(void **state)
{
    result_t *r = chat_result();
    free(r->errors[ERR_HTTP_STATUS].samples[0]);
    r->errors[ERR_HTTP_STATUS].samples[0] =
        xstrdup("<script>alert('x')</script><img src=\"http://evil.example/x.png\">\x01\xff\xc3"
                " \xc2\x85\xef\xbf\xbe & done");
    free(r->spec_name);
    r->spec_name = xstrdup("chat <b>bold</b> & 'q'");
    char *html = render_report(&reporter_html, r, NULL);
    assert_not_contains(html, "<script");
    assert_not_contains(html, "<img");
    assert_not_contains(html, "<b>");
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//script"), 0);
    assert_int_equal(count(doc, "//img"), 0);
    assert_int_equal(count(doc, "//b"), 0);
    assert_text(doc, "//table[@class='errors']//tr[td[1]='http_status']/td[3]",
                "<script>alert('x')</script><img src=\"http://evil.example/x.png\">"
                "\\u0001\xef\xbf\xbd\xef\xbf\xbd \\u0085\\uFFFE & done");
    assert_text(doc, "//h1", "wsgate: chat <b>bold</b> & 'q'");
    assert_text(doc, "//table[@class='errors']//tr[td[1]='timeout']/td[2]", "3");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Long samples are cut (at a character boundary) with an ellipsis. */
static void test_long_sample(void **state)
{
    result_t *r = chat_result();
    char big[1001];
    for (int i = 0; i < 1000; i += 2)
        memcpy(big + i, "\xc3\xa9", 2); /* é */
    big[1000] = '\0';
    free(r->errors[ERR_TIMEOUT].samples[0]);
    r->errors[ERR_TIMEOUT].samples[0] = xstrdup(big);
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    char *cell = text_of(doc, "//table[@class='errors']//tr[td[1]='timeout']/td[3]");
    assert_int_equal(strlen(cell), 300 + strlen("…"));
    assert_string_equal(cell + 300, "…");
    free(cell);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Nothing in the document points outside it: the only URL in any attribute
 * is the SVG namespace. */
static void test_no_network(void **state)
{
    result_t *r = chat_result();
    char *html = render_report(&reporter_html, r, NULL);
    assert_not_contains(html, "https://");
    assert_int_equal(occurrences(html, "http://"), 5); /* one xmlns per chart */
    assert_int_equal(occurrences(html, "xmlns=\"http://www.w3.org/2000/svg\""), 5);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//@*[contains(., '://') and not(name()='xmlns')]"), 0);
    assert_int_equal(count(doc, "//@src | //@href | //link | //script | //iframe"), 0);
    assert_not_contains(html, "@import");
    assert_not_contains(html, "url(");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Points of a chart's polyline, as the attribute's text. */
static char *points(htmlDocPtr doc, const char *chart, const char *cls)
{
    char xp[256];
    snprintf(xp, sizeof xp, "//svg[@id='%s']/polyline[@class='%s']/@points", chart, cls);
    return text_of(doc, xp);
}

static size_t npoints(const char *pts)
{
    return *pts ? occurrences(pts, " ") + 1 : 0;
}

static void test_series_charts(void **state)
{
    result_t *r = chat_result();
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//svg"), 5); /* + the main step's distribution */
    assert_int_equal(count(doc, "//*[@class='nodata']"), 0);
    /* the page's width: no fixed size, only a viewBox */
    assert_int_equal(count(doc, "//svg[@width='100%' and @viewbox='0 0 720 240']"), 5);
    assert_int_equal(count(doc, "//svg[@height]"), 0);
    /* values on hover, as the tables print them */
    assert_int_equal(count(doc, "//svg[@id='chart-latency']/rect[@class='hover']"), NSECONDS);
    assert_text(doc, "//svg[@id='chart-latency']/rect[@class='hover'][1]/title",
                "0 s: p50 –, p95 –, p99 –");
    assert_text(doc, "//svg[@id='chart-latency']/rect[@class='hover'][4]/title",
                "3 s: p50 80.0 ms, p95 80.0 ms, p99 80.0 ms");
    assert_text(doc, "//svg[@id='chart-messages']/rect[@class='hover'][5]/title",
                "4 s: sent 40, received 20");

    /* Active: 0, 50, 100, 100, 100 on an axis up to 100. */
    char *pts = points(doc, "chart-active", "active");
    assert_int_equal(npoints(pts), NSECONDS);
    assert_string_equal(pts, "56.0,212.0 219.0,118.0 382.0,24.0 545.0,24.0 708.0,24.0");
    free(pts);
    /* y ticks 0, 50, 100; x ticks at every second. */
    assert_text(doc, "//svg[@id='chart-active']/text[@text-anchor='end'][3]", "100");
    assert_int_equal(count(doc, "//svg[@id='chart-active']/text[@text-anchor='end']"), 3);
    assert_text(doc, "//svg[@id='chart-active']/text[@text-anchor='middle'][5]", "4s");

    /* Messages: sent 8..40 and received half of it, axis up to 40. */
    pts = points(doc, "chart-messages", "sent");
    assert_int_equal(npoints(pts), NSECONDS);
    assert_string_equal(pts, "56.0,174.4 219.0,136.8 382.0,99.2 545.0,61.6 708.0,24.0");
    free(pts);
    pts = points(doc, "chart-messages", "received");
    assert_int_equal(npoints(pts), NSECONDS);
    assert_string_equal(pts, "56.0,193.2 219.0,174.4 382.0,155.6 545.0,136.8 708.0,118.0");
    free(pts);

    /* Errors: one in second 2; an axis up to 1. */
    pts = points(doc, "chart-errors", "errors");
    assert_string_equal(pts, "56.0,212.0 219.0,212.0 382.0,24.0 545.0,212.0 708.0,212.0");
    free(pts);

    /* Latency of the main step (publish), none in second 0: the line starts
     * at second 1; 20, 40, 80, 40 ms on an axis up to 80. */
    assert_contains(html, "<h3>Latency (ms): publish chat message</h3>");
    for (int k = 0; k < 3; k++) {
        static const char *const cls[] = { "p50", "p95", "p99" };
        pts = points(doc, "chart-latency", cls[k]);
        assert_int_equal(npoints(pts), NSECONDS - 1);
        assert_string_equal(pts, "219.0,165.0 382.0,118.0 545.0,24.0 708.0,118.0");
        free(pts);
    }
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* A run longer than a chart's 2,000 points is drawn 3 s a point over 5,000
 * seconds, and says so; each span keeps its lowest and highest value, so
 * the one second with 5,000 connections among 100s still shows. */
static void test_long_run_in_spans(void **state)
{
    result_t *r = make_result("long", "ws://127.0.0.1:1", 1);
    add_step(r, 0, "connect", 1, 0);
    r->nseconds = 5000;
    r->series = calloc(r->nseconds, sizeof *r->series);
    assert_non_null(r->series);
    for (size_t i = 0; i < r->nseconds; i++)
        r->series[i].active = i == 2345 ? 5000 : 100;
    char *html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<p class=\"spans\">3 s a point: each line runs through the lowest "
                          "and the highest value of every 3 seconds");
    htmlDocPtr doc = parse(html);
    char *pts = points(doc, "chart-active", "active");
    assert_int_equal(npoints(pts), 1667 + 1); /* the spike's span: its low and its high */
    /* 100 at y 208.9, 5,000 at 55.3 on an axis up to 6,000; seconds
     * 2343..2345 in the middle of their span, at 2344 */
    assert_int_equal(occurrences(pts, ",55.3"), 1);
    assert_contains(pts, "361.7,208.9 361.7,55.3 ");
    assert_int_equal(occurrences(pts, ",208.9"), 1667);
    assert_int_equal(count(doc, "//svg[@id='chart-active']/rect[@class='hover']"), 556);
    assert_text(doc, "//svg[@id='chart-active']/rect[@class='hover'][2]/title",
                "9 s to 12 s: active 100");
    free(pts);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* A second without latency in the middle breaks the line; a lone second
 * is a dot. Without a recorded main step (older results) the chart follows
 * the step with the most samples after connect; without any, connect. */
static void test_latency_gaps(void **state)
{
    result_t *r = chat_result();
    free(r->series[3].step_hist[STEP_PUBLISH]);
    r->series[3].step_hist[STEP_PUBLISH] = NULL;
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//svg[@id='chart-latency']/polyline[@class='p95']"), 1);
    char *pts = points(doc, "chart-latency", "p95");
    assert_string_equal(pts, "219.0,118.0 382.0,24.0"); /* 20, 40 of 40 */
    free(pts);
    assert_int_equal(count(doc, "//svg[@id='chart-latency']/circle[@class='p95']"), 1);
    assert_text(doc, "//svg[@id='chart-latency']/circle[@class='p95']/@cx", "708.0");
    assert_text(doc, "//svg[@id='chart-latency']/circle[@class='p95']/@cy", "24.0");
    xmlFreeDoc(doc);
    free(html);

    /* The step with the most samples is followed, not the first. */
    hist_record_n(r->steps[2].latency, 5000, 99);
    html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): never run</h3>");
    /* ...which has no per-second histograms: nothing to draw. */
    assert_contains(html, "<p class=\"nodata\" id=\"chart-latency\">not enough data</p>");
    /* its distribution; publish, which ran, charted after it; the counts */
    assert_int_equal(occurrences(html, "<svg"), 6);
    assert_contains(html, "<svg id=\"chart-distribution\"");
    assert_contains(html, "<svg id=\"chart-latency-1\"");
    assert_contains(html, "<svg id=\"chart-distribution-1\"");
    free(html);
    hist_record_n(r->steps[STEP_PUBLISH].latency, 5000, 1); /* tie: the first */
    html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): publish chat message</h3>");
    free(html);

    hist_reset(r->steps[STEP_PUBLISH].latency);
    hist_reset(r->steps[2].latency);
    html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): connect</h3>");
    doc = parse(html);
    pts = points(doc, "chart-latency", "p50");
    assert_int_equal(npoints(pts), NSECONDS);
    free(pts);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* The chart follows the main step the engine recorded, which its progress
 * line showed too: not the busiest step, and not the first after connect. */
static void test_main_step(void **state)
{
    result_t *r = chat_result();
    hist_record_n(r->steps[2].latency, 5000, 1000); /* "never run" is now the busiest */
    r->main_step = xstrdup("publish chat message");
    assert_int_equal(result_main_step(r), STEP_PUBLISH);
    char *html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): publish chat message</h3>");
    assert_int_equal(occurrences(html, "<svg"), 5);
    free(html);

    free(r->main_step);
    r->main_step = xstrdup("connect");
    html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): connect</h3>");
    free(html);

    free(r->main_step); /* a name that is no step: as if unknown */
    r->main_step = xstrdup("gone");
    assert_int_equal(result_main_step(r), 2);
    html = render_report(&reporter_html, r, NULL);
    assert_contains(html, "<h3>Latency (ms): never run</h3>");
    free(html);
    free_result(r);
}

/* A chart for every step an assertion failed on, even one that never ran
 * or connect; the baseline's p95 as a dashed line; the distribution of
 * the step's samples as bars with their range and share on hover. */
static void test_step_charts_baseline_distribution(void **state)
{
    (void)state;
    result_t *r = chat_result();
    free(r->assertions[0].text);
    r->assertions[0].text = xstrdup("p95(connect) < 1ms"); /* fails, connect */
    r->assertions[0].passed = false;
    free(r->assertions[2].text);
    r->assertions[2].text = xstrdup("never run.success_rate > 0%"); /* fails, no samples */
    r->assertions[2].passed = false;
    r->baseline = make_result("chat-support-room", "ws://127.0.0.1:8080", 1);
    add_step(r->baseline, 0, "publish chat message", 10, 0);
    hist_record_n(r->baseline->steps[0].latency, 30000, 10);
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//svg[@id='chart-latency-0']"), 1); /* connect */
    assert_text(doc, "//p[@id='chart-latency-2']", "not enough data");
    assert_contains(html, "<h3>Latency (ms): never run</h3>");
    assert_int_equal(count(doc, "//svg[@id='chart-latency-1']"), 0); /* publish is the main */
    /* the baseline: dashed, only where the baseline has the step */
    assert_text(doc, "//svg[@id='chart-latency']/line[@class='baseline']/@stroke-dasharray", "6 4");
    assert_text(doc, "//svg[@id='chart-latency']/line[@class='baseline']/title",
                "baseline p95: 30.0 ms");
    assert_int_equal(count(doc, "//line[@class='baseline']"), 1);
    assert_contains(html, "Dashed: the baseline's p95.");
    /* 200 connects all at 1.10 ms: one bar holds them all */
    assert_int_equal(count(doc, "//svg[@id='chart-distribution-0']/rect[@class='bar']"), 1);
    assert_text(doc, "//svg[@id='chart-distribution-0']/rect[@class='bar']/title",
                "1.10 ms to 1.10 ms: 200 (100.0%)");
    /* publish: 98 samples from 1.04 ms to 2.5 s over 24 bars */
    assert_int_equal(count(doc, "//svg[@id='chart-distribution']/rect[@class='bar']"), 24);
    assert_text(doc, "//svg[@id='chart-distribution']/rect[@class='bar'][24]/title",
                "1807 ms to 2500 ms: 1 (1.0%)");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* Errors over time by kind: a line per kind that occurred, read back
 * from result.json; a series without kinds (older files) keeps the total. */
static void test_errors_by_kind(void **state)
{
    (void)state;
    result_t *r = chat_result(); /* 3 timeouts, 1 http_status; 1 error in second 2 */
    r->series[2].errors_by_kind[ERR_TIMEOUT] = 1;
    r->series[3].errors = 3;
    r->series[3].errors_by_kind[ERR_TIMEOUT] = 2;
    r->series[3].errors_by_kind[ERR_HTTP_STATUS] = 1;
    char *json = render_report(&reporter_json, r, NULL);
    assert_contains(
        json, "\"errors_by_kind\":\t{\n\t\t\t\t\"timeout\":\t2,\n\t\t\t\t\"http_status\":\t1\n");
    result_t back;
    char err[256] = "";
    if (result_from_json(json, &back, err, sizeof err) != 0)
        fail_msg("round trip: %s", err);
    assert_int_equal(back.series[3].errors_by_kind[ERR_HTTP_STATUS], 1);
    assert_int_equal(back.series[2].errors_by_kind[ERR_TIMEOUT], 1);
    assert_int_equal(back.series[0].errors_by_kind[ERR_TIMEOUT], 0);
    char *html = render_report(&reporter_html, &back, NULL);
    htmlDocPtr doc = parse(html);
    assert_contains(html, "<h3>Errors per second by kind</h3>");
    /* up to 2 a second: 0, 0, 1, 2, 0 and 0, 0, 0, 1, 0 */
    char *pts = points(doc, "chart-errors", "timeout");
    assert_string_equal(pts, "56.0,212.0 219.0,212.0 382.0,118.0 545.0,24.0 708.0,212.0");
    free(pts);
    pts = points(doc, "chart-errors", "http_status");
    assert_string_equal(pts, "56.0,212.0 219.0,212.0 382.0,212.0 545.0,118.0 708.0,212.0");
    free(pts);
    assert_int_equal(count(doc, "//svg[@id='chart-errors']/polyline"), 2);
    assert_text(doc, "//svg[@id='chart-errors']/rect[@class='hover'][4]/title",
                "3 s: timeout 2, http_status 1");
    xmlFreeDoc(doc);
    free(html);
    result_clear(&back);

    /* a kind wsgate does not know, or more than the second's errors: refused */
    char *bad = strstr(json, "\"http_status\":\t1\n");
    assert_non_null(bad);
    memcpy(bad, "\"http_stat0s\"", 13);
    assert_int_equal(result_from_json(json, &back, err, sizeof err), -1);
    assert_contains(err, "series[3].errors_by_kind: unknown error kind \"http_stat0s\"");
    memcpy(bad, "\"http_status\":\t9", 16);
    assert_int_equal(result_from_json(json, &back, err, sizeof err), -1);
    assert_contains(err, "series[3]: errors_by_kind adds up to more than its errors");
    free(json);
    free_result(r);
}

/* Eight error kinds in one run: the legend wraps into rows inside the
 * chart's width (720, less 12 on the right) instead of running off it, and
 * the plot moves down below the last row. Widths are estimated at 6.6 px a
 * character of the 11 px font, plus 12 for the swatch. */
static void test_legend_wraps(void **state)
{
    (void)state;
    static const err_kind_t kinds[] = { ERR_TIMEOUT,     ERR_REFUSED,
                                        ERR_HTTP_STATUS, ERR_UNEXPECTED_MESSAGE,
                                        ERR_PROTOCOL,    ERR_KEEPALIVE,
                                        ERR_CLOSE_4429,  ERR_CLOSE_4500 };
    result_t *r = chat_result();
    r->series[3].errors = 8;
    for (size_t k = 0; k < 8; k++) {
        r->series[3].errors_by_kind[kinds[k]] = 1;
        r->errors[kinds[k]].count = 1;
    }
    char *html = render_report(&reporter_html, r, NULL);
    htmlDocPtr doc = parse(html);
    assert_int_equal(count(doc, "//svg[@id='chart-errors']/polyline"), 8);
    double last_y = 0;
    int rows = 0;
    for (int i = 1; i <= 8; i++) {
        char xp[128];
        snprintf(xp, sizeof xp, "//svg[@id='chart-errors']/text[@fill][%d]", i);
        char *label = text_of(doc, xp);
        char *xs = text_of(doc, strcat(xp, "/@x"));
        xp[strlen(xp) - 3] = '\0';
        char *ys = text_of(doc, strcat(xp, "/@y"));
        double x = atof(xs), y = atof(ys);
        /* "▬ name": the swatch and a space, then the kind */
        const char *name = strchr(label, ' ');
        assert_non_null(name);
        if (x + 12.0 + 6.6 * (double)strlen(name + 1) > 708.0)
            fail_msg("legend entry %s at x=%.1f runs past the chart's right edge", name + 1, x);
        if (y != last_y)
            rows++;
        last_y = y;
        free(label);
        free(xs);
        free(ys);
    }
    assert_true(rows >= 2);
    /* the plot's left axis starts below the last legend row */
    char *top = text_of(doc, "//svg[@id='chart-errors']/line[@stroke='#888'][1]/@y1");
    assert_true(atof(top) >= last_y + 8.0);
    free(top);
    char want[64];
    snprintf(want, sizeof want, "0 0 720 %.0f", 240.0 + 14.0 * (rows - 1));
    assert_text(doc, "//svg[@id='chart-errors']/@viewbox", want);
    /* charts with a one-row legend keep their size */
    assert_text(doc, "//svg[@id='chart-latency']/@viewbox", "0 0 720 240");
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

static void test_not_enough_data(void **state)
{
    for (size_t n = 0; n <= 1; n++) {
        result_t *r = chat_result();
        for (size_t i = 0; i < r->nseconds; i++) {
            for (size_t k = 0; k < r->nsteps; k++)
                free(r->series[i].step_hist[k]);
            free(r->series[i].step_hist);
        }
        free(r->series);
        set_series(r, n);
        char *html = render_report(&reporter_html, r, NULL);
        htmlDocPtr doc = parse(html);
        /* only the distribution, from the whole run's histogram */
        assert_int_equal(count(doc, "//svg"), 1);
        assert_int_equal(count(doc, "//svg[@id='chart-distribution']"), 1);
        assert_int_equal(count(doc, "//p[@class='nodata']"), 4);
        assert_text(doc, "//p[@id='chart-active']", "not enough data");
        xmlFreeDoc(doc);
        free(html);
        free_result(r);
    }
}

/* A corrupt per-second histogram is an error naming the step, not a crash. */
static void test_bad_series_hist(void **state)
{
    result_t *r = chat_result();
    free(r->series[2].step_hist[STEP_PUBLISH]);
    r->series[2].step_hist[STEP_PUBLISH] = xstrdup("not a histogram");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    char err[256] = "";
    assert_int_equal(reporter_html.write(r, f, err, sizeof err), -1);
    fclose(f);
    free(buf);
    assert_contains(err, "publish chat message");
    assert_contains(err, "histogram");
    free_result(r);
}

static void test_empty_result(void **state)
{
    result_t r = { 0 };
    r.passed = true;
    char *html = render_report(&reporter_html, &r, NULL);
    htmlDocPtr doc = parse(html);
    assert_text(doc, "//h1", "wsgate: unnamed");
    assert_text(doc, "//p[contains(@class,'verdict')]", "\xe2\x9c\x94 PASSED");
    assert_text(doc, "//dt[.='Started']/following-sibling::dd[1]", "unknown");
    assert_int_equal(count(doc, "//p[@class='nodata']"), 4);
    assert_contains(html, "No assertions.");
    xmlFreeDoc(doc);
    free(html);
    result_clear(&r);
}

static void test_deterministic(void **state)
{
    result_t *r = chat_result();
    size_t len1, len2;
    char *a = render_report(&reporter_html, r, &len1);
    char *b = render_report(&reporter_html, r, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(a, b, len1);
    free(a);
    free(b);
    free_result(r);
}

static void test_write_error(void **state)
{
    result_t *r = chat_result();
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    char err[256] = "";
    assert_int_equal(reporter_html.write(r, f, err, sizeof err), -1);
    fclose(f);
    assert_contains(err, "write failed");
    free_result(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_entry),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_flags_and_shards),
        cmocka_unit_test(test_stopped_runs),
        cmocka_unit_test(test_assertion_rows),
        cmocka_unit_test(test_step_rows),
        cmocka_unit_test(test_baseline_deltas),
        cmocka_unit_test(test_hostile_sample),
        cmocka_unit_test(test_long_sample),
        cmocka_unit_test(test_no_network),
        cmocka_unit_test(test_series_charts),
        cmocka_unit_test(test_latency_gaps),
        cmocka_unit_test(test_long_run_in_spans),
        cmocka_unit_test(test_main_step),
        cmocka_unit_test(test_errors_by_kind),
        cmocka_unit_test(test_legend_wraps),
        cmocka_unit_test(test_step_charts_baseline_distribution),
        cmocka_unit_test(test_not_enough_data),
        cmocka_unit_test(test_bad_series_hist),
        cmocka_unit_test(test_empty_result),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
