/* hostrule: host, address and range rules for destinations; see hostrule.h. */
#include "base/hostrule.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HR_TOKEN_MAX 300 /* longest entry: a name of 253 bytes, a port, brackets */

typedef enum hr_kind {
    HR_ANY,    /* "*" */
    HR_NAME,   /* example.com */
    HR_SUFFIX, /* *.example.com: name holds ".example.com" */
    HR_NET,    /* an address or range */
} hr_kind_t;

/* One parsed entry. Owns text and name. */
typedef struct hr_entry {
    hr_kind_t kind;
    char *text; /* as written, for messages */
    char *name; /* HR_NAME, HR_SUFFIX: lower case, no trailing dot */
    int family; /* HR_NET: 4 or 6 */
    unsigned char net[16];
    unsigned prefix; /* HR_NET: bits that must match */
    int port;        /* 0: any */
} hr_entry_t;

struct hostrules {
    hr_entry_t *v;
    size_t n;
    bool has_addresses;
};

/* An address of either family: 4 bytes for IPv4, 16 for IPv6. */
typedef struct hr_addr {
    int family;
    unsigned char b[16];
} hr_addr_t;

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d. */
static void unmap_v4(hr_addr_t *a, unsigned *prefix)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (a->family != 6 || memcmp(a->b, mapped, sizeof(mapped)) != 0)
        return;
    if (prefix && *prefix < 96)
        return; /* a range wider than the mapped block stays IPv6 */
    memmove(a->b, a->b + 12, 4);
    memset(a->b + 4, 0, 12);
    a->family = 4;
    if (prefix)
        *prefix -= 96;
}

/* Parses n bytes of s as a numeric address (an IPv6 scope ignored). */
static bool parse_addr(const char *s, size_t n, hr_addr_t *out)
{
    char buf[64];
    const char *pct = memchr(s, '%', n);
    if (pct)
        n = (size_t)(pct - s);
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->b) == 1)
        out->family = 4;
    else if (inet_pton(AF_INET6, buf, out->b) == 1)
        out->family = 6;
    else
        return false;
    return true;
}

bool hostrule_is_address(const char *s)
{
    hr_addr_t a;
    return s && parse_addr(s, strlen(s), &a);
}

/* True when the first prefix bits of a and b agree. */
static bool same_prefix(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_port(const char *p, const char *tok, int *port, char *err, size_t errlen)
{
    char *end;
    if (!isdigit((unsigned char)*p))
        return fail(err, errlen, "entry \"%s\": port \"%s\" is not a number; write e.g. %s:443",
                    tok, p, "example.com");
    long v = strtol(p, &end, 10);
    if (*end || v < 1 || v > 65535)
        return fail(err, errlen, "entry \"%s\": port \"%s\" is not 1-65535", tok, p);
    *port = (int)v;
    return 0;
}

/* "10.0.0.0/8", "fd00::/8" or a single address into e. */
static int parse_net(hr_entry_t *e, const char *s, const char *tok, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    hr_addr_t a;
    if (!parse_addr(s, slash ? (size_t)(slash - s) : strlen(s), &a))
        return fail(err, errlen,
                    "entry \"%s\": \"%.*s\" is not an IPv4 or IPv6 address; write e.g. "
                    "10.0.0.0/8 or fd00::/8",
                    tok, (int)(slash ? slash - s : (long)strlen(s)), s);
    unsigned max = a.family == 4 ? 32 : 128, prefix = max;
    if (slash) {
        char *end;
        long v = isdigit((unsigned char)slash[1]) ? strtol(slash + 1, &end, 10) : -1;
        if (v < 0 || *end || v > (long)max)
            return fail(err, errlen, "entry \"%s\": prefix length \"%s\" is not 0-%u", tok,
                        slash + 1, max);
        prefix = (unsigned)v;
    }
    unmap_v4(&a, &prefix);
    e->kind = HR_NET;
    e->family = a.family;
    e->prefix = prefix;
    memcpy(e->net, a.b, sizeof(e->net));
    return 0;
}

static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

/* A host name (after any "*."), lower-cased into e->name. */
static int parse_name(hr_entry_t *e, const char *s, bool suffix, const char *tok, char *err,
                      size_t errlen)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '.')
        n--;
    bool digits = true;
    for (size_t i = 0; i < n; i++) {
        if (!name_char(s[i]))
            return fail(err, errlen,
                        "entry \"%s\": '%c' cannot be in a host name; write a name such as "
                        "api.example.com or *.example.com, an address or a range such as "
                        "10.0.0.0/8",
                        tok, s[i]);
        digits = digits && (isdigit((unsigned char)s[i]) || s[i] == '.');
    }
    if (n == 0 || s[0] == '.' || strstr(s, ".."))
        return fail(err, errlen, "entry \"%s\" has an empty name or label", tok);
    if (digits && !suffix)
        return fail(err, errlen, "entry \"%s\" is not an IPv4 address (four numbers 0-255)", tok);
    e->kind = suffix ? HR_SUFFIX : HR_NAME;
    if (!(e->name = malloc(n + 2)))
        return fail(err, errlen, "out of memory");
    size_t k = 0;
    if (suffix)
        e->name[k++] = '.';
    for (size_t i = 0; i < n; i++)
        e->name[k++] = (char)tolower((unsigned char)s[i]);
    e->name[k] = '\0';
    return 0;
}

