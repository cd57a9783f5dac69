/* Tests for serve: a raw-socket WebSocket client against a real server on
 * 127.0.0.1 (port 0), so they need no other wsgate module. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/serve.h"
#include "serve/timer.h"
#include "helpers.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
    server_t *srv;
    int port;
} fixture_t;

static int start_server(void **state, uint64_t ack_delay_us)
{
    fixture_t *f = calloc(1, sizeof(*f));
    serve_opts_t o = { .host = NULL, .port = 0, .ack_delay_us = ack_delay_us };
    char err[256] = "";
    f->srv = serve_start(&o, &f->port, err, sizeof(err));
    if (!f->srv) {
        fprintf(stderr, "serve_start: %s\n", err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start_server(state, 0);
}

static int setup_delay(void **state)
{
    return start_server(state, 200000);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    serve_stop(f->srv);
    free(f);
    return 0;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = { .tv_sec = 3 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads an HTTP response head (byte by byte so no frame bytes are consumed
 * after it) into buf; returns the status, or -1. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    while (len < cap - 1 && read(fd, buf + len, 1) == 1) {
        len++;
        buf[len] = '\0';
        if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

/* Sends an upgrade request for target with extra header lines (each ending
 * in \r\n, or ""); returns the HTTP status received. */
static int handshake_hdr(int fd, const char *target, const char *extra)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s\r\n",
                     target, extra);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    char buf[2048];
    return read_head(fd, buf, sizeof(buf));
}

static int handshake(int fd, const char *target)
{
    return handshake_hdr(fd, target, "");
}

static int ws_open_at(int port, const char *target, const char *extra)
{
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(handshake_hdr(fd, target, extra), 101);
    return fd;
}

static int ws_open(int port)
{
    return ws_open_at(port, "/ws/chat?token=demo-jwt-token-1", "");
}

/* Sends one masked client frame (opcode 1 text, 0 continuation). */
static void ws_frame(int fd, int opcode, int fin, const char *s)
{
    size_t len = strlen(s);
    unsigned char h[8 + 4];
    size_t hl = 0;
    h[hl++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        h[hl++] = (unsigned char)(0x80 | len);
    } else {
        h[hl++] = 0x80 | 126;
        h[hl++] = (unsigned char)(len >> 8);
        h[hl++] = (unsigned char)len;
    }
    static const unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    memcpy(h + hl, mask, 4);
    hl += 4;
    unsigned char *p = malloc(hl + len);
    memcpy(p, h, hl);
    for (size_t i = 0; i < len; i++)
        p[hl + i] = (unsigned char)s[i] ^ mask[i % 4];
    assert_int_equal(write(fd, p, hl + len), (ssize_t)(hl + len));
    free(p);
}

