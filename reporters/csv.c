/* csv: the per-second series as CSV (RFC 4180) for spreadsheets and
 * pandas: one row per second per step, with the second's totals on each
 * of its rows. Columns in docs/result-schema.md ("results.csv"). */
#include "reporters/reporter.h"
#include "reporters/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CSV_EOL "\r\n"

/* Writes a text cell: quoted (quotes doubled) when it holds a comma or a
 * quote; a leading = + - @ gets a ' first, so a spreadsheet shows a step
 * name instead of running it as a formula. Returns false when out of
 * memory. */
static bool write_text(FILE *out, const char *s)
{
    char *clean = text_clean(s, 0, &text_one_line);
    if (!clean)
        return false;
    bool quote = strpbrk(clean, ",\"") != NULL;
    if (quote)
        fputc('"', out);
    if (clean[0] && strchr("=+-@", clean[0]))
        fputc('\'', out);
    for (const char *p = clean; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
    free(clean);
    return true;
}

/* ",0.342": microseconds as milliseconds, exactly (three decimals). */
static void write_ms(FILE *out, uint64_t us)
{
    fprintf(out, ",%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
}

/* "2024-05-01T12:00:03.250Z", the start of second sec; empty when the
 * run's start is unknown. */
static void write_time(FILE *out, double started_at, size_t sec)
{
    if (!(started_at > 0) || !isfinite(started_at))
        return;
    long long ms = llround(started_at * 1000.0) + (long long)sec * 1000;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char date[32];
    if (gmtime_r(&secs, &tm) && strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
        fprintf(out, "%s.%03dZ", date, (int)(ms % 1000));
}

/* One row: the step's samples of the second (ok 0 and empty percentiles
 * when it had none), then the second's totals. */
static bool write_row(FILE *out, const result_t *r, const res_second_t *s, size_t sec, size_t step)
{
    fprintf(out, "%zu,", sec);
    write_time(out, r->started_at, sec);
    fputc(',', out);
    if (!write_text(out, r->steps[step].name))
        return false;
    hist_t *h = res_second_hist(s, r->nsteps, step);
    if (h && hist_count(h)) {
        fprintf(out, ",%" PRIu64, hist_count(h));
        write_ms(out, hist_percentile(h, 50));
        write_ms(out, hist_percentile(h, 95));
        write_ms(out, hist_percentile(h, 99));
    } else {
        fputs(",0,,,", out);
    }
    hist_free(h);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 CSV_EOL, s->active, s->sent,
            s->received, s->errors);
    return true;
}

typedef struct rows {
    const result_t *r;
    FILE *out;
} rows_t;

/* The rows of second t, one per step. */
static int write_second(const res_second_t *s, size_t t, void *ctx)
{
    const rows_t *w = ctx;
    for (size_t i = 0; i < w->r->nsteps; i++)
        if (!write_row(w->out, w->r, s, t, i))
            return -2;
    return 0;
}

static int csv_write(const result_t *r, FILE *out, char *err, size_t errlen)
{
    errno = 0;
    fputs("second,t,step,ok,p50_ms,p95_ms,p99_ms,active,sent,received,errors" CSV_EOL, out);
    rows_t w = { r, out };
    int rc = result_series_each(r, write_second, &w);
    if (rc < 0) {
        snprintf(err, errlen, "%s",
                 rc == -2 ? "out of memory while writing CSV"
                          : "cannot read the run's per-second series back from its temporary file");
        return -1;
    }
    return reporter_flush(out, err, errlen);
}

const reporter_t reporter_csv = {
    .name = "csv",
    .filename = "results.csv",
    .write = csv_write,
};
