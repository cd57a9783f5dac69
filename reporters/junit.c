/* junit: one <testsuite> per spec, one <testcase> per assertion, written
 * with libxml2's xmlTextWriter so every string is escaped for us. A run
 * that did not finish adds the testcase "run completed" first: an <error>
 * when interrupted, a <failure> when aborted, so no dashboard shows it
 * green. */
#include "reporters/reporter.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

#include "reporters/text.h"
#include "result/overrides.h"

#define X(s) BAD_CAST(s)

/* XML 1.0 takes no C0 control but tab, LF and CR, and no U+FFFE or U+FFFF:
 * those and the other hidden code points are shown as "\uXXXX"; the
 * writer escapes markup. */
static const text_style_t xml_style = { .ascii = NULL, .show_hidden = true };

/* Copy of s (NULL: "") that is legal XML 1.0 text (text_clean). Caller
 * frees; NULL when out of memory. */
static char *xml_clean(const char *s)
{
    return text_clean(s, 0, &xml_style);
}

static int attr(xmlTextWriterPtr w, const char *name, const char *val)
{
    char *clean = xml_clean(val);
    int rc = clean ? xmlTextWriterWriteAttribute(w, X(name), X(clean)) : -1;
    free(clean);
    return rc;
}

static int attr_uint(xmlTextWriterPtr w, const char *name, unsigned long long v)
{
    return xmlTextWriterWriteFormatAttribute(w, X(name), "%llu", v);
}

static int attr_secs(xmlTextWriterPtr w, const char *name, double s)
{
    return xmlTextWriterWriteFormatAttribute(w, X(name), "%.3f", isfinite(s) && s > 0 ? s : 0.0);
}

/* Wall time of the run, or duration_s when the clock is unknown. */
static double run_seconds(const result_t *r)
{
    return result_elapsed_s(r);
}

/* JUnit's schema wants a zone-less ISO-8601 time; ours is UTC. Omitted when
 * the start time is unknown. */
static int attr_timestamp(xmlTextWriterPtr w, double epoch_s)
{
    if (!(epoch_s > 0) || !isfinite(epoch_s))
        return 0;
    time_t secs = (time_t)epoch_s;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&secs, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return 0;
    return attr(w, "timestamp", buf);
}

