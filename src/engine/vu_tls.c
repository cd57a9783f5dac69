/* vu_tls: each user's TLS session, resumed on its next connect (connect.tls_resume). */
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/vu_internal.h"

/* libwebsockets 4.1 has no hook between SSL_new and SSL_connect of a client
 * connection. It calls WSI_CREATE once the TCP connect is done and then, in
 * the same call, creates the SSL and starts the handshake, whose first step
 * calls the SSL_CTX's info callback with SSL_CB_HANDSHAKE_START before the
 * ClientHello is built: the user noted here at WSI_CREATE is the one whose
 * handshake starts, checked by the socket (fd), and SSL_set_session there
 * offers its session. Cleared when that wsi goes (WSI_DESTROY). */
static __thread struct {
    vu_t *vu;
    const struct lws *wsi;
    int fd;
} pending = { NULL, NULL, -1 };

static bool resume_on(const vu_t *vu)
{
    return vu_scenario(vu)->tls_resume;
}

/* A session is offered only to the host it was made with (SNI). */
static bool same_host(const SSL *ssl, SSL_SESSION *sess)
{
    const char *want = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const char *had = SSL_SESSION_get0_hostname(sess);
    return !want || !had || strcmp(want, had) == 0;
}

static void on_info(const SSL *ssl, int where, int ret)
{
    (void)ret;
    if (!(where & SSL_CB_HANDSHAKE_START) || !pending.vu)
        return;
    vu_t *vu = pending.vu;
    bool mine = SSL_get_fd(ssl) == pending.fd;
    pending.vu = NULL;
    pending.wsi = NULL;
    if (mine && vu->tls_sess && resume_on(vu) && same_host(ssl, vu->tls_sess))
        SSL_set_session((SSL *)ssl, vu->tls_sess);
}

void vu_tls_ctx_setup(void *ssl_ctx)
{
    SSL_CTX_set_info_callback(ssl_ctx, on_info);
}

void vu_tls_connecting(vu_t *vu, struct lws *wsi)
{
    if (!vu->tls_sess)
        return;
    pending.vu = vu;
    pending.wsi = wsi;
    pending.fd = lws_get_socket_fd(wsi);
}

void vu_tls_wsi_gone(const struct lws *wsi)
{
    if (pending.wsi == wsi) {
        pending.vu = NULL;
        pending.wsi = NULL;
    }
}

void vu_tls_established(vu_t *vu, struct lws *wsi)
{
    SSL *ssl = lws_get_ssl(wsi);
    if (!ssl)
        return;
    vu->w->m->tls_handshakes++;
    if (SSL_session_reused(ssl))
        vu->w->m->tls_resumed++;
}

/* Taken at the close, not before: TLS 1.3 tickets may come at any time,
 * and an open connection's session costs nothing extra. A copy, since
 * OpenSSL marks the connection's own session not resumable when it is
 * freed without a close_notify sent (SSL_free's "bad session" rule), as
 * libwebsockets does on most closes. */
void vu_tls_closed(vu_t *vu, struct lws *wsi)
{
    SSL *ssl = lws_get_ssl(wsi);
    SSL_SESSION *sess = ssl ? SSL_get_session(ssl) : NULL;
    if (!sess || !resume_on(vu) || !SSL_SESSION_is_resumable(sess))
        return;
    SSL_SESSION *copy = SSL_SESSION_dup(sess);
    if (!copy)
        return;
    SSL_SESSION_free(vu->tls_sess);
    vu->tls_sess = copy;
}

void vu_tls_release(vu_t *vu)
{
    SSL_SESSION_free(vu->tls_sess);
    vu->tls_sess = NULL;
}
