/* serve_deflate: permessage-deflate (RFC 7692) for `wsgate serve --deflate`. */
#include "serve/internal.h"

/* libwebsockets 4.1's permessage-deflate applies the two no-context-takeover
 * options as a client would, whatever its role: a server that accepted
 * server_no_context_takeover resets its inflater after each message (while
 * the client keeps its deflate context) and keeps its own deflate context
 * (while the client resets its inflater), so the second compressed message
 * each way fails to inflate. A server has them the other way round: the
 * answer still names the option the client offered (lws writes the name),
 * only the slot the extension keeps it in is swapped. Window sizes are not
 * answered by lws's server (it keeps 15 bits both ways, which RFC 7692
 * allows when the response does not name them). */
static int serve_pm_deflate(struct lws_context *ctx, const struct lws_extension *ext,
                            struct lws *wsi, enum lws_extension_callback_reasons reason, void *user,
                            void *in, size_t len)
{
    enum { SERVER_NO_CONTEXT_TAKEOVER = 0, CLIENT_NO_CONTEXT_TAKEOVER = 1 };
    if (reason == LWS_EXT_CB_OPTION_SET && in) {
        struct lws_ext_option_arg *oa = in;
        if (oa->option_index == SERVER_NO_CONTEXT_TAKEOVER)
            oa->option_index = CLIENT_NO_CONTEXT_TAKEOVER;
        else if (oa->option_index == CLIENT_NO_CONTEXT_TAKEOVER)
            oa->option_index = SERVER_NO_CONTEXT_TAKEOVER;
    }
    return lws_extension_callback_pm_deflate(ctx, ext, wsi, reason, user, in, len);
}

static const struct lws_extension serve_exts[] = {
    { "permessage-deflate", serve_pm_deflate, "permessage-deflate" },
    { NULL, NULL, NULL },
};

const struct lws_extension *serve_deflate_extensions(void)
{
    return serve_exts;
}