static void ws_send(int fd, const char *s)
{
    ws_frame(fd, 1, 1, s);
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Reads one unfragmented server frame into buf (NUL-terminated); returns
 * its length with the opcode in *op, or -1 on timeout or EOF. */
static int ws_recv_op(int fd, char *buf, size_t cap, int *op)
{
    unsigned char h[2];
    if (read_full(fd, h, 2) < 0)
        return -1;
    *op = h[0] & 0x0f;
    size_t len = h[1] & 0x7f;
    if (len >= 126) {
        unsigned char e[8];
        size_t n = len == 126 ? 2 : 8;
        if (read_full(fd, e, n) < 0)
            return -1;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | e[i];
    }
    if (len >= cap || read_full(fd, buf, len) < 0)
        return -1;
    buf[len] = '\0';
    return (int)len;
}

/* Reads one text frame; -1 on timeout, close or a frame that is not text. */
static int ws_recv(int fd, char *buf, size_t cap)
{
    int op = 0;
    int n = ws_recv_op(fd, buf, cap, &op);
    return n >= 0 && op == 1 ? n : -1;
}

static void expect_msg(int fd, const char *want)
{
    char buf[65536];
    assert_true(ws_recv(fd, buf, sizeof(buf)) >= 0);
    assert_string_equal(buf, want);
}

static void test_port_zero_gives_a_port(void **state)
{
    fixture_t *f = *state;
    assert_true(f->port > 0 && f->port < 65536);
    int fd = tcp_connect(f->port);
    assert_true(fd >= 0);
    close(fd);
}

static void expect_status(int port, const char *target, int status)
{
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(handshake(fd, target), status);
    close(fd);
}

static void test_upgrade_needs_token(void **state)
{
    fixture_t *f = *state;
    expect_status(f->port, "/ws/chat", 401);
    expect_status(f->port, "/ws/chat?token=", 401);
    expect_status(f->port, "/ws/chat?tok=1&x=2", 401);
    expect_status(f->port, "/elsewhere?token=abc", 404);
    expect_status(f->port, "/ws/chat?x=1&token=abc", 101);
}

static void test_subscribe_publish_broadcast(void **state)
{
    fixture_t *f = *state;
    int a = ws_open(f->port), b = ws_open(f->port), c = ws_open(f->port);
    ws_send(a, "{\"action\":\"subscribe\",\"channel\":\"room:1\",\"userId\":\"u1\"}");
    expect_msg(a, "{\"type\":\"subscription_confirmed\",\"channel\":\"room:1\"}");
    ws_send(b, "{\"action\":\"subscribe\",\"channel\":\"room:1\"}");
    expect_msg(b, "{\"type\":\"subscription_confirmed\",\"channel\":\"room:1\"}");
    ws_send(c, "{\"action\":\"subscribe\",\"channel\":\"room:2\"}");
    expect_msg(c, "{\"type\":\"subscription_confirmed\",\"channel\":\"room:2\"}");

    ws_send(a,
            "{\"action\":\"publish\",\"channel\":\"room:1\",\"message\":{\"id\":\"m1\",\"n\":5}}");
    expect_msg(a, "{\"type\":\"message_ack\",\"id\":\"m1\",\"channel\":\"room:1\"}");
    expect_msg(b,
               "{\"type\":\"message\",\"channel\":\"room:1\",\"message\":{\"id\":\"m1\",\"n\":5}}");
    /* neither the sender nor another room got the broadcast: next is pong */
    ws_send(a, "{\"action\":\"ping\"}");
    expect_msg(a, "{\"type\":\"pong\"}");
    ws_send(c, "{\"action\":\"ping\"}");
    expect_msg(c, "{\"type\":\"pong\"}");
    close(a);
    close(b);
    close(c);
}

static void test_errors(void **state)
{
    fixture_t *f = *state;
    int a = ws_open(f->port);
    ws_send(a, "{\"action\":\"dance\",\"channel\":\"x\"}");
    expect_msg(a, "{\"type\":\"error\",\"reason\":\"unknown action\"}");
    ws_send(a, "not json");
    expect_msg(a, "{\"type\":\"error\",\"reason\":\"invalid JSON\"}");
    ws_send(a, "{\"action\":\"subscribe\"}");
    expect_msg(a, "{\"type\":\"error\",\"reason\":\"missing channel\"}");
    ws_send(a, "{\"action\":\"publish\",\"channel\":\"r\"}");
    expect_msg(a, "{\"type\":\"error\",\"reason\":\"missing message\"}");
    close(a);
}

static void test_fragments_are_joined(void **state)
{
    fixture_t *f = *state;
    int a = ws_open(f->port);
    ws_frame(a, 1, 0, "{\"action\":\"publish\",");
    ws_frame(a, 0, 0, "\"channel\":\"r\",");
    ws_frame(a, 0, 1, "\"message\":{\"id\":42}}");
    expect_msg(a, "{\"type\":\"message_ack\",\"id\":42,\"channel\":\"r\"}");
    close(a);
}

static void test_ack_delay(void **state)
{
    fixture_t *f = *state;
    int a = ws_open(f->port), b = ws_open(f->port);
    uint64_t t0 = mono_us();
    ws_send(a, "{\"action\":\"subscribe\",\"channel\":\"d\"}");
    expect_msg(a, "{\"type\":\"subscription_confirmed\",\"channel\":\"d\"}");
    uint64_t waited = mono_us() - t0;
    assert_true(waited >= 195000 && waited < 1000000);

    t0 = mono_us();
    ws_send(b, "{\"action\":\"publish\",\"channel\":\"d\",\"message\":{\"id\":\"x\"}}");
    expect_msg(a, "{\"type\":\"message\",\"channel\":\"d\",\"message\":{\"id\":\"x\"}}");
    assert_true(mono_us() - t0 < 150000); /* broadcasts are not delayed */
    expect_msg(b, "{\"type\":\"message_ack\",\"id\":\"x\",\"channel\":\"d\"}");
    waited = mono_us() - t0;
    assert_true(waited >= 195000 && waited < 1000000);
    close(a);
    close(b);
}

static void test_stop_with_open_connections(void **state)
{
    server_t *s;
    int port = 0;
    char err[256];
    serve_opts_t o = { .host = "127.0.0.1", .port = 0, .ack_delay_us = 500000 };
    s = serve_start(&o, &port, err, sizeof(err));
    assert_non_null(s);
    int a = ws_open(port);
    ws_send(a, "{\"action\":\"subscribe\",\"channel\":\"z\"}"); /* ack still pending */
    usleep(50000);
    serve_stop(s); /* LeakSanitizer checks the connection was freed */
    char buf[64];
    assert_int_equal(ws_recv(a, buf, sizeof(buf)), -1);
    close(a);
}

static void test_port_in_use_is_an_error(void **state)
{
    fixture_t *f = *state;
    serve_opts_t o = { .host = "127.0.0.1", .port = f->port, .ack_delay_us = 0 };
    char err[256] = "";
    int port = -1;
    assert_null(serve_start(&o, &port, err, sizeof(err)));
    assert_contains(err, "cannot listen");
    char num[16];
    snprintf(num, sizeof(num), "%d", f->port);
    assert_contains(err, num);
}

/* ---- helpers for the other protocols ---------------------------------- */

static server_t *start_opts(serve_opts_t *o, int *port)
{
    char err[256] = "";
    server_t *srv = serve_start(o, port, err, sizeof(err));
    if (!srv)
        fprintf(stderr, "serve_start: %s\n", err);
    assert_non_null(srv);
    return srv;
}

/* Receives one text message into buf (cap bytes) or fails the test. */
static void recv_msg(int fd, char *buf, size_t cap)
{
    assert_true(ws_recv(fd, buf, cap) >= 0);
}

/* True when nothing arrives on fd within ms. */
static int quiet_for(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 0;
}

/* POSTs body to path; returns the status, the response head in head and
 * the body in out (both NUL-terminated). */
static int http_post(int port, const char *method, const char *path, const char *body, char *head,
                     size_t headcap, char *out, size_t outcap)
{
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, strlen(body), body);
    assert_int_equal(write(fd, req, (size_t)n), n);
    int status = read_head(fd, head, headcap);
    const char *cl = strcasestr(head, "content-length:");
    size_t len = cl ? strtoul(cl + 15, NULL, 10) : 0;
    out[0] = '\0';
    if (len < outcap && read_full(fd, out, len) == 0)
        out[len] = '\0';
    close(fd);
    return status;
}

