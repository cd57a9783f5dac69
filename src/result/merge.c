/* merge: combines shard results exactly, bucket by bucket; see merge.h. */
#include "result/merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/overrides.h"
#include "result/tally.h"

/* How an input is named in errors: its file name, or its position. */
static const char *input_name(const char *const *names, size_t i, char buf[32])
{
    if (names)
        return names[i];
    snprintf(buf, 32, "input %zu", i + 1);
    return buf;
}

static bool same_str(const char *a, const char *b)
{
    return !a || !b || strcmp(a, b) == 0; /* unknown matches anything */
}

/* Same spec name and, when both know it, the same spec file hash. */
static int check_same_spec(const result_t *const *in, const char *const *names, size_t n, char *err,
                           size_t errlen)
{
    char b0[32], bi[32];
    for (size_t i = 1; i < n; i++) {
        if (same_str(in[0]->spec_name, in[i]->spec_name) &&
            same_str(in[0]->spec_hash, in[i]->spec_hash))
            continue;
        snprintf(err, errlen,
                 "%s and %s come from different specs (%s%s%.12s vs %s%s%.12s): merge results "
                 "of one spec only",
                 input_name(names, (size_t)0, b0), input_name(names, i, bi),
                 in[0]->spec_name ? in[0]->spec_name : "?", in[0]->spec_hash ? " sha256 " : "",
                 in[0]->spec_hash ? in[0]->spec_hash : "",
                 in[i]->spec_name ? in[i]->spec_name : "?", in[i]->spec_hash ? " sha256 " : "",
                 in[i]->spec_hash ? in[i]->spec_hash : "");
        return -1;
    }
    return 0;
}

/* The same overrides in every input: shards of one load run one size. */
static int check_same_overrides(const result_t *const *in, const char *const *names, size_t n,
                                char *err, size_t errlen)
{
    char b0[32], bi[32];
    for (size_t i = 1; i < n; i++) {
        if (res_overrides_equal(in[0]->overrides, in[i]->overrides))
            continue;
        char *t0 = res_overrides_text(in[0]->overrides), *ti = res_overrides_text(in[i]->overrides);
        snprintf(err, errlen,
                 "%s and %s ran with different overrides (%s vs %s): run every shard with the "
                 "same --users, --duration, --ramp-up and --var",
                 input_name(names, (size_t)0, b0), input_name(names, i, bi),
                 t0 && *t0 ? t0 : "none", ti && *ti ? ti : "none");
        free(t0);
        free(ti);
        return -1;
    }
    return 0;
}

/* Appends "K" to a comma-separated list in buf. */
static void list_add(char *buf, size_t n, unsigned k)
{
    size_t used = strlen(buf);
    snprintf(buf + used, n - used, "%s%u", used ? ", " : "", k);
}

#define MAX_START_GAP_S 3600.0 /* shards of one run start within this of each other */

/* Inputs must be distinct runs that overlap in time: the same result given
 * twice would count twice, and series far apart would need a huge
 * timeline. */
static int check_runs(const result_t *const *in, const char *const *names, size_t n, char *err,
                      size_t errlen)
{
    char bi[32], bj[32];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double gap = in[i]->started_at - in[j]->started_at;
            if (in[i]->started_at > 0 && in[j]->started_at > 0 && fabs(gap) > MAX_START_GAP_S) {
                snprintf(err, errlen,
                         "%s and %s started %.0f s apart: merge the shards of one run "
                         "(they start within an hour of each other)",
                         input_name(names, j, bj), input_name(names, i, bi), fabs(gap));
                return -1;
            }
            if (gap == 0 && in[i]->shard_total == 0 && in[i]->msgs_sent == in[j]->msgs_sent &&
                same_str(in[i]->region, in[j]->region)) {
                snprintf(err, errlen, "%s looks like %s again (same start, region and counts)",
                         input_name(names, i, bi), input_name(names, j, bj));
                return -1;
            }
        }
    }
    return 0;
}

