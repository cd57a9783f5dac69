/* http: HTTP/1.1 client requests through libwebsockets for the http steps. */
#include "engine/http.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/sbuf.h"
#include "engine/hostcheck.h"

#define HTTP_MAX_COOKIES 4096

/* Owns its strings and buffers; wsi is owned by libwebsockets and points
 * back here (its user data) only while the request is pending. */
struct http_call {
    struct lws *wsi;
    http_done_fn done;
    void *owner;
    bool pending;
    bool failed;
    uint64_t t0;   /* when the connect began */
    bool starting; /* inside lws_client_connect_via_info */
    err_kind_t kind;
    char why[128];
    char method[8];
    char host[256];
    char *path;
    char *headers;
    const char *content_type;
    sbuf_t out; /* LWS_PRE bytes, then the body */
    int status;
    sbuf_t rx;
    char *cookies;            /* Set-Cookie as libwebsockets joined it */
    const hostguard_t *hosts; /* borrowed from the request: checks redirects */
};

http_call_t *http_call_new(void)
{
    return calloc(1, sizeof(http_call_t));
}

static void reset(http_call_t *c)
{
    free(c->path);
    free(c->headers);
    free(c->cookies);
    c->path = c->headers = c->cookies = NULL;
    sbuf_truncate(&c->out, 0);
    sbuf_truncate(&c->rx, 0);
    c->status = 0;
    c->failed = false;
    c->why[0] = '\0';
}

/* What becomes of the wsi once the call lets go of it. */
typedef enum let_go {
    KEEP,       /* lws closes it: a failure it reported, or -1 from its callback */
    KILL_ASYNC, /* closed at lws's next timeout check (inside lws's service) */
    KILL_NOW,   /* closed at once (outside lws's service only) */
} let_go_t;

/* No callback of the wsi reaches this call any more. */
static void detach(http_call_t *c, let_go_t how)
{
    if (c->wsi) {
        lws_set_wsi_user(c->wsi, NULL);
        if (how != KEEP)
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
                            how == KILL_NOW ? LWS_TO_KILL_SYNC : LWS_TO_KILL_ASYNC);
    }
    c->wsi = NULL;
    c->pending = false;
}

void http_call_cancel(http_call_t *c, bool now)
{
    if (c && c->pending)
        detach(c, now ? KILL_NOW : KILL_ASYNC);
}

void http_call_free(http_call_t *c)
{
    if (!c)
        return;
    http_call_cancel(c, false);
    reset(c);
    sbuf_free(&c->out);
    sbuf_free(&c->rx);
    free(c);
}

/* The wsi's own callbacks end a call with KEEP: they return -1 when its
 * connection must go, and lws closes it then, with no timeout armed. */
static void finish(http_call_t *c)
{
    detach(c, KEEP);
    c->done(c->owner, c);
}

static void fail(http_call_t *c, err_kind_t kind, const char *why)
{
    c->failed = true;
    c->kind = kind;
    snprintf(c->why, sizeof(c->why), "%s", why);
    finish(c);
}

int http_url_parse(const char *url, int *tls, char *host, size_t hostlen, int *port,
                   const char **path, char *err, size_t errlen)
{
    const char *p;
    if (strncmp(url, "http://", 7) == 0) {
        *tls = 0;
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        *tls = 1;
        p = url + 8;
    } else {
        snprintf(err, errlen, "URL must start with http:// or https://");
        return -1;
    }
    const char *end = p + strcspn(p, "/?#");
    const char *colon = NULL, *h = p, *he;
    if (*p == '[') {
        h = p + 1;
        he = memchr(p, ']', (size_t)(end - p));
        if (!he) {
            snprintf(err, errlen, "unclosed [ in the URL's host");
            return -1;
        }
        colon = he + 1 < end && he[1] == ':' ? he + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        he = colon ? colon : end;
    }
    if (he == h || (size_t)(he - h) >= hostlen) {
        snprintf(err, errlen, "the URL has no host, or one too long");
        return -1;
    }
    snprintf(host, hostlen, "%.*s", (int)(he - h), h);
    *port = *tls ? 443 : 80;
    if (colon) {
        char *pe;
        long n = strtol(colon + 1, &pe, 10);
        if (pe != end || n < 1 || n > 65535) {
            snprintf(err, errlen, "bad port in the URL");
            return -1;
        }
        *port = (int)n;
    }
    *path = *end == '/' ? end : "/";
    return 0;
}