/* Logs in and copies the access token into tok. */
static void login(int port, char *tok, size_t cap)
{
    char head[2048], body[1024];
    int st = http_post(port, "POST", "/api/auth/login",
                       "{\"username\":\"load-1\",\"password\":\"secret\"}", head, sizeof(head),
                       body, sizeof(body));
    assert_int_equal(st, 200);
    assert_true(sscanf(body, "{\"access_token\":\"%63[^\"]\"", tok) == 1);
    assert_true(strlen(tok) < cap);
}

/* Reads an integer field "key": from a flat JSON text, or fails. */
static long long field_ll(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    return strtoll(p + strlen(pat), NULL, 10);
}

/* ---- login and notifications ----------------------------------------- */

static void test_login_issues_tokens(void **state)
{
    fixture_t *f = *state;
    char head[2048], body[1024];
    int st =
        http_post(f->port, "POST", "/api/auth/login", "{\"username\":\"u1\",\"password\":\"pw\"}",
                  head, sizeof(head), body, sizeof(body));
    assert_int_equal(st, 200);
    char tok[64];
    assert_int_equal(sscanf(body, "{\"access_token\":\"%63[^\"]\",\"token_type\":\"bearer\"}", tok),
                     1);
    assert_int_equal(strlen(tok), 53);
    assert_contains(body, ",\"token_type\":\"bearer\",\"username\":\"u1\"}");
    char cookie[128];
    snprintf(cookie, sizeof(cookie), "set-cookie: session=%s; Path=/; HttpOnly", tok);
    assert_non_null(strcasestr(head, cookie));
    assert_non_null(strcasestr(head, "content-type: application/json"));

    /* the guide's path and its email field */
    st = http_post(f->port, "POST", "/api/v1/auth/login",
                   "{\"email\":\"loadtest+1@example.com\",\"password\":\"TestPassword123!\"}", head,
                   sizeof(head), body, sizeof(body));
    assert_int_equal(st, 200);
    char tok2[64];
    assert_int_equal(sscanf(body, "{\"access_token\":\"%63[^\"]\"", tok2), 1);
    assert_string_not_equal(tok, tok2);

    st = http_post(f->port, "POST", "/api/auth/login", "{\"username\":\"u1\"}", head, sizeof(head),
                   body, sizeof(body));
    assert_int_equal(st, 400);
    assert_contains(body, "password");
    st = http_post(f->port, "POST", "/api/auth/login", "nope", head, sizeof(head), body,
                   sizeof(body));
    assert_int_equal(st, 400);
    assert_contains(body, "JSON object");
    st = http_post(f->port, "GET", "/api/auth/login", "", head, sizeof(head), body, sizeof(body));
    assert_int_equal(st, 405);
}

static void test_notifications_need_a_token(void **state)
{
    fixture_t *f = *state;
    char tok[64], hdr[256];
    login(f->port, tok, sizeof(tok));
    expect_status(f->port, "/ws/notifications", 401);
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
    int fd = ws_open_at(f->port, "/ws/notifications", hdr);
    close(fd);
    fd = ws_open_at(f->port, "/v1/realtime/notifications", hdr);
    close(fd);
    snprintf(hdr, sizeof(hdr), "Cookie: theme=dark; session=%s\r\n", tok);
    fd = ws_open_at(f->port, "/ws/notifications", hdr);
    close(fd);

    /* a forged token: one hex digit of the MAC changed */
    tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == '0' ? '1' : '0';
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
    fd = tcp_connect(f->port);
    assert_int_equal(handshake_hdr(fd, "/ws/notifications", hdr), 401);
    close(fd);
    fd = tcp_connect(f->port);
    assert_int_equal(handshake_hdr(fd, "/ws/notifications", "Authorization: Bearer abc\r\n"), 401);
    close(fd);
}

static void test_notifications_protocol(void **state)
{
    serve_opts_t o = { .push_interval_us = 100000 };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    char tok[64], hdr[256], buf[4096];
    login(port, tok, sizeof(tok));
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\nX-Client-Version: web-2.14.0\r\n", tok);
    int fd = ws_open_at(port, "/ws/notifications", hdr);

    ws_send(fd, "{\"type\":\"ping\",\"ts\":1732800000123}");
    recv_msg(fd, buf, sizeof(buf));
    assert_true(strncmp(buf, "{\"type\":\"pong\",\"ts\":1732800000123,\"server_ts_us\":", 48) == 0);
    assert_true(quiet_for(fd, 250)); /* nothing is pushed before a subscribe */

    ws_send(fd, "{\"type\":\"subscribe\",\"topics\":[\"account.a1.notifications\","
                "\"account.a1.orders\",\"account.a1.billing\"]}");
    expect_msg(fd, "{\"type\":\"subscribed\",\"topics\":[\"account.a1.notifications\","
                   "\"account.a1.orders\",\"account.a1.billing\"]}");
    static const char *const kinds[] = { "notification", "order_update", "invoice_ready",
                                         "notification" };
    static const char *const topics[] = { "account.a1.notifications", "account.a1.orders",
                                          "account.a1.billing", "account.a1.notifications" };
    uint64_t t0 = mono_us();
    for (int i = 0; i < 4; i++) {
        recv_msg(fd, buf, sizeof(buf));
        char want[160];
        snprintf(want, sizeof(want),
                 "{\"type\":\"%s\",\"topic\":\"%s\",\"id\":%d,\"ts\":", kinds[i], topics[i], i + 1);
        assert_true(strncmp(buf, want, strlen(want)) == 0);
        long long ts = field_ll(buf, "ts"), ts_us = field_ll(buf, "ts_us");
        if (ts != ts_us / 1000)
            fprintf(stderr, "got %s\n", buf);
        assert_int_equal(ts, ts_us / 1000);
        long long age = (long long)wall_us() - ts_us;
        assert_true(age >= 0 && age < 100000);
    }
    uint64_t took = mono_us() - t0; /* 4 pushes at 100 ms */
    assert_true(took >= 300000 && took < 900000);

    ws_send(fd, "{\"type\":\"subscribe\",\"topics\":[]}");
    /* pushes may interleave: find the error among them */
    int found = 0;
    for (int i = 0; i < 5 && !found; i++) {
        recv_msg(fd, buf, sizeof(buf));
        found = strcmp(buf, "{\"type\":\"error\",\"reason\":\"topics must be a non-empty array "
                            "of strings\"}") == 0;
    }
    assert_true(found);
    close(fd);
    serve_stop(srv);
}

