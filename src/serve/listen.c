/* serve_listen: each worker's lws context and listening socket, the
 * upgrade filter, and the lws callback that hands requests and frames to
 * the connection and to the protocols of serve_protos. */
#define _GNU_SOURCE /* accept4 */
#include "serve/internal.h"

#include "base/clock.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVE_RX_BUFFER 1024  /* lws rx buffer per connection: small on purpose */
#define SERVE_TX_PACKET 65536 /* largest single send() */

/* ---- upgrade filter --------------------------------------------------- */

bool serve_query_has(struct lws *wsi, const char *name)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (total <= 0)
        return false;
    size_t nlen = strlen(name);
    char *buf = malloc((size_t)total + 1); /* any one argument fits */
    bool found = false;
    for (int i = 0; buf && !found; i++) {
        if (lws_hdr_copy_fragment(wsi, buf, total + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
            break;
        found = strncmp(buf, name, nlen) == 0 && buf[nlen] == '=' && buf[nlen + 1] != '\0';
    }
    free(buf);
    return found;
}

/* The protocol serving the request's path, or NULL. */
static const serve_proto_t *proto_for(struct lws *wsi)
{
    char path[64];
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) < 0)
        return NULL;
    for (const serve_proto_t *const *p = serve_protos; *p; p++)
        if (strcmp(path, (*p)->path) == 0 || ((*p)->alt_path && strcmp(path, (*p)->alt_path) == 0))
            return *p;
    return NULL;
}

/* Answers a refused upgrade with an HTTP status; >0 tells lws we did. */
static int refuse(struct lws *wsi, unsigned int status)
{
    return lws_return_http_status(wsi, status, NULL) ? -1 : 1;
}

/* No Sec-WebSocket-Protocol, or one that offers p's subprotocol and none of
 * our lws protocol names (lws binds the first name it knows: that must be
 * the subprotocol, whose entry in serve_lws_protocols echoes it). */
static bool subprotocol_ok(struct lws *wsi, const serve_proto_t *p)
{
    char buf[256];
    int n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_PROTOCOL);
    if (n == 0)
        return true;
    bool found = false;
    char *save = NULL;
    for (char *t = n > 0 ? strtok_r(buf, ", \t", &save) : NULL; t;
         t = strtok_r(NULL, ", \t", &save)) {
        if (strncmp(t, "wsgate-", 7) == 0)
            return false;
        if (p->subprotocol && strcmp(t, p->subprotocol) == 0)
            found = true;
    }
    return found;
}

static int check_upgrade(struct lws *wsi, const worker_t *w)
{
    const serve_proto_t *p = proto_for(wsi);
    if (!p)
        return refuse(wsi, HTTP_STATUS_NOT_FOUND);
    if (w->srv->opts.refuse_auth)
        return refuse(wsi, HTTP_STATUS_UNAUTHORIZED);
    if (!subprotocol_ok(wsi, p))
        return refuse(wsi, HTTP_STATUS_BAD_REQUEST);
    unsigned status = p->check(wsi, w->srv);
    return status ? refuse(wsi, status) : 0;
}

/* ---- plain HTTP: the protocols' routes --------------------------------- */

/* The protocol whose HTTP route serves uri, or NULL. */
static const serve_proto_t *route_for(const char *uri)
{
    for (const serve_proto_t *const *p = serve_protos; uri && *p; p++) {
        const serve_http_route_t *r = (*p)->http;
        if (r && (strcmp(uri, r->path) == 0 || (r->alt_path && strcmp(uri, r->alt_path) == 0)))
            return *p;
    }
    if (uri && strcmp(uri, serve_metrics_proto.http->path) == 0)
        return &serve_metrics_proto;
    return NULL;
}

