/* result: the finished run's error kinds, step lookups and clean-up. */
#include "result/result.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "result/overrides.h"
#include "result/spool.h"

/* Indexed by err_kind_t; these are the names users write in errors.KIND. */
static const char *const kind_names[ERR_KIND_COUNT] = {
    [ERR_TIMEOUT] = "timeout",
    [ERR_REFUSED] = "refused",
    [ERR_RESET] = "reset",
    [ERR_CLOSED] = "closed",
    [ERR_TLS] = "tls",
    [ERR_DNS] = "dns",
    [ERR_HTTP_STATUS] = "http_status",
    [ERR_UNEXPECTED_MESSAGE] = "unexpected_message",
    [ERR_PROTOCOL] = "protocol",
    [ERR_BLOCKED] = "blocked",
    [ERR_KEEPALIVE] = "keepalive",
    [ERR_OBSERVE] = "observe",
    [ERR_CLOSE_4400] = "close_4400",
    [ERR_CLOSE_4401] = "close_4401",
    [ERR_CLOSE_4403] = "close_4403",
    [ERR_CLOSE_4406] = "close_4406",
    [ERR_CLOSE_4408] = "close_4408",
    [ERR_CLOSE_4409] = "close_4409",
    [ERR_CLOSE_4429] = "close_4429",
    [ERR_CLOSE_4500] = "close_4500",
};

const char *err_kind_name(err_kind_t k)
{
    if ((int)k < 0 || k >= ERR_KIND_COUNT)
        return NULL;
    return kind_names[k];
}

int err_kind_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

err_kind_t err_kind_of_close(unsigned code)
{
    static const unsigned codes[] = { 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4500 };
    for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == code)
            return (err_kind_t)(ERR_CLOSE_4400 + i);
    return ERR_CLOSED;
}

static const char *const verdict_names[RES_VERDICT_COUNT] = {
    [RES_VERDICT_PASS] = "pass",
    [RES_VERDICT_FAIL] = "fail",
    [RES_VERDICT_ABORTED] = "aborted",
    [RES_VERDICT_INTERRUPTED] = "interrupted",
};

res_verdict_t result_verdict(const result_t *r)
{
    if (r->interrupted)
        return RES_VERDICT_INTERRUPTED;
    if (r->aborted)
        return RES_VERDICT_ABORTED;
    return r->passed ? RES_VERDICT_PASS : RES_VERDICT_FAIL;
}

const char *result_verdict_name(res_verdict_t v)
{
    if ((int)v < 0 || v >= RES_VERDICT_COUNT)
        return NULL;
    return verdict_names[v];
}

int result_verdict_from_name(const char *name)
{
    for (int v = 0; name && v < RES_VERDICT_COUNT; v++)
        if (strcmp(verdict_names[v], name) == 0)
            return v;
    return -1;
}

const char *result_signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : NULL;
}

int result_signal_from_name(const char *name)
{
    if (name && strcmp(name, "SIGINT") == 0)
        return SIGINT;
    if (name && strcmp(name, "SIGTERM") == 0)
        return SIGTERM;
    return 0;
}

double result_elapsed_s(const result_t *r)
{
    if (r->started_at > 0 && r->ended_at >= r->started_at)
        return r->ended_at - r->started_at;
    return r->duration_s;
}

int res_errors_add(res_errors_t *dst, const res_errors_t *src)
{
    dst->count += src->count;
    for (unsigned i = 0; i < src->nsamples && dst->nsamples < RES_MAX_SAMPLES; i++) {
        bool dup = false;
        for (unsigned j = 0; j < dst->nsamples; j++)
            dup |= strcmp(dst->samples[j], src->samples[i]) == 0;
        if (dup)
            continue;
        if (!(dst->samples[dst->nsamples] = strdup(src->samples[i])))
            return -1;
        dst->nsamples++;
    }
    return 0;
}

void res_wire_add(res_wire_t *a, const res_wire_t *b)
{
    a->connections += b->connections;
    a->bytes_sent += b->bytes_sent;
    a->bytes_received += b->bytes_received;
    a->payload_sent += b->payload_sent;
    a->payload_received += b->payload_received;
    a->deflate_offered += b->deflate_offered;
    a->deflate_accepted += b->deflate_accepted;
}

int result_find_step(const result_t *r, const char *name)
{
    if (!r || !name)
        return -1;
    for (size_t i = 0; i < r->nsteps; i++)
        if (r->steps[i].name && strcmp(r->steps[i].name, name) == 0)
            return (int)i;
    return -1;
}

