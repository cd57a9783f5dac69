/* serve: the embedded target server's life: start (options, workers,
 * certificate, listeners, threads), stop, and `wsgate serve` itself.
 *
 * One lws context per worker thread, all listening on one port. Everything
 * of a worker (its connections, queues and rooms) runs on its own thread (or,
 * in serve_stop, after it was joined), so that needs no locks; see
 * internal.h for what spans workers and which file holds what. The core
 * reaches the protocols (chat.c, notify.c, quotes.c, collab.c) only through
 * their entries in serve_protos below. */
#include "serve/internal.h"

#include "base/pem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SERVE_MAX_THREADS 256

const serve_proto_t *const serve_protos[] = {
    &serve_chat_proto,
    &serve_notify_proto,
    &serve_quotes_proto,
    &serve_collab_proto,
    NULL, /* the end */
};

/* Sets up each protocol's server-wide state; on failure the ones set up
 * so far are counted in s->nprotos_ready for protos_free. */
static int protos_init(server_t *s)
{
    for (; serve_protos[s->nprotos_ready]; s->nprotos_ready++) {
        const serve_proto_t *p = serve_protos[s->nprotos_ready];
        if (p->server_init && p->server_init(s) < 0)
            return -1;
    }
    return 0;
}

static void protos_free(server_t *s)
{
    while (s->nprotos_ready > 0) {
        const serve_proto_t *p = serve_protos[--s->nprotos_ready];
        if (p->server_free)
            p->server_free(s);
    }
}

/* The certificate and key of --tls, in a temporary directory that goes
 * once the listeners loaded them. */
typedef struct tls_files {
    char dir[sizeof("/tmp/wsgate-tls-XXXXXX")]; /* "" = none */
    char cert[300];
    char key[300];
} tls_files_t;

static void server_free(server_t *s)
{
    for (unsigned i = s->workers ? s->nworkers : 0; i-- > 0;) /* the first one last */
        serve_worker_free(&s->workers[i]);
    protos_free(s); /* after the workers: closing connections still uses them */
    free(s->workers);
    free(s->host);
    free(s->tls_cert_out);
    free(s->tls_client_ca);
    free(s);
}

/* Copies the options (owning the strings) and fills in the defaults. */
static server_t *server_new(const serve_opts_t *opts)
{
    server_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->opts = *opts;
    const char *host = opts->host && *opts->host ? opts->host : "127.0.0.1";
    s->host = strdup(host);
    s->tls_cert_out = opts->tls_cert_out ? strdup(opts->tls_cert_out) : NULL;
    s->tls_client_ca = opts->tls_client_ca ? strdup(opts->tls_client_ca) : NULL;
    s->opts.host = s->host;
    s->opts.tls_cert_out = s->tls_cert_out;
    s->opts.tls_client_ca = s->tls_client_ca;
    if (!s->opts.push_interval_us)
        s->opts.push_interval_us = 1000000;
    if (!s->opts.quote_rate)
        s->opts.quote_rate = 10;
    s->nworkers = opts->threads ? opts->threads : 1;
    if (s->nworkers > SERVE_MAX_THREADS)
        s->nworkers = SERVE_MAX_THREADS;
    atomic_init(&s->stop, false);
    s->started = lws_now_usecs();
    s->workers = calloc(s->nworkers, sizeof(*s->workers));
    if (!s->workers || !s->host || (opts->tls_cert_out && !s->tls_cert_out) ||
        (opts->tls_client_ca && !s->tls_client_ca)) {
        server_free(s);
        return NULL;
    }
    uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
    for (unsigned i = 0; i < s->nworkers; i++)
        serve_worker_init(&s->workers[i], s, seed + 0x9E3779B97F4A7C15ull * (i + 1));
    if (protos_init(s) < 0) {
        server_free(s);
        return NULL;
    }
    return s;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    FILE *in = fopen(from, "rb");
    FILE *out = in ? fopen(to, "wb") : NULL;
    char buf[4096];
    size_t n;
    int rc = 0;
    while (out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (!out || (out && fclose(out) != 0))
        rc = -1;
    if (in)
        fclose(in);
    if (rc < 0)
        snprintf(err, errlen, "cannot write the certificate to %s", to);
    return rc;
}

/* Makes the certificate in a new temporary directory (tf->dir holds its
 * template). Returns 0 or -1 with a reason. */
static int tls_prepare(server_t *s, tls_files_t *tf, char *err, size_t errlen)
{
    if (!mkdtemp(tf->dir)) {
        snprintf(err, errlen, "cannot create a temporary directory for the certificate");
        tf->dir[0] = '\0';
        return -1;
    }
    snprintf(tf->cert, sizeof(tf->cert), "%s/cert.pem", tf->dir);
    snprintf(tf->key, sizeof(tf->key), "%s/key.pem", tf->dir);
    if (s->tls_client_ca && pem_check_certs(s->tls_client_ca, err, errlen) < 0)
        return -1;
    if (serve_tls_make(tf->dir, err, errlen) < 0)
        return -1;
    if (s->tls_cert_out)
        return copy_file(tf->cert, s->tls_cert_out, err, errlen);
    return 0;
}

static void tls_cleanup(const tls_files_t *tf)
{
    if (!tf->dir[0])
        return;
    unlink(tf->cert);
    unlink(tf->key);
    rmdir(tf->dir);
}

static int start_threads(server_t *s, char *err, size_t errlen)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        int rc = pthread_create(&w->thread, NULL, serve_worker_run, w);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start a server thread: %s", strerror(rc));
            return -1;
        }
        w->thread_started = true;
    }
    return 0;
}

