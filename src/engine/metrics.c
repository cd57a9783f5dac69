/* metrics: one worker's measurements during a run, and their merge into a result. */
#include "engine/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_TEXT_MAX 511 /* bytes of a sample's formatted text */
#define SAMPLE_DATA_MAX 120 /* bytes of received data in a sample */
#define ELLIPSIS "\xe2\x80\xa6"

static void free_second_lat(char **lat, size_t nsteps)
{
    for (size_t i = 0; lat && i < nsteps; i++)
        free(lat[i]);
    free(lat);
}

metrics_t *metrics_new(size_t nsteps)
{
    metrics_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->nsteps = nsteps;
    ramp_init(&m->ramp);
    m->lat = calloc(nsteps, sizeof(*m->lat));
    m->ok = calloc(nsteps, sizeof(*m->ok));
    m->failed = calloc(nsteps, sizeof(*m->failed));
    if (!m->lat || !m->ok || !m->failed)
        goto fail;
    m->cur = calloc(nsteps, sizeof(*m->cur));
    m->cur_used = calloc(nsteps, sizeof(*m->cur_used));
    if (!m->cur || !m->cur_used)
        goto fail;
    for (size_t i = 0; i < nsteps; i++)
        if (!(m->lat[i] = hist_new()) || !(m->cur[i] = hist_new()))
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
    for (size_t i = 0; m->cur && i < m->nsteps; i++)
        hist_free(m->cur[i]);
    for (size_t s = 0; s < m->nsecs; s++)
        free_second_lat(m->secs[s].lat, m->nsteps);
    free(m->secs);
    free(m->cur);
    free(m->cur_used);
    free(m->lat);
    free(m->ok);
    free(m->failed);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        for (unsigned i = 0; i < m->errors[k].nsamples; i++)
            free(m->errors[k].samples[i]);
    free(m);
}

/* The series keeps 9 significant bits (1/256): per-second percentiles need
 * no more, and it bounds the distinct buckets a second can fill, so its
 * encoded text stays small. */
static uint64_t series_value(uint64_t v)
{
    if (v < 2048)
        return v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - 8;
    return ((v >> shift) << shift) | (1ull << (shift - 1));
}

void metrics_ok(metrics_t *m, int step, uint64_t latency_us)
{
    if (step < 0 || (size_t)step >= m->nsteps)
        return;
    m->ok[step]++;
    hist_record(m->lat[step], latency_us);
    hist_record(m->cur[step], series_value(latency_us));
    m->cur_used[step] = true;
}

void metrics_fail(metrics_t *m, int step)
{
    if (step >= 0 && (size_t)step < m->nsteps)
        m->failed[step]++;
}

/* A sample being built on the stack (error paths stay allocation-free
 * until a new distinct sample is kept): the formatted text, then the
 * received data, then "…" when either was cut. */
typedef struct sample {
    char text[SAMPLE_TEXT_MAX + 2 * SAMPLE_DATA_MAX + sizeof ELLIPSIS];
    size_t len;
    bool cut;
} sample_t;

/* Length of s[0..len) kept within max bytes without splitting a UTF-8
 * sequence: a lead byte whose sequence would end past max goes too. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t i = max;
    while (i > 0 && max - i < 3 && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    unsigned char c = (unsigned char)s[i];
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return i < max && i + n > max ? i : max;
}

__attribute__((format(printf, 2, 0))) static void sample_vformat(sample_t *s, const char *fmt,
                                                                 va_list ap)
{
    /* one byte past the limit is kept, so the cut can see what it splits */
    int n = vsnprintf(s->text, SAMPLE_TEXT_MAX + 2, fmt, ap);
    size_t len = n > 0 ? (size_t)n : 0;
    s->cut = len > SAMPLE_TEXT_MAX;
    s->len = utf8_cut(s->text, len, SAMPLE_TEXT_MAX);
}

