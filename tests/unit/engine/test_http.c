/* Tests for http.c: URL splitting, and real requests against the embedded
 * server's login endpoint over loopback (status, body, cookie, errors). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "engine/http.h"
#include "serve/serve.h"

static void assert_url(const char *url, int tls, const char *host, int port, const char *path)
{
    char h[256], err[128];
    int t, p;
    const char *pa;
    assert_int_equal(http_url_parse(url, &t, h, sizeof(h), &p, &pa, err, sizeof(err)), 0);
    assert_int_equal(t, tls);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
    assert_string_equal(pa, path);
}

static void assert_bad_url(const char *url, const char *words)
{
    char h[256], err[128] = "";
    int t, p;
    const char *pa;
    assert_int_equal(http_url_parse(url, &t, h, sizeof(h), &p, &pa, err, sizeof(err)), -1);
    if (!strstr(err, words))
        fail_msg("%s: \"%s\" lacks \"%s\"", url, err, words);
}

static void test_url_parse(void **state)
{
    (void)state;
    assert_url("http://127.0.0.1:8080/api/auth/login?x=1", 0, "127.0.0.1", 8080,
               "/api/auth/login?x=1");
    assert_url("https://example.com", 1, "example.com", 443, "/");
    assert_url("http://example.com?q", 0, "example.com", 80, "/");
    assert_url("http://[::1]:81/p", 0, "::1", 81, "/p");
    assert_bad_url("ws://h/", "http:// or https://");
    assert_bad_url("http:///p", "no host");
    assert_bad_url("http://h:0/", "bad port");
    assert_bad_url("http://h:99999/", "bad port");
    assert_bad_url("http://h:8x/", "bad port");
    assert_bad_url("http://[::1/", "unclosed [");
}

/* ---- requests against wsgate serve ---- */

typedef struct fixture {
    server_t *srv;
    int port;
    struct lws_context *ctx;
    http_call_t *call;
    int done;
} fixture_t;

static int client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    return user ? http_lws_callback(wsi, reason, user, in, len) : 0;
}

