/* url: the one parser of ws://, wss://, http:// and https:// URLs; see url.h. */
#include "base/url.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *prefix;
    url_scheme_t scheme;
    bool tls, websocket;
    int port;
} schemes[] = {
    { "ws://", URL_WS, false, true, 80 },
    { "wss://", URL_WSS, true, true, 443 },
    { "http://", URL_HTTP, false, false, 80 },
    { "https://", URL_HTTPS, true, false, 443 },
};

/* Sets the scheme fields of out. Returns the text after "://", or NULL. */
static const char *parse_scheme(const char *url, url_t *out)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(url, schemes[i].prefix, n) == 0) {
            out->scheme = schemes[i].scheme;
            out->tls = schemes[i].tls;
            out->websocket = schemes[i].websocket;
            out->port = schemes[i].port;
            return url + n;
        }
    }
    return NULL;
}

static const char *prefix_of(const url_t *u)
{
    return schemes[u->scheme].prefix;
}

/* The host as a URL writes it: IPv6 literals in brackets. */
static void host_text(const url_t *u, char *buf, size_t n)
{
    snprintf(buf, n, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
}

/* Copies the host (brackets stripped for IPv6) into out->host. Returns the
 * text after it, or NULL with a reason in err. */
static const char *parse_host(const char *p, url_t *out, char *err, size_t errlen)
{
    const char *start = p, *end;
    if (*p == '[') {
        start = p + 1;
        end = strchr(start, ']');
        if (!end || (size_t)(end - start) > strcspn(start, "/?#")) {
            snprintf(err, errlen, "the [ of the IPv6 host is not closed; write e.g. %s[::1]:8080",
                     prefix_of(out));
            return NULL;
        }
    } else {
        end = p + strcspn(p, ":/?#");
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= sizeof(out->host)) {
        snprintf(err, errlen, "%s; write e.g. %s127.0.0.1:8080",
                 n ? "the host is too long" : "there is no host", prefix_of(out));
        return NULL;
    }
    memcpy(out->host, start, n);
    out->host[n] = '\0';
    return *end == ']' ? end + 1 : end;
}

/* Reads ":PORT" at p into out->port. Returns the text after it, or NULL
 * with a reason in err. */
static const char *parse_port(const char *p, url_t *out, char *err, size_t errlen)
{
    size_t n = strspn(p + 1, "0123456789");
    const char *end = p + 1 + n;
    long port = 0;
    for (size_t i = 0; i < n && port <= 65535; i++)
        port = port * 10 + (p[1 + i] - '0');
    if (n > 0 && port >= 1 && port <= 65535 && (*end == '\0' || strchr("/?#", *end))) {
        out->port = (int)port;
        return end;
    }
    char host[260];
    size_t shown = strcspn(p + 1, "/?#");
    host_text(out, host, sizeof(host));
    if (shown == 0)
        snprintf(err, errlen,
                 "no port after ':'; write a port from 1 to 65535 (e.g. %s%s:8080) or leave "
                 "the ':' out",
                 prefix_of(out), host);
    else
        snprintf(err, errlen, "port \"%.*s\" is not 1-65535; write e.g. %s%s:8080",
                 (int)(shown > 20 ? 20 : shown), p + 1, prefix_of(out), host);
    return NULL;
}

int url_parse(const char *url, url_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p = parse_scheme(url, out);
    if (!p) {
        snprintf(err, errlen, "it must start with ws://, wss://, http:// or https://");
        return -1;
    }
    if (!(p = parse_host(p, out, err, errlen)))
        return -1;
    if (*p == ':' && !(p = parse_port(p, out, err, errlen)))
        return -1;
    if (*p != '\0' && !strchr("/?#", *p)) {
        char host[260];
        host_text(out, host, sizeof(host));
        snprintf(err, errlen, "unexpected \"%.20s\" after the host; write e.g. %s%s:8080/path", p,
                 prefix_of(out), host);
        return -1;
    }
    out->path = *p == '/' ? p : "/";
    return 0;
}