static int copy_request(http_call_t *c, const http_req_t *req, const char *path)
{
    static const char pre[LWS_PRE];
    snprintf(c->method, sizeof(c->method), "%s", req->method);
    c->path = strdup(path);
    c->headers = strdup(req->headers ? req->headers : "");
    c->content_type = req->content_type;
    if (!c->path || !c->headers || sbuf_append(&c->out, pre, LWS_PRE) < 0)
        return -1;
    return req->body ? sbuf_append(&c->out, req->body, req->body_len) : 0;
}

/* libwebsockets 4.1 resolves the host and connects inside
 * lws_client_connect_via_info and returns NULL without a reason when that
 * fails: errnum, the errno then, names a connect() that failed at once
 * (no route); else ask the resolver again (this path only) so a name that
 * does not resolve counts as dns. */
static void fail_to_start(http_call_t *c, int errnum)
{
    const char *text;
    if (http_connect_errno(errnum)) { /* the connect() itself failed */
        err_kind_t kind = http_connect_error(errnum, 0, &text);
        fail(c, kind, text);
        return;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int gai = getaddrinfo(c->host, NULL, &hints, &ai);
    if (ai)
        freeaddrinfo(ai);
    if (gai == 0) {
        fail(c, ERR_PROTOCOL, "could not start the request");
        return;
    }
    char why[sizeof(c->why)];
    snprintf(why, sizeof(why), "cannot resolve \"%.50s\": %.50s", c->host, gai_strerror(gai));
    fail(c, ERR_DNS, why);
}

int http_call_start(http_call_t *c, struct lws_context *ctx, const http_req_t *req,
                    http_done_fn done, void *owner, char *err, size_t errlen)
{
    int tls, port;
    const char *path;
    http_call_cancel(c, false);
    reset(c);
    if (http_url_parse(req->url, &tls, c->host, sizeof(c->host), &port, &path, err, errlen) < 0)
        return -1;
    if (copy_request(c, req, path) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = ctx;
    ci.address = c->host;
    ci.port = port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.method = c->method;
    ci.ssl_connection = tls ? LCCSCF_USE_SSL | req->tls_flags : 0;
    ci.alpn = "http/1.1";
    ci.local_protocol_name = "wsgate";
    ci.userdata = c;
    ci.pwsi = &c->wsi;
    ci.iface = req->iface;
    c->done = done;
    c->owner = owner;
    c->pending = true;
    c->hosts = req->hosts;
    char addr[HOSTCHECK_ADDR_MAX], why[sizeof(c->why)];
    err_kind_t kind;
    if (hostcheck_dest(req->hosts, c->host, port, NULL, NULL, addr, sizeof(addr), &kind, why,
                       sizeof(why)) < 0) {
        fail(c, kind, why); /* blocked: nothing sent */
        return 0;
    }
    if (addr[0])
        ci.address = addr; /* the address hostcheck_dest checked */
    c->t0 = clock_mono_us();
    c->starting = true;
    errno = 0;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    int errnum = errno; /* a connect() that failed at once: lws returns NULL */
    c->starting = false;
    if (!wsi && c->pending)
        fail_to_start(c, errnum);
    return 0;
}

int http_call_error(const http_call_t *c, err_kind_t *kind, const char **why)
{
    if (!c->failed)
        return 0;
    *kind = c->kind;
    *why = c->why;
    return -1;
}

int http_call_status(const http_call_t *c)
{
    return c->status;
}

const char *http_call_body(const http_call_t *c, size_t *len)
{
    *len = c->rx.len;
    return c->rx.data ? c->rx.data : "";
}

static bool is_cookie_attribute(const char *p, size_t n)
{
    static const char *const attrs[] = { "path",   "domain",   "expires", "max-age",
                                         "secure", "httponly", "samesite" };
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (strlen(attrs[i]) == n && strncasecmp(p, attrs[i], n) == 0)
            return true;
    return false;
}

/* Finds name=value in "a=1; Path=/, b=2; HttpOnly" style text (several
 * Set-Cookie headers joined); attributes such as Path never match. */
char *http_call_cookie(const http_call_t *c, const char *name)
{
    size_t n = strlen(name);
    const char *p = c->cookies;
    while (p && *p) {
        p += strspn(p, " ;,");
        if (strncmp(p, name, n) == 0 && p[n] == '=' && !is_cookie_attribute(p, n)) {
            const char *v = p + n + 1;
            return strndup(v, strcspn(v, ";, "));
        }
        p += strcspn(p, ";,");
    }
    return NULL;
}

/* lws 4.1 reports a failed TCP connect as "Unable to connect" (on loopback
 * a refusal); map its texts to our error kinds. */
err_kind_t http_classify_error(const char *why)
{
    if (!why)
        return ERR_PROTOCOL;
    if (strstr(why, "refused") || strstr(why, "nable to connect") || strstr(why, "conn fail") ||
        strstr(why, "connect fail"))
        return ERR_REFUSED;
    if (strstr(why, "getaddrinfo") || strstr(why, "resolve") || strstr(why, "dns"))
        return ERR_DNS;
    if (strstr(why, "tls") || strstr(why, "ssl") || strstr(why, "SSL") || strstr(why, "cert"))
        return ERR_TLS;
    if (strstr(why, "timeout") || strstr(why, "timed out"))
        return ERR_TIMEOUT;
    if (strstr(why, "reset"))
        return ERR_RESET;
    if (strstr(why, "read failed") || strstr(why, "closed before"))
        return ERR_CLOSED;
    return ERR_PROTOCOL;
}

bool http_connect_errno(int errnum)
{
    return errnum == ENETUNREACH || errnum == EHOSTUNREACH || errnum == ETIMEDOUT ||
           errnum == ECONNREFUSED;
}

err_kind_t http_connect_error(int errnum, uint64_t waited_us, const char **text)
{
    switch (errnum) {
    case ENETUNREACH:
        *text = "network unreachable";
        return ERR_REFUSED;
    case EHOSTUNREACH:
        *text = "host unreachable";
        return ERR_REFUSED;
    case ETIMEDOUT:
        *text = "connect timed out";
        return ERR_TIMEOUT;
    case ECONNREFUSED:
        break;
    default:
        if (waited_us >= HTTP_LWS_CONNECT_WAIT_US) {
            *text = "connect timed out";
            return ERR_TIMEOUT;
        }
    }
    *text = "connection refused";
    return ERR_REFUSED;
}

/* A later failure: lws 4.1 read its errno (SO_ERROR) and kept it. */
static void on_conn_error(http_call_t *c, const char *in)
{
    char why[120];
    const char *text;
    err_kind_t kind = http_classify_error(in);
    if (kind == ERR_REFUSED) {
        kind = http_connect_error(0, clock_mono_us() - c->t0, &text);
        snprintf(why, sizeof(why), "%s", text);
    } else {
        snprintf(why, sizeof(why), "%.100s", in ? in : "connection failed");
    }
    fail(c, kind, why);
}

/* A redirect libwebsockets is about to follow: refused, the call fails as
 * blocked and the connection is dropped before the new request is sent. */
static int on_redirect(http_call_t *c, const char *location)
{
    char why[sizeof(c->why)];
    if (hostcheck_redirect(c->hosts, location, why, sizeof(why)) == 0)
        return 0;
    fail(c, ERR_BLOCKED, why);
    return -1;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

/* One "Name: value" line: lws wants "name:" and the value apart. */
static int add_header_line(struct lws *wsi, const char *line, size_t n, unsigned char **p,
                           unsigned char *end)
{
    char name[128], value[2048];
    const char *colon = memchr(line, ':', n);
    if (!colon || (size_t)(colon - line) + 2 > sizeof(name))
        return 0;
    const char *v = colon + 1;
    while (v < line + n && *v == ' ')
        v++;
    snprintf(name, sizeof(name), "%.*s", (int)(colon - line + 1), line);
    snprintf(value, sizeof(value), "%.*s", (int)(line + n - v), v);
    return add_header(wsi, name, value, p, end);
}

static int append_headers(http_call_t *c, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (const char *h = c->headers; *h;) {
        size_t n = strcspn(h, "\n");
        if (add_header_line(wsi, h, n, p, end))
            return -1;
        h += n + (h[n] == '\n');
    }
    size_t blen = c->out.len - LWS_PRE;
    if (c->content_type && add_header(wsi, "content-type:", c->content_type, p, end))
        return -1;
    if (blen || strcmp(c->method, "POST") == 0 || strcmp(c->method, "PUT") == 0) {
        char len[32];
        snprintf(len, sizeof(len), "%zu", blen);
        if (add_header(wsi, "content-length:", len, p, end))
            return -1;
    }
    if (blen) {
        lws_client_http_body_pending(wsi, 1);
        lws_callback_on_writable(wsi);
    }
    return 0;
}

static int write_body(http_call_t *c, struct lws *wsi)
{
    size_t blen = c->out.len - LWS_PRE;
    if (!blen)
        return 0;
    lws_client_http_body_pending(wsi, 0);
    if (lws_write(wsi, (unsigned char *)c->out.data + LWS_PRE, blen, LWS_WRITE_HTTP_FINAL) <
        (int)blen) {
        fail(c, ERR_CLOSED, "could not send the request body");
        return -1;
    }
    return 0;
}

static void on_response(http_call_t *c, struct lws *wsi)
{
    c->status = (int)lws_http_client_http_response(wsi);
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_SET_COOKIE);
    if (n <= 0 || n >= HTTP_MAX_COOKIES)
        return;
    c->cookies = malloc((size_t)n + 1);
    if (c->cookies && lws_hdr_copy(wsi, c->cookies, n + 1, WSI_TOKEN_HTTP_SET_COOKIE) < 0) {
        free(c->cookies);
        c->cookies = NULL;
    }
}

static int read_body(http_call_t *c, const void *in, size_t len)
{
    if (c->rx.len + len > HTTP_MAX_BODY) {
        fail(c, ERR_PROTOCOL, "response body over 64 KiB");
        return -1;
    }
    if (sbuf_append(&c->rx, in, len) < 0) {
        fail(c, ERR_PROTOCOL, "out of memory reading the response");
        return -1;
    }
    return 0;
}

static int pump_body(struct lws *wsi)
{
    char buf[LWS_PRE + 4096];
    char *px = buf + LWS_PRE;
    int lenx = (int)sizeof(buf) - LWS_PRE;
    return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
}

int http_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    int errnum = errno; /* see fail_to_start */
    http_call_t *c = user;
    if (!c->pending || (c->wsi && c->wsi != wsi))
        return 0;
    c->wsi = wsi;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        on_conn_error(c, in);
        break;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_headers(c, wsi, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_HTTP_REDIRECT:
        return on_redirect(c, in);
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        return write_body(c, wsi);
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        on_response(c, wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        return pump_body(wsi);
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        return read_body(c, in, len);
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        finish(c);
        return -1; /* lws closes it now (no keep-alive: a call is one request) */
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    case LWS_CALLBACK_WSI_DESTROY:
        if (c->starting && http_connect_errno(errnum)) /* the connect() failed at once */
            fail_to_start(c, errnum);
        else
            fail(c, ERR_CLOSED, "closed before the response was complete");
        break;
    default:
        break;
    }
    return 0;
}
