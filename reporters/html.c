/* html: one self-contained HTML5 report (inline CSS and SVG, no scripts, no
 * network references) with the run's tables and charts over time. Every
 * string from the result is escaped: error samples come from servers. */
#include "reporters/reporter.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "result/num.h"
#include "reporters/text.h"
#include "result/overrides.h"

/* Longest error sample shown, in bytes; the JSON keeps the whole text. */
#define HTML_SAMPLE_MAX 300

/* Chart geometry in SVG user units. */
#define CH_W 720.0
#define CH_H 240.0
#define CH_LEFT 56.0
#define CH_RIGHT 12.0
#define CH_TOP 24.0
#define CH_BOTTOM 28.0
#define CH_PW (CH_W - CH_LEFT - CH_RIGHT)
#define CH_PH (CH_H - CH_TOP - CH_BOTTOM)
#define CH_MAX_LINES ERR_KIND_COUNT /* errors: a line per kind */
#define CH_MAX_HOVER 600            /* hover columns per chart: longer runs share them */
#define CH_MAX_POINTS 2000          /* spans per chart line: longer runs join seconds in spans */
#define CH_MAX_STEP_CHARTS 20       /* latency charts: the main step, named steps, failed ones */
#define CH_DIST_BINS 24             /* bars of a latency distribution */
#define CH_LEGEND_ROW 14.0          /* a legend row's height; rows wrap at the chart's width */
#define CH_CHAR_W 6.6               /* an 11 px character's width, generously */
#define CH_SWATCH_W 26.0            /* the swatch before a label and the gap after it */

