/* report: the reporter table, what every reporter shares (the end of a
 * write, shard names), writing every report into --out DIR, and the short
 * stdout summary. */
#include "reporters/reporter.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "result/num.h"
#include "reporters/text.h"

const reporter_t *const reporters_all[] = {
    &reporter_json, &reporter_junit, &reporter_markdown,
    &reporter_html, &reporter_csv,   &reporter_gitlab,
    NULL,
};

#define NREPORTERS (sizeof reporters_all / sizeof reporters_all[0] - 1)

const reporter_t *reporter_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; reporters_all[i]; i++)
        if (strcmp(reporters_all[i]->name, name) == 0)
            return reporters_all[i];
    return NULL;
}

int reporter_flush(FILE *out, char *err, size_t errlen)
{
    if (fflush(out) == 0 && !ferror(out))
        return 0;
    snprintf(err, errlen, "write failed: %s", errno ? strerror(errno) : "I/O error");
    return -1;
}

int reporter_write_json(struct cJSON *root, FILE *out, char *err, size_t errlen)
{
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) {
        snprintf(err, errlen, "out of memory while building JSON");
        return -1;
    }
    errno = 0;
    fputs(text, out);
    fputc('\n', out);
    cJSON_free(text);
    return reporter_flush(out, err, errlen);
}

void reporter_shard_name(unsigned index, unsigned total, char *buf, size_t n)
{
    if (total)
        snprintf(buf, n, "%u/%u", index, total);
    else
        snprintf(buf, n, "#%u", index);
}

/* ---- reporter_stop_detail ------------------------------------------------- */

#define STOP_SHARDS_LISTED 8 /* interrupted inputs named one by one */

/* Appends printf-style text to the NUL-terminated buf of size n. */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
}

/* " by SIGINT" when asked for and known. */
static void append_signal(char *buf, size_t n, bool with_signal, int sig)
{
    const char *name = result_signal_name(sig);
    if (with_signal && name)
        append(buf, n, " by %s", name);
}

/* " after 12.3 s of 60 s"; " of ..." only when planned is known, " before
 * the planned end" when the elapsed time is not. */
static void append_span(char *buf, size_t n, bool have_elapsed, double elapsed, double planned)
{
    if (!have_elapsed || !isfinite(elapsed)) {
        append(buf, n, " before the planned end");
        return;
    }
    append(buf, n, " after %.1f s", elapsed);
    if (planned > 0 && isfinite(planned))
        append(buf, n, " of %.*f s", planned == floor(planned) ? 0 : 1, planned);
}

/* ": shard 2/4 by SIGTERM after 12.3 s of 60 s, shard 3/4 ..." */
static void append_shards(const result_t *r, bool with_signal, char *buf, size_t n)
{
    size_t listed = 0, more = 0;
    for (size_t i = 0; i < r->nshards; i++) {
        const res_shard_t *s = &r->shards[i];
        if (!s->interrupted)
            continue;
        if (listed == STOP_SHARDS_LISTED) {
            more++;
            continue;
        }
        char name[32];
        reporter_shard_name(s->index, s->total, name, sizeof name);
        append(buf, n, "%s shard %s", listed++ ? "," : ":", name);
        append_signal(buf, n, with_signal, s->stop_signal);
        bool known = s->started_at > 0 && s->ended_at >= s->started_at;
        append_span(buf, n, known, s->ended_at - s->started_at, r->planned_s);
    }
    if (more)
        append(buf, n, ", and %zu more", more);
    if (!listed) /* a merge written before shards[] marked them */
        append_span(buf, n, false, 0, 0);
}

void reporter_stop_detail(const result_t *r, bool with_signal, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    switch (result_verdict(r)) {
    case RES_VERDICT_INTERRUPTED:
        if (r->nshards) {
            append_shards(r, with_signal, buf, n);
            return;
        }
        append_signal(buf, n, with_signal, r->stop_signal);
        append_span(buf, n, true, result_elapsed_s(r), r->planned_s);
        return;
    case RES_VERDICT_ABORTED:
        append_span(buf, n, true, r->aborted_at_s, r->planned_s);
        return;
    default:
        return;
    }
}

/* ---- step cells -------------------------------------------------------------- */

double reporter_step_rate(const result_t *r, size_t i)
{
    if (i >= r->nsteps || !(r->duration_s > 0) || !isfinite(r->duration_s))
        return -1;
    return (double)r->steps[i].ok / r->duration_s;
}

