/* observed: the server's scraped series and max/last/rate/drift over them. */
#include "result/observed.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int obs_series_push(res_obs_series_t *s, double t, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *nt = realloc(s->t, cap * sizeof(double));
        if (!nt)
            return -1;
        s->t = nt;
        double *nv = realloc(s->v, cap * sizeof(double));
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->t[s->n] = t;
    s->v[s->n] = v;
    s->n++;
    return 0;
}

const res_obs_series_t *obs_find(const res_server_t *srv, const char *name)
{
    for (size_t i = 0; srv && name && i < srv->nseries; i++)
        if (strcmp(srv->series[i].name, name) == 0)
            return &srv->series[i];
    return NULL;
}

int obs_max(const res_obs_series_t *s, double *out, const char **why)
{
    if (!s || s->n == 0) {
        *why = "no samples";
        return -1;
    }
    double m = s->v[0];
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] > m)
            m = s->v[i];
    *out = m;
    return 0;
}

int obs_last(const res_obs_series_t *s, double *out, const char **why)
{
    if (!s || s->n == 0) {
        *why = "no samples";
        return -1;
    }
    *out = s->v[s->n - 1];
    return 0;
}

/* The indexes [*lo, *hi) of the samples with w0 <= t <= w1. */
static size_t window(const res_obs_series_t *s, double w0, double w1, size_t *lo, size_t *hi)
{
    size_t i = 0;
    while (i < s->n && s->t[i] < w0)
        i++;
    *lo = i;
    while (i < s->n && s->t[i] <= w1)
        i++;
    *hi = i;
    return *hi - *lo;
}

int obs_rate(const res_obs_series_t *s, double w0, double w1, double *out, const char **why)
{
    size_t lo, hi;
    if (!s || window(s, w0, w1, &lo, &hi) < 2) {
        *why = "fewer than 2 samples in the steady window";
        return -1;
    }
    double inc = 0;
    for (size_t i = lo + 1; i < hi; i++)
        inc += s->v[i] >= s->v[i - 1] ? s->v[i] - s->v[i - 1] : s->v[i];
    double span = s->t[hi - 1] - s->t[lo];
    if (span <= 0) {
        *why = "the samples span no time";
        return -1;
    }
    *out = inc / span;
    return 0;
}

int obs_drift(const res_obs_series_t *s, double w0, double w1, double *out, const char **why)
{
    size_t lo, hi;
    if (!s || window(s, w0, w1, &lo, &hi) < 2) {
        *why = "fewer than 2 samples in the steady window";
        return -1;
    }
    double n = (double)(hi - lo), st = 0, sv = 0;
    for (size_t i = lo; i < hi; i++) {
        st += s->t[i];
        sv += s->v[i];
    }
    double mt = st / n, mv = sv / n, num = 0, den = 0;
    for (size_t i = lo; i < hi; i++) {
        num += (s->t[i] - mt) * (s->v[i] - mv);
        den += (s->t[i] - mt) * (s->t[i] - mt);
    }
    if (den <= 0) {
        *why = "the samples span no time";
        return -1;
    }
    double grow = num / den * (w1 - w0);
    if (mv == 0 && grow != 0) {
        *why = "the mean is 0";
        return -1;
    }
    *out = mv == 0 ? 0 : grow / mv;
    return 0;
}

/* ---- selectors ------------------------------------------------------------ */

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static bool name_char(char c)
{
    return name_start(c) || isdigit((unsigned char)c);
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

typedef struct outbuf {
    char *p;
    size_t len, cap;
    bool full;
} outbuf_t;

static void emit(outbuf_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* One label="value" at *pp; copies it to o. */
static int norm_label(const char **pp, outbuf_t *o, char *err, size_t errlen)
{
    const char *p = skip_space(*pp), *start = p;
    if (!name_start(*p) || *p == ':') {
        snprintf(err, errlen, "expected a label name at \"%.40s\"", p);
        return -1;
    }
    while (name_char(*p) && *p != ':')
        p++;
    emit(o, start, (size_t)(p - start));
    p = skip_space(p);
    if (*p == '=')
        p = skip_space(p + 1);
    else
        p = ""; /* "!=", "=~" or nothing: not a match this takes */
    if (*p != '"') {
        snprintf(err, errlen, "a label is written name=\"value\" (only = matches), at \"%.40s\"",
                 start);
        return -1;
    }
    start = p;
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    if (*p != '"') {
        snprintf(err, errlen, "unterminated label value at \"%.40s\"", start);
        return -1;
    }
    emit(o, "=", 1);
    emit(o, start, (size_t)(p - start + 1));
    *pp = p + 1;
    return 0;
}

int obs_selector_norm(const char *sel, char *out, size_t outlen, char *err, size_t errlen)
{
    outbuf_t o = { out, 0, outlen, false };
    const char *p = skip_space(sel), *start = p;
    if (outlen)
        out[0] = '\0';
    if (!name_start(*p)) {
        snprintf(err, errlen, "\"%.80s\" is not a metric name (letters, digits, _ and :)", sel);
        return -1;
    }
    while (name_char(*p))
        p++;
    emit(&o, start, (size_t)(p - start));
    p = skip_space(p);
    if (*p == '{') {
        emit(&o, "{", 1);
        p = skip_space(p + 1);
        for (bool first = true; *p != '}'; first = false) {
            if (!first) {
                if (*p != ',') {
                    snprintf(err, errlen, "expected \",\" or \"}\" at \"%.40s\"", p);
                    return -1;
                }
                p = skip_space(p + 1);
                if (*p == '}')
                    break;
                emit(&o, ",", 1);
            }
            if (norm_label(&p, &o, err, errlen) < 0)
                return -1;
            p = skip_space(p);
        }
        emit(&o, "}", 1);
        p = skip_space(p + 1);
    }
    if (*p) {
        snprintf(err, errlen, "unexpected \"%.40s\" after the metric selector", p);
        return -1;
    }
    if (o.full) {
        snprintf(err, errlen, "the metric selector is too long");
        return -1;
    }
    return 0;
}

/* A copy of s's samples with dt added to every time. */
static int series_copy(res_obs_series_t *d, const res_obs_series_t *s, double dt)
{
    if (!(d->name = strdup(s->name)) || (s->url && !(d->url = strdup(s->url))))
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (obs_series_push(d, s->t[i] + dt, s->v[i]) < 0)
            return -1;
    return 0;
}

res_server_t *res_server_copy(const res_server_t *srv, double dt)
{
    if (!srv)
        return NULL;
    res_server_t *c = calloc(1, sizeof(*c));
    if (!c || (srv->nseries && !(c->series = calloc(srv->nseries, sizeof(*c->series)))))
        goto fail;
    c->nseries = srv->nseries;
    for (size_t i = 0; i < srv->nseries; i++)
        if (series_copy(&c->series[i], &srv->series[i], dt) < 0)
            goto fail;
    c->window_start_s = srv->window_start_s + dt;
    c->window_end_s = srv->window_end_s + dt;
    c->scrapes = srv->scrapes;
    c->scrape_errors = srv->scrape_errors;
    return c;
fail:
    res_server_free(c);
    return NULL;
}

void res_server_free(res_server_t *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->nseries; i++) {
        free(srv->series[i].name);
        free(srv->series[i].url);
        free(srv->series[i].t);
        free(srv->series[i].v);
    }
    free(srv->series);
    free(srv);
}