static const char html_css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:62em;padding:0 1em;"
    "color:#222}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".pass,.better{color:#176f2c}.fail,.worse{color:#b3261e}.note,.interrupted{color:#8a5300}\n"
    ".sample{font-family:monospace;white-space:pre-wrap;word-break:break-all}\n"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\n"
    "dt{font-weight:600}dd{margin:0}\n"
    "svg{width:100%;height:auto;font-size:11px}\n"
    "svg rect.hover:hover{fill-opacity:.08}\n";

/* ---- escaping ------------------------------------------------------------- */

/* Writes one ASCII character (printable, tab, LF or CR) as HTML text or
 * attribute content. */
static void html_char(FILE *out, unsigned char c)
{
    switch (c) {
    case '<':
        fputs("&lt;", out);
        return;
    case '>':
        fputs("&gt;", out);
        return;
    case '&':
        fputs("&amp;", out);
        return;
    case '"':
        fputs("&quot;", out);
        return;
    case '\'':
        fputs("&#39;", out);
        return;
    default:
        fputc(c, out);
    }
}

/* HTML forbids C0 and C1 controls and noncharacters as text, and a bidi
 * override would reorder what the reader sees: all shown as "\uXXXX". */
static const text_style_t html_style = { .ascii = html_char, .show_hidden = true };

/* Writes s escaped for HTML text and quoted attributes (text_write):
 * invalid UTF-8 as U+FFFD, hidden code points as "\uXXXX". Stops after max
 * bytes (0: no limit) and marks the cut with an ellipsis. NULL writes
 * nothing. */
static void html_text_max(FILE *out, const char *s, size_t max)
{
    text_write(out, s, max, &html_style);
}

static void html_text(FILE *out, const char *s)
{
    html_text_max(out, s, 0);
}

/* ---- formatting helpers ----------------------------------------------------- */

/* "2024-05-01 12:00:00 UTC", or "unknown" when the time is not set. */
static void fmt_utc(double epoch_s, char *buf, size_t n)
{
    struct tm tm;
    bool ok = epoch_s > 0 && epoch_s < 1e12; /* also false for NaN */
    time_t secs = ok ? (time_t)epoch_s : 0;
    if (!ok || !gmtime_r(&secs, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, n, "unknown");
}

/* ---- head and header ---------------------------------------------------------- */

/* " passed", " failed", " aborted after 2.1 s of 30 s", " interrupted
 * after 12.3 s of 60 s": the title's verdict. */
static void html_verdict_words(const result_t *r, FILE *out)
{
    static const char *const words[RES_VERDICT_COUNT] = {
        [RES_VERDICT_PASS] = " passed",
        [RES_VERDICT_FAIL] = " failed",
        [RES_VERDICT_ABORTED] = " aborted",
        [RES_VERDICT_INTERRUPTED] = " interrupted",
    };
    char detail[512];
    reporter_stop_detail(r, false, detail, sizeof detail);
    fputs(words[result_verdict(r)], out);
    html_text(out, detail);
}

static void html_head(const result_t *r, FILE *out)
{
    fputs(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>wsgate: ",
        out);
    html_text(out, r->spec_name ? r->spec_name : "unnamed");
    html_verdict_words(r, out);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", html_css);
}

/* The banner under the title: the verdict in a word, then why. */
static void html_verdict(const result_t *r, FILE *out)
{
    size_t nfail = result_failed_assertions(r);
    char detail[512];
    reporter_stop_detail(r, true, detail, sizeof detail);
    fputs("<h1>wsgate: ", out);
    html_text(out, r->spec_name ? r->spec_name : "unnamed");
    fputs("</h1>\n", out);
    switch (result_verdict(r)) {
    case RES_VERDICT_PASS:
        fputs("<p class=\"verdict pass\"><strong>&#10004; PASSED</strong>", out);
        break;
    case RES_VERDICT_FAIL:
        fputs("<p class=\"verdict fail\"><strong>&#10008; FAILED</strong>", out);
        if (nfail > 0)
            fprintf(out, ": %zu of %zu assertion%s failed", nfail, r->nassertions,
                    r->nassertions == 1 ? "" : "s");
        break;
    case RES_VERDICT_ABORTED:
        fputs("<p class=\"verdict fail\"><strong>&#10008; ABORTED</strong>", out);
        html_text(out, detail);
        break;
    default:
        fputs("<p class=\"verdict interrupted\"><strong>&#9888; INTERRUPTED</strong>", out);
        html_text(out, detail);
        fputs(": partial results, not a verdict", out);
        break;
    }
    fputs("</p>\n", out);
}

static void html_flags(const result_t *r, FILE *out)
{
    if (r->tls_insecure)
        fputs("<p class=\"note\" id=\"tls-insecure\"><strong>TLS certificate verification was "
              "OFF</strong> (tls.insecure_skip_verify: true): the server's identity was not "
              "checked.</p>\n",
              out);
    char gen[512];
    gen_warning(r->generator, gen, sizeof gen);
    if (gen[0]) {
        fputs("<p class=\"note\" id=\"generator-saturated\">&#9888;&#65039; ", out);
        html_text(out, gen);
        fputs(".</p>\n", out);
    }
    for (size_t i = 0; i < r->nwarnings; i++) { /* counts that do not add up */
        fputs("<p class=\"note count-warning\">&#9888;&#65039; <strong>Warning:</strong> ", out);
        html_text(out, r->warnings[i]);
        fputs(".</p>\n", out);
    }
    char ramp[256];
    ramp_line(&r->ramp, ramp, sizeof ramp);
    if (ramp[0]) {
        fputs("<p class=\"note\" id=\"ramp-behind\">&#9888;&#65039; ", out);
        html_text(out, ramp);
        fputs(".</p>\n", out);
    }
    if (r->interrupted)
        fputs("<p class=\"note\" id=\"interrupted\">Interrupted by a signal before the planned "
              "end: partial results.</p>\n",
              out);
    if (r->aborted) {
        fprintf(out,
                "<p class=\"note\" id=\"aborted\">Aborted %.1f s into the run by an assertion: ",
                r->aborted_at_s);
        html_text(out, r->abort_reason ? r->abort_reason : "no reason recorded");
        fputs("</p>\n", out);
    }
    if (r->missing_shards) {
        fputs("<p class=\"note\">Partial merge: shards ", out);
        html_text(out, r->missing_shards);
        fputs(" are missing.</p>\n", out);
    }
}

/* One <dt>/<dd> pair; value is escaped. */
static void meta_item(FILE *out, const char *name, const char *value)
{
    fprintf(out, "<dt>%s</dt><dd>", name);
    html_text(out, value);
    fputs("</dd>\n", out);
}

static void meta_uint(FILE *out, const char *name, uint64_t v)
{
    char buf[32];
    num_count(v, buf, sizeof buf);
    fprintf(out, "<dt>%s</dt><dd>%s</dd>\n", name, buf);
}

static void meta_times(const result_t *r, FILE *out)
{
    char buf[64];
    fmt_utc(r->started_at, buf, sizeof buf);
    meta_item(out, "Started", buf);
    fmt_utc(r->ended_at, buf, sizeof buf);
    meta_item(out, "Ended", buf);
    /* open model: duration_s is the time the load ran, not a plan */
    const char *what = r->open_model ? "load" : "planned";
    /* an interrupted or aborted run's duration_s is the time it ran */
    double shown = !r->open_model && r->planned_s > 0 ? r->planned_s : r->duration_s;
    char ran[32], plan[32], dur[96];
    num_duration(shown, plan, sizeof plan);
    if (r->started_at > 0 && r->ended_at >= r->started_at) {
        num_duration(r->ended_at - r->started_at, ran, sizeof ran);
        snprintf(dur, sizeof dur, "%s (%s %s)", ran, what, plan);
    } else {
        snprintf(dur, sizeof dur, "%s %s", what, plan);
    }
    meta_item(out, "Duration", dur);
}

/* Shard, region, merge and provenance: shown only when set. */
static void meta_optional(const result_t *r, FILE *out)
{
    char buf[64];
    if (r->shard_total) {
        reporter_shard_name(r->shard_index, r->shard_total, buf, sizeof buf);
        meta_item(out, "Shard", buf);
    }
    if (r->nshards)
        meta_uint(out, "Merged results", r->nshards);
    if (r->region)
        meta_item(out, "Region", r->region);
    if (r->start_late_s > 1.0) {
        snprintf(buf, sizeof buf, "%.1f s", r->start_late_s);
        meta_item(out, "Started late by", buf);
    }
    char *ovr = r->overrides ? res_overrides_text(r->overrides) : NULL;
    if (ovr && *ovr)
        meta_item(out, "Overrides", ovr);
    free(ovr);
    if (r->baseline) {
        char name[128];
        reporter_baseline_name(r, name, sizeof name);
        meta_item(out, "Baseline", name);
    }
    if (r->git_commit)
        meta_item(out, "Git commit", r->git_commit);
    if (r->git_ref)
        meta_item(out, "Git ref", r->git_ref);
    if (r->spec_hash)
        meta_item(out, "Spec SHA-256", r->spec_hash);
}

static void html_meta(const result_t *r, FILE *out)
{
    fputs("<dl class=\"meta\">\n", out);
    meta_item(out, "Target", r->target ? r->target : "unknown");
    meta_item(out, "Spec", r->spec_path ? r->spec_path : "unknown");
    meta_times(r, out);
    meta_uint(out, "Threads", r->threads);
    meta_item(out, "Load model", r->open_model ? "open (arrival rate)" : "closed (users)");
    meta_uint(out, r->open_model ? "Max users" : "Users planned", r->users_planned);
    if (r->open_model) {
        meta_uint(out, "Arrivals started", r->arrivals_started);
        meta_uint(out, "Arrivals dropped", r->arrivals_dropped);
    }
    meta_uint(out, "Peak connections", r->peak_active);
    meta_uint(out, "Messages sent", r->msgs_sent);
    meta_uint(out, "Messages received", r->msgs_received);
    if (r->connect_abandoned)
        meta_uint(out, "Connects abandoned", r->connect_abandoned);
    if (r->reconnect_attempts)
        meta_uint(out, "Automatic reconnect attempts", r->reconnect_attempts);
    char z[400];
    if (reporter_compression(r, z, sizeof z))
        meta_item(out, "permessage-deflate", z);
    if (reporter_slow_consumers(r, z, sizeof z))
        meta_item(out, "Slow consumers", z);
    meta_optional(r, out);
    meta_item(out, "wsgate", r->wsgate_version ? r->wsgate_version : "unknown");
    fputs("</dl>\n", out);
}

/* ---- tables ------------------------------------------------------------------ */

static void html_assertions(const result_t *r, FILE *out)
{
    fputs("<h2>Assertions</h2>\n", out);
    if (r->nassertions == 0) {
        fputs("<p>No assertions.</p>\n", out);
        return;
    }
    fputs("<table class=\"assertions\">\n<tr><th></th><th>Assertion</th><th>Observed</th>"
          "<th>Expected</th></tr>\n",
          out);
    for (size_t i = 0; i < r->nassertions; i++) {
        const res_assertion_t *a = &r->assertions[i];
        fputs(a->passed ? "<tr class=\"pass\"><td>&#10004; pass</td><td>"
                        : "<tr class=\"fail\"><td>&#10008; fail</td><td>",
              out);
        html_text(out, a->text);
        fputs("</td><td>", out);
        html_text(out, a->observed_text ? a->observed_text : "no samples");
        fputs("</td><td>", out);
        html_text(out, a->expected_text);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* One cell of statistic st of step i; the rate and p50/p95/p99 carry
 * their baseline change, marked worse or better by a class. */
static void step_cell(const result_t *r, size_t i, rep_stat_t st, FILE *out)
{
    char buf[160];
    bool delta = st == REP_RATE || st == REP_P50 || st == REP_P95 || st == REP_P99;
    reporter_step_cell(r, i, st, delta, buf, sizeof buf);
    const char *cls = strstr(buf, NUM_WORSE) ? " worse" : strstr(buf, NUM_BETTER) ? " better" : "";
    fprintf(out, "<td class=\"n%s\">", cls);
    html_text(out, buf);
    fputs("</td>", out);
}

static void step_row(const result_t *r, size_t i, FILE *out)
{
    const res_step_t *s = &r->steps[i];
    char count[32], ok[32], failed[32];
    num_count(s->latency ? hist_count(s->latency) : 0, count, sizeof count);
    num_count(s->ok, ok, sizeof ok);
    num_count(s->failed, failed, sizeof failed);
    fputs("<tr><td>", out);
    html_text(out, s->name);
    fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
            count, ok, failed);
    for (rep_stat_t st = REP_RATE; st <= REP_MAX; st++)
        step_cell(r, i, st, out);
    fputs("</tr>\n", out);
}

static void html_steps(const result_t *r, FILE *out)
{
    fputs("<h2>Latency by step</h2>\n", out);
    if (r->nsteps == 0) {
        fputs("<p>No steps.</p>\n", out);
        return;
    }
    fputs("<table class=\"steps\">\n<tr><th>Step</th><th>Count</th><th>OK</th><th>Failed</th>"
          "<th>Rate</th><th>Avg</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th>"
          "<th>Max</th></tr>\n",
          out);
    for (size_t i = 0; i < r->nsteps; i++)
        step_row(r, i, out);
    fputs("</table>\n<p>Rate: successful operations per second of the load.", out);
    if (r->baseline) {
        char name[128];
        reporter_baseline_name(r, name, sizeof name);
        fputs(" Changes in parentheses are against the baseline ", out);
        html_text(out, name);
        fprintf(out, ": %s worse or %s better by %g%% or more.", NUM_WORSE, NUM_BETTER,
                NUM_DELTA_QUIET);
    }
    fputs("</p>\n", out);
}

static void html_errors(const result_t *r, FILE *out)
{
    fputs("<h2>Errors</h2>\n", out);
    if (result_error_total(r) == 0) {
        fputs("<p>None.</p>\n", out);
        return;
    }
    fputs("<table class=\"errors\">\n<tr><th>Kind</th><th>Count</th><th>Sample</th></tr>\n", out);
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        const res_errors_t *e = &r->errors[k];
        if (e->count == 0)
            continue;
        char count[32];
        num_count(e->count, count, sizeof count);
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"sample\">",
                err_kind_name((err_kind_t)k), count);
        html_text_max(out, e->nsamples > 0 ? e->samples[0] : "", HTML_SAMPLE_MAX);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void shard_row(const res_shard_t *s, FILE *out)
{
    char name[32];
    reporter_shard_name(s->index, s->total, name, sizeof name);
    fprintf(out, "<tr><td>%s</td><td>", name);
    html_text(out, s->region ? s->region : "–");
    fputs("</td>", out);
    const uint64_t v[] = { s->peak_active, s->msgs_sent, s->msgs_received,
                           s->ok,          s->failed,    s->errors };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char buf[32];
        num_count(v[i], buf, sizeof buf);
        fprintf(out, "<td class=\"n\">%s</td>", buf);
    }
    fprintf(out, "<td class=\"n\">%.1f s</td></tr>\n", s->start_late_s);
}

static void html_shards(const result_t *r, FILE *out)
{
    if (r->nshards == 0)
        return;
    fputs("<h2>Shards</h2>\n<table class=\"shards\">\n<tr><th>Shard</th><th>Region</th>"
          "<th>Peak connections</th><th>Sent</th><th>Received</th><th>Steps ok</th>"
          "<th>Steps failed</th><th>Errors</th><th>Started late</th></tr>\n",
          out);
    for (size_t i = 0; i < r->nshards; i++)
        shard_row(&r->shards[i], out);
    fputs("</table>\n", out);
}

/* ---- charts ------------------------------------------------------------------ */

/* One line of a chart: a value per span of the chart's stride seconds
 * (one second in a run of at most CH_MAX_POINTS seconds): v[b] and hi[b]
 * the lowest and highest of span b (equal when a span is one second),
 * have[b] false where no second of span b has a value. */
typedef struct ch_line {
    const char *label;
    const char *color;
    double *v;
    double *hi;
    bool *have;
} ch_line_t;

/* Owns the value arrays of its lines. */
typedef struct chart {
    const char *id;
    const char *title;
    const char *subject; /* from the result (escaped), NULL: none */
    size_t n;            /* seconds */
    size_t stride, nb;   /* seconds per span, spans: set by chart_add */
    ch_line_t lines[CH_MAX_LINES];
    size_t nlines;
    double top, step; /* y axis: 0..top, a tick every step */
    bool join;        /* draw across seconds without a value (scrapes every few s) */
    bool latency;     /* values are ms: hover text in the reports' latency units */
    bool has_ref;     /* a dashed line at ref: the baseline */
    double ref;
    const char *ref_label;
    double ptop, h; /* the plot's top and the svg's height: below the legend's rows */
} chart_t;

/* Spans of one second up to CH_MAX_POINTS seconds, longer ones beyond. */
static void chart_spans(chart_t *c)
{
    c->stride = c->n > CH_MAX_POINTS ? (c->n + CH_MAX_POINTS - 1) / CH_MAX_POINTS : 1;
    c->nb = (c->n + c->stride - 1) / c->stride;
}

static int chart_add(chart_t *c, const char *label, const char *color)
{
    ch_line_t *l = &c->lines[c->nlines];
    chart_spans(c);
    l->label = label;
    l->color = color;
    l->v = calloc(c->nb ? c->nb : 1, sizeof *l->v);
    l->hi = calloc(c->nb ? c->nb : 1, sizeof *l->hi);
    l->have = calloc(c->nb ? c->nb : 1, sizeof *l->have);
    if (!l->v || !l->hi || !l->have) {
        free(l->v);
        free(l->hi);
        free(l->have);
        return -1;
    }
    c->nlines++;
    return 0;
}

/* Line k's value v at second sec: a one-second span takes the last value
 * put, a longer span keeps its lowest and highest, so a spike of one
 * second still shows however long the run. */
static void chart_put(chart_t *c, size_t k, size_t sec, double v)
{
    ch_line_t *l = &c->lines[k];
    size_t b = sec / c->stride;
    if (sec >= c->n)
        return;
    if (!l->have[b] || c->stride == 1) {
        l->v[b] = l->hi[b] = v;
        l->have[b] = true;
        return;
    }
    l->v[b] = v < l->v[b] ? v : l->v[b];
    l->hi[b] = v > l->hi[b] ? v : l->hi[b];
}

static void chart_free(chart_t *c)
{
    for (size_t i = 0; i < c->nlines; i++) {
        free(c->lines[i].v);
        free(c->lines[i].hi);
        free(c->lines[i].have);
    }
    c->nlines = 0;
}

/* 1, 2 or 5 times a power of ten, at least raw. */
static double nice_step(double raw)
{
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
}

/* Picks a y axis from 0 to a round number at or above every value. */
static void chart_scale(chart_t *c)
{
    double max = c->has_ref && isfinite(c->ref) ? c->ref : 0;
    for (size_t k = 0; k < c->nlines; k++)
        for (size_t b = 0; b < c->nb; b++)
            if (c->lines[k].have[b] && c->lines[k].hi[b] > max)
                max = c->lines[k].hi[b];
    c->step = max > 0 && isfinite(max) ? nice_step(max / 4.0) : 0.25;
    c->top = c->step * ceil((max > 0 && isfinite(max) ? max : 1.0) / c->step);
}

static double ch_x(const chart_t *c, size_t i)
{
    return CH_LEFT + CH_PW * (double)i / (double)(c->n - 1);
}

/* x of span b: the middle of its seconds (second b when spans are one). */
static double ch_bx(const chart_t *c, size_t b)
{
    size_t first = b * c->stride, last = first + c->stride;
    last = (last < c->n ? last : c->n) - 1;
    return CH_LEFT + CH_PW * ((double)(first + last) / 2.0) / (double)(c->n - 1);
}

static double ch_y(const chart_t *c, double v)
{
    return c->ptop + CH_PH - CH_PH * v / c->top;
}

static void chart_yaxis(const chart_t *c, FILE *out)
{
    int nticks = (int)lround(c->top / c->step);
    for (int t = 0; t <= nticks; t++) {
        double v = c->step * t;
        double y = ch_y(c, v);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.10g</text>\n",
                CH_LEFT, y, CH_W - CH_RIGHT, y, CH_LEFT - 4, y + 4, v);
    }
}

static void chart_xaxis(const chart_t *c, FILE *out)
{
    size_t last = c->n - 1;
    size_t step = (size_t)nice_step((double)last / 6.0);
    if (step == 0)
        step = 1;
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
            CH_LEFT, c->ptop, CH_LEFT, c->ptop + CH_PH, CH_LEFT, c->ptop + CH_PH, CH_W - CH_RIGHT,
            c->ptop + CH_PH);
    for (size_t s = 0; s <= last; s += step)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%zus</text>\n", ch_x(c, s),
                c->h - 8, s);
}