static void stop_threads(server_t *s)
{
    atomic_store(&s->stop, true);
    for (unsigned i = 0; i < s->nworkers; i++)
        if (s->workers[i].thread_started)
            lws_cancel_service(s->workers[i].ctx);
    for (unsigned i = 0; i < s->nworkers; i++)
        if (s->workers[i].thread_started)
            pthread_join(s->workers[i].thread, NULL);
}

server_t *serve_start(const serve_opts_t *opts, int *port_out, char *err, size_t errlen)
{
    lws_set_log_level(LLL_ERR, NULL);
    tls_files_t tf;
    memset(&tf, 0, sizeof(tf));
    if (opts->tls)
        snprintf(tf.dir, sizeof(tf.dir), "/tmp/wsgate-tls-XXXXXX");
    server_t *s = server_new(opts);
    int port = -1;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (opts->tls && tls_prepare(s, &tf, err, errlen) < 0)
        goto fail;
    s->have_overflows = serve_health_overflows(&s->overflows_at) == 0;
    port = serve_listen_all(s, opts->tls ? tf.cert : NULL, opts->tls ? tf.key : NULL, err, errlen);
    tls_cleanup(&tf); /* loaded (or failed): the files are not needed */
    if (port <= 0 || start_threads(s, err, errlen) < 0)
        goto fail;
    if (port_out)
        *port_out = port;
    return s;
fail:
    tls_cleanup(&tf);
    stop_threads(s);
    server_free(s);
    return NULL;
}

void serve_stop(server_t *s)
{
    if (!s)
        return;
    stop_threads(s);
    server_free(s);
}

/* The soft open-file limit for max_conns connections: more than the
 * usual 1,024, and no more than that within the hard limit. libwebsockets
 * sizes each context's fd table by the soft limit, and its 4.1 builds
 * with debug checks (Debian's) scan the whole table on every close and
 * every connect (sanity_assert_no_sockfd_traces): under a hard limit of
 * 1,048,576 raised in full, each closed connection read 8 MB. */
static void size_fd_limit(unsigned max_conns)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t want =
        (rlim_t)(max_conns ? max_conns : SERVE_DEFAULT_MAX_CONNECTIONS) + SERVE_FD_HEADROOM;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Waits for one of the signals in set, checking the server's health once
 * a second meanwhile: an overloaded second is a line on stderr, and the
 * stop sums them up. */
static void wait_for_signal(server_t *s, const sigset_t *set)
{
    serve_health_t h;
    serve_health_begin(&h);
    char line[320];
    const struct timespec second = { .tv_sec = 1, .tv_nsec = 0 };
    while (sigtimedwait(set, NULL, &second) < 0)
        if (serve_health_tick(s, &h, line, sizeof(line)))
            fprintf(stderr, "%s\n", line);
    if (serve_health_summary(&h, line, sizeof(line)))
        fprintf(stderr, "%s\n", line);
}

int serve_main(const serve_opts_t *opts)
{
    size_fd_limit(opts->max_connections);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* block before the service threads exist so they inherit the mask */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char err[256];
    int port = 0;
    server_t *s = serve_start(opts, &port, err, sizeof(err));
    if (!s) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "wsgate serve: %s\n", err);
        return 3;
    }
    const char *host = s->host;
    bool v6 = strchr(host, ':') != NULL;
    printf("wsgate serve: listening on %s://%s%s%s:%d (/ws/chat, /ws/notifications, /ws/quotes, "
           "/ws/collaboration, POST /api/auth/login), %u thread%s\n",
           opts->tls ? "wss" : "ws", v6 ? "[" : "", host, v6 ? "]" : "", port, s->nworkers,
           s->nworkers == 1 ? "" : "s");
    if (s->tls_cert_out)
        printf("wsgate serve: certificate written to %s\n", s->tls_cert_out);
    fflush(stdout);
    wait_for_signal(s, &set);
    serve_stop(s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
