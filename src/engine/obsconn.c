/* obsconn: the observer's connection to a scrape endpoint, plain or TLS. */
#include "engine/obsconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/clock.h"
#include "engine/hostcheck.h"

struct obsconn_ops {
    int (*send)(obsconn_t *c, const char *buf, size_t len, uint64_t deadline, char *why,
                size_t whylen);
    long (*recv)(obsconn_t *c, char *buf, size_t len, uint64_t deadline, char *why, size_t whylen);
    void (*close)(obsconn_t *c);
};

struct obsconn_tls {
    SSL_CTX *ctx;
    bool verify; /* not tls.insecure_skip_verify */
};

/* Waits for events on fd until deadline. Returns > 0 when ready, 0 at the
 * deadline, < 0 on a poll error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    uint64_t now = clock_mono_us();
    if (now >= deadline)
        return 0;
    struct pollfd p = { .fd = fd, .events = events };
    int ms = (int)((deadline - now + 999) / 1000);
    int n;
    while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR) {
    }
    return n;
}

/* ---- plain ------------------------------------------------------------- */

static int plain_send(obsconn_t *c, const char *buf, size_t len, uint64_t deadline, char *why,
                      size_t whylen)
{
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(c->fd, POLLOUT, deadline) <= 0) {
                snprintf(why, whylen, "timed out sending the request");
                return -1;
            }
            continue;
        }
        if (n <= 0) {
            snprintf(why, whylen, "cannot send the request: %s", strerror(errno));
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static long plain_recv(obsconn_t *c, char *buf, size_t len, uint64_t deadline, char *why,
                       size_t whylen)
{
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n >= 0)
            return (long)n;
        if (errno != EAGAIN && errno != EINTR) {
            snprintf(why, whylen, "read: %s", strerror(errno));
            return -1;
        }
        if (wait_fd(c->fd, POLLIN, deadline) <= 0) {
            snprintf(why, whylen, "timed out reading the answer");
            return -1;
        }
    }
}

static void plain_close(obsconn_t *c)
{
    close(c->fd);
    c->fd = -1;
}

static const obsconn_ops_t plain_ops = { plain_send, plain_recv, plain_close };

/* ---- TLS --------------------------------------------------------------- */

