/* markdown: a PR-comment-ready summary (GitHub-flavoured Markdown). */
#include "reporters/reporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "result/overrides.h"
#include "reporters/text.h"

/* Longest error sample shown, in bytes; the JSON keeps the whole text. */
#define MD_SAMPLE_MAX 160

/* Writes one ASCII character (printable, tab, LF or CR) so it shows
 * literally inside a table cell. */
static void md_char(FILE *out, unsigned char c)
{
    if (c == '\n')
        fputs("<br>", out);
    else if (c == '\r')
        return;
    else if (c == '\t')
        fputc(' ', out);
    else if (strchr("\\`*_[]<|&#~$!", c))
        fprintf(out, "\\%c", c);
    else
        fputc(c, out);
}

static const text_style_t md_style = { .ascii = md_char, .show_hidden = true };

/* Writes s as literal text safe in a table cell (text_write): Markdown and
 * HTML punctuation backslash-escaped, newlines as <br>, invalid UTF-8 as
 * U+FFFD, controls, bidi controls and noncharacters as "\uXXXX". Stops
 * after max bytes (0: no limit) and marks the cut with an ellipsis. */
static void md_text(FILE *out, const char *s, size_t max)
{
    text_write(out, s, max, &md_style);
}

/* The first line: icon, name and verdict ("### ⚠️ wsgate: NAME interrupted
 * after 12.3 s of 60 s"). */
static void md_title(const result_t *r, FILE *out)
{
    static const char *const icons[RES_VERDICT_COUNT] = {
        [RES_VERDICT_PASS] = "✅",
        [RES_VERDICT_FAIL] = "❌",
        [RES_VERDICT_ABORTED] = "❌",
        [RES_VERDICT_INTERRUPTED] = "⚠️",
    };
    res_verdict_t v = result_verdict(r);
    size_t nfail = result_failed_assertions(r);
    char detail[512];
    reporter_stop_detail(r, false, detail, sizeof detail);
    fprintf(out, "### %s wsgate: ", icons[v]);
    md_text(out, r->spec_name ? r->spec_name : "unnamed", 0);
    if (v == RES_VERDICT_PASS) {
        fputs(" passed", out);
    } else if (v == RES_VERDICT_FAIL && nfail > 0) {
        fprintf(out, " failed: %zu of %zu assertions", nfail, r->nassertions);
    } else if (v == RES_VERDICT_FAIL) {
        fputs(" failed", out);
    } else {
        fputs(v == RES_VERDICT_ABORTED ? " aborted" : " interrupted", out);
        md_text(out, detail, 0);
    }
    fputs("\n\n", out);
}

static void md_verdict(const result_t *r, FILE *out)
{
    md_title(r, out);
    if (r->interrupted) {
        char detail[512];
        reporter_stop_detail(r, true, detail, sizeof detail);
        fputs("_Interrupted", out);
        md_text(out, detail, 0);
        fputs(": partial results; the assertions below judge only the part that ran and are "
              "not a verdict._\n\n",
              out);
    }
    char *ovr = r->overrides ? res_overrides_text(r->overrides) : NULL;
    if (ovr && *ovr) { /* a reviewer must see at once that the spec's load did not run */
        fputs("**Overrides:** ", out);
        md_text(out, ovr, 0);
        fputs("\n\n", out);
    }
    free(ovr);
    if (r->tls_insecure)
        fputs("> ⚠️ **TLS certificate verification was OFF** (`tls.insecure_skip_verify: "
              "true`): the server's identity was not checked.\n\n",
              out);
    char gen[512];
    gen_warning(r->generator, gen, sizeof gen);
    if (gen[0])
        fprintf(out, "> ⚠️ %s.\n\n", gen);
    char ramp[256];
    ramp_line(&r->ramp, ramp, sizeof ramp);
    if (ramp[0])
        fprintf(out, "> ⚠️ %s.\n\n", ramp);
    if (r->aborted) {
        fprintf(out, "_Aborted %.1f s into the run by an assertion: ", r->aborted_at_s);
        md_text(out, r->abort_reason, 0);
        fputs("_\n\n", out);
    }
    if (r->missing_shards) {
        fputs("_Partial merge: shards ", out);
        md_text(out, r->missing_shards, 0);
        fputs(" are missing._\n\n", out);
    }
}