void reporter_baseline_name(const result_t *r, char *buf, size_t n)
{
    const result_t *b = r->baseline;
    if (n == 0)
        return;
    buf[0] = '\0';
    if (!b)
        return;
    if (b->git_commit && b->git_ref)
        snprintf(buf, n, "%.12s (%s)", b->git_commit, b->git_ref);
    else if (b->git_commit || b->git_ref)
        snprintf(buf, n, "%.12s", b->git_commit ? b->git_commit : b->git_ref);
    else if (b->started_at > 0 && b->started_at < 1e12) {
        time_t secs = (time_t)b->started_at;
        struct tm tm;
        char when[32];
        if (gmtime_r(&secs, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm))
            snprintf(buf, n, "run of %s", when);
    }
    if (!buf[0]) {
        const char *path = r->baseline_path ? r->baseline_path : "result.json";
        const char *slash = strrchr(path, '/');
        snprintf(buf, n, "%s", slash && slash[1] ? slash + 1 : path);
    }
}

/* The value of statistic st of step s (duration for the rate); false when
 * there is none. */
static bool stat_value(const res_step_t *s, double duration_s, rep_stat_t st, double *v)
{
    static const double pcts[] = { [REP_P50] = 50, [REP_P90] = 90, [REP_P95] = 95, [REP_P99] = 99 };
    const hist_t *h = s->latency;
    if (st == REP_RATE) {
        *v = (double)s->ok / duration_s;
        return duration_s > 0 && isfinite(duration_s);
    }
    if (!h || hist_count(h) == 0)
        return false;
    if (st == REP_AVG)
        *v = hist_mean(h);
    else if (st == REP_MAX)
        *v = (double)hist_max(h);
    else
        *v = (double)hist_percentile(h, pcts[st]);
    return true;
}

void reporter_step_cell(const result_t *r, size_t i, rep_stat_t st, bool with_delta, char *buf,
                        size_t n)
{
    num_kind_t kind = st == REP_RATE ? NUM_RATE : NUM_LATENCY;
    double now, was;
    if (!stat_value(&r->steps[i], r->duration_s, st, &now)) {
        snprintf(buf, n, "–");
        return;
    }
    num_value(kind, now, buf, n);
    if (!with_delta || !r->baseline)
        return;
    int b = result_find_step(r->baseline, r->steps[i].name);
    char cell[64];
    snprintf(cell, sizeof cell, "%s", buf);
    if (b < 0)
        snprintf(buf, n, "%s (new)", cell);
    else if (!stat_value(&r->baseline->steps[b], r->baseline->duration_s, st, &was))
        snprintf(buf, n, "%s (was –)", cell);
    else /* latency: higher is worse; rate: higher is better */
        num_delta(kind, st != REP_RATE, now, was, buf, n);
}

int reporter_assertion_step(const result_t *r, const res_assertion_t *a)
{
    const char *text = a->text ? a->text : "";
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < r->nsteps; i++) {
        const char *name = r->steps[i].name;
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len <= best_len)
            continue;
        const char *p = strstr(text, name);
        bool call = p && p > text && p[-1] == '(' && p[len] == ')';
        bool field = strncmp(text, name, len) == 0 && text[len] == '.';
        if (call || field) {
            best = (int)i;
            best_len = len;
        }
    }
    return best;
}

/* The first and last second in which a step had a sample. */
typedef struct step_span {
    size_t step;
    size_t first, last;
    bool any;
} step_span_t;

static int step_span_second(const res_second_t *s, size_t t, void *ctx)
{
    step_span_t *sp = ctx;
    if (!s->step_hist || !s->step_hist[sp->step])
        return 0;
    if (!sp->any)
        sp->first = t;
    sp->last = t;
    sp->any = true;
    return 0;
}

double reporter_step_seconds(const result_t *r, size_t i)
{
    step_span_t sp = { .step = i };
    if (i >= r->nsteps || result_series_each(r, step_span_second, &sp) < 0)
        return 0;
    return sp.any ? (double)(sp.last - sp.first + 1) : 0;
}

void reporter_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len)
{
    char num[32];
    num_count(n, num, sizeof num);
    snprintf(buf, len, "%s %s", num, n == 1 ? one : many);
}

/* ---- report_write_all ---------------------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates dir and its missing parents (like mkdir -p). An existing
 * directory is fine even where mkdir itself would fail (read-only mounts). */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char *path = strdup(dir);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    size_t len = strlen(path);
    for (size_t i = 1; i <= len && rc == 0; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        int e = mkdir(path, 0777) == 0 ? 0 : errno;
        if (e != 0 && e != EEXIST && !is_dir(path)) {
            snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(e));
            rc = -1;
        }
        path[i] = saved;
    }
    free(path);
    if (rc == 0 && !is_dir(dir)) {
        snprintf(err, errlen, "cannot use %s as output directory: not a directory", dir);
        rc = -1;
    }
    return rc;
}

/* One report being written: its temporary and final paths. */
typedef struct pending {
    char tmp[4096];
    char final[4096];
    bool tmp_exists;
} pending_t;

