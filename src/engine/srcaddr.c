/* srcaddr: local source addresses to spread client connections over; see srcaddr.h. */
#include "engine/srcaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int push(srcaddrs_t *s, const char *addr)
{
    if (s->n >= SRCADDR_MAX)
        return -1;
    char **grown = realloc(s->addr, (s->n + 1) * sizeof(char *));
    if (!grown)
        return -1;
    s->addr = grown;
    if (!(s->addr[s->n] = strdup(addr)))
        return -1;
    s->n++;
    return 0;
}

static int push_range(srcaddrs_t *s, const char *item, const char *dash, char *err, size_t errlen)
{
    char lo_txt[INET_ADDRSTRLEN];
    struct in_addr lo, hi;
    size_t len = (size_t)(dash - item);
    if (len >= sizeof(lo_txt))
        goto bad;
    memcpy(lo_txt, item, len);
    lo_txt[len] = '\0';
    if (inet_pton(AF_INET, lo_txt, &lo) != 1 || inet_pton(AF_INET, dash + 1, &hi) != 1)
        goto bad;
    uint32_t a = ntohl(lo.s_addr), b = ntohl(hi.s_addr);
    if (b < a || b - a >= SRCADDR_MAX) {
        snprintf(err, errlen,
                 "source address range \"%s\" must go up and hold at most %d addresses", item,
                 SRCADDR_MAX);
        return -1;
    }
    for (uint64_t v = a; v <= b; v++) {
        struct in_addr ia = { htonl((uint32_t)v) };
        char txt[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ia, txt, sizeof(txt));
        if (push(s, txt) < 0)
            goto full;
    }
    return 0;
bad:
    snprintf(err, errlen, "\"%s\" is not an IPv4 range like 127.0.0.1-127.0.0.8", item);
    return -1;
full:
    snprintf(err, errlen, "too many source addresses (at most %d)", SRCADDR_MAX);
    return -1;
}

static int push_item(srcaddrs_t *s, const char *item, char *err, size_t errlen)
{
    unsigned char buf[sizeof(struct in6_addr)];
    const char *dash = strchr(item, '-');
    if (dash)
        return push_range(s, item, dash, err, errlen);
    if (inet_pton(AF_INET, item, buf) != 1 && inet_pton(AF_INET6, item, buf) != 1) {
        snprintf(err, errlen, "\"%s\" is not a numeric IP address (e.g. 127.0.0.2 or ::1)", item);
        return -1;
    }
    if (push(s, item) < 0) {
        snprintf(err, errlen, "too many source addresses (at most %d)", SRCADDR_MAX);
        return -1;
    }
    return 0;
}

int srcaddr_parse(const char *text, srcaddrs_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char *copy = strdup(text ? text : ""), *save = NULL;
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *item = strtok_r(copy, ", ", &save); item && rc == 0;
         item = strtok_r(NULL, ", ", &save))
        rc = push_item(out, item, err, errlen);
    free(copy);
    if (rc == 0 && out->n == 0) {
        snprintf(err, errlen, "no source address given: write e.g. 127.0.0.1-127.0.0.8");
        rc = -1;
    }
    if (rc < 0)
        srcaddr_free(out);
    return rc;
}

static int try_bind(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        len = sizeof(*v6);
    } else {
        snprintf(err, errlen, "\"%s\" is not a numeric IP address", addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
        snprintf(err, errlen, "cannot use source address %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int srcaddr_check(const srcaddrs_t *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++)
        if (try_bind(s->addr[i], err, errlen) < 0)
            return -1;
    return 0;
}

void srcaddr_free(srcaddrs_t *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        free(s->addr[i]);
    if (s)
        free(s->addr);
    if (s)
        memset(s, 0, sizeof(*s));
}
