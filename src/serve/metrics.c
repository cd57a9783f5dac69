/* serve_metrics: GET /metrics (Prometheus text exposition of the server's
 * memory, CPU, connections and messages) and --leak-per-message, the leak
 * kept on purpose for soak tests. */
#include "serve/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define METRICS_MAX 4096 /* the whole exposition fits */

static const char *const kind_label[] = {
    [SK_CHAT] = "chat",
    [SK_NOTIFY] = "notifications",
    [SK_QUOTES] = "quotes",
    [SK_COLLAB] = "collaboration",
};

/* ---- the counters ------------------------------------------------------ */

void serve_metrics_received(conn_t *c)
{
    server_t *s = c->w->srv;
    atomic_fetch_add_explicit(&s->msgs_in, 1, memory_order_relaxed);
    size_t n = s->opts.leak_per_message;
    if (n == 0)
        return;
    void **chunk = malloc(sizeof(void *) + n);
    if (!chunk)
        return;
    memset(chunk + 1, 0xA5, n); /* touched, so it is resident */
    *chunk = c->w->leaked;
    c->w->leaked = chunk;
    atomic_fetch_add_explicit(&s->leaked_bytes, n, memory_order_relaxed);
}

void serve_metrics_free_leaks(worker_t *w)
{
    while (w->leaked) {
        void **chunk = w->leaked;
        w->leaked = *chunk;
        free(chunk);
    }
}

/* ---- the exposition ----------------------------------------------------- */

static double rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint64_t load(atomic_uint_fast64_t *v)
{
    return (uint64_t)atomic_load_explicit(v, memory_order_relaxed);
}

/* The exposition of s, malloc'd, or NULL when out of memory. */
static char *metrics_text(server_t *s)
{
    char *buf = malloc(METRICS_MAX);
    if (!buf)
        return NULL;
    int n = snprintf(buf, METRICS_MAX,
                     "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                     "# TYPE process_resident_memory_bytes gauge\n"
                     "process_resident_memory_bytes %.0f\n"
                     "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                     "seconds.\n"
                     "# TYPE process_cpu_seconds_total counter\n"
                     "process_cpu_seconds_total %.6f\n"
                     "# HELP wsgate_serve_connections Open WebSocket connections.\n"
                     "# TYPE wsgate_serve_connections gauge\n",
                     rss_bytes(), cpu_seconds());
    for (int k = SK_CHAT; k <= SK_COLLAB && n > 0 && n < METRICS_MAX; k++)
        n += snprintf(buf + n, METRICS_MAX - (size_t)n,
                      "wsgate_serve_connections{protocol=\"%s\"} %lld\n", kind_label[k],
                      (long long)atomic_load_explicit(&s->conns_open[k], memory_order_relaxed));
    if (n > 0 && n < METRICS_MAX)
        n += snprintf(buf + n, METRICS_MAX - (size_t)n,
                      "# HELP wsgate_serve_messages_received_total WebSocket messages received.\n"
                      "# TYPE wsgate_serve_messages_received_total counter\n"
                      "wsgate_serve_messages_received_total %llu\n"
                      "# HELP wsgate_serve_messages_sent_total WebSocket messages sent.\n"
                      "# TYPE wsgate_serve_messages_sent_total counter\n"
                      "wsgate_serve_messages_sent_total %llu\n"
                      "# HELP wsgate_serve_leaked_bytes_total Bytes kept on purpose "
                      "(--leak-per-message).\n"
                      "# TYPE wsgate_serve_leaked_bytes_total counter\n"
                      "wsgate_serve_leaked_bytes_total %llu\n"
                      "# HELP wsgate_serve_slow_consumer_cuts_total Connections closed because "
                      "more than --max-queued (4 MiB) waited to be sent to them.\n"
                      "# TYPE wsgate_serve_slow_consumer_cuts_total counter\n"
                      "wsgate_serve_slow_consumer_cuts_total %llu\n"
                      "# HELP wsgate_serve_loop_lag_max_seconds The latest any worker's event "
                      "loop ran since the start.\n"
                      "# TYPE wsgate_serve_loop_lag_max_seconds gauge\n"
                      "wsgate_serve_loop_lag_max_seconds %.3f\n",
                      (unsigned long long)load(&s->msgs_in), (unsigned long long)load(&s->msgs_out),
                      (unsigned long long)load(&s->leaked_bytes),
                      (unsigned long long)load(&s->slow_cuts),
                      (double)serve_health_lag_max_us(s) / 1e6);
    uint64_t overflows;
    if (n > 0 && n < METRICS_MAX && s->have_overflows && serve_health_overflows(&overflows) == 0)
        n += snprintf(
            buf + n, METRICS_MAX - (size_t)n,
            "# HELP wsgate_serve_listen_overflows_total Connections the host's full "
            "accept queues dropped since the start (every listener on the host).\n"
            "# TYPE wsgate_serve_listen_overflows_total counter\n"
            "wsgate_serve_listen_overflows_total %llu\n",
            (unsigned long long)(overflows > s->overflows_at ? overflows - s->overflows_at : 0));
    if (n <= 0 || n >= METRICS_MAX) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- the route ---------------------------------------------------------- */

static void metrics_cleanup(conn_t *c)
{
    free(c->http_out);
    c->http_out = NULL;
    c->http_status = 0;
    c->http_headers_sent = false;
}

static unsigned metrics_request(conn_t *c, struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
        return HTTP_STATUS_METHOD_NOT_ALLOWED;
    server_t *s = ((worker_t *)lws_context_user(lws_get_context(wsi)))->srv;
    c->http_out = metrics_text(s);
    if (!c->http_out)
        return HTTP_STATUS_INTERNAL_SERVER_ERROR;
    c->http_status = HTTP_STATUS_OK;
    lws_callback_on_writable(wsi);
    return 0;
}

static int metrics_body(conn_t *c, const void *in, size_t len)
{
    (void)c;
    (void)in;
    (void)len;
    return 0;
}

static int metrics_body_done(conn_t *c, struct lws *wsi)
{
    (void)c;
    (void)wsi;
    return 0;
}

/* Headers in one writeable callback, the body in the next. */
static int metrics_writeable(conn_t *c, struct lws *wsi)
{
    if (!c->http_out)
        return 0;
    size_t blen = strlen(c->http_out);
    unsigned char buf[LWS_PRE + METRICS_MAX];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    if (!c->http_headers_sent) {
        if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", blen, &p,
                                        end) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        c->http_headers_sent = true;
        lws_callback_on_writable(wsi);
        return 0;
    }
    memcpy(start, c->http_out, blen);
    if (lws_write(wsi, start, blen, LWS_WRITE_HTTP_FINAL) != (int)blen)
        return -1;
    metrics_cleanup(c);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static const serve_http_route_t metrics_route = {
    .path = "/metrics",
    .on_request = metrics_request,
    .on_body = metrics_body,
    .on_body_done = metrics_body_done,
    .on_writeable = metrics_writeable,
    .on_close = metrics_cleanup,
};

const serve_proto_t serve_metrics_proto = {
    .http = &metrics_route,
};
