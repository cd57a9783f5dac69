/* Every reporter against hostile text: a result whose spec name, region, CI
 * variables, step names, assertions and error samples hold noncharacters,
 * broken UTF-8, NUL, bidi overrides, controls and markup. JUnit must parse
 * as XML and validate, HTML must parse with no bidi control left raw,
 * Markdown must be valid UTF-8 with its tables whole, JSON must parse and
 * give the text back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "engine/metrics.h"
#include "reporters/reporter.h"
#include "reporters/text.h"
#include "result/result.h"
#include "helpers.h"

#ifndef WSGATE_TEST_DATA
#define WSGATE_TEST_DATA "tests/data"
#endif

#define FFFD "\xef\xbf\xbd"

/* Valid UTF-8 a reader must not be fooled by: U+FFFE, U+FFFF, U+0085, the
 * override U+202E, the isolate U+2066, C0 controls (an ANSI escape), the end
 * of a CDATA section, a script, Markdown table and code punctuation. */
static const char hostile[] = "evil\xef\xbf\xbe|\xef\xbf\xbf`x`\xc2\x85"
                              "a\xe2\x80\xae"
                              "cba\xe2\x81\xa6\x01\x1b[2J\x7f]]><script>alert(1)</script>"
                              "&amp;\"'\t\r\n| **b** [l](http://x) ``";
/* Not UTF-8: lone continuation bytes, a sequence cut short, an overlong
 * '/', a surrogate, a value above U+10FFFF, and a sequence cut by the end. */
static const char broken[] = "bad\x80\xbf|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82";
/* broken as JSON must give it back: each invalid byte as U+FFFD. */
static const char broken_fixed[] = "bad" FFFD FFFD "|" FFFD FFFD "|" FFFD FFFD "|" FFFD FFFD FFFD
                                   "|" FFFD FFFD FFFD FFFD "|" FFFD FFFD;
/* A --region or GITHUB_SHA as the tester set it. */
static const char sha[] = "abc\xef\xbf\xbe";

/* What the server sent: a NUL inside, and a two-byte character across the
 * 120-byte cut of a sample. */
static char received[140];
/* How the sample of received is stored. */
static char stored[200];

static void make_received(void)
{
    memcpy(received, "x\0y", 3);
    memset(received + 3, 'z', 116);
    memcpy(received + 119, "\xc3\xa9 tail", 7); /* é at bytes 119-120 */
    snprintf(stored, sizeof stored, "step: got a message matching 'type == \"err\"': x\\0y%.116s…",
             received + 3);
}

/* Records the server's message as the engine does and adds the samples to
 * r's errors. */
static void record_samples(result_t *r)
{
    metrics_t *m = metrics_new(1);
    assert_non_null(m);
    metrics_error_data(m, ERR_UNEXPECTED_MESSAGE, received, 126,
                       "step: got a message matching '%s': ", "type == \"err\"");
    assert_int_equal(metrics_merge_into(r, m), 0);
    metrics_free(m);
    add_sample(&r->errors[ERR_PROTOCOL], hostile);
    add_sample(&r->errors[ERR_PROTOCOL], broken);
    r->errors[ERR_PROTOCOL].count = 2;
    add_sample(&r->errors[ERR_HTTP_STATUS], broken);
    r->errors[ERR_HTTP_STATUS].count = 1;
}

static void add_shard(result_t *r, size_t i, const char *region)
{
    r->shards[i].index = (unsigned)i + 1;
    r->shards[i].total = 2;
    r->shards[i].region = xstrdup(region);
}

static result_t *hostile_result(void)
{
    result_t *r = make_result(hostile, hostile, 3);
    free(r->spec_path);
    r->spec_path = xstrdup(broken);
    r->region = xstrdup(sha);
    r->git_commit = xstrdup(sha);
    r->git_ref = xstrdup(hostile);
    r->aborted = true;
    r->abort_reason = xstrdup(hostile);
    r->missing_shards = xstrdup(broken);
    add_step(r, 0, "connect", 1, 0);
    add_step(r, 1, hostile, 1, 1);
    add_step(r, 2, broken, 0, 1);
    r->nassertions = 2;
    r->assertions = calloc(2, sizeof *r->assertions);
    assert_non_null(r->assertions);
    set_assertion(&r->assertions[0], hostile, false, true, 1, 0, hostile, broken);
    set_assertion(&r->assertions[1], broken, true, true, 0, 1, broken, hostile);
    r->nshards = 2;
    r->shards = calloc(2, sizeof *r->shards);
    assert_non_null(r->shards);
    add_shard(r, 0, hostile);
    add_shard(r, 1, broken);
    record_samples(r);
    return r;
}

