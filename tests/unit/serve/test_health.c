/* Tests for src/serve/health.c: the accept-queue counter read from
 * /proc/net/netstat's text and the once-a-second overload verdict. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/internal.h"
#include "helpers.h"

#include <string.h>

/* The shape of a real /proc/net/netstat (trimmed): names, then values. */
static const char netstat[] =
    "TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPHPHits\n"
    "TcpExt: 0 3 1234 1300 98765\n"
    "IpExt: InNoRoutes InTruncatedPkts\n"
    "IpExt: 0 0\n";

static void test_netstat_finds_listen_overflows(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(serve_netstat_overflows(netstat, &v), 0);
    assert_int_equal(v, 1234);
}

static void test_netstat_without_the_counter(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(serve_netstat_overflows("TcpExt: A B\nTcpExt: 1 2\n", &v), -1);
    assert_int_equal(serve_netstat_overflows("IpExt: A\nIpExt: 1\n", &v), -1);
    assert_int_equal(serve_netstat_overflows("TcpExt: ListenOverflows\n", &v), -1);
    assert_int_equal(serve_netstat_overflows("TcpExt: ListenOverflows\nTcpExt: x\n", &v), -1);
    assert_int_equal(serve_netstat_overflows("", &v), -1);
    assert_int_equal(v, 7); /* untouched on failure */
}

/* A server of two workers whose lag windows the test sets by hand. */
static server_t *two_workers(void)
{
    server_t *s = calloc(1, sizeof(*s));
    s->nworkers = 2;
    s->workers = calloc(2, sizeof(worker_t));
    return s;
}

static void free_server(server_t *s)
{
    free(s->workers);
    free(s);
}

static void test_tick_says_when_a_loop_was_late(void **state)
{
    (void)state;
    server_t *s = two_workers();
    serve_health_t h;
    memset(&h, 0, sizeof(h)); /* no accept-queue counter: lag alone */
    char line[320];
    atomic_store(&s->workers[1].lag_window_us, SERVE_OVERLOAD_LAG_US - 1);
    assert_false(serve_health_tick(s, &h, line, sizeof(line)));
    atomic_store(&s->workers[0].lag_window_us, 240000);
    atomic_store(&s->workers[1].lag_window_us, 80000);
    assert_true(serve_health_tick(s, &h, line, sizeof(line)));
    assert_string_equal(line, "wsgate serve: overloaded at t=2 s: event loop up to 240 ms late, 0 "
                              "connections dropped by full accept queues (host-wide)");
    /* the window was taken: a calm next second is not overloaded */
    assert_false(serve_health_tick(s, &h, line, sizeof(line)));
    assert_true(serve_health_summary(&h, line, sizeof(line)));
    assert_contains(line, "overloaded in 1 of 3 s (event loop up to 240 ms late, 0 connections");
    free_server(s);
}

static void test_summary_is_silent_when_never_overloaded(void **state)
{
    (void)state;
    server_t *s = two_workers();
    serve_health_t h;
    memset(&h, 0, sizeof(h));
    char line[320];
    for (int i = 0; i < 3; i++)
        assert_false(serve_health_tick(s, &h, line, sizeof(line)));
    assert_false(serve_health_summary(&h, line, sizeof(line)));
    free_server(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netstat_finds_listen_overflows),
        cmocka_unit_test(test_netstat_without_the_counter),
        cmocka_unit_test(test_tick_says_when_a_loop_was_late),
        cmocka_unit_test(test_summary_is_silent_when_never_overloaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