static int pending_paths(pending_t *p, const char *dir, const char *filename, char *err,
                         size_t errlen)
{
    int a = snprintf(p->tmp, sizeof p->tmp, "%s/.%s.tmp", dir, filename);
    int b = snprintf(p->final, sizeof p->final, "%s/%s", dir, filename);
    if (a < 0 || b < 0 || (size_t)a >= sizeof p->tmp || (size_t)b >= sizeof p->final) {
        snprintf(err, errlen, "output path too long: %s/%s", dir, filename);
        return -1;
    }
    return 0;
}

/* Renders one reporter into p->tmp. */
static int write_tmp(const reporter_t *rep, const result_t *r, pending_t *p, char *err,
                     size_t errlen)
{
    FILE *f = fopen(p->tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", p->tmp, strerror(errno));
        return -1;
    }
    p->tmp_exists = true;
    char why[512] = "";
    if (rep->write(r, f, why, sizeof why) != 0) {
        fclose(f);
        snprintf(err, errlen, "cannot write %s: %s", p->tmp, why);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", p->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

static void remove_tmps(pending_t *ps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].tmp_exists && unlink(ps[i].tmp) == 0)
            ps[i].tmp_exists = false;
}

/* Every file is rendered before any is renamed, so a rendering failure
 * leaves the directory as it was. */
int report_prepare_dir(const char *dir, char *err, size_t errlen)
{
    if (make_dirs(dir, err, errlen) != 0)
        return -1;
    char probe[4096];
    if (snprintf(probe, sizeof(probe), "%s/.wsgate-probe-XXXXXX", dir) >= (int)sizeof(probe)) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    int fd = mkstemp(probe);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(errno));
        return -1;
    }
    static const char byte = '\n';
    int e = write(fd, &byte, 1) == 1 ? 0 : errno;
    if (close(fd) != 0 && !e)
        e = errno;
    unlink(probe);
    if (e) {
        snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(e));
        return -1;
    }
    return 0;
}

int report_write_all(const result_t *r, const char *dir, char *err, size_t errlen)
{
    pending_t *ps = calloc(NREPORTERS, sizeof *ps);
    if (!ps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    if (make_dirs(dir, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < NREPORTERS; i++) {
        if (!reporters_all[i]->filename)
            continue;
        if (pending_paths(&ps[i], dir, reporters_all[i]->filename, err, errlen) != 0 ||
            write_tmp(reporters_all[i], r, &ps[i], err, errlen) != 0)
            goto fail;
    }
    for (size_t i = 0; i < NREPORTERS; i++) {
        if (!reporters_all[i]->filename)
            continue;
        if (rename(ps[i].tmp, ps[i].final) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s: %s", ps[i].tmp, ps[i].final,
                     strerror(errno));
            goto fail;
        }
        ps[i].tmp_exists = false;
    }
    rc = 0;
fail:
    remove_tmps(ps, NREPORTERS);
    free(ps);
    return rc;
}

/* ---- report_print_summary -------------------------------------------------- */

/* Copy of s (NULL: none) for the terminal, in one line with escape
 * sequences and bidi controls shown as "\uXXXX", so a name cannot forge
 * lines, colours or their order; the caller frees. NULL when
 * out of memory: OR_OOM(x) prints "?" instead. */
static char *term_clean(const char *s, const char *none)
{
    return text_clean(s ? s : none, 0, &text_one_line);
}

#define OR_OOM(x) ((x) ? (x) : "?")

static void print_verdict(const result_t *r, FILE *out)
{
    char *name = term_clean(r->spec_name, "(unnamed)");
    size_t nfail = result_failed_assertions(r);
    char detail[512];
    reporter_stop_detail(r, true, detail, sizeof detail);
    switch (result_verdict(r)) {
    case RES_VERDICT_PASS:
        fprintf(out, "wsgate: %s PASSED (%zu assertion%s held)\n", OR_OOM(name), r->nassertions,
                r->nassertions == 1 ? "" : "s");
        break;
    case RES_VERDICT_FAIL:
        if (nfail > 0)
            fprintf(out, "wsgate: %s FAILED: %zu of %zu assertion%s failed\n", OR_OOM(name), nfail,
                    r->nassertions, r->nassertions == 1 ? "" : "s");
        else
            fprintf(out, "wsgate: %s FAILED\n", OR_OOM(name));
        break;
    case RES_VERDICT_ABORTED: {
        char *why = term_clean(r->abort_reason, "no reason recorded");
        fprintf(out, "wsgate: %s ABORTED%s: %s\n", OR_OOM(name), detail, OR_OOM(why));
        free(why);
        break;
    }
    default:
        fprintf(out, "wsgate: %s INTERRUPTED%s (partial results, not a verdict)\n", OR_OOM(name),
                detail);
        break;
    }
    if (r->tls_insecure)
        fputs("  WARNING: TLS certificate verification was OFF (tls.insecure_skip_verify)\n", out);
    char gen[512];
    gen_warning(r->generator, gen, sizeof gen);
    if (gen[0])
        fprintf(out, "  WARNING: %s\n", gen);
    for (size_t i = 0; i < r->nwarnings; i++) {
        char *w = term_clean(r->warnings[i], "");
        fprintf(out, "  WARNING: %s\n", OR_OOM(w));
        free(w);
    }
    free(name);
}

/* Formats percentile p of h, or "-" when h has no samples. */
static void fmt_pct(const hist_t *h, double p, char *buf, size_t n)
{
    if (!h || hist_count(h) == 0)
        snprintf(buf, n, "-");
    else
        num_latency((double)hist_percentile(h, p), buf, n);
}

static void print_step(const res_step_t *s, FILE *out)
{
    char p50[32], p95[32], p99[32];
    fmt_pct(s->latency, 50, p50, sizeof p50);
    fmt_pct(s->latency, 95, p95, sizeof p95);
    fmt_pct(s->latency, 99, p99, sizeof p99);
    char count[32], failed[32];
    num_count(s->ok, count, sizeof count); /* as count(STEP) reads it: timed or not */
    num_count(s->failed, failed, sizeof failed);
    char *name = term_clean(s->name, "?");
    fprintf(out, "  %-24s count %-8s p50 %-10s p95 %-10s p99 %-10s failed %s\n", OR_OOM(name),
            count, p50, p95, p99, failed);
    free(name);
}

static void print_assertion(const res_assertion_t *a, FILE *out)
{
    char *text = term_clean(a->text, "?");
    char *observed = term_clean(a->observed_text, "no samples");
    char *expected = term_clean(a->expected_text, "?");
    fprintf(out, "  %s  %s  (observed %s, expected %s)\n", a->passed ? "PASS" : "FAIL",
            OR_OOM(text), OR_OOM(observed), OR_OOM(expected));
    free(text);
    free(observed);
    free(expected);
}

static void print_errors(const result_t *r, FILE *out)
{
    bool any = false;
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        if (r->errors[k].count == 0)
            continue;
        char count[32];
        num_count(r->errors[k].count, count, sizeof count);
        fprintf(out, "%s %s %s", any ? "," : "errors:", err_kind_name((err_kind_t)k), count);
        any = true;
    }
    if (any)
        fputc('\n', out);
}

