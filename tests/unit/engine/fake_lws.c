/* fake_lws: see fake_lws.h. Each function matches its prototype in
 * <libwebsockets.h>, which is included so the compiler checks them. */
#include "fake_lws.h"

#include <stdio.h>
#include <string.h>

fake_lws_t fake_lws;

void fake_lws_reset(void)
{
    memset(&fake_lws, 0, sizeof(fake_lws));
}

struct lws *fake_lws_last_wsi(void)
{
    return fake_lws.connects ? &fake_lws.wsis[fake_lws.connects - 1] : NULL;
}

struct lws *lws_client_connect_via_info(const struct lws_client_connect_info *ci)
{
    if (fake_lws.refuse_connect || fake_lws.connects >= FAKE_LWS_MAX_WSI)
        return NULL;
    snprintf(fake_lws.address, sizeof(fake_lws.address), "%s", ci->address);
    snprintf(fake_lws.host, sizeof(fake_lws.host), "%s", ci->host);
    snprintf(fake_lws.path, sizeof(fake_lws.path), "%s", ci->path);
    fake_lws.port = ci->port;
    fake_lws.opaque = ci->opaque_user_data;
    struct lws *wsi = &fake_lws.wsis[fake_lws.connects++];
    memset(wsi, 0, sizeof(*wsi));
    wsi->opaque = ci->opaque_user_data;
    wsi->user = ci->userdata;
    if (ci->pwsi) /* as lws does, before any callback */
        *ci->pwsi = wsi;
    return wsi;
}

void lws_set_wsi_user(struct lws *wsi, void *user)
{
    wsi->user = user;
}

int lws_callback_on_writable(struct lws *wsi)
{
    wsi->writable++;
    return 1;
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol)
{
    if (fake_lws.fail_writes)
        return -1;
    if (fake_lws.nsent < FAKE_LWS_MAX_SENT) {
        fake_lws_frame_t *f = &fake_lws.sent[fake_lws.nsent++];
        f->wsi = wsi;
        f->kind = protocol;
        f->len = len;
        size_t n = len < sizeof(f->data) - 1 ? len : sizeof(f->data) - 1;
        memcpy(f->data, buf, n); /* NULs and all */
        f->data[n] = '\0';
    }
    return (int)len;
}

int lws_partial_buffered(struct lws *wsi)
{
    return wsi->partial;
}

void lws_set_opaque_user_data(struct lws *wsi, void *data)
{
    wsi->opaque = data;
}

void *lws_get_opaque_user_data(const struct lws *wsi)
{
    return wsi->opaque;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
    if (secs == LWS_TO_KILL_ASYNC || secs == LWS_TO_KILL_SYNC)
        wsi->killed = true;
    wsi->killed_sync |= secs == LWS_TO_KILL_SYNC;
    if (reason != NO_PENDING_TIMEOUT && secs > 0)
        wsi->timeouts++;
}

int lws_is_final_fragment(struct lws *wsi)
{
    return !wsi->nonfinal;
}

void lws_cancel_service(struct lws_context *context)
{
    fake_lws.cancels++;
}

void lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf, size_t len)
{
    wsi->close_status = (int)status;
}

unsigned int lws_http_client_http_response(struct lws *wsi)
{
    return wsi->http_status;
}

int lws_rx_flow_control(struct lws *wsi, int enable)
{
    wsi->rx_off = !enable;
    wsi->rx_flow++;
    return 0;
}

lws_sockfd_type lws_get_socket_fd(struct lws *wsi)
{
    return wsi->fd - 1;
}

/* No TLS on a fake connection: the user's TLS session code sees plain ws. */
SSL *lws_get_ssl(struct lws *wsi)
{
    (void)wsi;
    return NULL;
}