static int check_shards(const result_t *const *in, const char *const *names, size_t n,
                        bool allow_partial, result_t *out, char *err, size_t errlen)
{
    unsigned total = in[0]->shard_total;
    char bi[32];
    for (size_t i = 0; i < n; i++) {
        if (in[i]->shard_total != total) {
            snprintf(err, errlen,
                     "%s is %s but %s: merge the shards of one sharded run (same N in --shard K/N)",
                     input_name(names, i, bi), in[i]->shard_total ? "a shard" : "not a shard",
                     total ? "the first input is a shard of another total" : "the first is not");
            return -1;
        }
        for (size_t j = 0; total && j < i; j++)
            if (in[j]->shard_index == in[i]->shard_index) {
                snprintf(err, errlen, "%s repeats shard %u/%u: give each shard's result once",
                         input_name(names, i, bi), in[i]->shard_index, total);
                return -1;
            }
    }
    if (!total)
        return 0;
    char missing[512] = "";
    for (unsigned k = 1; k <= total; k++) {
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = in[i]->shard_index == k;
        if (!seen)
            list_add(missing, sizeof(missing), k);
    }
    if (!missing[0])
        return 0;
    if (!allow_partial) {
        snprintf(err, errlen,
                 "shards %s of %u are missing: give every shard's result.json, or pass "
                 "--allow-partial",
                 missing, total);
        return -1;
    }
    size_t len = strlen(missing);
    snprintf(missing + len, sizeof(missing) - len, " of %u", total);
    out->missing_shards = strdup(missing);
    return out->missing_shards ? 0 : -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Run metadata: from the first input, times spanning all of them. */
static int merge_meta(const result_t *const *in, size_t n, result_t *out)
{
    const result_t *f = in[0];
    out->spec_name = dup_or_null(f->spec_name);
    out->spec_path = dup_or_null(f->spec_path);
    out->target = dup_or_null(f->target);
    out->wsgate_version = dup_or_null(f->wsgate_version);
    out->main_step = dup_or_null(f->main_step);       /* one spec: one main step */
    out->overrides = res_overrides_dup(f->overrides); /* checked: the same in every input */
    if (f->overrides && !out->overrides)
        return -1;
    out->spec_hash = dup_or_null(f->spec_hash);
    out->git_commit = dup_or_null(f->git_commit);
    out->git_ref = dup_or_null(f->git_ref);
    out->shard_total = 0; /* the merged result is the whole */
    out->started_at = f->started_at;
    out->ended_at = f->ended_at;
    out->open_model = f->open_model; /* one spec: one model, rates and session */
    out->rate_min = f->rate_min;
    out->rate_max = f->rate_max;
    out->session_iterations = f->session_iterations;
    out->session_s = f->session_s;
    bool one_region = true;
    for (size_t i = 0; i < n; i++) {
        const result_t *r = in[i];
        if (r->started_at > 0 && (out->started_at <= 0 || r->started_at < out->started_at))
            out->started_at = r->started_at;
        if (r->ended_at > out->ended_at)
            out->ended_at = r->ended_at;
        if (r->duration_s > out->duration_s)
            out->duration_s = r->duration_s;
        if (r->planned_s > out->planned_s)
            out->planned_s = r->planned_s;
        out->threads += r->threads;
        out->users_planned += r->users_planned;
        out->interrupted |= r->interrupted; /* shards[] names which; no signal of its own */
        out->tls_insecure |= r->tls_insecure;
        one_region &= f->region && r->region && strcmp(f->region, r->region) == 0;
        if (r->aborted && !out->aborted) {
            out->aborted = true;
            out->aborted_at_s = r->aborted_at_s;
            out->abort_reason = dup_or_null(r->abort_reason);
        }
    }
    out->region = one_region ? dup_or_null(f->region) : NULL;
    if (f->main_step && !out->main_step)
        return -1;
    return (f->spec_name && !out->spec_name) || (f->target && !out->target) ? -1 : 0;
}

/* Steps in the order the first input lists them, then any new names. */
static int add_step(result_t *out, const res_step_t *s)
{
    int i = result_find_step(out, s->name);
    if (i < 0) {
        res_step_t *grown = realloc(out->steps, (out->nsteps + 1) * sizeof(*grown));
        if (!grown)
            return -1;
        out->steps = grown;
        res_step_t *ns = &out->steps[out->nsteps];
        memset(ns, 0, sizeof(*ns));
        ns->name = strdup(s->name);
        ns->latency = hist_new();
        out->nsteps++;
        if (!ns->name || !ns->latency)
            return -1;
        i = (int)out->nsteps - 1;
    }
    res_step_t *d = &out->steps[i];
    if (s->latency)
        hist_merge(d->latency, s->latency);
    d->ok += s->ok;
    d->failed += s->failed;
    return 0;
}

static int merge_counts(const result_t *const *in, size_t n, result_t *out)
{
    for (size_t i = 0; i < n; i++) {
        const result_t *r = in[i];
        for (size_t s = 0; s < r->nsteps; s++)
            if (add_step(out, &r->steps[s]) < 0)
                return -1;
        out->msgs_sent += r->msgs_sent;
        out->msgs_received += r->msgs_received;
        out->bytes_sent += r->bytes_sent;
        out->bytes_received += r->bytes_received;
        out->peak_active += r->peak_active;           /* an upper bound: peaks may differ in time */
        out->arrivals_planned += r->arrivals_planned; /* shards slice the arrivals exactly */
        out->arrivals_started += r->arrivals_started;
        out->arrivals_dropped += r->arrivals_dropped;
        out->connect_abandoned += r->connect_abandoned;
        out->connect_attempts += r->connect_attempts;
        out->connect_unstarted += r->connect_unstarted;
        out->counts_known = (i == 0 || out->counts_known) && r->counts_known;
        for (size_t w = 0; w < r->nwarnings; w++) /* a shard's own: kept as it said it */
            if (tally_add(out, r->warnings[w]) < 0)
                return -1;
        out->reconnect_attempts += r->reconnect_attempts;
        res_wire_add(&out->wire, &r->wire);
        out->tls_handshakes += r->tls_handshakes;
        out->tls_resumed += r->tls_resumed;
        ramp_merge(&out->ramp, &r->ramp); /* max_waiting: the sum of the shards' peaks */
        res_slow_merge(&out->slow, &r->slow);
        for (int k = 0; k < ERR_KIND_COUNT; k++)
            if (res_errors_add(&out->errors[k], &r->errors[k]) < 0)
                return -1;
    }
    return 0;
}

/* Whole seconds between out's start and r's, so second i of r lands on
 * second offset + i of the merged series. */
static size_t series_offset(const result_t *out, const result_t *r)
{
    double d = r->started_at - out->started_at;
    return r->started_at > 0 && d > 0 && d <= MAX_START_GAP_S ? (size_t)llround(d) : 0;
}

static int merge_second_hist(char **dst, const char *src, hist_t *acc)
{
    char why[64];
    hist_t *h = hist_decode(src, why, sizeof(why));
    if (!h)
        return -1;
    hist_reset(acc);
    if (*dst) {
        hist_t *old = hist_decode(*dst, why, sizeof(why));
        if (!old) {
            hist_free(h);
            return -1;
        }
        hist_merge(acc, old);
        hist_free(old);
    }
    hist_merge(acc, h);
    hist_free(h);
    char *enc = hist_encode(acc);
    if (!enc)
        return -1;
    free(*dst);
    *dst = enc;
    return 0;
}

static int merge_series_of(result_t *out, const result_t *r, hist_t *acc)
{
    size_t off = series_offset(out, r);
    for (size_t t = 0; t < r->nseconds; t++) {
        res_second_t *d = &out->series[off + t];
        const res_second_t *s = &r->series[t];
        for (int k = 0; k < ERR_KIND_COUNT; k++)
            d->errors_by_kind[k] += s->errors_by_kind[k];
        d->active += s->active;
        d->sent += s->sent;
        d->received += s->received;
        d->errors += s->errors;
        for (size_t k = 0; s->step_hist && k < r->nsteps; k++) {
            int i = s->step_hist[k] ? result_find_step(out, r->steps[k].name) : -1;
            if (i >= 0 && merge_second_hist(&d->step_hist[i], s->step_hist[k], acc) < 0)
                return -1;
        }
    }
    return 0;
}

static int merge_series(const result_t *const *in, size_t n, result_t *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t end = series_offset(out, in[i]) + in[i]->nseconds;
        if (in[i]->nseconds && end > len)
            len = end;
    }
    if (len == 0)
        return 0;
    hist_t *acc = hist_new();
    if (!acc || !(out->series = calloc(len, sizeof(res_second_t)))) {
        hist_free(acc);
        return -1;
    }
    out->nseconds = len;
    int rc = 0;
    for (size_t t = 0; t < len && rc == 0; t++)
        if (!(out->series[t].step_hist = calloc(out->nsteps ? out->nsteps : 1, sizeof(char *))))
            rc = -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = merge_series_of(out, in[i], acc);
    hist_free(acc);
    return rc;
}

