/* srcaddr: local addresses to spread client connections over. One
 * destination address and port allows one connection per local port (about
 * 28,000 with Linux's default ephemeral range, and connect() slows down well
 * before that); each extra source address adds a whole range. On loopback
 * every 127.x.y.z is local, so "127.0.0.1-127.0.0.8" multiplies the limit
 * by eight. */
#ifndef WSGATE_SRCADDR_H
#define WSGATE_SRCADDR_H

#include <stddef.h>

#define SRCADDR_MAX 1024

/* Owns every string and the array. */
typedef struct srcaddrs {
    char **addr; /* numeric IPv4 or IPv6 addresses */
    size_t n;
} srcaddrs_t;

/* Parses "A,B,..." where each item is an address or an IPv4 range
 * "127.0.0.1-127.0.0.8" (inclusive, at most SRCADDR_MAX addresses in all).
 * Returns 0, or -1 with a reason in err. */
int srcaddr_parse(const char *text, srcaddrs_t *out, char *err, size_t errlen);

/* Binds a throwaway socket to each address, so an address that is not
 * local is reported before the run. Returns 0, or -1 with a reason. */
int srcaddr_check(const srcaddrs_t *s, char *err, size_t errlen);

void srcaddr_free(srcaddrs_t *s);

#endif