uint64_t result_error_total(const result_t *r)
{
    uint64_t total = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        total += r->errors[k].count;
    return total;
}

/* The fallback of result_main_step: the busiest step after connect. */
static size_t busiest_step(const result_t *r)
{
    size_t best = 0;
    uint64_t most = 0;
    for (size_t i = 1; i < r->nsteps; i++) {
        uint64_t n = r->steps[i].latency ? hist_count(r->steps[i].latency) : 0;
        if (n > most) {
            most = n;
            best = i;
        }
    }
    return best;
}

size_t result_main_step(const result_t *r)
{
    int named = result_find_step(r, r->main_step);
    return named >= 0 ? (size_t)named : busiest_step(r);
}

size_t result_failed_assertions(const result_t *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nassertions; i++)
        n += !r->assertions[i].passed;
    return n;
}

static void clear_steps(result_t *r)
{
    for (size_t i = 0; i < r->nsteps; i++) {
        free(r->steps[i].name);
        if (r->steps[i].latency)
            hist_free(r->steps[i].latency);
    }
    free(r->steps);
}

static void clear_errors(result_t *r)
{
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        res_errors_t *e = &r->errors[k];
        for (unsigned i = 0; i < e->nsamples && i < RES_MAX_SAMPLES; i++)
            free(e->samples[i]);
    }
}

static void clear_assertions(result_t *r)
{
    for (size_t i = 0; i < r->nassertions; i++) {
        free(r->assertions[i].text);
        free(r->assertions[i].observed_text);
        free(r->assertions[i].expected_text);
    }
    free(r->assertions);
}

static void clear_series(result_t *r)
{
    spool_free(r->spool);
    for (size_t i = 0; r->series && i < r->nseconds; i++) {
        for (size_t k = 0; r->series[i].step_hist && k < r->nsteps; k++)
            free(r->series[i].step_hist[k]);
        free(r->series[i].step_hist);
    }
    free(r->series);
}

static void clear_shards(result_t *r)
{
    for (size_t i = 0; i < r->nshards; i++)
        free(r->shards[i].region);
    free(r->shards);
}

hist_t *result_second_hist(const result_t *r, size_t sec, size_t step)
{
    if (!r->series || sec >= r->nseconds)
        return NULL;
    return res_second_hist(&r->series[sec], r->nsteps, step);
}

hist_t *res_second_hist(const res_second_t *s, size_t nsteps, size_t step)
{
    if (step >= nsteps || !s->step_hist || !s->step_hist[step])
        return NULL;
    return hist_decode(s->step_hist[step], NULL, 0);
}

int result_series_each(const result_t *r, res_second_fn fn, void *ctx)
{
    if (r->spool)
        return spool_each(r->spool, fn, ctx);
    for (size_t t = 0; r->series && t < r->nseconds; t++) {
        int rc = fn(&r->series[t], t, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

bool result_delta_pct(const result_t *r, size_t i, double pct, double *delta)
{
    if (!r->baseline || i >= r->nsteps)
        return false;
    int b = result_find_step(r->baseline, r->steps[i].name);
    const hist_t *now = r->steps[i].latency;
    const hist_t *then = b >= 0 ? r->baseline->steps[b].latency : NULL;
    if (!now || !then || !hist_count(now) || !hist_count(then))
        return false;
    double base = (double)hist_percentile(then, pct);
    if (base <= 0)
        return false;
    *delta = ((double)hist_percentile(now, pct) - base) / base * 100.0;
    return true;
}

void result_clear(result_t *r)
{
    if (!r)
        return;
    clear_series(r); /* before clear_steps: uses nsteps */
    clear_shards(r);
    if (r->baseline) {
        result_clear(r->baseline);
        free(r->baseline);
    }
    free(r->baseline_path);
    free(r->spec_hash);
    free(r->git_commit);
    free(r->git_ref);
    free(r->region);
    free(r->missing_shards);
    free(r->abort_reason);
    free(r->spec_name);
    free(r->spec_path);
    free(r->target);
    free(r->wsgate_version);
    free(r->main_step);
    gen_free(r->generator);
    res_overrides_free(r->overrides);
    res_server_free(r->server);
    clear_steps(r);
    clear_errors(r);
    clear_assertions(r);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    memset(r, 0, sizeof(*r));
}