/* ---- checks on bytes -------------------------------------------------------- */

/* Fails unless text is valid UTF-8 holding no NUL, no control but tab, LF
 * and CR, and no bidi control or noncharacter. */
static void assert_clean_text(const char *what, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = text_utf8_len((const unsigned char *)text + i, len - i);
        if (n == 0)
            fail_msg("%s: invalid UTF-8 at byte %zu: %.60s", what, i, text + i);
        unsigned long cp = (unsigned char)text[i];
        if (n > 1) { /* decode, to ask text_hidden */
            cp &= 0x7f >> n;
            for (size_t k = 1; k < n; k++)
                cp = (cp << 6) | ((unsigned char)text[i + k] & 0x3f);
        }
        if (cp == 0 || text_hidden(cp))
            fail_msg("%s: raw U+%04lX at byte %zu: %.60s", what, cp, i, text + i);
        i += n;
    }
}

/* Pipes that end GFM table cells (not backslash-escaped) in one line. */
static size_t cell_pipes(const char *line, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\')
            i++;
        else if (line[i] == '|')
            n++;
    }
    return n;
}

/* Every row of each table has its header's number of cells. */
static void assert_tables_whole(const char *md)
{
    size_t want = 0, tables = 0;
    for (const char *line = md; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len && line[0] == '|') {
            size_t pipes = cell_pipes(line, len);
            if (want == 0) {
                want = pipes;
                tables++;
            } else if (pipes != want) {
                fail_msg("table row with %zu cell pipes, header has %zu: %.*s", pipes, want,
                         (int)len, line);
            }
        } else {
            want = 0;
        }
        line += len + (end != NULL);
    }
    assert_true(tables >= 5); /* assertions, steps, errors, shards, regions */
}

/* ---- JUnit ------------------------------------------------------------------ */

static void on_xml_error(void *ctx, xmlErrorPtr e)
{
    char *first = ctx;
    if (first[0] == '\0' && e && e->message)
        snprintf(first, 512, "line %d: %s", e->line, e->message);
}

static void assert_valid_junit(xmlDocPtr doc)
{
    char first[512] = "";
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(WSGATE_TEST_DATA "/junit.xsd");
    assert_non_null(pc);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    assert_non_null(schema);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    assert_non_null(vc);
    xmlSchemaSetValidStructuredErrors(vc, on_xml_error, first);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    if (rc != 0)
        fail_msg("junit.xml does not validate: %s", first);
}

/* The value of the XPath expr in doc as a string the caller frees. */
static char *xpath_string(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    assert_non_null(ctx);
    char buf[256];
    snprintf(buf, sizeof buf, "string(%s)", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)buf, ctx);
    assert_non_null(o);
    char *s = xstrdup((const char *)o->stringval);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return s;
}

static void assert_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_string(doc, expr);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", expr, got, want);
    free(got);
}

static void test_junit(void **state)
{
    result_t *r = hostile_result();
    size_t len;
    char *xml = render_report(&reporter_junit, r, &len);
    assert_clean_text("junit.xml", xml, len);
    char first[512] = "";
    xmlSetStructuredErrorFunc(first, on_xml_error);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "junit.xml", NULL, XML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!doc)
        fail_msg("junit.xml is not well-formed: %s", first);
    assert_valid_junit(doc);
    assert_xpath(doc, "//property[@name='git_commit']/@value", "abc\\uFFFE");
    assert_xpath(doc, "//property[@name='region']/@value", "abc\\uFFFE");
    /* testcase 1 is "run completed" (the result is aborted), 3 the second assertion */
    assert_xpath(doc, "//testcase[3]/@name",
                 "bad" FFFD FFFD "|" FFFD FFFD "|" FFFD FFFD "|" FFFD FFFD FFFD
                 "|" FFFD FFFD FFFD FFFD "|" FFFD FFFD);
    char *name = xpath_string(doc, "//testsuite/@name");
    assert_contains(name, "evil\\uFFFE|\\uFFFF`x`\\u0085a\\u202Ecba\\u2066\\u0001\\u001B[2J\\u007F"
                          "]]><script>");
    free(name);
    xmlFreeDoc(doc);
    free(xml);
    free_result(r);
}

/* ---- HTML -------------------------------------------------------------------- */

static void count_html_error(void *ctx, xmlErrorPtr e)
{
    if (e->level >= XML_ERR_ERROR)
        ++*(int *)ctx;
}