/* Appends up to SAMPLE_DATA_MAX bytes of data as received, NUL as "\0". */
static void sample_data(sample_t *s, const char *data, size_t len)
{
    size_t keep = utf8_cut(data, len, SAMPLE_DATA_MAX);
    for (size_t i = 0; i < keep; i++) {
        if (data[i] == '\0') {
            s->text[s->len++] = '\\';
            s->text[s->len++] = '0';
        } else {
            s->text[s->len++] = data[i];
        }
    }
    s->cut |= keep < len;
}

static const char *sample_end(sample_t *s)
{
    if (s->cut) {
        memcpy(s->text + s->len, ELLIPSIS, sizeof ELLIPSIS - 1);
        s->len += sizeof ELLIPSIS - 1;
    }
    s->text[s->len] = '\0';
    return s->text;
}

/* Counts an error of kind; returns its record when a sample may be kept. */
static res_errors_t *count_error(metrics_t *m, err_kind_t kind)
{
    if (kind >= ERR_KIND_COUNT)
        kind = ERR_PROTOCOL;
    res_errors_t *e = &m->errors[kind];
    e->count++;
    return e->nsamples < RES_MAX_SAMPLES ? e : NULL;
}

static void keep_sample(res_errors_t *e, const char *text)
{
    for (unsigned i = 0; i < e->nsamples; i++)
        if (strcmp(e->samples[i], text) == 0)
            return; /* keep distinct samples only */
    char *copy = strdup(text);
    if (copy)
        e->samples[e->nsamples++] = copy;
}

void metrics_error(metrics_t *m, err_kind_t kind, const char *fmt, ...)
{
    res_errors_t *e = count_error(m, kind);
    if (!e)
        return;
    sample_t s;
    va_list ap;
    va_start(ap, fmt);
    sample_vformat(&s, fmt, ap);
    va_end(ap);
    keep_sample(e, sample_end(&s));
}

void metrics_error_data(metrics_t *m, err_kind_t kind, const char *data, size_t len,
                        const char *fmt, ...)
{
    res_errors_t *e = count_error(m, kind);
    if (!e)
        return;
    sample_t s;
    va_list ap;
    va_start(ap, fmt);
    sample_vformat(&s, fmt, ap);
    va_end(ap);
    if (!s.cut)
        sample_data(&s, data, len);
    keep_sample(e, sample_end(&s));
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
    r->connect_abandoned += src->connect_abandoned;
    r->connect_attempts += src->connect_attempts;
    r->connect_unstarted += src->connect_unstarted;
    r->counts_known = true;
    r->reconnect_attempts += src->reconnect_attempts;
    res_wire_add(&r->wire, &src->wire);
    r->tls_handshakes += src->tls_handshakes;
    r->tls_resumed += src->tls_resumed;
    ramp_merge(&r->ramp, &src->ramp);
    res_slow_merge(&r->slow, &src->slow);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        if (res_errors_add(&r->errors[k], &src->errors[k]) < 0)
            return -1;
    return 0;
}

static uint64_t errors_total(const metrics_t *m)
{
    uint64_t t = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        t += m->errors[k].count;
    return t;
}

/* Encodes the open second's histograms; NULL when there is none. */
static int encode_open_second(metrics_t *m, char ***out)
{
    *out = NULL;
    for (size_t i = 0; i < m->nsteps; i++) {
        if (!m->cur_used[i])
            continue;
        if (!*out && !(*out = calloc(m->nsteps, sizeof(char *))))
            return -1;
        if (!((*out)[i] = hist_encode(m->cur[i])))
            return -1;
        hist_reset(m->cur[i]);
        m->cur_used[i] = false;
    }
    return 0;
}

/* Room for one more closed second. */
static int grow_seconds(metrics_t *m)
{
    if (m->nsecs < m->capsecs)
        return 0;
    size_t cap = m->capsecs ? m->capsecs * 2 : 64;
    metrics_second_t *grown = realloc(m->secs, cap * sizeof(*grown));
    if (!grown)
        return -1;
    m->secs = grown;
    m->capsecs = cap;
    return 0;
}

