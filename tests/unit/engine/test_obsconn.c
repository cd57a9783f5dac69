/* Tests for src/engine/obsconn.c: the observer's connection, plain and TLS,
 * against a one-shot server on a thread of the test (a certificate for
 * localhost, 127.0.0.1 and ::1 as `wsgate serve --tls` makes it): the
 * certificate is checked by default and trusted with tls.ca_file,
 * insecure_skip_verify skips the check, a certificate for another address
 * fails, and a server that never answers the handshake costs the deadline,
 * not more. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/url.h"
#include "engine/obsconn.h"
#include "serve/internal.h"
#include "helpers.h"

#define ANSWER "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nup 1\n"

/* The one-shot server: accepts one connection on addr, does TLS when
 * ctx is set, reads the request and answers ANSWER; silent: says nothing
 * and waits for the client to leave. */
typedef struct peer {
    int lfd, port;
    SSL_CTX *ctx;
    bool silent;
    pthread_t thread;
} peer_t;

static char cert_dir[256];

static void read_request(SSL *ssl, int fd)
{
    char buf[4096];
    size_t got = 0;
    while (got < sizeof(buf) - 1) {
        int n = ssl ? SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))
                    : (int)read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0)
            return;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") || strncmp(buf, "GET", got < 3 ? got : 3) != 0)
            return; /* the end of the request, or no HTTP (a TLS hello to a plain server) */
    }
}

static void *peer_main(void *arg)
{
    peer_t *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char sink[256];
    if (p->silent) {
        while (read(fd, sink, sizeof(sink)) > 0) {
        }
    } else if (p->ctx) {
        SSL *ssl = SSL_new(p->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            read_request(ssl, fd);
            SSL_write(ssl, ANSWER, (int)strlen(ANSWER));
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    } else {
        read_request(NULL, fd);
        ssize_t w = write(fd, ANSWER, strlen(ANSWER));
        (void)w; /* the client may have left */
    }
    close(fd);
    return NULL;
}

/* Starts a peer on ip (a loopback address), with TLS when tls. */
static void peer_start(peer_t *p, const char *ip, bool tls, bool silent)
{
    memset(p, 0, sizeof(*p));
    p->silent = silent;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->lfd >= 0);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(p->lfd, 4), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sa, &len), 0);
    p->port = ntohs(sa.sin_port);
    if (tls) {
        char cert[300], key[300];
        snprintf(cert, sizeof(cert), "%s/cert.pem", cert_dir);
        snprintf(key, sizeof(key), "%s/key.pem", cert_dir);
        p->ctx = SSL_CTX_new(TLS_server_method());
        assert_non_null(p->ctx);
        assert_int_equal(SSL_CTX_use_certificate_file(p->ctx, cert, SSL_FILETYPE_PEM), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(p->ctx, key, SSL_FILETYPE_PEM), 1);
    }
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_stop(peer_t *p)
{
    pthread_join(p->thread, NULL);
    close(p->lfd);
    SSL_CTX_free(p->ctx);
}

/* GETs / from scheme://ip:port with tls settings t (NULL: plain only).
 * Returns 0 with the answer in out, or -1 with why. */
static int get(const char *scheme, const char *ip, int port, const spec_tls_t *t,
               uint64_t timeout_us, char *out, size_t outlen, char *why, size_t whylen)
{
    char text[128], err[256];
    url_t u;
    snprintf(text, sizeof(text), "%s://%s:%d/metrics", scheme, ip, port);
    assert_int_equal(url_parse(text, &u, err, sizeof(err)), 0);
    obsconn_tls_t *tls = NULL;
    if (t) {
        tls = obsconn_tls_new(t, err, sizeof(err));
        if (!tls)
            fail_msg("obsconn_tls_new: %s", err);
    }
    uint64_t deadline = clock_mono_us() + timeout_us;
    obsconn_t c;
    int rc = obsconn_open(&c, &u, NULL, tls, deadline, why, whylen);
    if (rc == 0) {
        const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        rc = obsconn_send(&c, req, strlen(req), deadline, why, whylen);
        size_t got = 0;
        long n = 1;
        while (rc == 0 && n > 0 && got < outlen - 1) {
            n = obsconn_recv(&c, out + got, outlen - 1 - got, deadline, why, whylen);
            got += n > 0 ? (size_t)n : 0;
            rc = n < 0 ? -1 : 0;
        }
        out[got] = '\0';
        obsconn_close(&c);
    }
    obsconn_tls_free(tls);
    return rc;
}