/* The width a legend entry takes: swatch, label and the gap to the next. */
static double legend_entry_w(const ch_line_t *l)
{
    return CH_SWATCH_W + CH_CHAR_W * (double)strlen(l->label);
}

/* Lays the legend out in rows that fit the chart's width, from the plot's
 * left edge, and moves the plot down by the rows beyond the first. With
 * out NULL it only measures. */
static void chart_legend(chart_t *c, FILE *out)
{
    double x = CH_LEFT, y = CH_LEGEND_ROW;
    for (size_t k = 0; k < c->nlines; k++) {
        double w = legend_entry_w(&c->lines[k]);
        if (x > CH_LEFT && x + w - CH_CHAR_W > CH_W - CH_RIGHT) {
            x = CH_LEFT;
            y += CH_LEGEND_ROW;
        }
        if (out)
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">&#9644; %s</text>\n", x, y,
                    c->lines[k].color, c->lines[k].label);
        x += w;
    }
    c->ptop = CH_TOP + (y - CH_LEGEND_ROW);
    c->h = CH_H + (y - CH_LEGEND_ROW);
}

/* The points of span b: its value, or its lowest then its highest. */
static void chart_points(const chart_t *c, const ch_line_t *l, size_t b, bool first, FILE *out)
{
    fprintf(out, "%s%.1f,%.1f", first ? "" : " ", ch_bx(c, b), ch_y(c, l->v[b]));
    if (l->hi[b] != l->v[b])
        fprintf(out, " %.1f,%.1f", ch_bx(c, b), ch_y(c, l->hi[b]));
}