/* Splits tok into the host part (copied to host) and its port. */
static int split_port(const char *tok, char *host, int *port, bool *bracketed, char *err,
                      size_t errlen)
{
    const char *colon;
    *port = 0;
    *bracketed = tok[0] == '[';
    if (*bracketed) {
        const char *close = strchr(tok, ']');
        if (!close)
            return fail(err, errlen, "entry \"%s\" opens [ without ]; write e.g. [::1]:8080", tok);
        if (close[1] && close[1] != ':')
            return fail(err, errlen, "entry \"%s\": after ] comes :PORT or nothing", tok);
        snprintf(host, HR_TOKEN_MAX, "%.*s", (int)(close - tok - 1), tok + 1);
        return close[1] ? parse_port(close + 2, tok, port, err, errlen) : 0;
    }
    colon = strchr(tok, ':');
    if (colon && strchr(colon + 1, ':')) { /* IPv6 without brackets: no port */
        snprintf(host, HR_TOKEN_MAX, "%.*s", (int)strlen(tok), tok);
        return 0;
    }
    snprintf(host, HR_TOKEN_MAX, "%.*s", (int)(colon ? colon - tok : (long)strlen(tok)), tok);
    return colon ? parse_port(colon + 1, tok, port, err, errlen) : 0;
}

static int parse_entry(hr_entry_t *e, const char *tok, char *err, size_t errlen)
{
    char host[HR_TOKEN_MAX];
    bool bracketed;
    if (strlen(tok) >= HR_TOKEN_MAX)
        return fail(err, errlen, "entry \"%.40s...\" is longer than %d bytes", tok,
                    HR_TOKEN_MAX - 1);
    if (!(e->text = strdup(tok)))
        return fail(err, errlen, "out of memory");
    if (split_port(tok, host, &e->port, &bracketed, err, errlen) < 0)
        return -1;
    if (bracketed || strchr(host, ':') || strchr(host, '/') || hostrule_is_address(host))
        return parse_net(e, host, tok, err, errlen);
    if (strcmp(host, "*") == 0) {
        e->kind = HR_ANY;
        return 0;
    }
    if (strncmp(host, "*.", 2) == 0)
        return parse_name(e, host + 2, true, tok, err, errlen);
    if (strchr(host, '*'))
        return fail(err, errlen,
                    "entry \"%s\": * stands only for the leading labels (*.example.com) or for "
                    "every host (*)",
                    tok);
    return parse_name(e, host, false, tok, err, errlen);
}

