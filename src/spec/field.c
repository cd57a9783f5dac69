/* field: readers and checks of single spec values shared by the compilers; see spec_int.h. */
#include "spec/spec_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/url.h"

#define SPEC_DEFAULT_TIMEOUT_US 10000000ull
#define SPEC_MAX_WEIGHT 1000000u

bool field_present(const spec_ctx_t *c, const char *ypath)
{
    return yloc_find(c->root, ypath) != NULL;
}

int field_duration(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out)
{
    char why[512];
    if (units_parse_duration(text, out, why, sizeof(why)) == 0)
        return 0;
    return diag_fail_at(c, ypath, "bad duration \"%s\" for %s: %s", text, ypath, why);
}

/* Optional timeout: default 10s, must be more than 0. */
int field_timeout(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out)
{
    *out = SPEC_DEFAULT_TIMEOUT_US;
    if (!text)
        return 0;
    if (field_duration(c, ypath, text, out) < 0)
        return -1;
    if (*out == 0)
        return diag_fail_at(c, ypath, "%s must be more than 0; write e.g. timeout: 5s", ypath);
    return 0;
}

/* Optional weight: absent means 1; an explicit 0 is an error. */
int field_weight(spec_ctx_t *c, const char *base, unsigned raw, unsigned *out)
{
    char ypath[256];
    snprintf(ypath, sizeof(ypath), "%.200s.weight", base);
    *out = field_present(c, ypath) ? raw : 1;
    if (*out == 0)
        return diag_fail_at(c, ypath, "%s must be at least 1; write weight: 1 or leave it out",
                            ypath);
    if (*out > SPEC_MAX_WEIGHT) /* weights are shares: their sums must not wrap */
        return diag_fail_at(c, ypath, "%s %u is more than %u; write smaller shares, e.g. weight: 3",
                            ypath, *out, SPEC_MAX_WEIGHT);
    return 0;
}

/* The bytes of the scalar at ypath when they hold a NUL (libcyaml's copy
 * ends at the first one), else NULL. */
static const yloc_node_t *nul_scalar(const spec_ctx_t *c, const char *ypath)
{
    const yloc_node_t *n = yloc_find(c->root, ypath);
    return n && n->kind == YLOC_SCALAR && n->value && n->len > strlen(n->value) ? n : NULL;
}

int field_tmpl(spec_ctx_t *c, const char *ypath, const char *src, tmpl_t **out)
{
    char why[1024];
    *out = NULL;
    if (nul_scalar(c, ypath))
        return diag_fail_at(c, ypath,
                            "%s holds a NUL byte (\\u0000), which it cannot carry; only a message "
                            "(send:, stomp body:) may hold one",
                            ypath);
    *out = tmpl_compile(src, &c->scope, why, sizeof(why));
    if (!*out)
        return diag_fail_at(c, ypath, "bad template in %s: %s", ypath, why);
    return 0;
}

int field_tmpl_bytes(spec_ctx_t *c, const char *ypath, const char *src, tmpl_t **out)
{
    char why[1024];
    const yloc_node_t *n = nul_scalar(c, ypath);
    *out = n ? tmpl_compile_n(n->value, n->len, &c->scope, why, sizeof(why))
             : tmpl_compile(src, &c->scope, why, sizeof(why));
    if (!*out)
        return diag_fail_at(c, ypath, "bad template in %s: %s", ypath, why);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The shape of a text: URLs, header lines, names.                      */

bool field_is_ws_url(const char *s)
{
    return (strncmp(s, "ws://", 5) == 0 && s[5]) || (strncmp(s, "wss://", 6) == 0 && s[6]);
}

int field_url(spec_ctx_t *c, const char *ypath, const tmpl_t *t, bool websocket)
{
    sbuf_t out = SBUF_INIT;
    char why[512];
    url_t u;
    int rc = 0;
    if (!tmpl_is_constant(t))
        return 0;
    if (tmpl_render(t, NULL, &out) < 0) {
        sbuf_free(&out);
        return diag_oom(c);
    }
    if (strcmp(c->s->target, "embedded") == 0 && strncmp(out.data, "embedded", 8) == 0)
        rc = 0; /* the run starts the server and knows its URL */
    else if (url_parse(out.data, &u, why, sizeof(why)) < 0)
        rc = diag_fail_at(c, ypath, "%s \"%.200s\": %s", ypath, out.data, why);
    else if (u.websocket != websocket)
        rc = diag_fail_at(c, ypath, "%s \"%.200s\" must start with %s", ypath, out.data,
                          websocket ? "ws:// or wss://" : "http:// or https://");
    else
        rc = spec_guard_url(c, ypath, NULL, u.host, u.port);
    sbuf_free(&out);
    return rc;
}

bool field_is_ident(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

bool field_is_reserved_var(const char *s)
{
    static const char *const reserved[] = { "target", "target_http", "vu", "now",
                                            "random", "uuid",        "env" };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(s, reserved[i]) == 0)
            return true;
    return false;
}

/* "Name: value" with a token name, as HTTP wants it. */
bool field_is_header(const char *h)
{
    size_t n = strspn(h, "!#$%&'*+-.^_`|~0123456789"
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    return n > 0 && h[n] == ':';
}