void report_print_summary(const result_t *r, FILE *out)
{
    print_verdict(r, out);
    for (size_t i = 0; i < r->nsteps; i++)
        print_step(&r->steps[i], out);
    for (size_t i = 0; i < r->nassertions; i++)
        print_assertion(&r->assertions[i], out);
    print_errors(r, out);
}

/* "27,186 B on the wire for 93,777 B of messages (3.4x)" */
static int wire_ratio(char *buf, size_t n, uint64_t wire, uint64_t payload)
{
    char w[32], p[32];
    num_count(wire, w, sizeof w);
    num_count(payload, p, sizeof p);
    if (wire == 0)
        return snprintf(buf, n, "%s B on the wire for %s B of messages", w, p);
    return snprintf(buf, n, "%s B on the wire for %s B of messages (%.1fx)", w, p,
                    (double)payload / (double)wire);
}

bool reporter_compression(const result_t *r, char *buf, size_t n)
{
    const res_wire_t *wi = &r->wire;
    char a[32], o[32], rx[128], tx[128];
    buf[0] = '\0';
    if (wi->deflate_offered == 0)
        return false;
    num_count(wi->deflate_accepted, a, sizeof a);
    num_count(wi->deflate_offered, o, sizeof o);
    wire_ratio(rx, sizeof rx, wi->bytes_received, wi->payload_received);
    wire_ratio(tx, sizeof tx, wi->bytes_sent, wi->payload_sent);
    snprintf(buf, n, "accepted on %s of %s connects; received %s; sent %s", a, o, rx, tx);
    return true;
}

bool reporter_slow_consumers(const result_t *r, char *buf, size_t n)
{
    const res_slow_t *sl = &r->slow;
    char k[32], total[32], max[32];
    buf[0] = '\0';
    if (!sl->known)
        return false;
    num_count(sl->samples, k, sizeof k);
    num_count(sl->unread_total, total, sizeof total);
    num_count(sl->unread_max, max, sizeof max);
    snprintf(
        buf, n,
        "%s B left unread in %s sample%s (pauses ended, slow readers closed), at most %s B in one",
        total, k, sl->samples == 1 ? "" : "s", max);
    return true;
}