static void test_html(void **state)
{
    result_t *r = hostile_result();
    size_t len;
    char *html = render_report(&reporter_html, r, &len);
    assert_clean_text("report.html", html, len);
    assert_not_contains(html, "<script");
    int errors = 0;
    xmlSetStructuredErrorFunc(&errors, count_html_error);
    htmlDocPtr doc = htmlReadMemory(html, (int)len, "report.html", "UTF-8", HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    assert_non_null(doc);
    assert_int_equal(errors, 0);
    assert_xpath(doc, "count(//script)", "0");
    char *h1 = xpath_string(doc, "//h1");
    assert_contains(h1, "a\\u202Ecba\\u2066");
    assert_contains(h1, "<script>alert(1)</script>"); /* shown, as text */
    free(h1);
    char *sample =
        xpath_string(doc, "//table[@class='errors']//tr[td[1]='unexpected_message']/td[3]");
    assert_string_equal(sample, stored);
    free(sample);
    xmlFreeDoc(doc);
    free(html);
    free_result(r);
}

/* ---- Markdown ---------------------------------------------------------------- */

static void test_markdown(void **state)
{
    result_t *r = hostile_result();
    size_t len;
    char *md = render_report(&reporter_markdown, r, &len);
    assert_clean_text("summary.md", md, len);
    assert_tables_whole(md);
    for (const char *lt = strchr(md, '<'); lt; lt = strchr(lt + 1, '<'))
        if (lt[-1] != '\\' && strncmp(lt, "<br>", 4) != 0)
            fail_msg("raw markup: %.40s", lt);
    assert_not_contains(md, "\r");
    assert_contains(md, "evil\\uFFFE\\|\\uFFFF\\`x\\`\\u0085a\\u202Ecba\\u2066\\u0001\\u001B");
    assert_contains(md, "x\\\\0y"); /* the stored "\0", its backslash escaped */
    free(md);
    free_result(r);
}

/* ---- JSON and the stdout summary ----------------------------------------------- */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("\"%s\" is not a string", key);
    return v->valuestring;
}

static void test_json(void **state)
{
    result_t *r = hostile_result();
    size_t len;
    char *text = render_report(&reporter_json, r, &len);
    for (size_t i = 0; i < len;) { /* valid UTF-8; the rest is cJSON's */
        size_t n = text_utf8_len((const unsigned char *)text + i, len - i);
        if (n == 0)
            fail_msg("result.json: invalid UTF-8 at byte %zu", i);
        i += n;
    }
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_string_equal(jstr(cJSON_GetObjectItem(root, "spec"), "name"), hostile);
    assert_string_equal(jstr(cJSON_GetObjectItem(root, "spec"), "path"), broken_fixed);
    assert_string_equal(jstr(cJSON_GetObjectItem(root, "ci"), "commit"), sha);
    assert_string_equal(jstr(cJSON_GetObjectItem(root, "ci"), "ref"), hostile);
    assert_string_equal(jstr(root, "region"), sha);
    const cJSON *steps = cJSON_GetObjectItem(root, "steps");
    assert_string_equal(jstr(cJSON_GetArrayItem(steps, 1), "name"), hostile);
    assert_string_equal(jstr(cJSON_GetArrayItem(steps, 2), "name"), broken_fixed);
    const cJSON *errors = cJSON_GetObjectItem(root, "errors");
    const cJSON *proto = cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "protocol"), "samples");
    assert_string_equal(cJSON_GetArrayItem(proto, 0)->valuestring, hostile);
    assert_string_equal(cJSON_GetArrayItem(proto, 1)->valuestring, broken_fixed);
    const cJSON *unexp =
        cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "unexpected_message"), "samples");
    assert_string_equal(cJSON_GetArrayItem(unexp, 0)->valuestring, stored);
    cJSON_Delete(root);
    free(text);
    free_result(r);
}

/* The summary goes to a CI log: one name, one line, no escape sequence. */
static void test_summary(void **state)
{
    result_t *r = hostile_result();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    report_print_summary(r, f);
    assert_int_equal(fclose(f), 0);
    for (char *nl = strchr(buf, '\n'); nl; nl = strchr(nl + 1, '\n'))
        *nl = ' '; /* line ends are ours; check the rest */
    assert_clean_text("summary", buf, len);
    assert_contains(buf,
                    "wsgate: evil\\uFFFE|\\uFFFF`x`\\u0085a\\u202Ecba\\u2066\\u0001\\u001B[2J");
    assert_contains(buf, "\\t\\r\\n| **b**");
    free(buf);
    free_result(r);
}

int main(void)
{
    make_received();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit),    cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown), cmocka_unit_test(test_json),
        cmocka_unit_test(test_summary),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
