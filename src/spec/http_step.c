/* http_step: an http: request step and its captures; see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/sbuf.h"

static bool is_http_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]) ||
           strncmp(s, "{{", 2) == 0;
}

static int compile_http_method(spec_ctx_t *c, const char *ypath, const char *m, spec_http_t *h)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
    char mpath[256];
    snprintf(mpath, sizeof(mpath), "%.200s.http.method", ypath);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!m || strcasecmp(m, methods[i]) == 0) {
            snprintf(h->method, sizeof(h->method), "%s", m ? methods[i] : "GET");
            return 0;
        }
    }
    return diag_fail_at(c, mpath, "%s \"%.40s\" is not GET, POST, PUT, PATCH or DELETE", mpath, m);
}

static int compile_http_headers(spec_ctx_t *c, const char *ypath, const raw_http_t *r,
                                spec_http_t *h)
{
    if (r->headers_count == 0)
        return 0;
    if (!(h->headers = calloc(r->headers_count, sizeof(*h->headers))))
        return diag_oom(c);
    h->nheaders = r->headers_count;
    for (unsigned i = 0; i < r->headers_count; i++) {
        char hpath[256];
        snprintf(hpath, sizeof(hpath), "%.200s.http.headers[%u]", ypath, i);
        if (!field_is_header(r->headers[i]))
            return diag_fail_at(c, hpath,
                                "header \"%.60s\" is not \"Name: value\"; write e.g. "
                                "\"Accept: application/json\"",
                                r->headers[i]);
        if (field_tmpl(c, hpath, r->headers[i], &h->headers[i]) < 0)
            return -1;
    }
    return 0;
}

/* json:, form: or body: (at most one) -> the body template and its type. */
static int compile_http_body(spec_ctx_t *c, const char *ypath, const raw_http_t *r, spec_http_t *h)
{
    char bpath[256];
    const char *src = r->json ? r->json : r->form ? r->form : r->body;
    const char *key = r->json ? "json" : r->form ? "form" : "body";
    if (!src)
        return 0;
    if ((r->json != NULL) + (r->form != NULL) + (r->body != NULL) > 1)
        return diag_fail_at(c, ypath, "%s.http has more than one of json, form and body; keep one",
                            ypath);
    snprintf(bpath, sizeof(bpath), "%.200s.http.%s", ypath, key);
    h->content_type = r->json   ? "application/json"
                      : r->form ? "application/x-www-form-urlencoded"
                                : NULL;
    return field_tmpl(c, bpath, src, &h->body);
}

/* One capture value: json.PATH or cookie.NAME. */
static int compile_capture(spec_ctx_t *c, const char *cpath, const yloc_node_t *kv,
                           spec_capture_t *cap)
{
    char why[512];
    const char *v = kv->kind == YLOC_SCALAR ? kv->value : "";
    if (!(cap->src = diag_strdup(c, v)))
        return -1;
    if (strncmp(v, "json.", 5) == 0 && v[5]) {
        cap->json = pred_path_compile(v + 5, why, sizeof(why));
        if (!cap->json)
            return diag_fail_line(c, kv->line, "%s.%s: bad field path \"%s\": %s", cpath, kv->key,
                                  v + 5, why);
        return 0;
    }
    if (strncmp(v, "cookie.", 7) == 0 && v[7] && !strpbrk(v + 7, " ;=,")) {
        cap->cookie = diag_strdup(c, v + 7);
        return cap->cookie ? 0 : -1;
    }
    return diag_fail_line(c, kv->line,
                          "%s.%s \"%.60s\" is not json.FIELD or cookie.NAME; write e.g. "
                          "capture: {access_token: json.access_token}",
                          cpath, kv->key, v);
}

/* http.capture: name: json.PATH or cookie.NAME of the reply, into slots. */
static int compile_captures(spec_ctx_t *c, const char *ypath, spec_http_t *h)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.http.capture", ypath);
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map) || map->nkids == 0)
        return 0;
    if (!(h->captures = calloc(map->nkids, sizeof(*h->captures))))
        return diag_oom(c);
    for (size_t i = 0; i < map->nkids; i++) {
        h->captures[i].slot = names_find_slot(c, map->kids[i]->key);
        h->ncaptures++;
        if (compile_capture(c, cpath, map->kids[i], &h->captures[i]) < 0)
            return -1;
    }
    return 0;
}

/* Renders the URL for user 1 (no captures yet): https or not. */
static bool renders_https(const tmpl_t *url)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng };
    sbuf_t out = SBUF_INIT;
    bool tls =
        tmpl_render(url, &ctx, &out) == 0 && out.data && strncmp(out.data, "https://", 8) == 0;
    sbuf_free(&out);
    return tls;
}

int http_step_compile(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char upath[256], tpath[256];
    const raw_http_t *r = st->http;
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (st->send || st->send_binary || st->expect || st->sleep || st->reconnect || st->close)
        return diag_fail_at(
            c, ypath, "%s has http beside other actions; make the http request a step of its own",
            ypath);
    if (st->name && (!(out->name = diag_strdup(c, st->name)) ||
                     names_step_metric(c, st->name, ypath, &out->metric) < 0))
        return -1;
    if (!(out->http = calloc(1, sizeof(*out->http))))
        return diag_oom(c);
    spec_http_t *h = out->http;
    snprintf(upath, sizeof(upath), "%.200s.http.url", ypath);
    snprintf(tpath, sizeof(tpath), "%.200s.http.timeout", ypath);
    if (compile_http_method(c, ypath, r->method, h) < 0)
        return -1;
    if (!is_http_url(r->url))
        return diag_fail_at(c, upath,
                            "%s \"%.80s\" must start with http://, https:// or {{target_http}}; "
                            "write e.g. url: \"{{target_http}}/api/auth/login\"",
                            upath, r->url);
    if (field_tmpl(c, upath, r->url, &h->url) < 0 || field_url(c, upath, h->url, false) < 0 ||
        compile_http_headers(c, ypath, r, h) < 0 || compile_http_body(c, ypath, r, h) < 0 ||
        field_timeout(c, tpath, r->timeout, &h->timeout_us) < 0)
        return -1;
    snprintf(tpath, sizeof(tpath), "%.200s.http.expect_status", ypath);
    if (field_present(c, tpath) && (r->expect_status < 100 || r->expect_status > 599))
        return diag_fail_at(c, tpath, "%s %u is not an HTTP status; write e.g. expect_status: 200",
                            tpath, r->expect_status);
    h->expect_status = (int)r->expect_status;
    h->https = renders_https(h->url);
    return compile_captures(c, ypath, h);
}
