/* wsurl: splits a rendered ws:// or wss:// URL for the connect call; see wsurl.h. */
#include "engine/wsurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *parse_scheme(const char *url, wsurl_t *out)
{
    if (strncmp(url, "ws://", 5) == 0) {
        out->tls = false;
        out->port = 80;
        return url + 5;
    }
    if (strncmp(url, "wss://", 6) == 0) {
        out->tls = true;
        out->port = 443;
        return url + 6;
    }
    return NULL;
}

/* Copies the host (brackets stripped for IPv6); returns the rest or NULL. */
static const char *parse_host(const char *p, wsurl_t *out)
{
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return NULL;
        p++;
    } else {
        end = p + strcspn(p, ":/?");
    }
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof(out->host))
        return NULL;
    memcpy(out->host, p, n);
    out->host[n] = '\0';
    return *end == ']' ? end + 1 : end;
}

int wsurl_parse(const char *url, wsurl_t *out, char *err, size_t errlen)
{
    const char *p = parse_scheme(url, out);
    if (!p) {
        snprintf(err, errlen, "URL must start with ws:// or wss://");
        return -1;
    }
    p = parse_host(p, out);
    if (!p) {
        snprintf(err, errlen, "URL has no valid host");
        return -1;
    }
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) {
            snprintf(err, errlen, "URL port must be 1-65535");
            return -1;
        }
        out->port = (int)port;
        p = end;
    }
    if (*p != '/' && *p != '\0' && *p != '?') {
        snprintf(err, errlen, "unexpected text after the host in URL");
        return -1;
    }
    out->path = (*p == '/') ? p : "/";
    /* A bare "?query" without a path keeps the query: not supported by
     * lws without a leading slash, so it is treated as the root path. */
    return 0;
}
