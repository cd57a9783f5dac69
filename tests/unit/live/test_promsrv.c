/* Tests for src/live/promsrv.c: --metrics-listen addresses, the loopback
 * rule, and the listener answering GET /metrics with the latest text (404
 * and 405 otherwise) over a real socket. */
#include "helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

/* Sends request to 127.0.0.1:port and returns the whole answer (the
 * server closes after it); the caller frees it. */
static char *ask(int port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
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
        cmocka_unit_test(test_parse_addr),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_serves_latest_text),
        cmocka_unit_test(test_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
