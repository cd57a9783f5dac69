/* vu_wire: a user's permessage-deflate offer (connect.compression) and its connections' bytes on
 * the wire. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "engine/metrics.h"
#include "engine/tcpstat.h"
#include "engine/vu_internal.h"

/* libwebsockets 4.1 offers a context's extensions with one fixed string
 * (client_offer) to every connection; the parameters are the scenario's,
 * so vu_wire_ext_callback declines lws's own offer and vu_wire_offer writes
 * the header itself. lws still matches the server's answer against this
 * table by name and runs the extension with the answered parameters. */
/* lws's permessage-deflate, noting on the user a message that does not
 * inflate: lws then drops the connection without a close frame, which
 * on_closed counts as a protocol error instead of a reset. */
static int pm_deflate(struct lws_context *ctx, const struct lws_extension *ext, struct lws *wsi,
                      enum lws_extension_callback_reasons reason, void *user, void *in, size_t len)
{
    int rc = lws_extension_callback_pm_deflate(ctx, ext, wsi, reason, user, in, len);
    if (reason == LWS_EXT_CB_PAYLOAD_RX && rc < 0) {
        vu_t *vu = lws_get_opaque_user_data(wsi);
        if (vu && vu->wsi == wsi)
            vu->inflate_bad = true;
    }
    return rc;
}

static const struct lws_extension wire_exts[] = {
    { "permessage-deflate", pm_deflate, "permessage-deflate; client_max_window_bits" },
    { NULL, NULL, NULL },
};

const struct lws_extension *vu_wire_extensions(void)
{
    return wire_exts;
}

int vu_wire_offer(vu_t *vu, unsigned char **p, unsigned char *end)
{
    char offer[160];
    int n = spec_deflate_offer(&vu_scenario(vu)->deflate, offer, sizeof(offer));
    if (n <= 0)
        return n;
    vu->w->m->wire.deflate_offered++;
    return lws_add_http_header_by_name(vu->wsi, (const unsigned char *)"Sec-WebSocket-Extensions:",
                                       (const unsigned char *)offer, n, p, end)
               ? -1
               : 0;
}

int vu_wire_upgraded(vu_t *vu, struct lws *wsi)
{
    char got[160] = "";
    bool on = lws_hdr_copy(wsi, got, sizeof(got), WSI_TOKEN_EXTENSIONS) > 0 &&
              strstr(got, "permessage-deflate");
    vu->conn_tx = vu->conn_rx = 0;
    vu->wire_open = true;
    vu->deflate = on;
    vu->inflate_bad = false;
    if (!on)
        return 0;
    if (vu_scenario(vu)->deflate.on) {
        vu->w->m->wire.deflate_accepted++;
        return 0;
    }
    /* RFC 6455 9.1: an extension the client did not ask for fails the connect */
    char why[220];
    snprintf(why, sizeof(why),
             "server turned on \"%.80s\" that was not offered (add compression: deflate to "
             "connect)",
             got);
    vu->wire_open = false;
    lws_set_opaque_user_data(wsi, NULL);
    if (vu->wsi == wsi)
        vu->wsi = NULL;
    vu_connect_failed(vu, clock_mono_us(), ERR_PROTOCOL, why);
    return -1;
}

void vu_wire_closed(vu_t *vu, struct lws *wsi)
{
    uint64_t acked, received;
    if (!vu->wire_open)
        return;
    vu->wire_open = false;
    vu->deflate = false;
    if (tcpstat_read(lws_get_socket_fd(wsi), &acked, &received) < 0)
        return;
    res_wire_t *w = &vu->w->m->wire;
    w->connections++;
    w->bytes_sent += acked;
    w->bytes_received += received;
    w->payload_sent += vu->conn_tx;
    w->payload_received += vu->conn_rx;
}

/* The defaults of the user's own deflater, before the server's answer
 * overrides them: the window and context takeover it offered to keep to. */
static int own_defaults(const vu_t *vu, char *buf, size_t n)
{
    const spec_deflate_t *d = &vu_scenario(vu)->deflate;
    int len = 0;
    buf[0] = '\0';
    if (d->client_max_window_bits)
        len = snprintf(buf, n, "client_max_window_bits=%u", d->client_max_window_bits);
    if (d->client_no_context_takeover && len >= 0 && (size_t)len < n)
        len +=
            snprintf(buf + len, n - (size_t)len, "%sclient_no_context_takeover", len ? "; " : "");
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

bool vu_wire_ext_callback(struct lws *wsi, int reason, void *in, size_t len, int *rc)
{
    if (reason == LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED) {
        *rc = 1; /* never lws's fixed offer: vu_wire_offer writes the scenario's */
        return true;
    }
    if (reason != LWS_CALLBACK_WS_EXT_DEFAULTS)
        return false;
    vu_t *vu = lws_get_opaque_user_data(wsi);
    *rc = 0;
    if (vu && in && len)
        *rc = own_defaults(vu, in, len);
    return true;
}
