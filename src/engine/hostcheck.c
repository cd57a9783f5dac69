/* hostcheck: destinations checked after rendering and DNS; see hostcheck.h. */
#include "engine/hostcheck.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/url.h"
#include "engine/vu_internal.h"

/* The first address the resolver gives for host, numeric, into addr. */
static int resolve(const char *host, char *addr, size_t addrlen, char *why, size_t whylen)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(why, whylen, "cannot resolve \"%.100s\": %s", host,
                 gai ? gai_strerror(gai) : "no address");
        return -1;
    }
    int rc =
        getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, (socklen_t)addrlen, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(ai);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve \"%.100s\": %s", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int hostcheck_dest(const hostguard_t *g, const char *host, int port, const char *known_host,
                   const char *known_addr, char *addr, size_t addrlen, err_kind_t *kind, char *why,
                   size_t whylen)
{
    addr[0] = '\0';
    if (!hostguard_active(g))
        return 0;
    *kind = ERR_BLOCKED;
    if (hostguard_check(g, host, NULL, port, why, whylen) < 0)
        return -1; /* refused by its name: not even looked up */
    if (hostrule_is_address(host)) {
        snprintf(addr, addrlen, "%s", host);
    } else if (known_host && known_addr && *known_addr && strcmp(host, known_host) == 0) {
        snprintf(addr, addrlen, "%s", known_addr);
    } else if (resolve(host, addr, addrlen, why, whylen) < 0) {
        *kind = ERR_DNS;
        return -1;
    }
    return hostguard_check(g, host, addr, port, why, whylen);
}

int hostcheck_redirect(const hostguard_t *g, const char *location, char *why, size_t whylen)
{
    char addr[HOSTCHECK_ADDR_MAX], reason[400];
    err_kind_t kind;
    url_t u;
    if (!hostguard_active(g) || !location || location[0] == '/' || !strchr(location, ':'))
        return 0; /* no rules, or a path on the same connection */
    if (url_parse(location, &u, reason, sizeof(reason)) < 0) {
        snprintf(why, whylen, "redirect to \"%.100s\" refused: %.280s", location, reason);
        return -1;
    }
    if (hostcheck_dest(g, u.host, u.port, NULL, NULL, addr, sizeof(addr), &kind, reason,
                       sizeof(reason)) < 0) {
        snprintf(why, whylen, "redirect refused: %.380s", reason);
        return -1;
    }
    return 0;
}

int hostcheck_vu_redirect(vu_t *vu, struct lws *wsi, const char *location)
{
    char why[512];
    if (hostcheck_redirect(vu->w->run->spec->hosts, location, why, sizeof(why)) == 0)
        return 0;
    lws_set_opaque_user_data(wsi, NULL);
    if (vu->wsi == wsi)
        vu->wsi = NULL;
    if (vu->state == VU_CONNECTING)
        vu_connect_failed(vu, clock_mono_us(), ERR_BLOCKED, why);
    return -1;
}