static void shard_row(const result_t *r, size_t i, res_shard_t *row)
{
    row->index = r->shard_total ? r->shard_index : (unsigned)i + 1;
    row->total = r->shard_total;
    row->peak_active = r->peak_active;
    row->msgs_sent = r->msgs_sent;
    row->msgs_received = r->msgs_received;
    row->errors = result_error_total(r);
    for (size_t s = 0; s < r->nsteps; s++) {
        row->ok += r->steps[s].ok;
        row->failed += r->steps[s].failed;
    }
    row->started_at = r->started_at;
    row->ended_at = r->ended_at;
    row->start_late_s = r->start_late_s;
    row->interrupted = r->interrupted;
    row->stop_signal = r->stop_signal;
}

static int merge_shard_rows(const result_t *const *in, size_t n, result_t *out)
{
    if (!(out->shards = calloc(n, sizeof(res_shard_t))))
        return -1;
    out->nshards = n;
    for (size_t i = 0; i < n; i++) {
        shard_row(in[i], i, &out->shards[i]);
        if (in[i]->region && !(out->shards[i].region = strdup(in[i]->region)))
            return -1;
    }
    return 0;
}

/* Second t of an input's generator into the merged one: the worst of the
 * runners (they ran on different machines, so nothing adds up). */
static void merge_gen_second(res_gen_sec_t *d, const res_gen_sec_t *s)
{
    d->cpu_pct = s->cpu_pct > d->cpu_pct ? s->cpu_pct : d->cpu_pct;
    d->loop_lag_p99_ms =
        s->loop_lag_p99_ms > d->loop_lag_p99_ms ? s->loop_lag_p99_ms : d->loop_lag_p99_ms;
    d->loop_lag_max_ms =
        s->loop_lag_max_ms > d->loop_lag_max_ms ? s->loop_lag_max_ms : d->loop_lag_max_ms;
    d->rss_mb = s->rss_mb > d->rss_mb ? s->rss_mb : d->rss_mb;
    d->saturated |= s->saturated;
}

