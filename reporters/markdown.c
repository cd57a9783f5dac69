/* markdown: a PR-comment-ready summary (GitHub-flavoured Markdown). */
#include "reporters/reporter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/num.h"
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
        fprintf(out, " failed: %zu of %zu assertion%s", nfail, r->nassertions,
                r->nassertions == 1 ? "" : "s");
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
    for (size_t i = 0; i < r->nwarnings; i++) { /* counts that do not add up */
        fputs("> ⚠️ **Warning:** ", out);
        md_text(out, r->warnings[i], 0);
        fputs(".\n\n", out);
    }
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

/* One cell of statistic st of step i, with its baseline change (deltas
 * only for the rate and p50/p95/p99: the figures a reviewer compares). */
static void md_cell(const result_t *r, size_t i, rep_stat_t st, FILE *out)
{
    char buf[160];
    bool delta = st == REP_RATE || st == REP_P50 || st == REP_P95 || st == REP_P99;
    reporter_step_cell(r, i, st, delta, buf, sizeof buf);
    fprintf(out, " %s |", buf);
}

static void md_step(const result_t *r, size_t i, FILE *out)
{
    const res_step_t *s = &r->steps[i];
    char count[32], failed[32];
    num_count(s->ok, count, sizeof count); /* as count(STEP) reads it: timed or not */
    num_count(s->failed, failed, sizeof failed);
    fputs("| ", out);
    md_text(out, s->name, 0);
    fprintf(out, " | %s | %s |", count, failed);
    for (rep_stat_t st = REP_RATE; st <= REP_MAX; st++)
        md_cell(r, i, st, out);
    fputc('\n', out);
}

static void md_steps(const result_t *r, FILE *out)
{
    if (r->nsteps == 0)
        return;
    fputs("| Step | Count | Failed | Rate | Avg | p50 | p90 | p95 | p99 | Max |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
          out);
    for (size_t i = 0; i < r->nsteps; i++)
        md_step(r, i, out);
    fputc('\n', out);
    fputs("_Rate: successful operations per second of the load. Count: successful "
          "samples._\n\n",
          out);
    if (r->baseline) {
        char name[128];
        reporter_baseline_name(r, name, sizeof name);
        fputs("_Changes in parentheses are against the baseline ", out);
        md_text(out, name, 0);
        fprintf(out, ": %s worse or %s better by %g%% or more._\n\n", NUM_WORSE, NUM_BETTER,
                NUM_DELTA_QUIET);
    }
}

/* The counts of a shard or region row: " | 1,200" each. */
static void md_counts(FILE *out, const res_shard_t *s)
{
    const uint64_t v[] = { s->peak_active, s->msgs_sent, s->msgs_received,
                           s->ok,          s->failed,    s->errors };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char buf[32];
        num_count(v[i], buf, sizeof buf);
        fprintf(out, " | %s", buf);
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
            fprintf(out, " | %u", n);
            md_counts(out, &sum);
            fputs(" |\n", out);
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
        md_counts(out, s);
        fprintf(out, " | %.1f s |\n", s->start_late_s);
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
    char sent[32], recv[32], ns[32], nr[32], peak[32], c[3][32];
    fmt_bytes(r->bytes_sent, sent, sizeof sent);
    fmt_bytes(r->bytes_received, recv, sizeof recv);
    num_count(r->msgs_sent, ns, sizeof ns);
    num_count(r->msgs_received, nr, sizeof nr);
    num_count(r->peak_active, peak, sizeof peak);
    fprintf(out,
            "**Messages:** %s sent, %s received (%s sent, %s received)"
            " · **Peak connections:** %s",
            ns, nr, sent, recv, peak);
    if (r->connect_abandoned) {
        num_count(r->connect_abandoned, c[0], sizeof c[0]);
        if (r->connect_unstarted) {
            num_count(r->connect_unstarted, c[1], sizeof c[1]);
            fprintf(out,
                    " · **Connects abandoned:** %s (still pending at the end; %s never "
                    "started)",
                    c[0], c[1]);
        } else {
            fprintf(out, " · **Connects abandoned:** %s (still pending at the end)", c[0]);
        }
    }
    if (r->reconnect_attempts) {
        num_count(r->reconnect_attempts, c[0], sizeof c[0]);
        fprintf(out, " · **Automatic reconnect attempts:** %s", c[0]);
    }
    fputs("\n\n", out);
    char z[400];
    if (reporter_compression(r, z, sizeof z))
        fprintf(out, "**permessage-deflate:** %s\n\n", z);
    if (reporter_slow_consumers(r, z, sizeof z))
        fprintf(out, "**Slow consumers:** %s\n\n", z);
    if (r->open_model) {
        num_count(r->arrivals_planned, c[0], sizeof c[0]);
        num_count(r->arrivals_started, c[1], sizeof c[1]);
        num_count(r->arrivals_dropped, c[2], sizeof c[2]);
        fprintf(out, "**Arrivals:** %s planned, %s started, %s dropped (max users reached)\n\n",
                c[0], c[1], c[2]);
    }
}

