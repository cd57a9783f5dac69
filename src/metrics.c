#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

metrics_t *metrics_new(size_t nsteps)
{
    metrics_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->nsteps = nsteps;
    m->lat = calloc(nsteps, sizeof(*m->lat));
    m->ok = calloc(nsteps, sizeof(*m->ok));
    m->failed = calloc(nsteps, sizeof(*m->failed));
    if (!m->lat || !m->ok || !m->failed)
        goto fail;
    for (size_t i = 0; i < nsteps; i++)
        if (!(m->lat[i] = hist_new()))
            goto fail;
    return m;
fail:
    metrics_free(m);
    return NULL;
}

void metrics_free(metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->lat && i < m->nsteps; i++)
        hist_free(m->lat[i]);
    free(m->lat);
    free(m->ok);
    free(m->failed);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        for (unsigned i = 0; i < m->errors[k].nsamples; i++)
            free(m->errors[k].samples[i]);
    free(m);
}

void metrics_ok(metrics_t *m, int step, uint64_t latency_us)
{
    if (step < 0 || (size_t)step >= m->nsteps)
        return;
    m->ok[step]++;
    hist_record(m->lat[step], latency_us);
}

void metrics_fail(metrics_t *m, int step)
{
    if (step >= 0 && (size_t)step < m->nsteps)
        m->failed[step]++;
}

void metrics_error(metrics_t *m, err_kind_t kind, const char *fmt, ...)
{
    if (kind >= ERR_KIND_COUNT)
        kind = ERR_PROTOCOL;
    res_errors_t *e = &m->errors[kind];
    e->count++;
    if (e->nsamples >= RES_MAX_SAMPLES)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (unsigned i = 0; i < e->nsamples; i++)
        if (strcmp(e->samples[i], buf) == 0)
            return; /* keep distinct samples only */
    char *copy = strdup(buf);
    if (copy)
        e->samples[e->nsamples++] = copy;
}

static int merge_errors(res_errors_t *dst, const res_errors_t *src)
{
    dst->count += src->count;
    for (unsigned i = 0; i < src->nsamples && dst->nsamples < RES_MAX_SAMPLES; i++) {
        int dup = 0;
        for (unsigned j = 0; j < dst->nsamples; j++)
            dup |= strcmp(dst->samples[j], src->samples[i]) == 0;
        if (dup)
            continue;
        char *copy = strdup(src->samples[i]);
        if (!copy)
            return -1;
        dst->samples[dst->nsamples++] = copy;
    }
    return 0;
}

int metrics_merge_into(result_t *r, const metrics_t *src)
{
    for (size_t i = 0; i < src->nsteps && i < r->nsteps; i++) {
        hist_merge(r->steps[i].latency, src->lat[i]);
        r->steps[i].ok += src->ok[i];
        r->steps[i].failed += src->failed[i];
    }
    r->msgs_sent += src->sent;
    r->msgs_received += src->received;
    r->bytes_sent += src->bytes_sent;
    r->bytes_received += src->bytes_received;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (merge_errors(&r->errors[k], &src->errors[k]) < 0)
            return -1;
    return 0;
}