/* Input i as generator.shards[i]: its summary without the series. */
static int gen_shard_entry(const result_t *r, size_t i, res_gen_shard_t *e)
{
    e->index = r->shard_total ? r->shard_index : (unsigned)i + 1;
    if (!r->generator)
        return 0;
    if (!(e->gen = gen_copy(r->generator)))
        return -1;
    free(e->gen->secs);
    e->gen->secs = NULL;
    e->gen->nsecs = 0;
    return 0;
}

/* The inputs' generators (when any has one): per second the worst input,
 * saturated where any input was, one summary per input in shards. */
static int merge_generator(const result_t *const *in, size_t n, result_t *out)
{
    size_t len = 0, known = 0;
    for (size_t i = 0; i < n; i++) {
        const res_gen_t *g = in[i]->generator;
        if (g && series_offset(out, in[i]) + g->nsecs > len)
            len = series_offset(out, in[i]) + g->nsecs;
        known += g != NULL;
    }
    if (!known)
        return 0;
    res_gen_t *m = out->generator = calloc(1, sizeof(res_gen_t));
    if (!m || (len && !(m->secs = calloc(len, sizeof(*m->secs)))) ||
        !(m->shards = calloc(n, sizeof(*m->shards))))
        return -1;
    m->nsecs = len;
    m->nshards = n;
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const res_gen_t *g = in[i]->generator;
        if (gen_shard_entry(in[i], i, &m->shards[i]) < 0)
            return -1;
        if (!g)
            continue;
        m->cores = first || m->cores == g->cores ? g->cores : 0; /* 0: machines differ */
        m->lag_limit_ms = g->lag_limit_ms > m->lag_limit_ms ? g->lag_limit_ms : m->lag_limit_ms;
        m->loop_lag_p99_ms =
            g->loop_lag_p99_ms > m->loop_lag_p99_ms ? g->loop_lag_p99_ms : m->loop_lag_p99_ms;
        m->saturated |= g->saturated;
        first = false;
        size_t off = series_offset(out, in[i]);
        for (size_t t = 0; t < g->nsecs; t++)
            merge_gen_second(&m->secs[off + t], &g->secs[t]);
    }
    bool any = m->saturated;
    if (gen_summarize(m) < 0)
        return -1;
    m->saturated |= any; /* an input known saturated without its series */
    return 0;
}

/* The server as the lowest-numbered shard with one saw it, its times moved
 * from that shard's start to the merged one: shards observe the same
 * server, and a sum or mean of their scrapes would be no series the server
 * had. errors.observe still adds up every shard's failed scrapes. */
static int merge_server(const result_t *const *in, size_t n, result_t *out)
{
    const result_t *pick = NULL;
    unsigned pick_k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = in[i]->shard_total ? in[i]->shard_index : (unsigned)i + 1;
        if (in[i]->server && (!pick || k < pick_k)) {
            pick = in[i];
            pick_k = k;
        }
    }
    if (!pick)
        return 0;
    double dt = pick->started_at > out->started_at ? pick->started_at - out->started_at : 0;
    return (out->server = res_server_copy(pick->server, dt)) ? 0 : -1;
}

int merge_results(const result_t *const *in, const char *const *names, size_t n, bool allow_partial,
                  result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (n == 0) {
        snprintf(err, errlen, "nothing to merge: give one result.json per shard");
        return -1;
    }
    if (check_same_spec(in, names, n, err, errlen) < 0 ||
        check_same_overrides(in, names, n, err, errlen) < 0 ||
        check_runs(in, names, n, err, errlen) < 0 ||
        check_shards(in, names, n, allow_partial, out, err, errlen) < 0)
        goto fail;
    if (merge_meta(in, n, out) < 0 || merge_counts(in, n, out) < 0 ||
        merge_series(in, n, out) < 0 || merge_shard_rows(in, n, out) < 0 ||
        merge_generator(in, n, out) < 0 || merge_server(in, n, out) < 0 || tally_check(out) < 0) {
        snprintf(err, errlen, "out of memory (or a malformed histogram) while merging");
        goto fail;
    }
    return 0;
fail:
    result_clear(out);
    return -1;
}