hostrules_t *hostrules_parse(const char *list, char *err, size_t errlen)
{
    hostrules_t *r = calloc(1, sizeof(*r));
    size_t cap = 0;
    if (!r) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, ", \t\r\n");
        size_t n = strcspn(p, ", \t\r\n");
        if (!n)
            break;
        if (r->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            hr_entry_t *v = realloc(r->v, ncap * sizeof(*v));
            if (!v) {
                fail(err, errlen, "out of memory");
                goto fail;
            }
            r->v = v;
            cap = ncap;
        }
        char tok[HR_TOKEN_MAX + 1];
        snprintf(tok, sizeof(tok), "%.*s", (int)(n < HR_TOKEN_MAX ? n : HR_TOKEN_MAX), p);
        hr_entry_t *e = &r->v[r->n++];
        memset(e, 0, sizeof(*e));
        if (parse_entry(e, tok, err, errlen) < 0)
            goto fail;
        r->has_addresses |= e->kind == HR_NET;
        p += n;
    }
    return r;
fail:
    hostrules_free(r);
    return NULL;
}

void hostrules_free(hostrules_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].text);
        free(r->v[i].name);
    }
    free(r->v);
    free(r);
}

size_t hostrules_count(const hostrules_t *r)
{
    return r ? r->n : 0;
}

bool hostrules_has_addresses(const hostrules_t *r)
{
    return r && r->has_addresses;
}

/* ---- matching --------------------------------------------------------- */

/* name lower-cased without a trailing dot into buf; false when too long. */
static bool fold_name(const char *name, char *buf, size_t n)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == '.')
        len--;
    if (len >= n)
        return false;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[len] = '\0';
    return true;
}

static bool entry_matches(const hr_entry_t *e, const char *name, const hr_addr_t *a)
{
    size_t n, k;
    switch (e->kind) {
    case HR_ANY:
        return name || a;
    case HR_NAME:
        return name && strcmp(name, e->name) == 0;
    case HR_SUFFIX:
        n = name ? strlen(name) : 0;
        k = strlen(e->name);
        return n > k && strcmp(name + n - k, e->name) == 0;
    case HR_NET:
        return a && a->family == e->family && same_prefix(a->b, e->net, e->prefix);
    }
    return false;
}

bool hostrules_match(const hostrules_t *r, const char *name, const char *addr, int port,
                     const char **entry)
{
    char folded[HR_TOKEN_MAX];
    hr_addr_t a;
    bool have_addr = addr && parse_addr(addr, strlen(addr), &a);
    if (have_addr)
        unmap_v4(&a, NULL);
    if (name && !fold_name(name, folded, sizeof(folded)))
        name = NULL;
    else if (name)
        name = folded;
    for (size_t i = 0; r && i < r->n; i++) {
        const hr_entry_t *e = &r->v[i];
        if (e->port && e->port != port)
            continue;
        if (entry_matches(e, name, have_addr ? &a : NULL)) {
            if (entry)
                *entry = e->text;
            return true;
        }
    }
    return false;
}

/* ---- the policy --------------------------------------------------------- */

bool hostguard_active(const hostguard_t *g)
{
    return g && (g->allow || g->block);
}

/* "host:port" ("[::1]:port"), then " (addr)" when addr is known and differs. */
static void describe(char *buf, size_t n, const char *host, const char *addr, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    bool show = addr && strcmp(addr, host) != 0;
    snprintf(buf, n, "%s%.255s%s:%d%s%.64s%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
             show ? " (" : "", show ? addr : "", show ? ")" : "");
}

int hostguard_check(const hostguard_t *g, const char *host, const char *addr, int port, char *why,
                    size_t whylen)
{
    if (!hostguard_active(g))
        return 0;
    bool literal = hostrule_is_address(host);
    const char *name = literal ? NULL : host;
    const char *a = addr ? addr : literal ? host : NULL;
    const char *entry = NULL;
    char dest[400];
    describe(dest, sizeof(dest), host, a, port);
    if (g->block && hostrules_match(g->block, name, a, port, &entry))
        return fail(why, whylen, "%s is blocked by %s entry %s", dest, g->block_from, entry);
    if (!g->allow || hostrules_match(g->allow, name, a, port, NULL))
        return 0;
    if (!a && hostrules_has_addresses(g->allow))
        return 0; /* its address decides */
    return fail(why, whylen,
                "%s is not in %s; add the host (or its address or range) there to "
                "let load go to it",
                dest, g->allow_from);
}
