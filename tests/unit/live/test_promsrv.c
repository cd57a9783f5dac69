/* Tests for src/live/promsrv.c: --metrics-listen addresses, the loopback
 * rule, and the listener answering GET /metrics with the latest text (404
 * and 405 otherwise) over a real socket. */
#include "helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "live/promsrv.h"

static void test_parse_addr(void **state)
{
    static const struct {
        const char *in, *host;
        int port; /* -1: an error */
    } cases[] = {
        { "127.0.0.1:9464", "127.0.0.1", 9464 },
        { "0.0.0.0:80", "0.0.0.0", 80 },
        { ":0", "127.0.0.1", 0 },
        { "9464", "127.0.0.1", 9464 },
        { "[::1]:9464", "::1", 9464 },
        { "localhost:1", "localhost", 1 },
        { "::1:9464", NULL, -1 },
        { "[::1]9464", NULL, -1 },
        { "127.0.0.1:", NULL, -1 },
        { "127.0.0.1:65536", NULL, -1 },
        { "127.0.0.1:-1", NULL, -1 },
        { "127.0.0.1:80x", NULL, -1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char host[64] = "", err[256] = "";
        int port = -2;
        int rc = promsrv_parse_addr(cases[i].in, host, sizeof host, &port, err, sizeof err);
        if (cases[i].port < 0) {
            assert_int_equal(rc, -1);
            assert_contains(err, cases[i].in);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(host, cases[i].host);
        assert_int_equal(port, cases[i].port);
    }
}

static void test_loopback(void **state)
{
    assert_true(promsrv_is_loopback("127.0.0.1"));
    assert_true(promsrv_is_loopback("127.3.2.1"));
    assert_true(promsrv_is_loopback("::1"));
    assert_true(promsrv_is_loopback("localhost"));
    assert_false(promsrv_is_loopback("0.0.0.0"));
    assert_false(promsrv_is_loopback("128.0.0.1"));
    assert_false(promsrv_is_loopback("::"));
    assert_false(promsrv_is_loopback("10.0.0.1"));
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = { .tv_sec = 5 }; /* a server that never answers fails the test */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads one answer from fd: its head, then Content-Length bytes. The
 * caller frees it. */
static char *read_answer(int fd)
{
    static char buf[8192];
    size_t len = 0, want = SIZE_MAX;
    while (len < want && len + 1 < sizeof buf) {
        ssize_t n = recv(fd, buf + len, 1, 0);
        assert_true(n == 1);
        len++;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (end && want == SIZE_MAX && cl)
            want = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
        if (end && strncmp(buf, "HTTP/1.1 200", 12) != 0 && want == SIZE_MAX)
            break;
    }
    return xstrdup(buf);
}

/* True when the server has closed fd (it reads EOF). */
static bool closed_by_server(int fd)
{
    char c;
    return recv(fd, &c, 1, 0) == 0;
}

/* Sends request to 127.0.0.1:port, says it sends no more, and returns the
 * whole answer (the server closes after it); the caller frees it. */
static char *ask(int port, const char *request)
{
    int fd = dial(port);
    assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
    shutdown(fd, SHUT_WR);
    static char buf[8192];
    size_t len = 0;
    ssize_t n;
    while ((n = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return xstrdup(buf);
}

static void test_serves_latest_text(void **state)
{
    char err[256];
    int port = 0;
    promsrv_t *s = promsrv_start("127.0.0.1", &port, err, sizeof err);
    assert_non_null(s);
    assert_true(port > 0);

    char *a = ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_contains(a, "HTTP/1.1 200 OK\r\n");
    assert_contains(a, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
    assert_contains(a, "Content-Length: 0\r\n");
    free(a);

    promsrv_publish(s, xstrdup("first 1\n"), 8);
    promsrv_publish(s, xstrdup("wsgate_up 1\n"), 12); /* replaces the unserved one */
    a = ask(port, "GET /metrics?x=1 HTTP/1.1\r\nAccept: */*\r\n\r\n");
    assert_contains(a, "Content-Length: 12\r\n");
    assert_contains(a, "\r\n\r\nwsgate_up 1\n");
    assert_not_contains(a, "first");
    free(a);
    a = ask(port, "GET /metrics HTTP/1.0\r\n\r\n"); /* served again, same text */
    assert_contains(a, "\r\n\r\nwsgate_up 1\n");
    free(a);

    a = ask(port, "GET /metrics HTTP/1.1\n\n"); /* bare LF: answered, then closed */
    assert_contains(a, "\r\n\r\nwsgate_up 1\n");
    assert_contains(a, "Connection: close\r\n");
    free(a);
    a = ask(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    assert_contains(a, "Content-Length: 12\r\n");
    assert_not_contains(a, "wsgate_up");
    free(a);
    a = ask(port, "GET / HTTP/1.1\r\n\r\n");
    assert_contains(a, "HTTP/1.1 404 ");
    free(a);
    a = ask(port, "GET /metricsx HTTP/1.1\r\n\r\n");
    assert_contains(a, "HTTP/1.1 404 ");
    free(a);
    a = ask(port, "POST /metrics HTTP/1.1\r\n\r\n");
    assert_contains(a, "HTTP/1.1 405 ");
    free(a);
    promsrv_stop(s);
}

/* Prometheus keeps its connection between scrapes: one connection gets
 * many answers, each with the latest text, pipelined ones too; "Connection:
 * close" and HTTP/1.0 end it. */
static void test_keep_alive(void **state)
{
    char err[256];
    int port = 0;
    promsrv_t *s = promsrv_start("127.0.0.1", &port, err, sizeof err);
    assert_non_null(s);
    promsrv_publish(s, xstrdup("a 1\n"), 4);
    int fd = dial(port);
    static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, get, sizeof get - 1, 0), (ssize_t)sizeof get - 1);
    char *a = read_answer(fd);
    assert_contains(a, "Connection: keep-alive\r\n");
    assert_contains(a, "\r\n\r\na 1\n");
    free(a);
    promsrv_publish(s, xstrdup("a 22\n"), 5);
    char two[sizeof get * 2];
    snprintf(two, sizeof two, "%s%s", get, get); /* pipelined */
    assert_int_equal(send(fd, two, strlen(two), 0), (ssize_t)strlen(two));
    for (int i = 0; i < 2; i++) {
        a = read_answer(fd);
        assert_contains(a, "\r\n\r\na 22\n");
        free(a);
    }
    static const char bye[] = "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, bye, sizeof bye - 1, 0), (ssize_t)sizeof bye - 1);
    a = read_answer(fd);
    assert_contains(a, "Connection: close\r\n");
    free(a);
    assert_true(closed_by_server(fd));
    close(fd);

    fd = dial(port);
    static const char old[] = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(send(fd, old, sizeof old - 1, 0), (ssize_t)sizeof old - 1);
    free(read_answer(fd));
    assert_true(closed_by_server(fd));
    close(fd);
    promsrv_stop(s);
}

/* More connections than slots: the newest are served, the oldest idle
 * one is closed to make room. */
static void test_connection_slots(void **state)
{
    char err[256];
    int port = 0;
    promsrv_t *s = promsrv_start("127.0.0.1", &port, err, sizeof err);
    assert_non_null(s);
    int fds[PROMSRV_CONNS + 1];
    static const char get[] = "GET /metrics HTTP/1.1\r\n\r\n";
    for (int i = 0; i < PROMSRV_CONNS + 1; i++) {
        fds[i] = dial(port);
        assert_int_equal(send(fds[i], get, sizeof get - 1, 0), (ssize_t)sizeof get - 1);
        char *a = read_answer(fds[i]);
        assert_contains(a, "HTTP/1.1 200 OK\r\n");
        free(a);
    }
    assert_true(closed_by_server(fds[0]));
    for (int i = 0; i < PROMSRV_CONNS + 1; i++)
        close(fds[i]);
    promsrv_stop(s);
}

static void test_port_in_use(void **state)
{
    char err[256];
    int port = 0;
    promsrv_t *s = promsrv_start("127.0.0.1", &port, err, sizeof err);
    assert_non_null(s);
    int again = port;
    assert_null(promsrv_start("127.0.0.1", &again, err, sizeof err));
    assert_contains(err, "cannot listen on 127.0.0.1 port");
    assert_contains(err, "Address already in use");
    promsrv_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_addr),         cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_serves_latest_text), cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_connection_slots),   cmocka_unit_test(test_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
