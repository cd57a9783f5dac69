/* observe: the thread that scrapes the server's Prometheus endpoints. */
#define _GNU_SOURCE /* strcasestr */
#include "engine/observe.h"

#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/sbuf.h"
#include "base/url.h"
#include "engine/obsconn.h"
#include "engine/promtext.h"

#define SCRAPE_MAX_BODY (8u << 20)      /* a larger answer fails the scrape */
#define SCRAPE_MIN_TIMEOUT_US 500000ull /* a scrape may take its interval, within these */
#define SCRAPE_MAX_TIMEOUT_US 10000000ull

/* One endpoint: where, how often, what. */
typedef struct endpoint {
    const spec_observe_t *spec;
    url_t url;
    char urlbuf[2048];        /* url.path points into it */
    uint64_t next_us;         /* when the next scrape is due (clock_mono_us) */
    promtext_sample_t *sel;   /* [spec->nmetrics] parsed selectors */
    res_obs_series_t *series; /* [spec->nmetrics], in r->server order */
    double *sum;              /* [spec->nmetrics] this scrape's sums */
    bool *seen;
} endpoint_t;

struct observer {
    const spec_t *spec;
    uint64_t t0_us, end_us;
    endpoint_t *eps;
    size_t neps;
    res_server_t *srv;
    /* Made by the thread before its first scrape when some endpoint is
     * https:// (loading the system's CAs takes tens of ms, which the
     * workers' start must not wait for); NULL otherwise, or with tls_err. */
    obsconn_tls_t *tls;
    char tls_err[256];
    res_errors_t errors;
    atomic_uint_fast64_t live_errors; /* errors.count, for the live feed */
    char first_error[512];            /* the first failed scrape's text, written once */
    atomic_bool has_first_error;      /* set (release) once first_error is complete */
    bool oom;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop; /* under lock */
};

/* ---- errors ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void scrape_failed(observer_t *o, const endpoint_t *e,
                                                                const char *fmt, ...)
{
    char why[256], text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(text, sizeof(text), "observe %s: %s", e->spec->url, why);
    o->errors.count++;
    atomic_store_explicit(&o->live_errors, o->errors.count, memory_order_relaxed);
    if (!atomic_load_explicit(&o->has_first_error, memory_order_relaxed)) {
        snprintf(o->first_error, sizeof(o->first_error), "%s", text);
        atomic_store_explicit(&o->has_first_error, true, memory_order_release);
    }
    o->srv->scrape_errors++;
    for (unsigned i = 0; i < o->errors.nsamples; i++)
        if (strcmp(o->errors.samples[i], text) == 0)
            return;
    if (o->errors.nsamples < RES_MAX_SAMPLES) {
        char *copy = strdup(text);
        if (copy)
            o->errors.samples[o->errors.nsamples++] = copy;
    }
}

/* ---- one HTTP GET ------------------------------------------------------ */

/* Reads until the peer closes. Returns 0, or -1 with why. */
static int recv_all(obsconn_t *c, sbuf_t *in, uint64_t deadline, char *why, size_t whylen)
{
    char buf[16384];
    for (;;) {
        long n = obsconn_recv(c, buf, sizeof(buf), deadline, why, whylen);
        if (n <= 0)
            return (int)n;
        if (in->len + (size_t)n > SCRAPE_MAX_BODY) {
            snprintf(why, whylen, "the answer is over %u bytes", SCRAPE_MAX_BODY);
            return -1;
        }
        if (sbuf_append(in, buf, (size_t)n) < 0) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
    }
}

/* Decodes a chunked body in place; returns its length, or -1. */
static long dechunk(char *body, size_t len)
{
    size_t r = 0, w = 0;
    for (;;) {
        char *end;
        if (r >= len)
            return -1;
        unsigned long n = strtoul(body + r, &end, 16);
        char *crlf = memchr(body + r, '\n', len - r);
        if (!crlf || end == body + r)
            return -1;
        r = (size_t)(crlf - body) + 1;
        if (n == 0)
            return (long)w;
        if (n > len - r)
            return -1;
        memmove(body + w, body + r, n);
        w += n;
        r += n;
        if (r < len && body[r] == '\r')
            r++;
        if (r < len && body[r] == '\n')
            r++;
    }
}

