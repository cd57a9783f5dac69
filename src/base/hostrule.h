/* hostrule: where a run may connect (--allow-hosts, --block-hosts). Pure
 * text and address work, no DNS: the caller resolves names and passes the
 * numeric address it will connect to.
 *
 * A list is entries separated by commas or white space:
 *   example.com            that name (any case, a trailing dot ignored)
 *   *.example.com          every name below example.com (not example.com)
 *   *                      every host
 *   10.1.2.3  ::1          that address
 *   10.0.0.0/8  fd00::/8   every address in the range (IPv4 and IPv6)
 * each optionally with :PORT (an IPv6 address or range in brackets then:
 * [::1]:8080, [fd00::/8]:443); without a port every port matches. An IPv4
 * address written as IPv6 (::ffff:10.1.2.3) is the IPv4 address. */
#ifndef WSGATE_HOSTRULE_H
#define WSGATE_HOSTRULE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hostrules hostrules_t;

/* Parses list. Returns the rules (free with hostrules_free; an empty list
 * gives rules that match nothing), or NULL with a one-line reason in err
 * naming the entry and what to write (NULL also when out of memory). */
hostrules_t *hostrules_parse(const char *list, char *err, size_t errlen);
void hostrules_free(hostrules_t *r);

/* Number of entries. */
size_t hostrules_count(const hostrules_t *r);
/* True when some entry is an address or a range (it needs the resolved
 * address to decide about a name). */
bool hostrules_has_addresses(const hostrules_t *r);

/* True when an entry matches the destination: a name entry the host name
 * name, an address entry the numeric address addr ("10.1.2.3", "::1", an
 * IPv6 scope "%eth0" ignored), and the entry's port, if any, port. name or
 * addr may be NULL (unknown). When entry is not NULL it gets the matching
 * entry as written (borrowed from r). */
bool hostrules_match(const hostrules_t *r, const char *name, const char *addr, int port,
                     const char **entry);

/* True when s is a numeric IPv4 or IPv6 address (no brackets). */
bool hostrule_is_address(const char *s);

/* The run's rules and where each list came from (for messages: the flag
 * or the variable). Borrowed. allow NULL: every destination not blocked;
 * block NULL: nothing blocked. */
typedef struct hostguard {
    const hostrules_t *allow;
    const char *allow_from; /* "--allow-hosts" or "WSGATE_ALLOW_HOSTS" */
    const hostrules_t *block;
    const char *block_from; /* "--block-hosts" or "WSGATE_BLOCK_HOSTS" */
} hostguard_t;

/* True when g restricts anything (g may be NULL). */
bool hostguard_active(const hostguard_t *g);

/* Decides about host:port. addr is the numeric address the connection
 * will use, or NULL before resolution: then only what the name (or an
 * address written as the host) decides is refused, and a name an address
 * entry of the allow list might still admit passes. A block entry wins
 * over an allow entry. Returns 0 (allowed, or not refused yet), or -1 with
 * a one-line reason in why that names the option, e.g.
 *   'localhost:8080 (127.0.0.1) is blocked by --block-hosts entry 127.0.0.0/8' */
int hostguard_check(const hostguard_t *g, const char *host, const char *addr, int port, char *why,
                    size_t whylen);

#endif