/* Answers at once with a bare status (404, 405) and ends the transaction. */
static int http_status_now(struct lws *wsi, unsigned status)
{
    if (lws_return_http_status(wsi, status, NULL))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A new request on c (HTTP/1.1 may send several): the previous one's state
 * goes, then the route of its path takes it, or it gets a 404. */
static int http_request(conn_t *c, struct lws *wsi, const char *uri)
{
    if (c->http_proto)
        c->http_proto->http->on_close(c);
    c->http_proto = route_for(uri);
    if (!c->http_proto)
        return http_status_now(wsi, HTTP_STATUS_NOT_FOUND);
    unsigned status = c->http_proto->http->on_request(c, wsi);
    return status ? http_status_now(wsi, status) : 0;
}

static int http_callback(conn_t *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                         size_t len)
{
    const serve_http_route_t *r = c->http_proto ? c->http_proto->http : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_request(c, wsi, in);
    case LWS_CALLBACK_HTTP_BODY:
        return r ? r->on_body(c, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return r ? r->on_body_done(c, wsi) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return r ? r->on_writeable(c, wsi) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (r)
            r->on_close(c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, c, in, len);
    }
}

/* ---- the lws callback ---------------------------------------------------- */

static int serve_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    conn_t *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return check_upgrade(wsi, lws_context_user(lws_get_context(wsi)));
    case LWS_CALLBACK_ESTABLISHED:
        return serve_conn_open(c, wsi, proto_for(wsi));
    case LWS_CALLBACK_RECEIVE:
        if (serve_conn_receive(c, in, len) < 0) {
            c->closing = true; /* lws sends the close frame (and waits for its echo) */
            return -1;
        }
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c->closing = true;
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return serve_conn_writeable(c);
    case LWS_CALLBACK_CLOSED:
        serve_conn_cleanup(c);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        serve_room_drain_inbox(lws_context_user(lws_get_context(wsi)), true);
        return 0;
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
        return len ? 0 : 1; /* len is OpenSSL's verdict; nonzero here rejects */
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        serve_tls_share_tickets(user); /* user: the vhost's server SSL_CTX */
        return 0;
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
    case LWS_CALLBACK_OPENSSL_CONTEXT_REQUIRES_PRIVATE_KEY:
        return 0; /* user is an OpenSSL object here, not a connection */
    default:
        return c ? http_callback(c, wsi, reason, in, len)
                 : lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- shared listening (--threads) -------------------------------------- */

/* lws 4.1 sets no SO_REUSEPORT on Linux (its LISTEN_SHARE option is for
 * Windows), so with several workers each opens its own SO_REUSEPORT socket
 * and watches it as a raw fd; the kernel spreads connections over them and
 * each worker adopts what it accepts. */
/* ---- --accept-rate: a server that falls behind ---------------------------- */

#define PACE_BURST_S 0.1 /* the bucket holds 100 ms of the rate (at least one) */

static int hold(worker_t *w, int fd)
{
    if (w->held_len == w->held_cap) {
        size_t cap = w->held_cap ? w->held_cap * 2 : 256;
        int *n = malloc(cap * sizeof(int));
        if (!n)
            return -1;
        for (size_t i = 0; i < w->held_len; i++)
            n[i] = w->held[(w->held_head + i) % w->held_cap];
        free(w->held);
        w->held = n;
        w->held_cap = cap;
        w->held_head = 0;
    }
    w->held[(w->held_head + w->held_len++) % w->held_cap] = fd;
    return 0;
}

/* This worker's share of --accept-rate, per second. */
static double pace_rate(const worker_t *w)
{
    return (double)w->srv->opts.accept_rate / (double)w->srv->nworkers;
}

/* Hands held sockets to lws while the bucket has tokens; the timer comes
 * back when the next one is due. */
static void pace_adopt(worker_t *w)
{
    double rate = pace_rate(w), burst = rate * PACE_BURST_S;
    uint64_t now = clock_mono_us();
    w->tokens += (double)(now - w->tokens_at) / 1e6 * rate;
    w->tokens_at = now;
    if (w->tokens > (burst > 1.0 ? burst : 1.0))
        w->tokens = burst > 1.0 ? burst : 1.0;
    while (w->held_len && w->tokens >= 1.0) {
        int fd = w->held[w->held_head];
        w->held_head = (w->held_head + 1) % w->held_cap;
        w->held_len--;
        w->tokens -= 1.0;
        if (!lws_adopt_socket_vhost(w->vhost, fd))
            close(fd);
    }
    if (!w->held_len || ev_is_active(&w->pace))
        return;
    ev_timer_set(&w->pace, (1.0 - w->tokens) / rate, 0.);
    ev_timer_start(w->loop, &w->pace);
}

static void pace_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    pace_adopt(lws_container_of(t, worker_t, pace));
}

