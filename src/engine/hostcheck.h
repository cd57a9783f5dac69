/* hostcheck: --allow-hosts and --block-hosts applied to every connection of
 * a run once its URL is rendered and its host resolved, and to every
 * redirect libwebsockets would follow. A refused destination is counted as
 * a "blocked" error and nothing is sent to it. */
#ifndef WSGATE_HOSTCHECK_H
#define WSGATE_HOSTCHECK_H

#include <libwebsockets.h>
#include <stddef.h>

#include "base/hostrule.h"
#include "result/result.h"

struct vu;

/* Room for a numeric IPv6 address with a scope. */
#define HOSTCHECK_ADDR_MAX 80

/* Decides about host:port under g. With no rules (g NULL or inactive) it
 * returns 0 and sets addr to "" (connect by name, as without the check).
 * Else a name the rules refuse is refused without a lookup; otherwise the
 * address is host itself when numeric, known_addr when host is known_host
 * (a host resolved before the run; both may be NULL), else the first one
 * the resolver gives, and it is checked too. Returns 0 with that address in
 * addr (the connection must use it, so the address checked is the address
 * reached), or -1 with *kind ERR_BLOCKED (refused) or ERR_DNS (no address)
 * and a one-line reason in why. */
int hostcheck_dest(const hostguard_t *g, const char *host, int port, const char *known_host,
                   const char *known_addr, char *addr, size_t addrlen, err_kind_t *kind, char *why,
                   size_t whylen);

/* Decides about a redirect to location (the Location header: an absolute
 * URL, or a path on the same connection, always allowed). Returns 0, or -1
 * with a reason in why. */
int hostcheck_redirect(const hostguard_t *g, const char *location, char *why, size_t whylen);

/* LWS_CALLBACK_CLIENT_HTTP_REDIRECT of a user's WebSocket connect: a refused
 * redirect fails the connect as blocked. Returns the callback's answer (0:
 * follow it, -1: drop the connection). */
int hostcheck_vu_redirect(struct vu *vu, struct lws *wsi, const char *location);

#endif