static const struct lws_protocols protocols[] = {
    { "wsgate", client_cb, 0, 512, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void on_done(void *owner, http_call_t *call)
{
    fixture_t *f = owner;
    assert_ptr_equal(call, f->call);
    f->done++;
}

static int setup(void **state, bool refuse)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char err[256];
    serve_opts_t o = { .host = "127.0.0.1", .port = 0, .refuse_auth = refuse };
    f->srv = serve_start(&o, &f->port, err, sizeof(err));
    if (!f->srv)
        fail_msg("serve_start: %s", err);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    lws_set_log_level(0, NULL);
    f->ctx = lws_create_context(&info);
    f->call = http_call_new();
    assert_non_null(f->ctx);
    assert_non_null(f->call);
    *state = f;
    return 0;
}

static int setup_ok(void **state)
{
    return setup(state, false);
}

static int setup_refuse(void **state)
{
    return setup(state, true);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    lws_context_destroy(f->ctx); /* before the call: it may still see callbacks */
    http_call_free(f->call);
    serve_stop(f->srv);
    free(f);
    return 0;
}

/* Runs one request to completion (at most 5 s of service). */
static void run(fixture_t *f, const char *method, const char *path, int port, const char *body)
{
    char url[128], err[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port ? port : f->port, path);
    http_req_t req = {
        .method = method,
        .url = url,
        .headers = "X-Test: 1\nAccept: application/json",
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = body ? "application/json" : NULL,
    };
    f->done = 0;
    assert_int_equal(http_call_start(f->call, f->ctx, &req, on_done, f, err, sizeof(err)), 0);
    time_t until = time(NULL) + 5;
    while (!f->done && time(NULL) < until)
        lws_service(f->ctx, 0);
    assert_int_equal(f->done, 1);
}

static void test_login_ok(void **state)
{
    fixture_t *f = *state;
    run(f, "POST", "/api/auth/login", 0, "{\"username\":\"u1\",\"password\":\"p\"}");
    err_kind_t kind;
    const char *why;
    assert_int_equal(http_call_error(f->call, &kind, &why), 0);
    assert_int_equal(http_call_status(f->call), 200);
    size_t len;
    const char *body = http_call_body(f->call, &len);
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
    assert_true(cJSON_IsString(tok));
    assert_true(strncmp(tok->valuestring, "wsg-", 4) == 0);
    char *cookie = http_call_cookie(f->call, "session");
    assert_non_null(cookie);
    assert_string_equal(cookie, tok->valuestring); /* the same token as the cookie */
    assert_null(http_call_cookie(f->call, "sess"));
    assert_null(http_call_cookie(f->call, "Path"));
    free(cookie);
    cJSON_Delete(j);

    /* the call is reused: a bad body gets 400, another path 404 */
    run(f, "POST", "/api/v1/auth/login", 0, "{\"nope\":1}");
    assert_int_equal(http_call_status(f->call), 400);
    assert_null(http_call_cookie(f->call, "session"));
    run(f, "GET", "/nothing", 0, NULL);
    assert_int_equal(http_call_status(f->call), 404);
}

static void test_refused_port(void **state)
{
    fixture_t *f = *state;
    run(f, "GET", "/", 9, NULL);
    err_kind_t kind = ERR_TIMEOUT;
    const char *why = NULL;
    assert_int_equal(http_call_error(f->call, &kind, &why), -1);
    assert_int_equal(kind, ERR_REFUSED);
    assert_string_equal(why, "connection refused");
}

static void test_login_refused(void **state)
{
    fixture_t *f = *state;
    run(f, "POST", "/api/auth/login", 0, "{\"username\":\"u1\",\"password\":\"p\"}");
    err_kind_t kind;
    const char *why;
    assert_int_equal(http_call_error(f->call, &kind, &why), 0);
    assert_int_equal(http_call_status(f->call), 401);
    assert_null(http_call_cookie(f->call, "session"));
}

/* A failed TCP connect: its errno (when lws let it through) or the time
 * waited picks the kind and the sample's text; unreachable is never
 * "connection refused". */
static void test_connect_error_texts(void **state)
{
    (void)state;
    struct {
        int errnum;
        uint64_t waited_us;
        err_kind_t kind;
        const char *text;
    } cases[] = {
        { ENETUNREACH, 0, ERR_REFUSED, "network unreachable" },
        { EHOSTUNREACH, 0, ERR_REFUSED, "host unreachable" },
        { ETIMEDOUT, 0, ERR_TIMEOUT, "connect timed out" },
        { ECONNREFUSED, 0, ERR_REFUSED, "connection refused" },
        { ECONNREFUSED, HTTP_LWS_CONNECT_WAIT_US, ERR_REFUSED, "connection refused" },
        { 0, 1000, ERR_REFUSED, "connection refused" }, /* lws kept the errno */
        { EAGAIN, 1000, ERR_REFUSED, "connection refused" },
        { 0, HTTP_LWS_CONNECT_WAIT_US - 1, ERR_REFUSED, "connection refused" },
        { 0, HTTP_LWS_CONNECT_WAIT_US, ERR_TIMEOUT, "connect timed out" },
        { EHOSTUNREACH, HTTP_LWS_CONNECT_WAIT_US, ERR_REFUSED, "host unreachable" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *text = NULL;
        err_kind_t kind = http_connect_error(cases[i].errnum, cases[i].waited_us, &text);
        if (kind != cases[i].kind || !text || strcmp(text, cases[i].text) != 0)
            fail_msg("case %zu: kind %d \"%s\", want %d \"%s\"", i, (int)kind,
                     text ? text : "(null)", (int)cases[i].kind, cases[i].text);
    }
    assert_true(http_connect_errno(ENETUNREACH) && http_connect_errno(EHOSTUNREACH) &&
                http_connect_errno(ETIMEDOUT) && http_connect_errno(ECONNREFUSED));
    assert_false(http_connect_errno(0) || http_connect_errno(EAGAIN) ||
                 http_connect_errno(EINPROGRESS) || http_connect_errno(ENOMEM));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_connect_error_texts),
        cmocka_unit_test_setup_teardown(test_login_ok, setup_ok, teardown),
        cmocka_unit_test_setup_teardown(test_refused_port, setup_ok, teardown),
        cmocka_unit_test_setup_teardown(test_login_refused, setup_refuse, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
