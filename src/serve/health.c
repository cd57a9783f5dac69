/* serve_health: is the server keeping up? Each worker's loop lag (a probe
 * timer on its event loop every 100 ms, and how late it fires) and the
 * host's accept-queue overflows (TcpExt ListenOverflows of
 * /proc/net/netstat), which `wsgate serve` reads once a second to say when
 * it is overloaded and GET /metrics exports. */
#include "serve/internal.h"

#include "base/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_EVERY_S 0.1 /* lag resolution; ten wake-ups a second per worker */

/* ---- a worker's loop lag ------------------------------------------------- */

/* Raises *max to v; only the worker's thread writes it. */
static void raise_to(atomic_uint_fast64_t *max, uint64_t v)
{
    if (v > (uint64_t)atomic_load_explicit(max, memory_order_relaxed))
        atomic_store_explicit(max, v, memory_order_relaxed);
}

static void probe_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    worker_t *w = lws_container_of(t, worker_t, probe);
    uint64_t now = clock_mono_us();
    uint64_t lag = now > w->probe_due ? now - w->probe_due : 0;
    raise_to(&w->lag_max_us, lag);
    raise_to(&w->lag_window_us, lag);
    w->probe_due = now + (uint64_t)(PROBE_EVERY_S * 1e6);
    ev_timer_set(t, PROBE_EVERY_S, 0.);
    ev_timer_start(loop, t);
}

void serve_health_start(worker_t *w)
{
    w->probe_due = clock_mono_us() + (uint64_t)(PROBE_EVERY_S * 1e6);
    ev_timer_init(&w->probe, probe_cb, PROBE_EVERY_S, 0.);
    ev_timer_start(w->loop, &w->probe);
    w->probe_on = true;
}

void serve_health_stop(worker_t *w)
{
    if (!w->probe_on)
        return;
    ev_timer_stop(w->loop, &w->probe);
    w->probe_on = false;
}

uint64_t serve_health_lag_max_us(server_t *s)
{
    uint64_t max = 0;
    for (unsigned i = 0; i < s->nworkers; i++) {
        uint64_t v =
            (uint64_t)atomic_load_explicit(&s->workers[i].lag_max_us, memory_order_relaxed);
        max = v > max ? v : max;
    }
    return max;
}

/* The largest lag any worker saw since the last call (one caller: the
 * main thread's once-a-second check). */
static uint64_t lag_window_us(server_t *s)
{
    uint64_t max = 0;
    for (unsigned i = 0; i < s->nworkers; i++) {
        uint64_t v = (uint64_t)atomic_exchange_explicit(&s->workers[i].lag_window_us, 0,
                                                        memory_order_relaxed);
        max = v > max ? v : max;
    }
    return max;
}

/* ---- the host's accept-queue overflows ----------------------------------- */

int serve_netstat_overflows(const char *text, uint64_t *out)
{
    /* two lines per group: "TcpExt: Name Name ..." then "TcpExt: 1 2 ..." */
    const char *names = strstr(text, "TcpExt:");
    const char *values = names ? strstr(names + 7, "TcpExt:") : NULL;
    if (!values)
        return -1;
    const char *n = names + 7, *v = values + 7;
    for (;;) {
        while (*n == ' ')
            n++;
        while (*v == ' ')
            v++;
        if (*n == '\n' || *n == '\0' || *v == '\n' || *v == '\0')
            return -1;
        size_t len = strcspn(n, " \n");
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v)
            return -1;
        if (len == strlen("ListenOverflows") && strncmp(n, "ListenOverflows", len) == 0) {
            *out = (uint64_t)x;
            return 0;
        }
        n += len;
        v = end;
    }
}

int serve_health_overflows(uint64_t *out)
{
    FILE *f = fopen("/proc/net/netstat", "r");
    if (!f)
        return -1;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return serve_netstat_overflows(buf, out);
}

/* ---- the once-a-second check ---------------------------------------------- */

void serve_health_begin(serve_health_t *h)
{
    memset(h, 0, sizeof(*h));
    h->have_overflows = serve_health_overflows(&h->overflows_at) == 0;
}

bool serve_health_tick(server_t *s, serve_health_t *h, char *line, size_t n)
{
    h->seconds++;
    uint64_t lag = lag_window_us(s), dropped = 0, now;
    if (h->have_overflows && serve_health_overflows(&now) == 0) {
        dropped = now > h->overflows_at ? now - h->overflows_at : 0;
        h->overflows_at = now;
    }
    h->lag_max_us = lag > h->lag_max_us ? lag : h->lag_max_us;
    h->dropped += dropped;
    if (lag < SERVE_OVERLOAD_LAG_US && dropped == 0)
        return false;
    h->overloaded_seconds++;
    snprintf(line, n,
             "wsgate serve: overloaded at t=%" PRIu64 " s: event loop up to %" PRIu64
             " ms late, %" PRIu64 " connection%s dropped by full accept queues (host-wide)",
             h->seconds, lag / 1000, dropped, dropped == 1 ? "" : "s");
    return true;
}

bool serve_health_summary(const serve_health_t *h, char *line, size_t n)
{
    if (h->overloaded_seconds == 0)
        return false;
    snprintf(line, n,
             "wsgate serve: overloaded in %" PRIu64 " of %" PRIu64 " s (event loop up to %" PRIu64
             " ms late, %" PRIu64 " connection%s dropped by full accept queues): latencies "
             "measured against it include its own delay",
             h->overloaded_seconds, h->seconds, h->lag_max_us / 1000, h->dropped,
             h->dropped == 1 ? "" : "s");
    return true;
}