static void test_refuse_auth(void **state)
{
    serve_opts_t o = { .refuse_auth = true };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    char head[2048], body[1024];
    int st = http_post(port, "POST", "/api/auth/login", "{\"username\":\"u\",\"password\":\"p\"}",
                       head, sizeof(head), body, sizeof(body));
    assert_int_equal(st, 401);
    assert_string_equal(body, "{\"error\":\"login refused\"}");
    expect_status(port, "/ws/chat?token=abc", 401);
    expect_status(port, "/ws/collaboration?session=s1", 401);
    expect_status(port, "/ws/quotes?clientId=t1", 401);
    expect_status(port, "/ws/notifications", 401);
    expect_status(port, "/nowhere", 404);
    serve_stop(srv);
}

/* ---- market data ------------------------------------------------------ */

static void test_quotes_snapshot_and_rate(void **state)
{
    serve_opts_t o = { .quote_rate = 50 };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    int fd = ws_open_at(port, "/ws/quotes?clientId=terminal-1&format=json", "");
    char buf[8192];
    ws_send(fd, "{\"op\":\"subscribe\",\"streams\":[\"quotes.NASDAQ:AAPL\",\"quotes.NYSE:IBM\"],"
                "\"snapshot\":true}");
    expect_msg(fd,
               "{\"op\":\"subscribed\",\"streams\":[\"quotes.NASDAQ:AAPL\",\"quotes.NYSE:IBM\"]}");
    recv_msg(fd, buf, sizeof(buf));
    assert_true(strncmp(buf,
                        "{\"type\":\"snapshot\",\"quotes\":[{\"stream\":\"quotes.NASDAQ:AAPL\","
                        "\"symbol\":\"NASDAQ:AAPL\",\"bid\":",
                        88) == 0);
    assert_contains(buf, "{\"stream\":\"quotes.NYSE:IBM\",\"symbol\":\"NYSE:IBM\",\"bid\":");
    assert_contains(buf, "],\"ts\":");

    uint64_t t0 = mono_us();
    int count = 0;
    while (mono_us() - t0 < 1000000) {
        recv_msg(fd, buf, sizeof(buf));
        char want[128];
        const char *sym = count % 2 == 0 ? "NASDAQ:AAPL" : "NYSE:IBM";
        snprintf(want, sizeof(want),
                 "{\"type\":\"quote\",\"stream\":\"quotes.%s\",\"symbol\":\"%s\","
                 "\"seq\":%d,\"bid\":",
                 sym, sym, count + 1);
        assert_true(strncmp(buf, want, strlen(want)) == 0);
        long long age = (long long)wall_us() - field_ll(buf, "ts_us");
        assert_true(age >= 0 && age < 100000);
        count++;
    }
    /* 50 per second, measured over one second */
    assert_true(count >= 45 && count <= 55);

    ws_send(fd, "{\"op\":\"dance\"}");
    int found = 0;
    for (int i = 0; i < 10 && !found; i++) {
        recv_msg(fd, buf, sizeof(buf));
        found = strcmp(buf, "{\"type\":\"error\",\"reason\":\"unknown op\"}") == 0;
    }
    assert_true(found);
    ws_send(fd,
            "{\"op\":\"unsubscribe\",\"streams\":[\"quotes.NASDAQ:AAPL\",\"quotes.NYSE:IBM\"]}");
    found = 0;
    for (int i = 0; i < 10 && !found; i++) {
        recv_msg(fd, buf, sizeof(buf));
        found = strcmp(buf, "{\"op\":\"unsubscribed\",\"streams\":[\"quotes.NASDAQ:AAPL\","
                            "\"quotes.NYSE:IBM\"]}") == 0;
    }
    assert_true(found);
    assert_true(quiet_for(fd, 150)); /* no more quotes */
    close(fd);
    serve_stop(srv);
}

/* ---- collaboration ---------------------------------------------------- */

#define JOIN(doc)                                                                                  \
    "{\"action\":\"join_document\",\"documentId\":\"" doc                                          \
    "\",\"presence\":{\"cursorColor\":\"blue\"}}"
#define APPLY(doc, text, ts)                                                                       \
    "{\"action\":\"apply_operation\",\"documentId\":\"" doc "\",\"operation\":{\"type\":"          \
    "\"insert_text\",\"position\":3,\"text\":\"" text "\"},\"clientTimestamp\":" ts "}"

