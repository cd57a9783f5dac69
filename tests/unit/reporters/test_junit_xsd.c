/* Tests that reporters/junit.c writes JUnit XML that GitLab and Jenkins
 * accept: valid against tests/data/junit.xsd, rooted at <testsuites>, with
 * counts that match the testcases; and that the schema rejects broken
 * documents, so a pass means something. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "reporters/reporter.h"
#include "result/result.h"
#include "helpers.h"

#ifndef WSGATE_TEST_DATA
#define WSGATE_TEST_DATA "tests/data"
#endif

#define XSD_PATH WSGATE_TEST_DATA "/junit.xsd"

/* ---- schema and validation ---------------------------------------------- */

typedef struct xsd_fixture {
    xmlSchemaPtr schema;
} xsd_fixture_t;

/* Keeps the first error message, and keeps libxml2 from printing. */
static void on_xml_error(void *ctx, xmlErrorPtr e)
{
    char *first = ctx;
    if (first[0] == '\0' && e && e->message)
        snprintf(first, 512, "%s", e->message);
}

static int setup_schema(void **state)
{
    static xsd_fixture_t fx;
    char first[512] = "";
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(XSD_PATH);
    if (!pc)
        return -1;
    xmlSchemaSetParserStructuredErrors(pc, on_xml_error, first);
    fx.schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (!fx.schema) {
        fprintf(stderr, "cannot load %s: %s\n", XSD_PATH, first);
        return -1;
    }
    *state = &fx;
    return 0;
}

static int teardown_schema(void **state)
{
    xsd_fixture_t *fx = *state;
    xmlSchemaFree(fx->schema);
    xmlCleanupParser();
    return 0;
}

/* Validates doc; returns 0 when valid, else the libxml2 code, with the first
 * message in why (why may be NULL). */
static int validate_doc(const xsd_fixture_t *fx, xmlDocPtr doc, char *why)
{
    char first[512] = "";
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(fx->schema);
    assert_non_null(vc);
    xmlSchemaSetValidStructuredErrors(vc, on_xml_error, first);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (why)
        snprintf(why, 512, "%s", first);
    return rc;
}