/* " · closed model, 200 users" or " · open model, 20/s arrivals, ..." */
static void md_model(const result_t *r, FILE *out)
{
    if (!r->open_model) {
        char users[48];
        reporter_plural(r->users_planned, "user", "users", users, sizeof users);
        fprintf(out, " · closed model, %s", users);
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
        snprintf(sd, sizeof sd, "%g s", r->session_s);
        fputs(sd, out);
    }
    char most[32];
    num_count(r->users_planned, most, sizeof most);
    fprintf(out, ", at most %s at once", most);
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
        char count[32];
        num_count(e->count, count, sizeof count);
        fprintf(out, " | %s | ", count);
        md_text(out, e->nsamples > 0 ? e->samples[0] : "", MD_SAMPLE_MAX);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

/* One number of a server series, or "–". */
static void md_obs_value(FILE *out, bool have, double v)
{
    if (have)
        fprintf(out, " | %.6g", v);
    else
        fputs(" | –", out);
}

/* The spec's observe: one row per series, briefly. */
static void md_server(const result_t *r, FILE *out)
{
    const res_server_t *srv = r->server;
    if (!srv)
        return;
    fprintf(out,
            "**Server** (observe: %" PRIu64 " scrapes, %" PRIu64
            " failed; steady window %.1f-%.1f s):\n\n"
            "| Metric | Samples | Last | Max | Drift |\n|---|---:|---:|---:|---:|\n",
            srv->scrapes, srv->scrape_errors, srv->window_start_s, srv->window_end_s);
    for (size_t i = 0; i < srv->nseries; i++) {
        const res_obs_series_t *s = &srv->series[i];
        const char *why;
        double last = 0, max = 0, drift = 0;
        fputs("| ", out);
        md_text(out, s->name, 0);
        fprintf(out, " | %zu", s->n);
        md_obs_value(out, obs_last(s, &last, &why) == 0, last);
        md_obs_value(out, obs_max(s, &max, &why) == 0, max);
        if (obs_drift(s, srv->window_start_s, srv->window_end_s, &drift, &why) == 0)
            fprintf(out, " | %+.2f%% |\n", drift * 100);
        else
            fputs(" | – |\n", out);
    }
    fputc('\n', out);
}

static void md_shape(const result_t *r, FILE *out)
{
    char dur[32]; /* a run's length, not a latency: as the HTML report gives it */
    num_duration(r->duration_s, dur, sizeof dur);
    fputs("**Run:** target ", out);
    md_text(out, r->target ? r->target : "unknown", 0);
    md_model(r, out);
    char threads[48];
    reporter_plural(r->threads, "thread", "threads", threads, sizeof threads);
    fprintf(out, " · %s · %s", dur, threads);
    if (r->shard_total) {
        char name[32];
        reporter_shard_name(r->shard_index, r->shard_total, name, sizeof name);
        fprintf(out, " · shard %s", name);
    }
    if (r->nshards) {
        char merged[48];
        reporter_plural(r->nshards, "result", "results", merged, sizeof merged);
        fprintf(out, " · merged from %s", merged);
    }
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
    md_server(r, out);
    md_shards(r, out);
    md_shape(r, out);
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_markdown = {
    .name = "md",
    .filename = "summary.md",
    .write = md_write,
};
