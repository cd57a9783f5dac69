/* http: one HTTP/1.1 client request through libwebsockets, non-blocking,
 * in the worker's own lws_context (the HTTP step, e.g. a login before the
 * WebSocket connect). The call is reused for a user's successive requests. */
#ifndef WSGATE_HTTP_H
#define WSGATE_HTTP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hostrule.h"
#include "result/result.h"

#define HTTP_MAX_BODY (64u * 1024u) /* a larger response body fails the call */

typedef struct http_call http_call_t;

/* Called once per started request, when it has completed or failed
 * (possibly from inside http_call_start). */
typedef void (*http_done_fn)(void *owner, http_call_t *call);

/* What to send. Borrowed: http_call_start copies what it keeps. */
typedef struct http_req {
    const char *method;  /* GET, POST, PUT, PATCH, DELETE */
    const char *url;     /* http://host[:port]/path or https://... */
    const char *headers; /* "Name: value" lines separated by '\n', or NULL */
    const char *body;    /* NULL: no body */
    size_t body_len;
    const char *content_type; /* NULL: no Content-Type added */
    const char *iface;        /* local address to connect from, or NULL */
    int tls_flags;            /* more LCCSCF_ flags for https (e.g. LCCSCF_ALLOW_SELFSIGNED) */
    const hostguard_t *hosts; /* --allow-hosts/--block-hosts for it and its redirects; NULL: any */
} http_req_t;

/* Returns an idle call, or NULL when out of memory. */
http_call_t *http_call_new(void);

/* Cancels a pending request and frees the call. NULL is fine. */
void http_call_free(http_call_t *c);

/* Starts a request. Returns 0 (done(owner, c) follows, maybe at once), or
 * -1 with a reason in err (bad URL, out of memory); then done is not called. */
int http_call_start(http_call_t *c, struct lws_context *ctx, const http_req_t *req,
                    http_done_fn done, void *owner, char *err, size_t errlen);

/* Gives up a pending request: done will not be called. now: closes its
 * connection at once, which is safe only outside libwebsockets' service
 * (the worker's tick); else lws closes it at its next timeout check (an
 * asynchronous kill: a timeout due now, inserted into lws's sorted list
 * past every other one, so thousands at once cost O(n^2)). */
void http_call_cancel(http_call_t *c, bool now);

/* After done: 0 when a complete response arrived, else -1 with *kind and
 * *why (a short reason without header values or body) set. */
int http_call_error(const http_call_t *c, err_kind_t *kind, const char **why);

/* The error kind of a libwebsockets connection failure text ("Unable to
 * connect" is a refusal on loopback, "read failed" a hang-up, ...);
 * ERR_PROTOCOL when nothing fits. Shared with the WebSocket connect. */
err_kind_t http_classify_error(const char *why);

/* libwebsockets 4.1's default wait for a TCP connect (AWAITING_TIMEOUT):
 * after it, "Unable to connect" means the connect timed out. */
#define HTTP_LWS_CONNECT_WAIT_US (20u * 1000000u)

/* Whether errnum is one a failed TCP connect() reports (network or host
 * unreachable, timed out, refused): after lws_client_connect_via_info
 * returned NULL, errno says the connect failed at once (no route). */
bool http_connect_errno(int errnum);

/* The kind and the text for the samples of a failed TCP connect. lws 4.1
 * gives a failure after lws_client_connect_via_info returned as "Unable to
 * connect" (a text http_classify_error calls ERR_REFUSED) and keeps its
 * errno: errnum is then 0 (unknown) and waited_us, the time since the
 * connect began, tells a timeout; one at once (NULL returned) has its
 * errno (http_connect_errno) and waited_us 0. Returns ERR_REFUSED with "network unreachable"
 * (ENETUNREACH), "host unreachable" (EHOSTUNREACH) or "connection refused"
 * (ECONNREFUSED, or nothing better known), or ERR_TIMEOUT with "connect
 * timed out" (ETIMEDOUT, or an unknown errno after
 * HTTP_LWS_CONNECT_WAIT_US). The text is static. */
err_kind_t http_connect_error(int errnum, uint64_t waited_us, const char **text);

/* After a complete response: its status code and body (NUL-terminated). */
int http_call_status(const http_call_t *c);
const char *http_call_body(const http_call_t *c, size_t *len);

/* After a complete response: a malloc'd copy of cookie name's value from
 * Set-Cookie, or NULL when the response set no such cookie. */
char *http_call_cookie(const http_call_t *c, const char *name);

/* Splits an http(s) URL. host gets the host without brackets; *path points
 * into url (or is "/"). Returns 0, or -1 with a reason in err. */
int http_url_parse(const char *url, int *tls, char *host, size_t hostlen, int *port,
                   const char **path, char *err, size_t errlen);

/* Handles a libwebsockets callback of a wsi started by http_call_start
 * (user is the call); the client protocol's callback forwards them. */
int http_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);

#endif