static int setup(void **state)
{
    char err[256];
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as wsgate run does */
    make_tmpdir(cert_dir, sizeof(cert_dir), "obsconn");
    if (serve_tls_make(cert_dir, err, sizeof(err)) < 0)
        fail_msg("serve_tls_make: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(cert_dir);
    return 0;
}

static void test_plain(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "";
    peer_start(&p, "127.0.0.1", false, false);
    if (get("http", "127.0.0.1", p.port, NULL, 5000000, out, sizeof(out), why, sizeof(why)) < 0)
        fail_msg("plain GET failed: %s", why);
    peer_stop(&p);
    assert_string_equal(out, ANSWER);
}

/* tls.ca_file trusts the server's own certificate; the IP address of the
 * URL is the name checked. */
static void test_tls_ca_file(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "", ca[300];
    snprintf(ca, sizeof(ca), "%s/cert.pem", cert_dir);
    spec_tls_t t = { .ca_file = ca };
    peer_start(&p, "127.0.0.1", true, false);
    if (get("https", "127.0.0.1", p.port, &t, 5000000, out, sizeof(out), why, sizeof(why)) < 0)
        fail_msg("https GET with ca_file failed: %s", why);
    peer_stop(&p);
    assert_string_equal(out, ANSWER);
}

/* Without ca_file the self-signed certificate fails the check, and the
 * reason says what to do. */
static void test_tls_untrusted(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "";
    spec_tls_t t = { 0 };
    peer_start(&p, "127.0.0.1", true, false);
    assert_int_equal(
        get("https", "127.0.0.1", p.port, &t, 5000000, out, sizeof(out), why, sizeof(why)), -1);
    peer_stop(&p);
    assert_contains(why, "certificate verify failed: self");
    assert_contains(why, "(trust its CA with tls.ca_file)");
}

static void test_tls_insecure(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "";
    spec_tls_t t = { .insecure = true };
    peer_start(&p, "127.0.0.1", true, false);
    if (get("https", "127.0.0.1", p.port, &t, 5000000, out, sizeof(out), why, sizeof(why)) < 0)
        fail_msg("https GET with insecure_skip_verify failed: %s", why);
    peer_stop(&p);
    assert_string_equal(out, ANSWER);
}

/* A trusted certificate that names 127.0.0.1, reached as 127.0.0.2. */
static void test_tls_other_address(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "", ca[300];
    snprintf(ca, sizeof(ca), "%s/cert.pem", cert_dir);
    spec_tls_t t = { .ca_file = ca };
    peer_start(&p, "127.0.0.2", true, false);
    assert_int_equal(
        get("https", "127.0.0.2", p.port, &t, 5000000, out, sizeof(out), why, sizeof(why)), -1);
    peer_stop(&p);
    assert_contains(why, "certificate verify failed: ");
    assert_contains(why, "(the certificate does not name 127.0.0.2)");
}

/* A server that accepts and never answers the handshake: the open gives
 * up at its deadline, not later. */
static void test_tls_handshake_deadline(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "";
    spec_tls_t t = { .insecure = true };
    peer_start(&p, "127.0.0.1", false, true);
    uint64_t t0 = clock_mono_us();
    assert_int_equal(
        get("https", "127.0.0.1", p.port, &t, 300000, out, sizeof(out), why, sizeof(why)), -1);
    uint64_t took = clock_mono_us() - t0;
    peer_stop(&p);
    assert_string_equal(why, "TLS handshake timed out");
    if (took < 290000 || took > 1500000)
        fail_msg("gave up after %llu us, expected about 300000", (unsigned long long)took);
}

/* https:// to a plain HTTP server: a handshake error, not a hang. */
static void test_tls_to_plain(void **state)
{
    (void)state;
    peer_t p;
    char out[1024], why[256] = "";
    spec_tls_t t = { .insecure = true };
    peer_start(&p, "127.0.0.1", false, false);
    assert_int_equal(
        get("https", "127.0.0.1", p.port, &t, 5000000, out, sizeof(out), why, sizeof(why)), -1);
    peer_stop(&p);
    assert_contains(why, "TLS handshake: ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_tls_ca_file),
        cmocka_unit_test(test_tls_untrusted),
        cmocka_unit_test(test_tls_insecure),
        cmocka_unit_test(test_tls_other_address),
        cmocka_unit_test(test_tls_handshake_deadline),
        cmocka_unit_test(test_tls_to_plain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