static void test_collaboration(void **state)
{
    fixture_t *f = *state;
    char buf[65536];
    expect_status(f->port, "/ws/collaboration", 401);
    int a = ws_open_at(f->port, "/ws/collaboration?session=collab-session-1", "");
    int b = ws_open_at(f->port, "/ws/collaboration?session=collab-session-2", "");
    ws_send(a, APPLY("doc_1", "x", "1"));
    expect_msg(a, "{\"type\":\"error\",\"reason\":\"join the document first\"}");
    ws_send(a, JOIN("doc_1"));
    expect_msg(a, "{\"type\":\"document_joined\",\"documentId\":\"doc_1\",\"sequence\":0,"
                  "\"participants\":1}");
    ws_send(b, JOIN("doc_1"));
    expect_msg(b, "{\"type\":\"document_joined\",\"documentId\":\"doc_1\",\"sequence\":0,"
                  "\"participants\":2}");

    ws_send(a, APPLY("doc_1", "hello ", "1732800000001"));
    expect_msg(a, "{\"type\":\"operation_applied\",\"documentId\":\"doc_1\",\"sequence\":1,"
                  "\"clientTimestamp\":1732800000001}");
    recv_msg(b, buf, sizeof(buf));
    const char *want = "{\"type\":\"operation\",\"documentId\":\"doc_1\",\"sequence\":1,"
                       "\"operation\":{\"type\":\"insert_text\",\"position\":3,\"text\":\"hello "
                       "\"},\"ts\":";
    assert_true(strncmp(buf, want, strlen(want)) == 0);
    assert_true(quiet_for(a, 100)); /* the sender gets no copy */

    /* b drops; a edits twice more; b comes back and resumes from 1 */
    close(b);
    ws_send(a, APPLY("doc_1", "w", "2"));
    recv_msg(a, buf, sizeof(buf));
    assert_contains(buf, "\"sequence\":2");
    ws_send(a, APPLY("doc_1", "z", "3"));
    recv_msg(a, buf, sizeof(buf));
    assert_contains(buf, "\"sequence\":3");
    b = ws_open_at(f->port, "/ws/collaboration?session=collab-session-2", "");
    ws_send(b, "{\"action\":\"resume_session\",\"documentId\":\"doc_1\",\"lastSequence\":1}");
    recv_msg(b, buf, sizeof(buf));
    want = "{\"type\":\"session_resumed\",\"documentId\":\"doc_1\",\"sequence\":3,"
           "\"lastSequence\":1,\"missed\":[{\"type\":\"operation\",\"documentId\":\"doc_1\","
           "\"sequence\":2,\"operation\":{\"type\":\"insert_text\",\"position\":3,\"text\":\"w\"}";
    assert_true(strncmp(buf, want, strlen(want)) == 0);
    assert_contains(buf, "\"sequence\":3,\"operation\":{\"type\":\"insert_text\","
                         "\"position\":3,\"text\":\"z\"}");
    assert_not_contains(buf, "\"text\":\"hello \"");
    assert_contains(buf, "}],\"complete\":true}");
    /* the guide's lastSequence is often ahead of the server */
    ws_send(b, "{\"action\":\"resume_session\",\"documentId\":\"doc_1\",\"lastSequence\":4321}");
    expect_msg(b, "{\"type\":\"session_resumed\",\"documentId\":\"doc_1\",\"sequence\":3,"
                  "\"lastSequence\":4321,\"missed\":[],\"complete\":true}");
    /* resumed b is a participant again */
    ws_send(a, APPLY("doc_1", "q", "4"));
    recv_msg(b, buf, sizeof(buf));
    want = "{\"type\":\"operation\",\"documentId\":\"doc_1\",\"sequence\":4,";
    assert_true(strncmp(buf, want, strlen(want)) == 0);
    ws_send(b, "{\"action\":\"apply_operation\",\"documentId\":\"doc_1\"}");
    expect_msg(b, "{\"type\":\"error\",\"reason\":\"missing operation\"}");
    ws_send(b, "{\"action\":\"join_document\"}");
    expect_msg(b, "{\"type\":\"error\",\"reason\":\"missing documentId\"}");
    close(a);
    close(b);
}

static void test_collaboration_history_is_bounded(void **state)
{
    fixture_t *f = *state;
    char buf[65536];
    int a = ws_open_at(f->port, "/ws/collaboration?session=s", "");
    ws_send(a, JOIN("doc_h"));
    recv_msg(a, buf, sizeof(buf));
    for (int i = 0; i < 70; i++) {
        ws_send(a, APPLY("doc_h", "x", "0"));
        recv_msg(a, buf, sizeof(buf));
    }
    ws_send(a, "{\"action\":\"resume_session\",\"documentId\":\"doc_h\",\"lastSequence\":0}");
    recv_msg(a, buf, sizeof(buf));
    assert_contains(buf, "],\"complete\":false}");
    /* 64 kept: 7..70 */
    assert_contains(buf, "\"missed\":[{\"type\":\"operation\",\"documentId\":\"doc_h\","
                         "\"sequence\":7,");
    assert_not_contains(buf, "\"sequence\":6,");
    int n = 0;
    for (const char *p = buf; (p = strstr(p, "{\"type\":\"operation\"")); p++)
        n++;
    assert_int_equal(n, 64);
    close(a);
}

/* ---- knobs ------------------------------------------------------------ */

static void test_broadcasts_before_ack(void **state)
{
    serve_opts_t o = { .broadcasts_before_ack = 3 };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    char buf[4096];
    int a = ws_open(port);
    ws_send(a, "{\"action\":\"publish\",\"channel\":\"r\",\"message\":{\"id\":\"m1\"}}");
    for (int k = 1; k <= 3; k++) {
        char want[160];
        snprintf(want, sizeof(want),
                 "{\"type\":\"message\",\"channel\":\"noise\",\"message\":{\"id\":\"noise-%d\","
                 "\"text\":\"unrelated\"}}",
                 k);
        expect_msg(a, want);
    }
    expect_msg(a, "{\"type\":\"message_ack\",\"id\":\"m1\",\"channel\":\"r\"}");
    close(a);

    char tok[64], hdr[256];
    login(port, tok, sizeof(tok));
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
    int n = ws_open_at(port, "/ws/notifications", hdr);
    ws_send(n, "{\"type\":\"ping\",\"ts\":7}");
    for (int k = 1; k <= 3; k++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "{\"type\":\"notification\",\"topic\":\"noise\",\"id\":\"noise-%d\",\"ts\":", k);
        recv_msg(n, buf, sizeof(buf));
        assert_true(strncmp(buf, want, strlen(want)) == 0);
    }
    recv_msg(n, buf, sizeof(buf));
    assert_true(strncmp(buf, "{\"type\":\"pong\",\"ts\":7,", 22) == 0);
    close(n);

    int c = ws_open_at(port, "/ws/collaboration?session=x", "");
    ws_send(c, JOIN("d"));
    for (int k = 1; k <= 3; k++)
        expect_msg(c, "{\"type\":\"operation\",\"documentId\":\"noise\",\"sequence\":0,"
                      "\"operation\":{}}");
    recv_msg(c, buf, sizeof(buf));
    assert_true(strncmp(buf, "{\"type\":\"document_joined\"", 25) == 0);
    close(c);
    serve_stop(srv);
}

