/* url: splits ws://, wss://, http:// and https:// URLs into scheme, host,
 * port and path. Pure text work (no DNS): the spec checks URLs with it at
 * load time, the engine splits them with it at connect time. */
#ifndef WSGATE_URL_H
#define WSGATE_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef enum url_scheme { URL_WS, URL_WSS, URL_HTTP, URL_HTTPS } url_scheme_t;

/* A split URL. path is borrowed: it points into the parsed string (from
 * its '/', with the query) or is the static "/" when the URL has none. */
typedef struct url {
    url_scheme_t scheme;
    bool tls;       /* wss:// or https:// */
    bool websocket; /* ws:// or wss:// */
    char host[256]; /* without brackets for IPv6 literals */
    int port;       /* as written (1-65535), else 80 or 443 */
    const char *path;
} url_t;

/* Splits url into *out: a known scheme, a host (an IPv6 literal in closed
 * brackets), an optional port of 1-65535 in digits, then nothing or a path,
 * query or fragment. Returns 0, or -1 with a one-line reason in err that
 * says what to write (e.g. "port \"99999\" is not 1-65535; ..."). */
int url_parse(const char *url, url_t *out, char *err, size_t errlen);

#endif