void serve_accept_free(worker_t *w)
{
    if (w->pace_init)
        ev_timer_stop(w->loop, &w->pace);
    for (; w->held_len; w->held_len--, w->held_head = (w->held_head + 1) % w->held_cap)
        close(w->held[w->held_head]);
    free(w->held);
    w->held = NULL;
    w->held_cap = 0;
}

static int listen_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    int lfd = lws_get_socket_fd(wsi);
    worker_t *w = lws_context_user(lws_get_context(wsi));
    bool paced = w->srv->opts.accept_rate > 0;
    for (int i = 0; i < 64; i++) { /* bounded: let other work run between bursts */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        if (paced ? hold(w, fd) < 0 : !lws_adopt_socket_vhost(lws_get_vhost(wsi), fd))
            close(fd);
    }
    if (paced)
        pace_adopt(w);
    return 0;
}

static const struct lws_protocols serve_lws_protocols[] = {
    {
        .name = "wsgate-serve",
        .callback = serve_callback,
        .per_session_data_size = sizeof(conn_t),
        .rx_buffer_size = SERVE_RX_BUFFER,
        .tx_packet_size = SERVE_TX_PACKET,
    },
    {
        /* /ws/chat's subprotocol (serve_chat_proto.subprotocol): lws binds
         * an upgrade offering it here and answers with the name */
        .name = "chat.v1",
        .callback = serve_callback,
        .per_session_data_size = sizeof(conn_t),
        .rx_buffer_size = SERVE_RX_BUFFER,
        .tx_packet_size = SERVE_TX_PACKET,
    },
    {
        .name = "wsgate-listen",
        .callback = listen_callback,
    },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- listening ------------------------------------------------------ */

/* Turns host into a numeric address in buf and says whether it is IPv6.
 * Names that do not resolve (e.g. an interface name such as "lo") are
 * passed to lws unchanged. */
static void resolve_host(const char *host, char *buf, size_t n, bool *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(buf, n, "%s", host);
    *v6 = strchr(host, ':') != NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return;
    if (getnameinfo(res->ai_addr, res->ai_addrlen, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(buf, n, "%s", host);
    else
        *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
}

/* lws 4.1.6 binds to the wildcard address when given an IPv4 iface on an
 * IPv6-enabled vhost (it writes the address at the wrong offset of the
 * sockaddr_in6), so IPv6 is switched off for IPv4 hosts; IPv6 hosts
 * listen on IPv6 only. */
static uint64_t family_options(bool v6)
{
    if (!v6)
        return LWS_SERVER_OPTION_DISABLE_IPV6;
    return LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
}

/* Where the listening vhosts are created: the same for every worker except
 * the port, which the first one picks when it is 0. */
typedef struct listen_cfg {
    char addr[INET6_ADDRSTRLEN + 64];
    bool v6;
    bool share; /* several workers: own SO_REUSEPORT sockets */
    bool tls;
    const char *cert; /* TLS: the certificate and key files */
    const char *key;
    const char *client_ca; /* --tls-client-ca: require client certificates; NULL = none */
    bool deflate;          /* --deflate */
} listen_cfg_t;

/* A listening SO_REUSEPORT socket on addr:port; returns it or -1. */
static int shared_socket(const listen_cfg_t *lc, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    char num[16];
    snprintf(num, sizeof(num), "%d", port);
    if (getaddrinfo(lc->addr, num, &hints, &res) != 0 || !res)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
              (res->ai_family != AF_INET6 ||
               setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0) &&
              bind(fd, res->ai_addr, res->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
    freeaddrinfo(res);
    if (!ok && fd >= 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int socket_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Opens w's own shared socket and has lws watch it. Returns the port. */
static int worker_share(worker_t *w, struct lws_vhost *vh, const listen_cfg_t *lc, int port,
                        char *err, size_t errlen)
{
    int fd = shared_socket(lc, port);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s port %d: port in use, or address not local",
                 w->srv->host, port);
        return -1;
    }
    w->vhost = vh;
    if (w->srv->opts.accept_rate) {
        ev_timer_init(&w->pace, pace_cb, 0., 0.);
        w->pace_init = true;
        w->tokens_at = clock_mono_us();
        w->tokens = 1.0;
    }
    lws_sock_file_fd_type desc;
    desc.filefd = fd;
    if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, desc, "wsgate-listen", NULL)) {
        close(fd);
        snprintf(err, errlen, "libwebsockets would not watch the listening socket");
        return -1;
    }
    return socket_port(fd);
}

/* No lws "validity" ping after 300 s idle: lws 4.1 schedules it per
 * connection at ESTABLISHED in its per-thread sorted timer list, and that
 * insert walks every other connection's (all ~300 s ahead), which made
 * accepting N connections cost O(N^2). */
static const lws_retry_bo_t serve_no_validity = {
    .secs_since_valid_ping = 0,
    .secs_since_valid_hangup = 0,
};

/* Creates w's context and its one listening vhost; returns the bound port
 * or -1 with a reason in err. */
static int worker_listen(worker_t *w, const listen_cfg_t *lc, int port, char *err, size_t errlen)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *loops[1];
    if (serve_worker_loop_new(w, err, errlen) < 0)
        return -1;
    loops[0] = w->loop;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = loops;
    info.count_threads = 1;
    /* OpenSSL's global init once, by the first context (destroyed last):
     * lws 4.1 doing it per context leaks OpenSSL state at exit. Every
     * vhost still needs the flag to get its certificate. */
    if (lc->tls && w == &w->srv->workers[0])
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = w;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        snprintf(err, errlen, "cannot create the libwebsockets context");
        return -1;
    }
    info.options = family_options(lc->v6) | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (lc->tls) {
        info.options |=
            LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
        info.ssl_cert_filepath = lc->cert;
        info.ssl_private_key_filepath = lc->key;
        if (lc->client_ca) {
            info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
            info.ssl_ca_filepath = lc->client_ca;
        }
    }
    info.retry_and_idle_policy = &serve_no_validity;
    info.port = lc->share ? CONTEXT_PORT_NO_LISTEN_SERVER : port;
    info.iface = lc->addr;
    info.protocols = serve_lws_protocols;
    if (lc->deflate)
        info.extensions = serve_deflate_extensions();
    info.vhost_name = "wsgate-serve";
    struct lws_vhost *vh = lws_create_vhost(w->ctx, &info);
    if (vh && lc->share)
        return worker_share(w, vh, lc, port, err, errlen);
    if (!vh) {
        snprintf(err, errlen,
                 "cannot listen on %s port %d: port in use, or address not local or unknown%s",
                 w->srv->host, port, lc->tls ? ", or the TLS certificate did not load" : "");
        return -1;
    }
    return lws_get_vhost_listen_port(vh);
}

int serve_listen_all(server_t *s, const char *cert, const char *key, char *err, size_t errlen)
{
    listen_cfg_t lc;
    memset(&lc, 0, sizeof(lc));
    lc.tls = cert != NULL;
    lc.cert = cert;
    lc.key = key;
    lc.client_ca = s->tls_client_ca;
    lc.deflate = s->opts.deflate;
    resolve_host(s->host, lc.addr, sizeof(lc.addr), &lc.v6);
    lc.share = s->nworkers > 1 || s->opts.reuse_port || s->opts.accept_rate;
    int port = s->opts.port;
    for (unsigned i = 0; i < s->nworkers; i++) {
        int got = worker_listen(&s->workers[i], &lc, port, err, errlen);
        if (got == 0)
            snprintf(err, errlen, "libwebsockets reported no bound port");
        if (got <= 0)
            return -1;
        port = got;
    }
    return port;
}