static void test_ack_delay_distribution(void **state)
{
    serve_opts_t o = { .ack_delay_dist = { PAUSE_UNIFORM, 100000, 150000 } };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    int a = ws_open(port);
    for (int i = 0; i < 3; i++) {
        uint64_t t0 = mono_us();
        ws_send(a, "{\"action\":\"ping\"}");
        expect_msg(a, "{\"type\":\"pong\"}");
        uint64_t waited = mono_us() - t0;
        assert_true(waited >= 98000 && waited < 400000);
    }
    close(a);
    serve_stop(srv);
}

/* Returns the close code of the next frame (0 = EOF without a close frame). */
static int close_code(int fd)
{
    char buf[256];
    int op = 0;
    for (int i = 0; i < 4; i++) {
        int n = ws_recv_op(fd, buf, sizeof(buf), &op);
        if (n < 0)
            return 0;
        if (op == 8)
            return n >= 2 ? ((unsigned char)buf[0] << 8) | (unsigned char)buf[1] : -1;
    }
    return -1;
}

static void test_drop_fraction(void **state)
{
    serve_opts_t o = { .drop_after_us = 200000, .drop_fraction = 0.5 };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    enum { N = 40 };
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = ws_open(port);
    usleep(400000);
    int dropped = 0;
    for (int i = 0; i < N; i++) {
        ws_send(fds[i], "{\"action\":\"ping\"}");
        char buf[256];
        int op = 0;
        int n = ws_recv_op(fds[i], buf, sizeof(buf), &op);
        if (n >= 2 && op == 8) {
            assert_int_equal(((unsigned char)buf[0] << 8) | (unsigned char)buf[1], 1001);
            assert_string_equal(buf + 2, "going away");
            dropped++;
        } else {
            assert_int_equal(op, 1);
            assert_string_equal(buf, "{\"type\":\"pong\"}");
        }
        close(fds[i]);
    }
    /* binomial(40, 0.5): mean 20, sd 3.2 */
    assert_true(dropped >= 8 && dropped <= 32);
    serve_stop(srv);

    serve_opts_t all = { .drop_after_us = 100000, .drop_fraction = 1, .drop_abrupt = true };
    srv = start_opts(&all, &port);
    int a = ws_open(port);
    uint64_t t0 = mono_us();
    assert_int_equal(close_code(a), 0); /* cut: EOF, no close frame (1006) */
    uint64_t took = mono_us() - t0;
    assert_true(took >= 90000 && took < 1000000);
    close(a);
    serve_stop(srv);
}

/* Listening sockets on port in /proc/net/tcp (state 0A). */
static int listeners_on(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned lport, st;
        if (sscanf(line, " %*d: %*8X:%X %*8X:%*X %X", &lport, &st) == 2 && (int)lport == port &&
            st == 0x0A)
            n++;
    }
    fclose(f);
    return n;
}

static void test_threads_share_the_port(void **state)
{
    serve_opts_t o = { .threads = 4 };
    int port = 0;
    server_t *srv = start_opts(&o, &port);
    assert_true(port > 0);
    assert_int_equal(listeners_on(port), 4);
    enum { N = 24 };
    int fds[N];
    char buf[4096];
    for (int i = 0; i < N; i++) {
        fds[i] = ws_open(port);
        ws_send(fds[i], "{\"action\":\"subscribe\",\"channel\":\"all\"}");
        expect_msg(fds[i], "{\"type\":\"subscription_confirmed\",\"channel\":\"all\"}");
    }
    ws_send(fds[0], "{\"action\":\"publish\",\"channel\":\"all\",\"message\":{\"id\":1}}");
    expect_msg(fds[0], "{\"type\":\"message_ack\",\"id\":1,\"channel\":\"all\"}");
    for (int i = 1; i < N; i++)
        expect_msg(fds[i], "{\"type\":\"message\",\"channel\":\"all\",\"message\":{\"id\":1}}");
    for (int i = 0; i < N; i++)
        close(fds[i]);

    /* documents too: one order of sequence numbers across threads */
    for (int i = 0; i < 8; i++) {
        fds[i] = ws_open_at(port, "/ws/collaboration?session=t", "");
        ws_send(fds[i], JOIN("shared"));
        recv_msg(fds[i], buf, sizeof(buf));
        assert_int_equal(field_ll(buf, "participants"), i + 1);
    }
    ws_send(fds[3], APPLY("shared", "t", "1"));
    ws_send(fds[5], APPLY("shared", "u", "2"));
    for (int i = 0; i < 8; i++) {
        recv_msg(fds[i], buf, sizeof(buf));
        long long seq1 = field_ll(buf, "sequence");
        recv_msg(fds[i], buf, sizeof(buf));
        long long seq2 = field_ll(buf, "sequence");
        if (i == 3 || i == 5) /* its own ack and the other's operation, either order */
            assert_true(seq1 + seq2 == 3);
        else /* everyone else sees one order */
            assert_true(seq1 == 1 && seq2 == 2);
    }
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    serve_stop(srv);
    assert_int_equal(listeners_on(port), 0); /* every shared socket was closed */
}