static bool is_ip_literal(const char *host)
{
    unsigned char a[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* Why the handshake failed: the certificate check's verdict when it was
 * the check, else OpenSSL's first error, else what the socket said. */
static void tls_failed(SSL *ssl, bool verify, int sslerr, const char *host, char *why,
                       size_t whylen)
{
    long v = verify ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = ERR_peek_error();
    char hint[160] = "";
    if (v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
        v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
        v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
        v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
        snprintf(hint, sizeof(hint), " (trust its CA with tls.ca_file)");
    else if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
        snprintf(hint, sizeof(hint), " (the certificate does not name %.100s)", host);
    if (v != X509_V_OK) {
        snprintf(why, whylen, "certificate verify failed: %s%s", X509_verify_cert_error_string(v),
                 hint);
    } else if (e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(why, whylen, "TLS handshake: %s", r ? r : "failed");
    } else if (sslerr == SSL_ERROR_SYSCALL && errno) {
        snprintf(why, whylen, "TLS handshake: %s", strerror(errno));
    } else {
        snprintf(why, whylen, "TLS handshake: the server closed the connection");
    }
}

/* Runs op (SSL_connect, SSL_read or SSL_write) until it is done or fails,
 * waiting on the socket as OpenSSL asks, until deadline. Returns op's
 * result (> 0), or <= 0 with *sslerr set (SSL_ERROR_WANT_READ: the
 * deadline passed). */
typedef int (*tls_op_fn)(SSL *ssl, void *buf, int len);

static int tls_until(obsconn_t *c, tls_op_fn op, void *buf, int len, uint64_t deadline, int *sslerr)
{
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int n = op(c->ssl, buf, len);
        if (n > 0)
            return n;
        *sslerr = SSL_get_error(c->ssl, n);
        if (*sslerr != SSL_ERROR_WANT_READ && *sslerr != SSL_ERROR_WANT_WRITE)
            return n;
        short ev = *sslerr == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        if (wait_fd(c->fd, ev, deadline) <= 0) {
            *sslerr = SSL_ERROR_WANT_READ;
            return 0;
        }
    }
}

static int op_connect(SSL *ssl, void *buf, int len)
{
    (void)buf;
    (void)len;
    return SSL_connect(ssl);
}

static int op_read(SSL *ssl, void *buf, int len)
{
    return SSL_read(ssl, buf, len);
}

static int op_write(SSL *ssl, void *buf, int len)
{
    return SSL_write(ssl, buf, len);
}

/* The OpenSSL reason of a failed read or write. */
static const char *tls_reason(int sslerr)
{
    const char *r = ERR_reason_error_string(ERR_peek_error());
    return r ? r : sslerr == SSL_ERROR_SYSCALL && errno ? strerror(errno) : "connection lost";
}

static int tls_send(obsconn_t *c, const char *buf, size_t len, uint64_t deadline, char *why,
                    size_t whylen)
{
    while (len > 0) {
        int sslerr = 0, chunk = len > INT_MAX ? INT_MAX : (int)len;
        int n = tls_until(c, op_write, (void *)buf, chunk, deadline, &sslerr);
        if (n <= 0) {
            if (sslerr == SSL_ERROR_WANT_READ)
                snprintf(why, whylen, "timed out sending the request");
            else
                snprintf(why, whylen, "cannot send the request: %s", tls_reason(sslerr));
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The end of the answer is the server's close_notify, or its closing the
 * connection without one (SSL_OP_IGNORE_UNEXPECTED_EOF), as many servers
 * do after "Connection: close": the plain path reads to the close too. */
static long tls_recv(obsconn_t *c, char *buf, size_t len, uint64_t deadline, char *why,
                     size_t whylen)
{
    int sslerr = 0, chunk = len > INT_MAX ? INT_MAX : (int)len;
    int n = tls_until(c, op_read, buf, chunk, deadline, &sslerr);
    if (n > 0)
        return n;
    if (sslerr == SSL_ERROR_ZERO_RETURN ||
        (sslerr == SSL_ERROR_SYSCALL && !ERR_peek_error() && errno == 0))
        return 0;
    if (sslerr == SSL_ERROR_WANT_READ)
        snprintf(why, whylen, "timed out reading the answer");
    else
        snprintf(why, whylen, "read: %s", tls_reason(sslerr));
    return -1;
}

static void tls_close(obsconn_t *c)
{
    SSL_free(c->ssl); /* no close_notify: the answer is complete or given up */
    c->ssl = NULL;
    plain_close(c);
}

static const obsconn_ops_t tls_ops = { tls_send, tls_recv, tls_close };

obsconn_tls_t *obsconn_tls_new(const spec_tls_t *t, char *err, size_t errlen)
{
    obsconn_tls_t *tls = calloc(1, sizeof(*tls));
    if (!tls || !(tls->ctx = SSL_CTX_new(TLS_client_method()))) {
        snprintf(err, errlen, "cannot make a TLS context for observe: (out of memory)");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(tls->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    tls->verify = !t->insecure;
    SSL_CTX_set_verify(tls->ctx, tls->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (tls->verify && SSL_CTX_set_default_verify_paths(tls->ctx) != 1) {
        snprintf(err, errlen, "cannot load the system's trusted CAs");
        goto fail;
    }
    if (tls->verify && t->ca_file &&
        SSL_CTX_load_verify_locations(tls->ctx, t->ca_file, NULL) != 1) {
        snprintf(err, errlen, "tls.ca_file %s: OpenSSL cannot load it", t->ca_file);
        goto fail;
    }
    if (t->client_cert &&
        (SSL_CTX_use_certificate_chain_file(tls->ctx, t->client_cert) != 1 ||
         SSL_CTX_use_PrivateKey_file(tls->ctx, t->client_key, SSL_FILETYPE_PEM) != 1)) {
        snprintf(err, errlen, "tls.client_cert %s: OpenSSL cannot load it with its key",
                 t->client_cert);
        goto fail;
    }
    ERR_clear_error();
    return tls;
fail:
    ERR_clear_error();
    obsconn_tls_free(tls);
    return NULL;
}

void obsconn_tls_free(obsconn_tls_t *tls)
{
    if (!tls)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls);
}

/* The handshake on c's connected socket: SNI and the name to check are
 * the URL's host (an IP address is checked as one and sent as no SNI). */
static int tls_handshake(obsconn_t *c, const char *host, obsconn_tls_t *tls, uint64_t deadline,
                         char *why, size_t whylen)
{
    bool ip = is_ip_literal(host);
    if (!(c->ssl = SSL_new(tls->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
        (!ip && SSL_set_tlsext_host_name(c->ssl, host) != 1) ||
        (tls->verify && !ip && SSL_set1_host(c->ssl, host) != 1) ||
        (tls->verify && ip && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1)) {
        snprintf(why, whylen, "cannot start TLS (out of memory)");
        return -1;
    }
    int sslerr = 0;
    if (tls_until(c, op_connect, NULL, 0, deadline, &sslerr) > 0)
        return 0;
    if (sslerr == SSL_ERROR_WANT_READ)
        snprintf(why, whylen, "TLS handshake timed out");
    else
        tls_failed(c->ssl, tls->verify, sslerr, host, why, whylen);
    ERR_clear_error();
    return -1;
}

/* ---- open -------------------------------------------------------------- */

/* Connects to host:port (the address hostcheck picked, else a lookup) by
 * deadline. Returns the socket, or -1 with why. */
static int dial(const url_t *u, const hostguard_t *hosts, uint64_t deadline, char *why,
                size_t whylen)
{
    char addr[HOSTCHECK_ADDR_MAX], port[8];
    err_kind_t kind;
    if (hostcheck_dest(hosts, u->host, u->port, NULL, NULL, addr, sizeof(addr), &kind, why,
                       whylen) < 0)
        return -1;
    snprintf(port, sizeof(port), "%d", u->port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    int rc = getaddrinfo(addr[0] ? addr : u->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve %.100s: %s", u->host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
        snprintf(why, whylen, "connect: %s", strerror(errno));
        close(fd);
        fd = -1;
    } else if (fd >= 0) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (wait_fd(fd, POLLOUT, deadline) <= 0) {
            snprintf(why, whylen, "connect timed out");
            err = -1;
        } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            snprintf(why, whylen, "connect: %s", strerror(err ? err : errno));
            err = -1;
        }
        if (err) {
            close(fd);
            fd = -1;
        }
    } else {
        snprintf(why, whylen, "socket: %s", strerror(errno));
    }
    freeaddrinfo(res);
    return fd;
}

int obsconn_open(obsconn_t *c, const url_t *u, const hostguard_t *hosts, obsconn_tls_t *tls,
                 uint64_t deadline, char *why, size_t whylen)
{
    memset(c, 0, sizeof(*c));
    c->ops = &plain_ops;
    if (u->tls && !tls) {
        snprintf(why, whylen, "https:// without TLS settings");
        c->fd = -1;
        return -1;
    }
    if ((c->fd = dial(u, hosts, deadline, why, whylen)) < 0)
        return -1;
    if (!u->tls)
        return 0;
    c->ops = &tls_ops;
    if (tls_handshake(c, u->host, tls, deadline, why, whylen) < 0) {
        obsconn_close(c);
        return -1;
    }
    return 0;
}

int obsconn_send(obsconn_t *c, const void *buf, size_t len, uint64_t deadline, char *why,
                 size_t whylen)
{
    return c->ops->send(c, buf, len, deadline, why, whylen);
}

long obsconn_recv(obsconn_t *c, void *buf, size_t len, uint64_t deadline, char *why, size_t whylen)
{
    return c->ops->recv(c, buf, len, deadline, why, whylen);
}

void obsconn_close(obsconn_t *c)
{
    if (c->fd >= 0)
        c->ops->close(c);
}