/* Splits an HTTP answer: the status, then the body (dechunked) in *body.
 * Returns 0, or -1 with why. */
static int split_answer(sbuf_t *in, char **body, size_t *blen, char *why, size_t whylen)
{
    int status = 0;
    if (!in->data || sscanf(in->data, "HTTP/%*d.%*d %d", &status) != 1) {
        snprintf(why, whylen, "not an HTTP answer");
        return -1;
    }
    char *sep = strstr(in->data, "\r\n\r\n");
    if (!sep || (size_t)(sep - in->data) > in->len) {
        snprintf(why, whylen, "the answer's headers do not end");
        return -1;
    }
    if (status != 200) {
        snprintf(why, whylen, "HTTP status %d", status);
        return -1;
    }
    *sep = '\0';
    bool chunked = strcasestr(in->data, "\ntransfer-encoding: chunked") != NULL;
    *body = sep + 4;
    *blen = in->len - (size_t)(*body - in->data);
    if (chunked) {
        long n = dechunk(*body, *blen);
        if (n < 0) {
            snprintf(why, whylen, "a bad chunked body");
            return -1;
        }
        *blen = (size_t)n;
    }
    return 0;
}

/* GETs e's URL into *in and points body at what it says. */
static int fetch(observer_t *o, endpoint_t *e, sbuf_t *in, char **body, size_t *blen, char *why,
                 size_t whylen)
{
    uint64_t timeout = e->spec->interval_us;
    timeout = timeout < SCRAPE_MIN_TIMEOUT_US   ? SCRAPE_MIN_TIMEOUT_US
              : timeout > SCRAPE_MAX_TIMEOUT_US ? SCRAPE_MAX_TIMEOUT_US
                                                : timeout;
    uint64_t deadline = clock_mono_us() + timeout;
    obsconn_t conn;
    if (e->url.tls && !o->tls) {
        snprintf(why, whylen, "%s", o->tls_err);
        return -1;
    }
    if (obsconn_open(&conn, &e->url, o->spec->hosts, o->tls, deadline, why, whylen) < 0)
        return -1;
    char req[2600];
    bool v6 = strchr(e->url.host, ':') != NULL; /* an IPv6 literal goes in brackets */
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nAccept: text/plain;version=0.0.4\r\n"
                     "User-Agent: wsgate\r\nConnection: close\r\n\r\n",
                     e->url.path && *e->url.path ? e->url.path : "/", v6 ? "[" : "", e->url.host,
                     v6 ? "]" : "", e->url.port);
    int rc = -1;
    if (n <= 0 || (size_t)n >= sizeof(req))
        snprintf(why, whylen, "the URL is too long");
    else if (obsconn_send(&conn, req, (size_t)n, deadline, why, whylen) == 0 &&
             recv_all(&conn, in, deadline, why, whylen) == 0)
        rc = split_answer(in, body, blen, why, whylen);
    obsconn_close(&conn);
    return rc;
}

/* ---- one scrape -------------------------------------------------------- */

typedef struct pick {
    endpoint_t *e;
} pick_t;

static void on_sample(const promtext_sample_t *s, void *ctx)
{
    endpoint_t *e = ((pick_t *)ctx)->e;
    for (size_t k = 0; k < e->spec->nmetrics; k++)
        if (promtext_match(&e->sel[k], s)) {
            e->sum[k] += s->value;
            e->seen[k] = true;
        }
}