static void test_large_message_with_small_rx_buffer(void **state)
{
    fixture_t *f = *state;
    int a = ws_open(f->port);
    static char msg[3000], want[3100];
    char text[2900];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    snprintf(msg, sizeof(msg),
             "{\"action\":\"publish\",\"channel\":\"r\",\"message\":{\"id\":\"big\",\"t\":\"%s\"}}",
             text);
    snprintf(want, sizeof(want), "{\"type\":\"message_ack\",\"id\":\"big\",\"channel\":\"r\"}");
    ws_send(a, msg);
    expect_msg(a, want);
    close(a);
}

static void test_tls_handshake_with_generated_cert(void **state)
{
    char path[] = "/tmp/test-serve-cert-XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);
    serve_opts_t o = { .tls = true, .tls_cert_out = path };
    int port = 0;
    server_t *srv = start_opts(&o, &port);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, path, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = tcp_connect(port);
    SSL *ssl = SSL_new(ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
    SSL_set_fd(ssl, fd);
    assert_int_equal(SSL_connect(ssl), 1);
    assert_int_equal(SSL_get_verify_result(ssl), X509_V_OK);
    const char *req = "GET /ws/chat?token=t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
    char buf[512];
    int n = SSL_read(ssl, buf, sizeof(buf) - 1);
    assert_true(n > 12);
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 101", 12) == 0);
    SSL_free(ssl);
    close(fd);

    /* the same certificate does not verify for another name */
    fd = tcp_connect(port);
    ssl = SSL_new(ctx);
    SSL_set1_host(ssl, "example.com");
    SSL_set_fd(ssl, fd);
    assert_int_not_equal(SSL_connect(ssl), 1);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    serve_stop(srv);

    /* with several threads the accepted sockets are adopted: TLS still works */
    serve_opts_t o2 = { .tls = true, .tls_cert_out = path, .threads = 2 };
    srv = start_opts(&o2, &port);
    ctx = SSL_CTX_new(TLS_client_method());
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, path, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    for (int i = 0; i < 8; i++) { /* both threads get some, but for 1 in 128 */
        fd = tcp_connect(port);
        ssl = SSL_new(ctx);
        SSL_set1_host(ssl, "localhost");
        SSL_set_fd(ssl, fd);
        assert_int_equal(SSL_connect(ssl), 1);
        assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
        n = SSL_read(ssl, buf, sizeof(buf) - 1);
        assert_true(n > 12 && strncmp(buf, "HTTP/1.1 101", 12) == 0);
        SSL_free(ssl);
        close(fd);
    }
    serve_stop(srv);
    SSL_CTX_free(ctx);
    unlink(path);
}

/* ---- options ---------------------------------------------------------- */

static int parse(serve_opts_t *o, char *err, size_t errlen, const char *line)
{
    char copy[512], *argv[32];
    int argc = 0;
    snprintf(copy, sizeof(copy), "%s", line);
    for (char *t = strtok(copy, " "); t && argc < 32; t = strtok(NULL, " "))
        argv[argc++] = t;
    int rc = serve_parse_args(argc, argv, o, err, errlen);
    return rc;
}

static void test_parse_args(void **state)
{
    serve_opts_t o;
    char err[256] = "";
    assert_int_equal(serve_parse_args(0, NULL, &o, err, sizeof(err)), 0);
    assert_string_equal(o.host, "127.0.0.1");
    assert_int_equal(o.port, 8080);
    assert_int_equal(o.threads, 0);
    assert_int_equal(o.quote_rate, 0);

    assert_int_equal(
        parse(&o, err, sizeof(err),
              "--host ::1 --port 0 --ack-delay 250ms --push-interval 200ms "
              "--quote-rate 100 --drop-after 2s --drop-fraction 0.25 --drop-abrupt "
              "--refuse-auth --broadcasts-before-ack 2 --tls --tls-cert-out /tmp/c.pem "
              "--tls-client-ca /tmp/ca.pem --threads 3"),
        0);
    assert_int_equal(o.port, 0);
    assert_int_equal(o.ack_delay_us, 250000);
    assert_int_equal(o.ack_delay_dist.kind, PAUSE_NONE);
    assert_int_equal(o.push_interval_us, 200000);
    assert_int_equal(o.quote_rate, 100);
    assert_int_equal(o.drop_after_us, 2000000);
    assert_true(o.drop_fraction == 0.25);
    assert_true(o.drop_abrupt && o.refuse_auth && o.tls);
    assert_int_equal(o.broadcasts_before_ack, 2);
    assert_int_equal(o.threads, 3);
    assert_string_equal(o.tls_cert_out, "/tmp/c.pem");
    assert_string_equal(o.tls_client_ca, "/tmp/ca.pem");

    assert_int_equal(parse(&o, err, sizeof(err), "--stall-after 2s --stall-for 1500ms"), 0);
    assert_int_equal(o.stall_after_us, 2000000);
    assert_int_equal(o.stall_for_us, 1500000);

    assert_int_equal(parse(&o, err, sizeof(err), "--push-delay 20ms --fanout-delay 1500us"), 0);
    assert_int_equal(o.push_delay_us, 20000);
    assert_int_equal(o.fanout_delay_us, 1500);

    assert_int_equal(parse(&o, err, sizeof(err), "--ack-delay exponential(20ms)"), 0);
    assert_int_equal(o.ack_delay_dist.kind, PAUSE_EXPONENTIAL);
    assert_int_equal(o.ack_delay_dist.a_us, 20000);

    static const struct {
        const char *line, *word;
    } bad[] = {
        { "--port 70000", "0 to 65535" },
        { "--port", "port number" },
        { "--quote-rate 0", "quotes per second" },
        { "--drop-fraction 1.5", "fraction from 0 to 1" },
        { "--threads 0", "1 to 256" },
        { "--ack-delay 5", "--ack-delay \"5\"" },
        { "--ack-delay between(3s,1s)", "--ack-delay \"between(3s,1s)\"" },
        { "--push-interval soon", "--push-interval" },
        { "--tls-cert-out /tmp/x", "--tls-cert-out needs --tls" },
        { "--tls-client-ca /tmp/x", "--tls-client-ca needs --tls" },
        { "--tls --tls-client-ca", "--tls-client-ca needs a file name" },
        { "--stall-after 1s", "--stall-after needs --stall-for" },
        { "--stall-for later", "--stall-for \"later\"" },
        { "--push-delay", "--push-delay needs a duration" },
        { "--fanout-delay 3", "--fanout-delay \"3\"" },
        { "--frobnicate", "unknown serve option \"--frobnicate\"" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(parse(&o, err, sizeof(err), bad[i].line), -1);
        if (!strstr(err, bad[i].word))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].line, err, bad[i].word);
        assert_null(strchr(err, '\n'));
    }
    const char *u = serve_usage();
    static const char *const opts[] = {
        "--ack-delay",     "--push-interval", "--push-delay",
        "--fanout-delay",  "--quote-rate",    "--drop-after",
        "--drop-fraction", "--refuse-auth",   "--broadcasts-before-ack",
        "--tls-cert-out",  "--tls-client-ca", "--threads",
        "--stall-after",   "--stall-for"
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        assert_contains(u, opts[i]);
}

/* --reuse-port: a second server (another process in real use) may bind
 * the same port; without the flag, binding it is refused. */
static void test_reuse_port_across_servers(void **state)
{
    char err[256];
    int p1 = 0, p2 = 0, p3 = 0;
    serve_opts_t o = { .host = "127.0.0.1", .port = 0, .reuse_port = true };
    server_t *a = serve_start(&o, &p1, err, sizeof(err));
    assert_non_null(a);
    o.port = p1;
    server_t *b = serve_start(&o, &p2, err, sizeof(err));
    assert_non_null(b);
    assert_int_equal(p2, p1);
    o.reuse_port = false;
    assert_null(serve_start(&o, &p3, err, sizeof(err)));
    serve_stop(b);
    serve_stop(a);
}

/* ---- serve_timer: the per-worker timers (the heap: test_heap.c) ---- */

static void stimer_nop(stimer_t *t)
{
    (void)t;
}

static void stimer_other(stimer_t *t)
{
    (void)t;
}

/* The due test_stimer_orders_moves_and_cancels gives t[i] first. */
static uint64_t stimer_first_due(size_t i)
{
    return 1000 + (i * 37) % 100;
}

static void test_stimer_orders_moves_and_cancels(void **state)
{
    (void)state;
    stimer_heap_t h = { 0 };
    stimer_t t[100];
    memset(t, 0, sizeof(t));
    /* 100 timers (the heap grows past its first 64), due in a shuffled order */
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(stimer_set(&h, &t[i], stimer_nop, stimer_first_due(i)), 0);
    stimer_cancel(&h, &t[5]);
    stimer_cancel(&h, &t[5]); /* twice: no effect */
    assert_false(stimer_pending(&t[5]));
    assert_int_equal(stimer_set(&h, &t[7], stimer_other, 10), 0); /* moved first */
    assert_true(stimer_pending(&t[7]));
    uint64_t due = 0;
    assert_true(stimer_next(&h, &due));
    assert_int_equal(due, 10);
    assert_null(stimer_pop_due(&h, 9));
    stimer_t *first = stimer_pop_due(&h, 10);
    assert_ptr_equal(first, &t[7]);
    assert_true(first->cb == stimer_other);
    assert_false(stimer_pending(first));
    size_t n = 0;
    uint64_t last = 0;
    for (stimer_t *p; (p = stimer_pop_due(&h, 2000)); n++) {
        assert_true(p >= t && p < t + 100);
        assert_true(stimer_first_due((size_t)(p - t)) >= last);
        assert_true(p->cb == stimer_nop);
        assert_false(stimer_pending(p));
        last = stimer_first_due((size_t)(p - t));
    }
    assert_int_equal(n, 98);
    assert_false(stimer_next(&h, &due));
    stimer_heap_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_port_zero_gives_a_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_needs_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_publish_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments_are_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_delay, setup_delay, teardown),
        cmocka_unit_test(test_stop_with_open_connections),
        cmocka_unit_test_setup_teardown(test_port_in_use_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_message_with_small_rx_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_issues_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications_need_a_token, setup, teardown),
        cmocka_unit_test(test_notifications_protocol),
        cmocka_unit_test(test_refuse_auth),
        cmocka_unit_test(test_quotes_snapshot_and_rate),
        cmocka_unit_test_setup_teardown(test_collaboration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collaboration_history_is_bounded, setup, teardown),
        cmocka_unit_test(test_broadcasts_before_ack),
        cmocka_unit_test(test_ack_delay_distribution),
        cmocka_unit_test(test_drop_fraction),
        cmocka_unit_test(test_threads_share_the_port),
        cmocka_unit_test(test_reuse_port_across_servers),
        cmocka_unit_test(test_tls_handshake_with_generated_cert),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_stimer_orders_moves_and_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
