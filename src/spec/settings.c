/* settings: the spec's target, variables, data and tls; see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pem.h"
#include "base/sbuf.h"
#include "base/url.h"
#include "spec/data.h"

/* ------------------------------------------------------------------ */
/* target: where the scenarios connect.                                 */

/* Checks a ws:// or wss:// target's host and port; an override (origin is
 * the flag or variable) is named instead of a line of the spec. */
static int check_target_url(spec_ctx_t *c, const char *t, const char *origin)
{
    char why[512];
    url_t u;
    if (strcmp(t, "embedded") == 0)
        return 0;
    if (url_parse(t, &u, why, sizeof(why)) == 0)
        return spec_guard_url(c, "target", origin, u.host, u.port);
    if (origin)
        return diag_fail_line(c, 0, "%s \"%.200s\": %s", origin, t, why);
    return diag_fail_at(c, "target", "target \"%.200s\": %s", t, why);
}

/* Picks --target, then $WSGATE_TARGET, then the spec's target. */
int settings_target(spec_ctx_t *c, const raw_spec_t *raw, const spec_opts_t *opts)
{
    const char *t = opts ? opts->target_override : NULL;
    const char *origin = "--target";
    const char *env = getenv("WSGATE_TARGET");
    if (!t || !*t) {
        t = env;
        origin = "WSGATE_TARGET";
    }
    if (!t || !*t) {
        t = raw->target;
        origin = NULL;
    }
    if (!t || !*t)
        return diag_fail_at(c, raw->target ? "target" : "",
                            "missing target; add target: ws://host:port (or pass --target URL "
                            "or set WSGATE_TARGET)");
    if (strcmp(t, "embedded") != 0 && !field_is_ws_url(t)) {
        if (origin)
            return diag_fail_line(c, 0,
                                  "%s \"%s\" is not a WebSocket URL; write ws://host:port, "
                                  "wss://host:port or embedded",
                                  origin, t);
        return diag_fail_at(c, "target",
                            "target \"%s\" is not a WebSocket URL; write "
                            "ws://host:port, wss://host:port or embedded",
                            t);
    }
    if (check_target_url(c, t, origin) < 0)
        return -1;
    if (!(c->s->target = diag_strdup(c, t)))
        return -1;
    size_t n = strlen(c->s->target);
    while (n > 1 && c->s->target[n - 1] == '/' && c->s->target[n - 2] != '/')
        c->s->target[--n] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ */
/* variables: the constants of the templates.                           */

static int check_variable(spec_ctx_t *c, const yloc_node_t *vars, size_t i)
{
    const yloc_node_t *v = vars->kids[i];
    if (!field_is_ident(v->key))
        return diag_fail_line(c, v->key_line,
                              "variable name \"%s\" is not usable in {{ }}; use "
                              "letters, digits and _ (e.g. room_id)",
                              v->key);
    if (field_is_reserved_var(v->key))
        return diag_fail_line(c, v->key_line,
                              "variable name \"%s\" is reserved; choose "
                              "another name",
                              v->key);
    for (size_t j = 0; j < i; j++)
        if (strcmp(vars->kids[j]->key, v->key) == 0)
            return diag_fail_line(c, v->key_line,
                                  "variable \"%s\" is defined twice (first on "
                                  "line %d); keep one",
                                  v->key, vars->kids[j]->key_line);
    if (v->kind != YLOC_SCALAR)
        return diag_fail_line(c, v->key_line,
                              "variable \"%s\" must be a plain value (text or "
                              "number), not a %s",
                              v->key, diag_kind_name(v->kind));
    return 0;
}

static int add_var(spec_ctx_t *c, const char *name, const char *value)
{
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return diag_oom(c);
    }
    c->var_names[c->nvars] = n;
    c->var_values[c->nvars] = v;
    c->nvars++;
    return 0;
}

/* "target_http": the target's origin, with http:// for ws:// and https://
 * for wss://: scheme, host and port as written, no path, query or
 * fragment, the base of HTTP steps and observe: URLs against the same
 * server. A target of another form is kept as it is. */
static int add_target_http(spec_ctx_t *c)
{
    const char *t = c->s->target;
    const char *scheme = strncmp(t, "wss://", 6) == 0  ? "https://"
                         : strncmp(t, "ws://", 5) == 0 ? "http://"
                                                       : NULL;
    char buf[2048];
    if (scheme) {
        const char *host = t + (t[2] == 's' ? 6 : 5);
        snprintf(buf, sizeof(buf), "%s%.*s", scheme, (int)strcspn(host, "/?#"), host);
    } else {
        snprintf(buf, sizeof(buf), "%.2000s", t);
    }
    return add_var(c, "target_http", buf);
}

/* --var NAME=VALUE: replaces the spec's variable NAME, or adds it. */
static int override_variables(spec_ctx_t *c)
{
    for (size_t i = 0; c->ovr && i < c->ovr->nvars; i++) {
        const override_var_t *v = &c->ovr->vars[i];
        size_t k = 0;
        while (k < c->nvars && strcmp(c->var_names[k], v->name) != 0)
            k++;
        if (k == c->nvars) {
            if (add_var(c, v->name, v->value) < 0)
                return -1;
            continue;
        }
        char *value = diag_strdup(c, v->value);
        if (!value)
            return -1;
        free(c->var_values[k]);
        c->var_values[k] = value;
    }
    return 0;
}

/* Reads `variables:` from the tree and builds the template scope: every
 * variable plus "target" and "target_http". */