static void md_assertions(const result_t *r, FILE *out)
{
    if (r->nassertions == 0) {
        fputs("_No assertions._\n\n", out);
        return;
    }
    fputs("| | Assertion | Observed | Expected |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < r->nassertions; i++) {
        const res_assertion_t *a = &r->assertions[i];
        fputs(a->passed ? "| ✅ | " : "| ❌ | ", out);
        md_text(out, a->text, 0);
        fputs(" | ", out);
        md_text(out, a->observed_text ? a->observed_text : "no samples", 0);
        fputs(" | ", out);
        md_text(out, a->expected_text, 0);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

/* One latency cell: a time, or "–" when the step had no successful sample. */
static void md_time(FILE *out, bool have, uint64_t us)
{
    char buf[32] = "–";
    if (have)
        units_format_us((double)us, buf, sizeof buf);
    fprintf(out, " %s", buf);
}

/* A percentile cell, with its change against the baseline when there is one. */
static void md_pct(const result_t *r, size_t i, double pct, FILE *out)
{
    const hist_t *h = r->steps[i].latency;
    bool have = h && hist_count(h) > 0;
    double delta;
    md_time(out, have, have ? hist_percentile(h, pct) : 0);
    if (r->baseline && have && result_delta_pct(r, i, pct, &delta))
        fprintf(out, " (%+.1f%%)", delta);
    else if (r->baseline && have) /* no such step, or one without samples */
        fputs(result_find_step(r->baseline, r->steps[i].name) < 0 ? " (new)" : " (–)", out);
    fputs(" |", out);
}

static void md_step(const result_t *r, size_t i, FILE *out)
{
    const res_step_t *s = &r->steps[i];
    const hist_t *h = s->latency;
    uint64_t count = h ? hist_count(h) : 0;
    bool have = count > 0;
    fputs("| ", out);
    md_text(out, s->name, 0);
    fprintf(out, " | %" PRIu64 " | %" PRIu64 " |", count, s->failed);
    md_pct(r, i, 50, out);
    md_pct(r, i, 95, out);
    md_pct(r, i, 99, out);
    md_time(out, have, have ? hist_max(h) : 0);
    fputs(" |\n", out);
}

static void md_steps(const result_t *r, FILE *out)
{
    if (r->nsteps == 0)
        return;
    fputs("| Step | Count | Failed | p50 | p95 | p99 | Max |\n"
          "|---|---:|---:|---:|---:|---:|---:|\n",
          out);
    for (size_t i = 0; i < r->nsteps; i++)
        md_step(r, i, out);
    fputc('\n', out);
    if (r->baseline) {
        fputs("_Changes in parentheses are against the baseline ", out);
        md_text(out, r->baseline_path ? r->baseline_path : "result", 0);
        fputs("._\n\n", out);
    }
}

static bool same_region(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Totals of the rows from i on that share row i's region. */
static void region_sum(const result_t *r, size_t i, res_shard_t *sum, unsigned *n)
{
    memset(sum, 0, sizeof(*sum));
    *n = 0;
    for (size_t j = i; j < r->nshards; j++) {
        const res_shard_t *s = &r->shards[j];
        if (!same_region(s->region, r->shards[i].region))
            continue;
        (*n)++;
        sum->peak_active += s->peak_active;
        sum->msgs_sent += s->msgs_sent;
        sum->msgs_received += s->msgs_received;
        sum->ok += s->ok;
        sum->failed += s->failed;
        sum->errors += s->errors;
    }
}

/* Totals by region, when the shards ran in more than one (regions are few:
 * each row is compared with the first row of each region seen so far). */
static void md_regions(const result_t *r, FILE *out)
{
    size_t *first = calloc(r->nshards ? r->nshards : 1, sizeof(size_t)), nregions = 0;
    if (!first)
        return;
    for (size_t i = 0; i < r->nshards; i++) {
        size_t k = 0;
        while (k < nregions && !same_region(r->shards[first[k]].region, r->shards[i].region))
            k++;
        if (k == nregions)
            first[nregions++] = i;
    }
    if (nregions >= 2 && nregions <= 100) {
        fputs("| Region | Shards | Peak connections | Sent | Received | Steps ok | Steps failed | "
              "Errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
              out);
        for (size_t k = 0; k < nregions; k++) {
            res_shard_t sum;
            unsigned n;
            region_sum(r, first[k], &sum, &n);
            fputs("| ", out);
            md_text(out, r->shards[first[k]].region ? r->shards[first[k]].region : "–", 0);
            fprintf(out,
                    " | %u | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
                    " | %" PRIu64 " |\n",
                    n, sum.peak_active, sum.msgs_sent, sum.msgs_received, sum.ok, sum.failed,
                    sum.errors);
        }
        fputc('\n', out);
    }
    free(first);
}

/* Per-shard breakdown of a merged result. */
static void md_shards(const result_t *r, FILE *out)
{
    if (r->nshards == 0)
        return;
    fputs("| Shard | Region | Peak connections | Sent | Received | Steps ok | Steps failed | "
          "Errors | Started late |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
          out);
    for (size_t i = 0; i < r->nshards; i++) {
        const res_shard_t *s = &r->shards[i];
        char name[32];
        reporter_shard_name(s->index, s->total, name, sizeof name);
        fprintf(out, "| %s | ", name);
        md_text(out, s->region ? s->region : "–", 0);
        fprintf(out,
                " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
                " | %.1f s |\n",
                s->peak_active, s->msgs_sent, s->msgs_received, s->ok, s->failed, s->errors,
                s->start_late_s);
    }
    fputc('\n', out);
    md_regions(r, out);
}

/* "850 B", "12.3 kB", "4.56 MB" (decimal units). */
static void fmt_bytes(uint64_t b, char *buf, size_t n)
{
    static const char *const units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
    if (b < 1000) {
        snprintf(buf, n, "%" PRIu64 " B", b);
        return;
    }
    double v = (double)b / 1000.0;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, n, "%.1f %s", v, units[u]);
}

static void md_traffic(const result_t *r, FILE *out)
{
    char sent[32], recv[32];
    fmt_bytes(r->bytes_sent, sent, sizeof sent);
    fmt_bytes(r->bytes_received, recv, sizeof recv);
    fprintf(out,
            "**Messages:** %" PRIu64 " sent, %" PRIu64 " received (%s sent, %s received)"
            " · **Peak connections:** %" PRIu64,
            r->msgs_sent, r->msgs_received, sent, recv, r->peak_active);
    if (r->connect_abandoned)
        fprintf(out, " · **Connects abandoned:** %" PRIu64 " (still pending at the end)",
                r->connect_abandoned);
    if (r->reconnect_attempts)
        fprintf(out, " · **Automatic reconnect attempts:** %" PRIu64, r->reconnect_attempts);
    fputs("\n\n", out);
    if (r->open_model)
        fprintf(out,
                "**Arrivals:** %" PRIu64 " planned, %" PRIu64 " started, %" PRIu64
                " dropped (max users reached)\n\n",
                r->arrivals_planned, r->arrivals_started, r->arrivals_dropped);
}

/* " · closed model, 200 users" or " · open model, 20/s arrivals, ..." */
static void md_model(const result_t *r, FILE *out)
{
    if (!r->open_model) {
        fprintf(out, " · closed model, %u users", r->users_planned);
        return;
    }
    if (r->rate_min == r->rate_max)
        fprintf(out, " · open model, %g/s arrivals", r->rate_max);
    else
        fprintf(out, " · open model, %g to %g/s arrivals", r->rate_min, r->rate_max);
    fputs(", sessions of ", out);
    if (r->session_iterations)
        fprintf(out, "%u task%s", r->session_iterations, r->session_iterations == 1 ? "" : "s");
    if (r->session_iterations && r->session_s > 0)
        fputs(" or ", out);
    if (r->session_s > 0) {
        char sd[32];
        units_format_us(r->session_s * 1e6, sd, sizeof sd);
        fputs(sd, out);
    }
    fprintf(out, ", at most %u at once", r->users_planned);
}

static void md_errors(const result_t *r, FILE *out)
{
    if (result_error_total(r) == 0) {
        fputs("**Errors:** none\n\n", out);
        return;
    }
    fputs("**Errors:**\n\n| Kind | Count | Sample |\n|---|---:|---|\n", out);
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        const res_errors_t *e = &r->errors[k];
        if (e->count == 0)
            continue;
        fputs("| ", out);
        md_text(out, err_kind_name((err_kind_t)k), 0);
        fprintf(out, " | %" PRIu64 " | ", e->count);
        md_text(out, e->nsamples > 0 ? e->samples[0] : "", MD_SAMPLE_MAX);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

static void md_shape(const result_t *r, FILE *out)
{
    char dur[32];
    units_format_us(r->duration_s * 1e6, dur, sizeof dur);
    fputs("**Run:** target ", out);
    md_text(out, r->target ? r->target : "unknown", 0);
    md_model(r, out);
    fprintf(out, " · %s · %u threads", dur, r->threads);
    if (r->shard_total) {
        char name[32];
        reporter_shard_name(r->shard_index, r->shard_total, name, sizeof name);
        fprintf(out, " · shard %s", name);
    }
    if (r->nshards)
        fprintf(out, " · merged from %zu results", r->nshards);
    if (r->region) {
        fputs(" · region ", out);
        md_text(out, r->region, 0);
    }
    if (r->start_late_s > 1.0)
        fprintf(out, " · started %.1f s late", r->start_late_s);
    fputc('\n', out);
}

static int md_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    errno = 0;
    md_verdict(r, out);
    md_assertions(r, out);
    md_steps(r, out);
    md_traffic(r, out);
    md_errors(r, out);
    md_shards(r, out);
    md_shape(r, out);
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_markdown = {
    .name = "md",
    .filename = "summary.md",
    .write = md_write,
};
