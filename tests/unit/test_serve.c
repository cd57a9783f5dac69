/* Tests for serve: a raw-socket WebSocket client against a real server on
 * 127.0.0.1 (port 0), so they need no other wsgate module. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve.h"

#include <arpa/inet.h>
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

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

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

/* Sends an upgrade request for target; returns the HTTP status received. */
static int handshake(int fd, const char *target)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                     target);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    char buf[2048];
    size_t len = 0;
    /* byte by byte so no frame bytes are consumed after the headers */
    while (len < sizeof(buf) - 1 && read(fd, buf + len, 1) == 1) {
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

static int ws_open(int port)
{
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(handshake(fd, "/ws/chat?token=demo-jwt-token-1"), 101);
    return fd;
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

/* Reads one unfragmented server text frame into buf; returns its length,
 * or -1 on timeout, close or a frame that is not text. */
static int ws_recv(int fd, char *buf, size_t cap)
{
    unsigned char h[2];
    if (read_full(fd, h, 2) < 0 || (h[0] & 0x0f) != 1)
        return -1;
    size_t len = h[1] & 0x7f;
    if (len == 126) {
        unsigned char e[2];
        if (read_full(fd, e, 2) < 0)
            return -1;
        len = ((size_t)e[0] << 8) | e[1];
    }
    if (len >= cap || read_full(fd, buf, len) < 0)
        return -1;
    buf[len] = '\0';
    return (int)len;
}

static void expect_msg(int fd, const char *want)
{
    char buf[4096];
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
    uint64_t t0 = now_us();
    ws_send(a, "{\"action\":\"subscribe\",\"channel\":\"d\"}");
    expect_msg(a, "{\"type\":\"subscription_confirmed\",\"channel\":\"d\"}");
    uint64_t waited = now_us() - t0;
    assert_true(waited >= 195000 && waited < 1000000);

    t0 = now_us();
    ws_send(b, "{\"action\":\"publish\",\"channel\":\"d\",\"message\":{\"id\":\"x\"}}");
    expect_msg(a, "{\"type\":\"message\",\"channel\":\"d\",\"message\":{\"id\":\"x\"}}");
    assert_true(now_us() - t0 < 150000); /* broadcasts are not delayed */
    expect_msg(b, "{\"type\":\"message_ack\",\"id\":\"x\",\"channel\":\"d\"}");
    waited = now_us() - t0;
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
    assert_non_null(strstr(err, "cannot listen"));
    char num[16];
    snprintf(num, sizeof(num), "%d", f->port);
    assert_non_null(strstr(err, num));
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