int settings_variables(spec_ctx_t *c)
{
    const yloc_node_t *vars = yloc_child(c->root, "variables");
    size_t n = 0;
    if (vars && !yloc_is_null(vars)) {
        if (vars->kind != YLOC_MAP)
            return diag_fail_at(c, "variables",
                                "variables must be a mapping of name: value, "
                                "e.g. variables: {room: support-room-42}");
        n = vars->nkids;
    }
    size_t nover = c->ovr ? c->ovr->nvars : 0;
    c->var_names = calloc(n + nover + 2, sizeof(char *));
    c->var_values = calloc(n + nover + 2, sizeof(char *));
    if (!c->var_names || !c->var_values)
        return diag_oom(c);
    for (size_t i = 0; i < n; i++) {
        if (check_variable(c, vars, i) < 0 ||
            add_var(c, vars->kids[i]->key, vars->kids[i]->value) < 0)
            return -1;
    }
    if (override_variables(c) < 0)
        return -1;
    if (add_var(c, "target", c->s->target) < 0 || add_target_http(c) < 0)
        return -1;
    c->scope.const_names = (const char *const *)c->var_names;
    c->scope.const_values = (const char *const *)c->var_values;
    c->scope.nconst = c->nvars;
    return 0;
}

/* ------------------------------------------------------------------ */
/* data and tls: files next to the spec.                                */

/* A path in the spec, relative to the spec file's directory unless
 * absolute. Returns a malloc'd path or NULL (out of memory, reported). */
static char *relative_path(spec_ctx_t *c, const char *path)
{
    const char *slash = strrchr(c->file, '/');
    sbuf_t b = SBUF_INIT;
    if (path[0] != '/' && slash)
        sbuf_append(&b, c->file, (size_t)(slash - c->file) + 1);
    if (sbuf_puts(&b, path) < 0) {
        sbuf_free(&b);
        diag_oom(c);
        return NULL;
    }
    return b.data;
}

/* data: {file: users.csv, order: sequential|random}: the rows are read
 * now, and their columns join the template scope as data.NAME. */
int settings_data(spec_ctx_t *c, const raw_data_t *r)
{
    if (!r)
        return 0;
    spec_t *s = c->s;
    if (r->order && strcmp(r->order, "sequential") != 0 && strcmp(r->order, "random") != 0)
        return diag_fail_at(c, "data.order",
                            "data.order \"%s\" is not known; write order: sequential (user k takes "
                            "row k) or order: random",
                            r->order);
    s->data_random = r->order && strcmp(r->order, "random") == 0;
    if (!r->file[0])
        return diag_fail_at(c, "data.file", "data.file is empty; write e.g. file: users.csv");
    if (!(s->data_file = relative_path(c, r->file)))
        return -1;
    char why[SPEC_MSG_MAX];
    int line = 0;
    s->data = data_load(s->data_file, why, sizeof(why), &line);
    if (!s->data && line > 0) { /* the CSV's own file:line says where */
        snprintf(c->err, c->errlen, "%s", why);
        return -1;
    }
    if (!s->data)
        return diag_fail_at(c, "data.file", "data.file: %s; the path is relative to the spec file",
                            why);
    c->scope.data_columns = data_columns(s->data);
    c->scope.ndata = data_ncolumns(s->data);
    c->scope.data_file = s->data_file;
    return 0;
}

/* One tls: file: resolved against the spec's directory and checked. */
static int tls_file(spec_ctx_t *c, const char *key, const char *path, char **out)
{
    char ypath[64];
    snprintf(ypath, sizeof(ypath), "tls.%s", key);
    if (!path[0])
        return diag_fail_at(c, ypath, "%s is empty; write a path to a PEM file, e.g. %s: ca.pem",
                            ypath, key);
    if (!(*out = relative_path(c, path)))
        return -1;
    char why[SPEC_MSG_MAX];
    if (strcmp(key, "client_key") != 0 && pem_check_certs(*out, why, sizeof(why)) < 0)
        return diag_fail_at(c, ypath, "%s: %s; the path is relative to the spec file", ypath, why);
    return 0;
}

/* tls: {ca_file, client_cert, client_key, insecure_skip_verify}. */
int settings_tls(spec_ctx_t *c, const raw_tls_t *r)
{
    if (!r)
        return 0;
    spec_tls_t *t = &c->s->tls;
    if (r->insecure_skip_verify && r->ca_file)
        return diag_fail_at(
            c, "tls.insecure_skip_verify",
            "tls.insecure_skip_verify: true skips the check that tls.ca_file is for; "
            "keep one of them");
    if (!r->client_cert != !r->client_key)
        return diag_fail_at(
            c, r->client_cert ? "tls.client_cert" : "tls.client_key",
            "tls.client_cert and tls.client_key go together; give both (PEM files)");
    t->insecure = r->insecure_skip_verify;
    if ((r->ca_file && tls_file(c, "ca_file", r->ca_file, &t->ca_file) < 0) ||
        (r->client_cert && (tls_file(c, "client_cert", r->client_cert, &t->client_cert) < 0 ||
                            tls_file(c, "client_key", r->client_key, &t->client_key) < 0)))
        return -1;
    char why[SPEC_MSG_MAX];
    if (t->client_cert && pem_check_key(t->client_cert, t->client_key, why, sizeof(why)) < 0)
        return diag_fail_at(c, "tls.client_key", "tls.client_key: %s", why);
    return 0;
}
