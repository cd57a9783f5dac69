/* deflate: connect.compression and connect.deflate (permessage-deflate, RFC 7692). */
#include "spec/spec_int.h"

#include <stdio.h>
#include <string.h>

/* One of connect.deflate's window sizes at dpath.key: absent -> 0, else
 * 8 to 15 (RFC 7692's range). Returns 0 or -1 with c->err set. */
static int window_bits(spec_ctx_t *c, const char *dpath, const char *key, unsigned raw,
                       unsigned *out)
{
    char kpath[320];
    snprintf(kpath, sizeof(kpath), "%s.%s", dpath, key);
    *out = 0;
    if (!field_present(c, kpath))
        return 0;
    if (raw < 8 || raw > 15)
        return diag_fail_at(c, kpath,
                            "%s is %u; permessage-deflate windows are 8 to 15 bits, write e.g. "
                            "%s: 12",
                            kpath, raw, key);
    *out = raw;
    return 0;
}

int deflate_compile(spec_ctx_t *c, const char *base, const raw_connect_t *r, spec_scenario_t *out)
{
    char cpath[256], dpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.connect.compression", base);
    snprintf(dpath, sizeof(dpath), "%.200s.connect.deflate", base);
    memset(&out->deflate, 0, sizeof(out->deflate));
    if (r->compression && strcmp(r->compression, "deflate") != 0 &&
        strcmp(r->compression, "none") != 0)
        return diag_fail_at(c, cpath,
                            "%s \"%.40s\" is not deflate or none; write compression: deflate "
                            "(permessage-deflate) or leave it out",
                            cpath, r->compression);
    out->deflate.on = r->compression && strcmp(r->compression, "deflate") == 0;
    if (!r->deflate)
        return 0;
    if (!out->deflate.on)
        return diag_fail_at(c, dpath,
                            "%s sets permessage-deflate's parameters but nothing offers it; add "
                            "compression: deflate to %.200s.connect",
                            dpath, base);
    const raw_deflate_t *d = r->deflate;
    if (window_bits(c, dpath, "client_max_window_bits", d->client_max_window_bits,
                    &out->deflate.client_max_window_bits) < 0 ||
        window_bits(c, dpath, "server_max_window_bits", d->server_max_window_bits,
                    &out->deflate.server_max_window_bits) < 0)
        return -1;
    out->deflate.client_no_context_takeover = d->client_no_context_takeover;
    out->deflate.server_no_context_takeover = d->server_no_context_takeover;
    return 0;
}

int spec_deflate_offer(const spec_deflate_t *d, char *buf, size_t n)
{
    if (!d->on)
        return 0;
    int len = snprintf(buf, n, "permessage-deflate; client_max_window_bits");
    if (d->client_max_window_bits && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, "=%u", d->client_max_window_bits);
    if (d->server_max_window_bits && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, "; server_max_window_bits=%u",
                        d->server_max_window_bits);
    if (d->client_no_context_takeover && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, "; client_no_context_takeover");
    if (d->server_no_context_takeover && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, "; server_no_context_takeover");
    return len < 0 || (size_t)len >= n ? -1 : len;
}

bool spec_uses_deflate(const spec_t *s)
{
    for (size_t i = 0; i < s->nscenarios; i++)
        if (s->scenarios[i].deflate.on)
            return true;
    return false;
}
