/* wsurl: a ws:// or wss:// URL split by base/url for the connect call; see wsurl.h. */
#include "engine/wsurl.h"

#include <stdio.h>
#include <string.h>

#include "base/url.h"

int wsurl_parse(const char *url, wsurl_t *out, char *err, size_t errlen)
{
    url_t u;
    if (strncmp(url, "ws://", 5) != 0 && strncmp(url, "wss://", 6) != 0) {
        snprintf(err, errlen, "URL must start with ws:// or wss://");
        return -1;
    }
    if (url_parse(url, &u, err, errlen) < 0)
        return -1;
    out->tls = u.tls;
    memcpy(out->host, u.host, sizeof(out->host));
    out->port = u.port;
    out->path = u.path;
    return 0;
}