static int property(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (xmlTextWriterStartElement(w, X("property")) < 0 || attr(w, "name", name) < 0 ||
        attr(w, "value", value) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

/* Written only when set, so plain runs keep a short list. */
static int optional_properties(xmlTextWriterPtr w, const result_t *r)
{
    char buf[64];
    int rc = 0;
    if (r->spec_hash)
        rc |= property(w, "spec_sha256", r->spec_hash);
    if (r->git_commit)
        rc |= property(w, "git_commit", r->git_commit);
    if (r->shard_total) {
        reporter_shard_name(r->shard_index, r->shard_total, buf, sizeof buf);
        rc |= property(w, "shard", buf);
    }
    if (r->nshards) {
        snprintf(buf, sizeof buf, "%zu", r->nshards);
        rc |= property(w, "merged_results", buf);
    }
    if (r->missing_shards)
        rc |= property(w, "missing_shards", r->missing_shards);
    if (r->region)
        rc |= property(w, "region", r->region);
    if (r->aborted)
        rc |= property(w, "aborted", r->abort_reason ? r->abort_reason : "yes");
    if (r->baseline_path)
        rc |= property(w, "baseline", r->baseline_path);
    char *ovr = r->overrides ? res_overrides_text(r->overrides) : NULL;
    if (r->overrides)
        rc |= ovr ? property(w, "overrides", ovr) : -1;
    free(ovr);
    if (r->tls_insecure)
        rc |= property(w, "tls_verify",
                       "false (tls.insecure_skip_verify: server certificates "
                       "were not checked)");
    if (r->connect_abandoned) {
        snprintf(buf, sizeof buf, "%" PRIu64, r->connect_abandoned);
        rc |= property(w, "connect_abandoned", buf);
    }
    if (r->reconnect_attempts) {
        snprintf(buf, sizeof buf, "%" PRIu64, r->reconnect_attempts);
        rc |= property(w, "reconnect_attempts", buf);
    }
    int rec = result_find_step(r, "reconnects"); /* with a connect.reconnect policy */
    if (rec >= 0) {
        snprintf(buf, sizeof buf, "%" PRIu64, r->steps[rec].ok);
        rc |= property(w, "reconnects", buf);
        snprintf(buf, sizeof buf, "%" PRIu64, r->steps[rec].failed);
        rc |= property(w, "reconnects_gave_up", buf);
    }
    return rc < 0 ? -1 : 0;
}

static int properties(xmlTextWriterPtr w, const result_t *r)
{
    char threads[24], users[24];
    snprintf(threads, sizeof threads, "%u", r->threads);
    snprintf(users, sizeof users, "%u", r->users_planned);
    if (xmlTextWriterStartElement(w, X("properties")) < 0 || property(w, "target", r->target) < 0 ||
        property(w, "wsgate_version", r->wsgate_version) < 0 ||
        property(w, "threads", threads) < 0 || property(w, "users_planned", users) < 0 ||
        property(w, "load_model", r->open_model ? "open" : "closed") < 0 ||
        property(w, "spec_path", r->spec_path) < 0 || optional_properties(w, r) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

static int failure(xmlTextWriterPtr w, const res_assertion_t *a)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "observed %s, expected %s",
             a->observed_text ? a->observed_text : "no samples",
             a->expected_text ? a->expected_text : "?");
    char *clean = xml_clean(msg);
    int rc = -1;
    if (clean && xmlTextWriterStartElement(w, X("failure")) >= 0 &&
        attr(w, "message", clean) >= 0 && attr(w, "type", "assertion") >= 0 &&
        xmlTextWriterWriteString(w, X(clean)) >= 0)
        rc = xmlTextWriterEndElement(w);
    free(clean);
    return rc;
}

static int testcase(xmlTextWriterPtr w, const char *classname, const res_assertion_t *a)
{
    if (xmlTextWriterStartElement(w, X("testcase")) < 0 || attr(w, "classname", classname) < 0 ||
        attr(w, "name", a->text) < 0 || attr(w, "time", "0") < 0)
        return -1;
    if (!a->passed && failure(w, a) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

/* The testcase "run completed": NULL when the run finished; else its
 * child element, "error" (interrupted) or "failure" (aborted). */
static const char *run_outcome(const result_t *r)
{
    switch (result_verdict(r)) {
    case RES_VERDICT_INTERRUPTED:
        return "error";
    case RES_VERDICT_ABORTED:
        return "failure";
    default:
        return NULL;
    }
}

/* "interrupted by SIGINT after 12.3 s of 60 s", "aborted after 2.1 s of
 * 30 s: REASON". */
static void run_message(const result_t *r, char *buf, size_t n)
{
    char detail[512];
    reporter_stop_detail(r, true, detail, sizeof detail);
    if (result_verdict(r) == RES_VERDICT_INTERRUPTED)
        snprintf(buf, n, "interrupted%s: partial results, not a verdict", detail);
    else
        snprintf(buf, n, "aborted%s: %s", detail,
                 r->abort_reason ? r->abort_reason : "no reason recorded");
}

static int run_testcase(xmlTextWriterPtr w, const char *classname, const result_t *r)
{
    const char *elem = run_outcome(r);
    if (!elem)
        return 0;
    char msg[1024];
    run_message(r, msg, sizeof msg);
    const char *type = result_verdict_name(result_verdict(r));
    if (xmlTextWriterStartElement(w, X("testcase")) < 0 || attr(w, "classname", classname) < 0 ||
        attr(w, "name", "run completed") < 0 || attr_secs(w, "time", run_seconds(r)) < 0 ||
        xmlTextWriterStartElement(w, X(elem)) < 0 || attr(w, "message", msg) < 0 ||
        attr(w, "type", type) < 0)
        return -1;
    char *clean = xml_clean(msg);
    int rc = clean ? xmlTextWriterWriteString(w, X(clean)) : -1;
    free(clean);
    if (rc < 0 || xmlTextWriterEndElement(w) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

/* The counts of the suite, "run completed" included. */
typedef struct counts {
    size_t tests, failures, errors;
} counts_t;

static counts_t suite_counts(const result_t *r)
{
    res_verdict_t v = result_verdict(r);
    counts_t c = { r->nassertions, result_failed_assertions(r), 0 };
    c.tests += v == RES_VERDICT_ABORTED || v == RES_VERDICT_INTERRUPTED;
    c.failures += v == RES_VERDICT_ABORTED;
    c.errors += v == RES_VERDICT_INTERRUPTED;
    return c;
}

static int count_attrs(xmlTextWriterPtr w, const result_t *r)
{
    counts_t c = suite_counts(r);
    if (attr_uint(w, "tests", c.tests) < 0 || attr_uint(w, "failures", c.failures) < 0)
        return -1;
    return attr_uint(w, "errors", c.errors);
}

static int testsuite(xmlTextWriterPtr w, const result_t *r)
{
    const char *name = r->spec_name ? r->spec_name : "unnamed";
    if (xmlTextWriterStartElement(w, X("testsuite")) < 0 || attr(w, "name", name) < 0 ||
        count_attrs(w, r) < 0 || attr_secs(w, "time", run_seconds(r)) < 0 ||
        attr_timestamp(w, r->started_at) < 0 || properties(w, r) < 0)
        return -1;
    size_t n = strlen("wsgate.") + strlen(name) + 1;
    char *classname = malloc(n);
    if (!classname)
        return -1;
    snprintf(classname, n, "wsgate.%s", name);
    int rc = run_testcase(w, classname, r);
    for (size_t i = 0; rc >= 0 && i < r->nassertions; i++)
        rc = testcase(w, classname, &r->assertions[i]);
    free(classname);
    return rc < 0 ? -1 : xmlTextWriterEndElement(w);
}

static int document(xmlTextWriterPtr w, const result_t *r)
{
    if (xmlTextWriterSetIndent(w, 1) < 0 || xmlTextWriterSetIndentString(w, X("  ")) < 0 ||
        xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElement(w, X("testsuites")) < 0 || attr(w, "name", "wsgate") < 0 ||
        count_attrs(w, r) < 0 || attr_secs(w, "time", run_seconds(r)) < 0 || testsuite(w, r) < 0)
        return -1;
    return xmlTextWriterEndDocument(w);
}

static int junit_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = w ? document(w, r) : -1;
    xmlFreeTextWriter(w); /* flushes into buf */
    if (rc < 0) {
        snprintf(err, errlen, "cannot render JUnit XML (out of memory or bad text)");
        xmlBufferFree(buf);
        return -1;
    }
    errno = 0;
    size_t len = (size_t)xmlBufferLength(buf);
    fwrite(xmlBufferContent(buf), 1, len, out); /* a short write sets ferror(out) */
    xmlBufferFree(buf);
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_junit = {
    .name = "junit",
    .filename = "junit.xml",
    .write = junit_write,
};
