/* wsurl: splits a rendered ws:// or wss:// URL for the connect call. */
#ifndef WSGATE_WSURL_H
#define WSGATE_WSURL_H

#include <stdbool.h>
#include <stddef.h>

/* Borrowed view: path points into the parsed string (path and query,
 * always starting with '/'). */
typedef struct wsurl {
    bool tls;
    char host[256]; /* without brackets for IPv6 literals */
    int port;
    const char *path;
} wsurl_t;

/* Returns 0, or -1 with a reason in err (scheme, host, port). */
int wsurl_parse(const char *url, wsurl_t *out, char *err, size_t errlen);

#endif