static void scrape(observer_t *o, endpoint_t *e)
{
    sbuf_t in = SBUF_INIT;
    char why[256], *body = NULL;
    size_t blen = 0;
    /* to the millisecond, as result.json keeps it */
    double t = (double)(((int64_t)clock_mono_us() - (int64_t)o->t0_us) / 1000) / 1e3;
    o->srv->scrapes++;
    if (fetch(o, e, &in, &body, &blen, why, sizeof(why)) < 0) {
        scrape_failed(o, e, "%s", why);
        goto out;
    }
    memset(e->sum, 0, e->spec->nmetrics * sizeof(double));
    memset(e->seen, 0, e->spec->nmetrics * sizeof(bool));
    pick_t pick = { e };
    if (promtext_parse(body, blen, on_sample, &pick, why, sizeof(why)) < 0) {
        scrape_failed(o, e, "not the Prometheus text format: %s", why);
        goto out;
    }
    const char *absent = NULL;
    for (size_t k = 0; k < e->spec->nmetrics; k++) {
        if (!e->seen[k])
            absent = absent ? absent : e->spec->metrics[k];
        else if (obs_series_push(&e->series[k], t, e->sum[k]) < 0)
            o->oom = true;
    }
    if (absent)
        scrape_failed(o, e, "no sample of %s", absent);
out:
    sbuf_free(&in);
}

/* ---- the thread -------------------------------------------------------- */

/* The endpoint due first. */
static endpoint_t *next_due(observer_t *o)
{
    endpoint_t *best = NULL;
    for (size_t i = 0; i < o->neps; i++)
        if (!best || o->eps[i].next_us < best->next_us)
            best = &o->eps[i];
    return best;
}

static bool uses_https(const spec_t *spec)
{
    for (size_t i = 0; i < spec->nobserve; i++)
        if (strncmp(spec->observe[i].url, "https://", 8) == 0)
            return true;
    return false;
}