static xmlDocPtr parse_xml(const char *text, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(text, (int)len, "junit.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    return doc;
}

/* ---- result fixture ----------------------------------------------------- */

typedef struct assertion_row {
    const char *text;
    int passed;
    const char *observed; /* NULL: no samples */
    const char *expected;
} assertion_row_t;

/* Names with markup characters and UTF-8: escaped by the writer, they must
 * come back unchanged. */
static const assertion_row_t rows[] = {
    { "connect.success_rate >= 99.5%", 1, "100.00%", ">= 99.5%" },
    { "p99(publish <chat> & \"ack\") < 200ms", 0, "312.4 ms", "< 200 ms" },
    { "p95(Gr\xc3\xbc\xc3\x9f"
      "e \xe2\x86\x92 \xf0\x9f\x9a\x80 room) < 1s",
      1, "12.0 ms", "< 1 s" },
    { "p50(never run) < 100ms", 0, NULL, "< 100 ms" },
    { "errors.timeout == 0", 1, "0", "== 0" },
};
#define NROWS (sizeof rows / sizeof rows[0])
#define NFAILING 2

/* A finished run (no steps) with the first n rows as its assertions. */
static void make_junit_result(result_t *r, size_t n)
{
    init_result(r, "chat <support> & \"room\" \xc3\xa9t\xc3\xa9",
                "ws://127.0.0.1:8080/ws?room=a&b=<c>", 0);
    r->shard_index = 2;
    r->shard_total = 4;
    r->region = xstrdup("eu-west <1>");
    r->nassertions = n;
    r->assertions = calloc(n ? n : 1, sizeof *r->assertions);
    assert_non_null(r->assertions);
    r->passed = true;
    for (size_t i = 0; i < n; i++) {
        const assertion_row_t *row = &rows[i];
        set_assertion(&r->assertions[i], row->text, row->passed, row->observed != NULL, 0, 0,
                      row->observed ? row->observed : "no samples", row->expected);
        r->passed = r->passed && row->passed;
    }
}

/* ---- tree helpers ------------------------------------------------------- */

static int is_elem(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static size_t count_children(const xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (const xmlNode *c = parent->children; c; c = c->next)
        n += is_elem(c, name);
    return n;
}

static const xmlNode *first_child(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = parent->children; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

/* Integer value of attribute name, which must be present. */
static long attr_long(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        fail_msg("<%s> has no %s attribute", (const char *)n->name, name);
    char *end = NULL;
    long out = strtol((const char *)v, &end, 10);
    int ok = end && *end == '\0' && end != (char *)v;
    xmlFree(v);
    assert_true(ok);
    return out;
}

static void assert_attr(const xmlNode *n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    assert_non_null(v);
    assert_string_equal((const char *)v, want);
    xmlFree(v);
}

/* Checks one rendered run: valid, root <testsuites>, counts equal to the
 * testcases and failures, names round-tripped. */
static void check_run(const xsd_fixture_t *fx, size_t n, size_t want_failures)
{
    result_t r;
    make_junit_result(&r, n);
    size_t len = 0;
    char *xml = render_report(&reporter_junit, &r, &len);
    xmlDocPtr doc = parse_xml(xml, len);
    char why[512];
    if (validate_doc(fx, doc, why) != 0)
        fail_msg("junit.xml does not validate: %s\n%s", why, xml);

    const xmlNode *root = xmlDocGetRootElement(doc);
    assert_true(is_elem(root, "testsuites"));
    assert_int_equal(count_children(root, "testsuite"), 1);
    const xmlNode *suite = first_child(root, "testsuite");
    assert_attr(suite, "name", r.spec_name);
    assert_int_equal(count_children(suite, "testcase"), n);
    assert_int_equal(attr_long(root, "tests"), n);
    assert_int_equal(attr_long(suite, "tests"), n);
    assert_int_equal(attr_long(root, "failures"), want_failures);
    assert_int_equal(attr_long(suite, "failures"), want_failures);

    size_t i = 0, failures = 0;
    for (const xmlNode *c = suite->children; c; c = c->next) {
        if (!is_elem(c, "testcase"))
            continue;
        assert_attr(c, "name", rows[i].text);
        size_t nf = count_children(c, "failure");
        assert_int_equal(nf, rows[i].passed ? 0 : 1);
        failures += nf;
        i++;
    }
    assert_int_equal(failures, want_failures);

    xmlFreeDoc(doc);
    free(xml);
    result_clear(&r);
}

/* ---- tests: wsgate's own output ------------------------------------------ */

static void test_failing_run_validates_and_counts(void **state)
{
    check_run(*state, NROWS, NFAILING);
}

static void test_passing_run_has_no_failures(void **state)
{
    check_run(*state, 1, 0); /* only the passing first row */
}

static void test_run_without_assertions_validates(void **state)
{
    check_run(*state, 0, 0);
}

/* The failure text says what was seen and what was wanted. */
static void test_failure_text_is_observed_vs_expected(void **state)
{
    result_t r;
    make_junit_result(&r, 2);
    size_t len = 0;
    char *xml = render_report(&reporter_junit, &r, &len);
    xmlDocPtr doc = parse_xml(xml, len);
    assert_int_equal(validate_doc(*state, doc, NULL), 0);
    const xmlNode *suite = first_child(xmlDocGetRootElement(doc), "testsuite");
    const xmlNode *tc = suite->children;
    while (tc && !(is_elem(tc, "testcase") && first_child(tc, "failure")))
        tc = tc->next;
    assert_non_null(tc);
    assert_attr(first_child(tc, "failure"), "message", "observed 312.4 ms, expected < 200 ms");
    xmlFreeDoc(doc);
    free(xml);
    result_clear(&r);
}

/* Renders r, checks it validates, and returns the parsed document. */
static xmlDocPtr render_valid(const xsd_fixture_t *fx, const result_t *r)
{
    size_t len = 0;
    char *xml = render_report(&reporter_junit, r, &len);
    xmlDocPtr doc = parse_xml(xml, len);
    char why[512];
    if (validate_doc(fx, doc, why) != 0)
        fail_msg("junit.xml does not validate: %s\n%s", why, xml);
    free(xml);
    return doc;
}

/* The first testcase, which must be "run completed" holding one elem. */
static const xmlNode *run_completed(const xmlNode *suite, const char *elem)
{
    const xmlNode *tc = first_child(suite, "testcase");
    assert_non_null(tc);
    assert_attr(tc, "name", "run completed");
    assert_int_equal(count_children(tc, elem), 1);
    return first_child(tc, elem);
}

/* An interrupted run is never green: an <error> testcase, errors="1" on
 * the suite and the root, even when every assertion held. */
static void test_interrupted_run_is_an_error(void **state)
{
    result_t r;
    make_junit_result(&r, 1); /* one assertion, passing */
    r.interrupted = true;
    xmlDocPtr doc = render_valid(*state, &r);
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *suite = first_child(root, "testsuite");
    assert_int_equal(attr_long(root, "errors"), 1);
    assert_int_equal(attr_long(suite, "errors"), 1);
    assert_int_equal(attr_long(suite, "tests"), 2);
    assert_int_equal(attr_long(root, "tests"), 2);
    assert_int_equal(attr_long(suite, "failures"), 0);
    assert_int_equal(count_children(suite, "testcase"), 2);
    assert_attr(run_completed(suite, "error"), "type", "interrupted");
    xmlFreeDoc(doc);
    result_clear(&r);
}

/* The error says which signal, how long the run went and its plan. */
static void test_interrupted_message_names_signal_and_time(void **state)
{
    result_t r;
    make_junit_result(&r, 0);
    r.interrupted = true;
    r.stop_signal = SIGINT;
    r.ended_at = r.started_at + 12.34;
    r.duration_s = 12.34;
    r.planned_s = 60;
    xmlDocPtr doc = render_valid(*state, &r);
    const xmlNode *suite = first_child(xmlDocGetRootElement(doc), "testsuite");
    assert_attr(run_completed(suite, "error"), "message",
                "interrupted by SIGINT after 12.3 s of 60 s: partial results, not a verdict");
    xmlFreeDoc(doc);
    result_clear(&r);
}

/* An aborted run: a failure testcase with the abort's reason, counted. */
static void test_aborted_run_is_a_failure(void **state)
{
    result_t r;
    make_junit_result(&r, 2); /* one failing assertion */
    r.aborted = true;
    r.aborted_at_s = 2.25;
    r.planned_s = 30;
    r.abort_reason = xstrdup("p50(ping) < 100ms: observed 312 ms");
    xmlDocPtr doc = render_valid(*state, &r);
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *suite = first_child(root, "testsuite");
    assert_int_equal(attr_long(suite, "tests"), 3);
    assert_int_equal(attr_long(suite, "failures"), 2);
    assert_int_equal(attr_long(root, "failures"), 2);
    assert_int_equal(attr_long(suite, "errors"), 0);
    const xmlNode *f = run_completed(suite, "failure");
    assert_attr(f, "type", "aborted");
    assert_attr(f, "message", "aborted after 2.2 s of 30 s: p50(ping) < 100ms: observed 312 ms");
    xmlFreeDoc(doc);
    result_clear(&r);
}

/* A control character in a name must not make the document invalid XML:
 * it is shown as "\uXXXX". */
static void test_control_characters_stay_valid(void **state)
{
    result_t r;
    make_junit_result(&r, 1);
    free(r.assertions[0].text);
    r.assertions[0].text = xstrdup("p50(bell\x07step) < 1s");
    size_t len = 0;
    char *xml = render_report(&reporter_junit, &r, &len);
    xmlDocPtr doc = parse_xml(xml, len);
    assert_int_equal(validate_doc(*state, doc, NULL), 0);
    const xmlNode *suite = first_child(xmlDocGetRootElement(doc), "testsuite");
    assert_attr(first_child(suite, "testcase"), "name", "p50(bell\\u0007step) < 1s");
    xmlFreeDoc(doc);
    free(xml);
    result_clear(&r);
}

/* ---- tests: the schema rejects what CI tools would not read -------------- */

#define GOOD_CASE "<testcase name=\"x\" classname=\"c\" time=\"0\"/>"

typedef struct bad_doc {
    const char *what;
    const char *xml;
    const char *why_contains; /* a word of libxml2's message */
} bad_doc_t;

static const bad_doc_t bad_docs[] = {
    { "root is <testsuite>", "<testsuite name=\"a\" tests=\"1\">" GOOD_CASE "</testsuite>",
      "testsuite" },
    { "testsuites without tests",
      "<testsuites failures=\"0\"><testsuite name=\"a\" tests=\"1\">" GOOD_CASE
      "</testsuite></testsuites>",
      "tests" },
    { "negative failures",
      "<testsuites tests=\"1\" failures=\"-1\"><testsuite name=\"a\" tests=\"1\">" GOOD_CASE
      "</testsuite></testsuites>",
      "failures" },
    { "testcase without name",
      "<testsuites tests=\"1\" failures=\"0\"><testsuite name=\"a\" tests=\"1\">"
      "<testcase classname=\"c\"/></testsuite></testsuites>",
      "name" },
    { "time is not a number",
      "<testsuites tests=\"1\" failures=\"0\"><testsuite name=\"a\" tests=\"1\" "
      "time=\"1,5s\">" GOOD_CASE "</testsuite></testsuites>",
      "time" },
    { "failure outside a testcase",
      "<testsuites tests=\"1\" failures=\"1\"><testsuite name=\"a\" tests=\"1\">" GOOD_CASE
      "<failure message=\"m\"/></testsuite></testsuites>",
      "failure" },
    { "property without value",
      "<testsuites tests=\"1\" failures=\"0\"><testsuite name=\"a\" tests=\"1\"><properties>"
      "<property name=\"p\"/></properties>" GOOD_CASE "</testsuite></testsuites>",
      "value" },
    { "properties after the testcases",
      "<testsuites tests=\"1\" failures=\"0\"><testsuite name=\"a\" tests=\"1\">" GOOD_CASE
      "<properties/></testsuite></testsuites>",
      "properties" },
    { "unknown element in a testcase",
      "<testsuites tests=\"1\" failures=\"0\"><testsuite name=\"a\" tests=\"1\">"
      "<testcase name=\"x\"><verdict/></testcase></testsuite></testsuites>",
      "verdict" },
};

/* The same skeleton with every part right is valid, so each bad document
 * fails for its own defect. */
static void test_minimal_document_is_valid(void **state)
{
    static const char ok[] =
        "<testsuites tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.5\">"
        "<testsuite name=\"a\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" "
        "time=\"1.500\" timestamp=\"2024-05-01T12:00:00\"><properties><property name=\"p\" "
        "value=\"v\"/></properties>" GOOD_CASE "<testcase name=\"y\"><failure message=\"m\" "
        "type=\"assertion\">text</failure><system-out>out</system-out></testcase>"
        "<testcase name=\"z\"><skipped/></testcase><system-out/></testsuite></testsuites>";
    xmlDocPtr doc = parse_xml(ok, strlen(ok));
    char why[512];
    if (validate_doc(*state, doc, why) != 0)
        fail_msg("minimal document rejected: %s", why);
    xmlFreeDoc(doc);
}

static void test_broken_documents_fail(void **state)
{
    for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
        const bad_doc_t *b = &bad_docs[i];
        xmlDocPtr doc = parse_xml(b->xml, strlen(b->xml));
        char why[512];
        int rc = validate_doc(*state, doc, why);
        xmlFreeDoc(doc);
        if (rc == 0)
            fail_msg("accepted a broken document: %s", b->what);
        if (!strstr(why, b->why_contains))
            fail_msg("%s: message \"%s\" does not mention \"%s\"", b->what, why, b->why_contains);
    }
}

/* Real output with its root renamed is rejected: the check is on the root. */
static void test_wsgate_output_with_testsuite_root_fails(void **state)
{
    result_t r;
    make_junit_result(&r, 1);
    size_t len = 0;
    char *xml = render_report(&reporter_junit, &r, &len);
    xmlDocPtr doc = parse_xml(xml, len);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodeSetName(root, (const xmlChar *)"testsuite");
    char why[512];
    assert_int_not_equal(validate_doc(*state, doc, why), 0);
    assert_contains(why, "testsuite");
    xmlFreeDoc(doc);
    free(xml);
    result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failing_run_validates_and_counts),
        cmocka_unit_test(test_passing_run_has_no_failures),
        cmocka_unit_test(test_run_without_assertions_validates),
        cmocka_unit_test(test_failure_text_is_observed_vs_expected),
        cmocka_unit_test(test_control_characters_stay_valid),
        cmocka_unit_test(test_interrupted_run_is_an_error),
        cmocka_unit_test(test_interrupted_message_names_signal_and_time),
        cmocka_unit_test(test_aborted_run_is_a_failure),
        cmocka_unit_test(test_minimal_document_is_valid),
        cmocka_unit_test(test_broken_documents_fail),
        cmocka_unit_test(test_wsgate_output_with_testsuite_root_fails),
    };
    return cmocka_run_group_tests(tests, setup_schema, teardown_schema);
}
