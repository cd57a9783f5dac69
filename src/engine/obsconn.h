/* obsconn: one connection of the observer (observe.c) to a scrape
 * endpoint, plain TCP for http:// or TLS (OpenSSL) for https://, behind
 * one small table of send/recv/close. The socket is non-blocking and every
 * call waits at most until its deadline, the TLS handshake included, so a
 * server that accepts and then says nothing costs one scrape's timeout.
 * https:// follows the spec's tls: block as the WebSocket connects do: the
 * server's certificate is checked against the system's CAs plus
 * tls.ca_file, for the URL's host name (sent as SNI) or IP address;
 * tls.client_cert goes to a server that asks; tls.insecure_skip_verify
 * checks nothing. */
#ifndef WSGATE_OBSCONN_H
#define WSGATE_OBSCONN_H

#include <stddef.h>
#include <stdint.h>

#include "base/hostrule.h"
#include "base/url.h"
#include "spec/spec.h"

/* The TLS settings every https:// scrape of a run shares. */
typedef struct obsconn_tls obsconn_tls_t;

/* Makes the shared settings from a spec's tls: block. Returns them, or
 * NULL with a reason in err (a file OpenSSL cannot use, out of memory).
 * Free with obsconn_tls_free. */
obsconn_tls_t *obsconn_tls_new(const spec_tls_t *t, char *err, size_t errlen);

/* NULL is fine. */
void obsconn_tls_free(obsconn_tls_t *tls);

typedef struct obsconn_ops obsconn_ops_t;

/* An open connection. Its fields are obsconn.c's. */
typedef struct obsconn {
    const obsconn_ops_t *ops;
    int fd;
    struct ssl_st *ssl; /* TLS only */
} obsconn_t;

/* Connects to u's host and port (the address the host rules hosts pick,
 * else a lookup; hosts NULL: any) and for https:// does the TLS handshake
 * with tls, all by deadline (clock_mono_us). Returns 0, or -1 with a
 * one-line reason in why ("connect: Connection refused", "certificate
 * verify failed: self-signed certificate (trust its CA with tls.ca_file)",
 * "TLS handshake timed out", ...); c is then closed. */
int obsconn_open(obsconn_t *c, const url_t *u, const hostguard_t *hosts, obsconn_tls_t *tls,
                 uint64_t deadline, char *why, size_t whylen);

/* Sends all of len bytes by deadline. Returns 0, or -1 with why. */
int obsconn_send(obsconn_t *c, const void *buf, size_t len, uint64_t deadline, char *why,
                 size_t whylen);

/* Reads what comes, by deadline. Returns the bytes read (> 0), 0 when the
 * server has closed the connection, or -1 with why. */
long obsconn_recv(obsconn_t *c, void *buf, size_t len, uint64_t deadline, char *why, size_t whylen);

/* Closes c (a TLS connection without waiting for the server's goodbye). */
void obsconn_close(obsconn_t *c);

#endif