static void *observer_main(void *arg)
{
    observer_t *o = arg;
    if (uses_https(o->spec))
        o->tls = obsconn_tls_new(&o->spec->tls, o->tls_err, sizeof(o->tls_err));
    pthread_mutex_lock(&o->lock);
    for (;;) {
        endpoint_t *e = next_due(o);
        /* none at the planned end itself: the users close then, and a
         * scrape racing their goodbyes would see some of them gone */
        if (o->stop || e->next_us >= o->t0_us + o->end_us)
            break;
        uint64_t now = clock_mono_us();
        if (now < e->next_us) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + (e->next_us - now) * 1000u;
            ts.tv_sec += (time_t)(ns / 1000000000u);
            ts.tv_nsec = (long)(ns % 1000000000u);
            pthread_cond_timedwait(&o->wake, &o->lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&o->lock);
        scrape(o, e);
        e->next_us += e->spec->interval_us;
        if (e->next_us < clock_mono_us()) /* a slow scrape: no burst to catch up */
            e->next_us = clock_mono_us() + e->spec->interval_us;
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

/* ---- start and finish -------------------------------------------------- */

static void observer_free(observer_t *o)
{
    for (size_t i = 0; i < o->neps; i++) {
        free(o->eps[i].sel);
        free(o->eps[i].sum);
        free(o->eps[i].seen);
    }
    free(o->eps);
    obsconn_tls_free(o->tls);
    res_server_free(o->srv);
    for (unsigned i = 0; i < o->errors.nsamples; i++)
        free(o->errors.samples[i]);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->wake);
    free(o);
}

static int setup_endpoint(observer_t *o, endpoint_t *e, const spec_observe_t *so,
                          res_obs_series_t *series, char *err, size_t errlen)
{
    e->spec = so;
    e->series = series;
    e->next_us = o->t0_us;
    snprintf(e->urlbuf, sizeof(e->urlbuf), "%s", so->url);
    if (url_parse(e->urlbuf, &e->url, err, errlen) < 0)
        return -1;
    e->sel = calloc(so->nmetrics, sizeof(*e->sel));
    e->sum = calloc(so->nmetrics, sizeof(double));
    e->seen = calloc(so->nmetrics, sizeof(bool));
    if (!e->sel || !e->sum || !e->seen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < so->nmetrics; k++) {
        if (promtext_selector(so->metrics[k], &e->sel[k], err, errlen) < 0)
            return -1;
        if (!(series[k].name = strdup(so->metrics[k])) || !(series[k].url = strdup(so->url))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static observer_t *observer_new(const spec_t *spec, uint64_t t0_us, uint64_t end_us, char *err,
                                size_t errlen)
{
    observer_t *o = calloc(1, sizeof(*o));
    size_t total = 0;
    if (!o)
        return NULL;
    pthread_mutex_init(&o->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&o->wake, &ca);
    pthread_condattr_destroy(&ca);
    o->spec = spec;
    o->t0_us = t0_us;
    o->end_us = end_us;
    for (size_t i = 0; i < spec->nobserve; i++)
        total += spec->observe[i].nmetrics;
    o->eps = calloc(spec->nobserve, sizeof(*o->eps));
    o->srv = calloc(1, sizeof(*o->srv));
    if (o->srv)
        o->srv->series = calloc(total, sizeof(res_obs_series_t));
    if (!o->eps || !o->srv || !o->srv->series) {
        snprintf(err, errlen, "out of memory");
        observer_free(o);
        return NULL;
    }
    o->srv->nseries = total;
    for (size_t i = 0, at = 0; i < spec->nobserve; at += spec->observe[i].nmetrics, i++) {
        o->neps++;
        if (setup_endpoint(o, &o->eps[i], &spec->observe[i], &o->srv->series[at], err, errlen) <
            0) {
            observer_free(o);
            return NULL;
        }
    }
    return o;
}

observer_t *observer_start(const spec_t *spec, uint64_t t0_us, uint64_t end_us, int *failed,
                           char *err, size_t errlen)
{
    *failed = 0;
    if (spec->nobserve == 0)
        return NULL;
    observer_t *o = observer_new(spec, t0_us, end_us, err, errlen);
    if (o && pthread_create(&o->thread, NULL, observer_main, o) != 0) {
        snprintf(err, errlen, "cannot start the observe thread");
        observer_free(o);
        o = NULL;
    }
    *failed = o == NULL;
    return o;
}

void observer_window(const spec_t *spec, double *start_s, double *end_s)
{
    double t = 0;
    unsigned prev = 0;
    *start_s = -1;
    *end_s = (double)spec->duration_us / 1e6;
    for (size_t i = 0; !spec->open_model && i < spec->nstages; i++) {
        double d = (double)spec->stages[i].duration_us / 1e6;
        unsigned u = spec->stages[i].users;
        if (prev == spec->peak_users && u == spec->peak_users && d > 0) {
            if (*start_s < 0)
                *start_s = t;
            *end_s = t + d;
        }
        t += d;
        prev = u;
    }
    if (*start_s < 0) {
        *start_s = 0;
        *end_s = (double)spec->duration_us / 1e6;
    }
}

uint64_t observer_errors(observer_t *o)
{
    return o ? atomic_load_explicit(&o->live_errors, memory_order_relaxed) : 0;
}

const char *observer_first_error(observer_t *o)
{
    if (!o || !atomic_load_explicit(&o->has_first_error, memory_order_acquire))
        return NULL;
    return o->first_error;
}

int observer_finish(observer_t *o, const spec_t *spec, result_t *r)
{
    if (!o)
        return 0;
    pthread_mutex_lock(&o->lock);
    o->stop = true;
    pthread_cond_signal(&o->wake);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->thread, NULL);
    int rc = o->oom ? -1 : 0;
    observer_window(spec, &o->srv->window_start_s, &o->srv->window_end_s);
    res_errors_t *e = &r->errors[ERR_OBSERVE];
    e->count += o->errors.count;
    for (unsigned i = 0; i < o->errors.nsamples; i++) {
        if (e->nsamples < RES_MAX_SAMPLES) {
            e->samples[e->nsamples++] = o->errors.samples[i];
            o->errors.samples[i] = NULL;
        }
    }
    o->errors.nsamples = 0;
    res_server_free(r->server);
    r->server = o->srv;
    o->srv = NULL;
    observer_free(o);
    return rc;
}