/* Draws the spans [from, to) of line l, which all have values: a polyline,
 * or a dot for a lone second. */
static void chart_run(const chart_t *c, const ch_line_t *l, size_t from, size_t to, FILE *out)
{
    if (to - from == 1 && l->v[from] == l->hi[from]) {
        fprintf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n",
                l->label, ch_bx(c, from), ch_y(c, l->v[from]), l->color);
        return;
    }
    fprintf(out,
            "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
            l->label, l->color);
    for (size_t b = from; b < to; b++)
        chart_points(c, l, b, b == from, out);
    fputs("\"/>\n", out);
}

/* A joined chart: one polyline through every span that has a value. */
static void chart_line_joined(const chart_t *c, const ch_line_t *l, FILE *out)
{
    bool first = true;
    fprintf(out,
            "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
            l->label, l->color);
    for (size_t b = 0; b < c->nb; b++)
        if (l->have[b]) {
            chart_points(c, l, b, first, out);
            first = false;
        }
    fputs("\"/>\n", out);
}

/* Spans without a value break the line instead of being drawn as 0. */
static void chart_line(const chart_t *c, const ch_line_t *l, FILE *out)
{
    size_t i = 0;
    if (c->join) {
        chart_line_joined(c, l, out);
        return;
    }
    while (i < c->nb) {
        if (!l->have[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < c->nb && l->have[j])
            j++;
        chart_run(c, l, i, j, out);
        i = j;
    }
}

/* One value as the tables print it (result/num.h). */
static void chart_value(const chart_t *c, double v, char *buf, size_t n)
{
    if (c->latency)
        num_latency(v * 1000.0, buf, n);
    else
        num_value(NUM_COUNT, v, buf, n);
}

/* The baseline: a dashed line across the plot, its value on hover. */
static void chart_ref(const chart_t *c, FILE *out)
{
    if (!c->has_ref)
        return;
    char v[48];
    chart_value(c, c->ref, v, sizeof v);
    double y = ch_y(c, c->ref);
    fprintf(out,
            "<line class=\"baseline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>%s: %s</title>"
            "</line>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" fill=\"#555\">%s</text>\n",
            CH_LEFT, y, CH_W - CH_RIGHT, y, c->ref_label, v, CH_LEFT + 4, y - 4, c->ref_label);
}

/* Span b's value of line l on hover: "4.10 ms", or "3.20 ms to 9.70 ms"
 * for a span of seconds that differ; "–" without one. */
static void chart_span_value(const chart_t *c, const ch_line_t *l, size_t b, char *buf, size_t n)
{
    char lo[48], hi[48];
    if (!l->have[b]) {
        snprintf(buf, n, "–");
        return;
    }
    chart_value(c, l->v[b], lo, sizeof lo);
    if (l->hi[b] == l->v[b]) {
        snprintf(buf, n, "%s", lo);
        return;
    }
    chart_value(c, l->hi[b], hi, sizeof hi);
    snprintf(buf, n, "%s to %s", lo, hi);
}

/* Values on hover: a transparent column per span (per group of spans in
 * long runs) whose <title> lists every line's value there. */
static void chart_hover(const chart_t *c, FILE *out)
{
    size_t stride = (c->nb + CH_MAX_HOVER - 1) / CH_MAX_HOVER;
    double w = CH_PW / (double)(c->n - 1) * (double)(stride * c->stride);
    for (size_t b = 0; b < c->nb; b += stride) {
        double x = ch_bx(c, b) - w / 2;
        x = x < CH_LEFT ? CH_LEFT : x;
        double right =
            ch_bx(c, b) + w / 2 > CH_W - CH_RIGHT ? CH_W - CH_RIGHT : ch_bx(c, b) + w / 2;
        fprintf(out,
                "<rect class=\"hover\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill-opacity=\"0\"><title>%zu s",
                x, c->ptop, right - x, CH_PH, b * c->stride);
        if (c->stride > 1)
            fprintf(out, " to %zu s", (b + 1) * c->stride < c->n ? (b + 1) * c->stride : c->n);
        for (size_t k = 0; k < c->nlines; k++) {
            char v[100];
            chart_span_value(c, &c->lines[k], b, v, sizeof v);
            fprintf(out, "%s %s %s", k ? "," : ":", c->lines[k].label, v);
        }
        fputs("</title></rect>\n", out);
    }
}

/* True when no line has a value to draw. */
static bool chart_empty(const chart_t *c)
{
    for (size_t k = 0; k < c->nlines; k++)
        for (size_t b = 0; b < c->nb; b++)
            if (c->lines[k].have[b])
                return false;
    return true;
}

static void chart_write(chart_t *c, FILE *out)
{
    fprintf(out, "<h3>%s", c->title);
    if (c->subject) {
        fputs(": ", out);
        html_text(out, c->subject);
    }
    fputs("</h3>\n", out);
    if (c->n < 2 || chart_empty(c)) {
        fprintf(out, "<p class=\"nodata\" id=\"%s\">not enough data</p>\n", c->id);
        return;
    }
    if (c->stride > 1)
        fprintf(out,
                "<p class=\"spans\">%zu s a point: each line runs through the lowest and the "
                "highest value of every %zu seconds, so a spike of one second still shows.</p>\n",
                c->stride, c->stride);
    chart_scale(c);
    chart_legend(c, NULL);
    fprintf(out,
            "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
            "viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n<title>%s</title>\n",
            c->id, CH_W, c->h, c->title);
    chart_yaxis(c, out);
    chart_xaxis(c, out);
    chart_legend(c, out);
    chart_ref(c, out);
    for (size_t k = 0; k < c->nlines; k++)
        chart_line(c, &c->lines[k], out);
    chart_hover(c, out);
    fputs("</svg>\n", out);
}

/* Which per-second counter a count chart line shows. */
typedef enum ch_field { F_ACTIVE, F_SENT, F_RECEIVED, F_ERRORS } ch_field_t;

static double second_field(const res_second_t *s, ch_field_t f)
{
    switch (f) {
    case F_ACTIVE:
        return (double)s->active;
    case F_SENT:
        return (double)s->sent;
    case F_RECEIVED:
        return (double)s->received;
    default:
        return (double)s->errors;
    }
}

/* A chart filled from the series one second at a time (result_series_each). */
typedef struct fill {
    chart_t *c;
    const result_t *r;
    size_t step;              /* fill_latency */
    const ch_field_t *fields; /* fill_counts */
    int line_of[ERR_KIND_COUNT];
} fill_t;

/* p50/p95/p99 in ms of the step in second t, from its histogram. */
static int fill_latency(const res_second_t *s, size_t t, void *ctx)
{
    static const double pcts[] = { 50, 95, 99 };
    fill_t *f = ctx;
    if (!s->step_hist || !s->step_hist[f->step])
        return 0;
    hist_t *h = res_second_hist(s, f->r->nsteps, f->step);
    if (!h)
        return -2;
    for (size_t k = 0; k < 3 && hist_count(h) > 0; k++)
        chart_put(f->c, k, t, (double)hist_percentile(h, pcts[k]) / 1000.0);
    hist_free(h);
    return 0;
}

/* The baseline's p95 of the step named name, in ms; false when it has none. */
static bool baseline_p95_ms(const result_t *r, const char *name, double *ms)
{
    int b = r->baseline ? result_find_step(r->baseline, name) : -1;
    const hist_t *h = b >= 0 ? r->baseline->steps[b].latency : NULL;
    if (!h || hist_count(h) == 0)
        return false;
    *ms = (double)hist_percentile(h, 95) / 1000.0;
    return true;
}

/* p50/p95/p99 of step over time, the baseline's p95 dashed. */
static int chart_latency(const result_t *r, size_t step, const char *id, FILE *out, char *err,
                         size_t errlen)
{
    chart_t c = { .id = id, .title = "Latency (ms)", .n = r->nseconds, .latency = true };
    int rc = -1;
    c.subject = r->steps[step].name;
    c.has_ref = baseline_p95_ms(r, r->steps[step].name, &c.ref);
    c.ref_label = "baseline p95";
    if (chart_add(&c, "p50", "#1f77b4") < 0 || chart_add(&c, "p95", "#ff7f0e") < 0 ||
        chart_add(&c, "p99", "#d62728") < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    fill_t f = { .c = &c, .r = r, .step = step };
    int got = result_series_each(r, fill_latency, &f);
    if (got == -2) {
        snprintf(err, errlen, "second of step \"%s\": malformed latency histogram",
                 r->steps[step].name);
        goto fail;
    }
    if (got < 0) {
        snprintf(err, errlen, "cannot read the run's per-second series back");
        goto fail;
    }
    chart_write(&c, out);
    rc = 0;
fail:
    chart_free(&c);
    return rc;
}

/* Bin edges of a distribution: nb ascending bounds in microseconds,
 * spaced evenly on a log scale from just above lo to hi. */
static size_t dist_edges(uint64_t lo, uint64_t hi, uint64_t *le)
{
    size_t nb = hi - lo + 1 < CH_DIST_BINS ? (size_t)(hi - lo + 1) : CH_DIST_BINS;
    double from = lo > 0 ? (double)lo : 1.0, ratio = (double)(hi > 0 ? hi : 1) / from;
    for (size_t k = 0; k < nb; k++) {
        double e = from * pow(ratio, (double)(k + 1) / (double)nb);
        le[k] = k + 1 == nb ? hi : (uint64_t)e;
        if (k > 0 && le[k] <= le[k - 1])
            le[k] = le[k - 1] + 1;
    }
    return nb;
}

/* One bar of a distribution, its range, count and share on hover. */
static void dist_bar(FILE *out, double x, double w, double y, uint64_t lo, uint64_t hi,
                     uint64_t count, uint64_t total)
{
    char a[48], b[48], n[32];
    num_latency((double)lo, a, sizeof a);
    num_latency((double)hi, b, sizeof b);
    num_count(count, n, sizeof n);
    fprintf(out,
            "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"#1f77b4\"><title>%s to %s: %s (%.1f%%)</title></rect>\n",
            x, y, w, CH_TOP + CH_PH - y, a, b, n, 100.0 * (double)count / (double)total);
}

/* How the successful samples of step spread over latency: bars on a log
 * scale of time from the step's min to its max. */
static void chart_distribution(const result_t *r, size_t step, const char *id, FILE *out)
{
    const hist_t *h = r->steps[step].latency;
    uint64_t total = h ? hist_count(h) : 0;
    if (total == 0)
        return;
    uint64_t le[CH_DIST_BINS], cum[CH_DIST_BINS], lo = hist_min(h);
    size_t nb = dist_edges(lo, hist_max(h), le);
    hist_counts_le(h, le, nb, cum);
    uint64_t max = 0;
    for (size_t k = 0; k < nb; k++) {
        uint64_t c = cum[k] - (k ? cum[k - 1] : 0);
        max = c > max ? c : max;
    }
    chart_t c = { .top = 1, .step = 1, .ptop = CH_TOP, .h = CH_H }; /* y axis of counts */
    c.step = nice_step((double)(max ? max : 1) / 4.0);
    c.top = c.step * ceil((double)(max ? max : 1) / c.step);
    fputs("<h3>Latency distribution: ", out);
    html_text(out, r->steps[step].name);
    fprintf(out,
            "</h3>\n<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
            "viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n<title>Latency distribution</title>\n",
            id, CH_W, CH_H);
    chart_yaxis(&c, out);
    double w = CH_PW / (double)nb;
    for (size_t k = 0; k < nb; k++) {
        uint64_t n = cum[k] - (k ? cum[k - 1] : 0);
        double x = CH_LEFT + w * (double)k;
        dist_bar(out, x + 0.5, w - 1.0, ch_y(&c, (double)n), k ? le[k - 1] : lo, le[k], n, total);
        if (k % 4 == 0 || k + 1 == nb) {
            char v[48];
            num_latency((double)le[k], v, sizeof v);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + w,
                    CH_H - 8, v);
        }
    }
    fputs("</svg>\n", out);
}

static int fill_counts(const res_second_t *s, size_t t, void *ctx)
{
    fill_t *f = ctx;
    for (size_t k = 0; k < f->c->nlines; k++)
        chart_put(f->c, k, t, second_field(s, f->fields[k]));
    return 0;
}

/* A chart of per-second counters: one line per field (at most 2). */
static int chart_counts(const result_t *r, chart_t *c, const ch_field_t *fields,
                        const char *const *labels, size_t nfields, FILE *out)
{
    static const char *const colors[] = { "#1f77b4", "#2ca02c" };
    int rc = -1;
    for (size_t k = 0; k < nfields; k++)
        if (chart_add(c, labels[k], colors[k]) < 0)
            goto fail;
    fill_t f = { .c = c, .r = r, .fields = fields };
    if (result_series_each(r, fill_counts, &f) < 0)
        goto fail;
    chart_write(c, out);
    rc = 0;
fail:
    chart_free(c);
    return rc;
}

/* True when an assertion about step i did not hold. */
static bool step_failed_assertion(const result_t *r, size_t i)
{
    for (size_t k = 0; k < r->nassertions; k++)
        if (!r->assertions[k].passed && reporter_assertion_step(r, &r->assertions[k]) == (int)i)
            return true;
    return false;
}

static int has_step(const res_second_t *s, size_t t, void *ctx)
{
    (void)t;
    size_t i = *(const size_t *)ctx;
    return s->step_hist && s->step_hist[i] ? 1 : 0;
}

/* True when step i has a successful sample in some second. */
static bool step_in_series(const result_t *r, size_t i)
{
    return result_series_each(r, has_step, &i) == 1;
}

/* Latency over time and its distribution for the main step ("chart-latency",
 * "chart-distribution"), then for every other step a spec named that ran
 * and every step an assertion failed on ("chart-latency-I",
 * "chart-distribution-I"), at most CH_MAX_STEP_CHARTS. */
static int html_step_charts(const result_t *r, FILE *out, char *err, size_t errlen)
{
    if (r->nsteps == 0) { /* says there is nothing to chart */
        chart_t none = { .id = "chart-latency", .title = "Latency (ms)", .n = r->nseconds };
        chart_write(&none, out);
        return 0;
    }
    size_t main = result_main_step(r), shown = 1;
    if (chart_latency(r, main, "chart-latency", out, err, errlen) < 0)
        return -1;
    chart_distribution(r, main, "chart-distribution", out);
    for (size_t i = 0; i < r->nsteps && shown < CH_MAX_STEP_CHARTS; i++) {
        bool failed = step_failed_assertion(r, i);
        bool named = i > 0 && step_in_series(r, i); /* steps[0] is connect */
        if (i == main || (!failed && !named))
            continue;
        shown++;
        char id[48], dist[48];
        snprintf(id, sizeof id, "chart-latency-%zu", i);
        snprintf(dist, sizeof dist, "chart-distribution-%zu", i);
        if (chart_latency(r, i, id, out, err, errlen) < 0)
            return -1;
        chart_distribution(r, i, dist, out);
    }
    return 0;
}

static int has_kinds(const res_second_t *s, size_t t, void *ctx)
{
    (void)t;
    (void)ctx;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (s->errors_by_kind[k])
            return 1;
    return 0;
}

/* True when the series splits its errors by kind (files from before the
 * split have only the totals). */
static bool series_has_kinds(const result_t *r)
{
    return result_series_each(r, has_kinds, NULL) == 1;
}

static int fill_kinds(const res_second_t *s, size_t t, void *ctx)
{
    fill_t *f = ctx;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (f->line_of[k] >= 0)
            chart_put(f->c, (size_t)f->line_of[k], t, (double)s->errors_by_kind[k]);
    return 0;
}

/* Errors per second, a line per kind that occurred (the total alone for
 * a series without kinds). */
static int chart_errors(const result_t *r, FILE *out)
{
    static const char *const colors[] = { "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                                          "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#2ca02c" };
    static const ch_field_t f_err[] = { F_ERRORS };
    static const char *const l_err[] = { "errors" };
    chart_t c = { .id = "chart-errors", .title = "Errors per second", .n = r->nseconds };
    if (!series_has_kinds(r))
        return chart_counts(r, &c, f_err, l_err, 1, out);
    c.title = "Errors per second by kind";
    int rc = -1;
    fill_t f = { .c = &c, .r = r };
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        f.line_of[k] = -1;
        if (r->errors[k].count == 0)
            continue;
        if (chart_add(&c, err_kind_name((err_kind_t)k), colors[k % 10]) < 0)
            goto fail;
        f.line_of[k] = (int)c.nlines - 1;
    }
    if (result_series_each(r, fill_kinds, &f) < 0)
        goto fail;
    chart_write(&c, out);
    rc = 0;
fail:
    chart_free(&c);
    return rc;
}

static int html_charts(const result_t *r, FILE *out, char *err, size_t errlen)
{
    static const ch_field_t f_active[] = { F_ACTIVE }, f_msgs[] = { F_SENT, F_RECEIVED };
    static const char *const l_active[] = { "active" }, *const l_msgs[] = { "sent", "received" };
    chart_t active = { .id = "chart-active", .title = "Active connections", .n = r->nseconds };
    chart_t msgs = { .id = "chart-messages", .title = "Messages per second", .n = r->nseconds };

    fputs("<h2>Over time</h2>\n<p>x: seconds since the start of the run; hover a chart for its "
          "values.",
          out);
    if (r->baseline)
        fputs(" Dashed: the baseline's p95.", out);
    fputs("</p>\n", out);
    if (html_step_charts(r, out, err, errlen) < 0)
        return -1;
    if (chart_counts(r, &active, f_active, l_active, 1, out) < 0 ||
        chart_counts(r, &msgs, f_msgs, l_msgs, 2, out) < 0 || chart_errors(r, out) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* One chart per observed server series (observe:): its value at each
 * second that had a scrape (the last scrape of the second), joined. */
static int chart_server_series(const res_obs_series_t *s, size_t k, size_t nsec, FILE *out)
{
    char id[40];
    size_t n = nsec;
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i] >= 0 && s->t[i] + 1 > (double)n && s->t[i] < 1e6) /* 11 days at most */
            n = (size_t)s->t[i] + 1;
    snprintf(id, sizeof(id), "chart-server-%zu", k);
    chart_t c = { .id = id, .title = "Server", .subject = s->name, .n = n, .join = true };
    if (chart_add(&c, "value", "#9467bd") < 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        if (!(s->t[i] >= 0) || s->t[i] >= (double)n || !isfinite(s->v[i]))
            continue;
        chart_put(&c, 0, (size_t)floor(s->t[i]), s->v[i]);
    }
    chart_write(&c, out);
    chart_free(&c);
    return 0;
}

static int html_server(const result_t *r, FILE *out, char *err, size_t errlen)
{
    const res_server_t *srv = r->server;
    if (!srv)
        return 0;
    fprintf(out,
            "<h2>Server</h2>\n<p>Scraped by <code>observe:</code>: %" PRIu64 " scrapes, %" PRIu64
            " failed; steady window %.1f-%.1f s. x: seconds since the start of the run.</p>\n",
            srv->scrapes, srv->scrape_errors, srv->window_start_s, srv->window_end_s);
    for (size_t k = 0; k < srv->nseries; k++)
        if (chart_server_series(&srv->series[k], k, r->nseconds, out) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

/* ---- the reporter ------------------------------------------------------------ */

static int html_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    errno = 0;
    html_head(r, out);
    html_verdict(r, out);
    html_flags(r, out);
    html_meta(r, out);
    html_assertions(r, out);
    html_steps(r, out);
    html_errors(r, out);
    if (html_charts(r, out, err, errlen) < 0 || html_server(r, out, err, errlen) < 0)
        return -1;
    html_shards(r, out);
    fputs("</body>\n</html>\n", out);
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_html = {
    .name = "html",
    .filename = "report.html",
    .write = html_write,
};