/* Appends the open second to secs and opens the next one. */
static int close_second(metrics_t *m)
{
    if (grow_seconds(m) < 0)
        return -1;
    metrics_second_t *sec = &m->secs[m->nsecs];
    memset(sec, 0, sizeof(*sec));
    m->nsecs++;
    uint64_t errors = errors_total(m);
    sec->sent = m->sent - m->snap_sent;
    sec->received = m->received - m->snap_received;
    sec->errors = errors - m->snap_errors;
    m->snap_sent = m->sent;
    m->snap_received = m->received;
    m->snap_errors = errors;
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        sec->errors_by_kind[k] = m->errors[k].count - m->snap_errors_by_kind[k];
        m->snap_errors_by_kind[k] = m->errors[k].count;
    }
    m->cur_sec++;
    return encode_open_second(m, &sec->lat);
}

int metrics_tick(metrics_t *m, uint64_t now_us)
{
    uint64_t sec = now_us > m->t0_us ? (now_us - m->t0_us) / 1000000u : 0;
    while (m->cur_sec < sec)
        if (close_second(m) < 0)
            return -1;
    return 0;
}

int metrics_finish(metrics_t *m)
{
    return close_second(m);
}

void metrics_second_clear(metrics_second_t *sec, size_t nsteps)
{
    free_second_lat(sec->lat, nsteps);
    memset(sec, 0, sizeof(*sec));
}

/* Merges every worker's second for one step into acc and, when any had a
 * sample, its text into *out. */
static int merge_step(const metrics_second_t *const *secs, size_t n, size_t step, hist_t *acc,
                      char **out)
{
    bool any = false;
    hist_reset(acc);
    for (size_t w = 0; w < n; w++) {
        if (!secs[w] || !secs[w]->lat || !secs[w]->lat[step])
            continue;
        hist_t *h = hist_decode(secs[w]->lat[step], NULL, 0);
        if (!h)
            return -1;
        hist_merge(acc, h);
        hist_free(h);
        any = true;
    }
    if (any && !(*out = hist_encode(acc)))
        return -1;
    return 0;
}

int metrics_merge_second(res_second_t *dst, const metrics_second_t *const *secs, size_t n,
                         size_t nsteps, hist_t *const *acc)
{
    for (size_t w = 0; w < n; w++) {
        if (!secs[w])
            continue;
        dst->sent += secs[w]->sent;
        dst->received += secs[w]->received;
        dst->errors += secs[w]->errors;
        for (int k = 0; k < ERR_KIND_COUNT; k++)
            dst->errors_by_kind[k] += secs[w]->errors_by_kind[k];
    }
    if (!(dst->step_hist = calloc(nsteps ? nsteps : 1, sizeof(char *))))
        return -1;
    for (size_t step = 0; step < nsteps; step++)
        if (merge_step(secs, n, step, acc[step], &dst->step_hist[step]) < 0)
            return -1;
    return 0;
}

void metrics_snapshot(metrics_t *dst, const metrics_t *src)
{
    for (size_t i = 0; i < src->nsteps && i < dst->nsteps; i++) {
        hist_reset(dst->lat[i]);
        hist_merge(dst->lat[i], src->lat[i]);
        dst->ok[i] = src->ok[i];
        dst->failed[i] = src->failed[i];
    }
    dst->sent = src->sent;
    dst->received = src->received;
    dst->bytes_sent = src->bytes_sent;
    dst->bytes_received = src->bytes_received;
    dst->connect_abandoned = src->connect_abandoned;
    dst->connect_attempts = src->connect_attempts;
    dst->connect_unstarted = src->connect_unstarted;
    dst->reconnect_attempts = src->reconnect_attempts;
    dst->slow = src->slow;
    dst->wire = src->wire;
    dst->tls_handshakes = src->tls_handshakes;
    dst->tls_resumed = src->tls_resumed;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        dst->errors[k].count = src->errors[k].count;
}
