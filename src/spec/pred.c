/* pred: predicates compiled by recursive descent into a small tree; see pred.h. */
#include "spec/pred.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRED_MAX_DEPTH 64 /* nesting of ! and ( ), so input cannot exhaust the stack */
#define PRED_MAX_INDEX 1000000

typedef enum pred_kind {
    PK_OR,
    PK_AND,
    PK_NOT,
    PK_CMP,
    PK_IN,
    PK_EXISTS,
    PK_CONTAINS, /* path contains literal: a substring, or an element of an array */
    PK_MATCH,    /* path ~ "regex": a string the POSIX extended regex matches */
} pred_kind_t;
typedef enum pred_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } pred_op_t;
typedef enum pred_lit_kind {
    LIT_STRING,
    LIT_NUMBER,
    LIT_TRUE,
    LIT_FALSE,
    LIT_NULL
} pred_lit_kind_t;

typedef struct pred_lit {
    pred_lit_kind_t kind;
    char *str;  /* LIT_STRING: owned (a template's source when t is set) */
    double num; /* LIT_NUMBER */
    tmpl_t *t;  /* LIT_STRING holding {{...}} the user renders: owned, else NULL */
} pred_lit_t;

/* One path step: an object key, or an array index when key is NULL. */
typedef struct pred_seg {
    char *key; /* owned */
    int index;
} pred_seg_t;

/* A node of the tree; the root is what pred_compile returns. Owns its
 * children, segments and literals. A chain a && b && c is one PK_AND node
 * with three kids, so the tree is only as deep as the nesting of ! and
 * parentheses (PRED_MAX_DEPTH): freeing and evaluating recurse that deep at
 * most, whatever the length of the predicate. Arrays grow by doubling, so
 * compiling is linear in the predicate's length. */
struct pred {
    pred_kind_t kind;
    struct pred **kids; /* PK_OR, PK_AND: nkids >= 2; PK_NOT: one */
    size_t nkids, capkids;
    pred_seg_t *segs; /* PK_CMP, PK_IN, PK_EXISTS */
    size_t nsegs, capsegs;
    pred_op_t op;     /* PK_CMP */
    pred_lit_t *lits; /* PK_CMP, PK_CONTAINS, PK_MATCH: one; PK_IN: nlits */
    size_t nlits, caplits;
    regex_t *re; /* PK_MATCH: compiled once, here (owned) */
};

typedef struct pred_parser {
    const char *src;
    const tmpl_scope_t *scope; /* names strings' {{...}} may use; NULL: no templates */
    size_t pos;
    int depth;
    char *err;
    size_t errlen;
} pred_parser_t;

/* ------------------------------------------------------------------ */
/* Errors.                                                              */

static void fail(pred_parser_t *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(pred_parser_t *p, size_t pos, const char *fmt, ...)
{
    if (!p->errlen || p->err[0])
        return; /* the first error is the one that explains */
    int n = snprintf(p->err, p->errlen, "column %zu: ", pos + 1);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == '$';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '-';
}

/* Describes what is at pos for "found ..." in messages. */
static void describe(const pred_parser_t *p, size_t pos, char *buf, size_t len)
{
    const char *s = p->src + pos;
    size_t n = 1;
    if (!*s) {
        snprintf(buf, len, "end of input");
        return;
    }
    if (*s == '"' || *s == '\'') {
        const char *close = strchr(s + 1, *s);
        n = close ? (size_t)(close - s) + 1 : strlen(s);
        snprintf(buf, len, "the string %.*s%s", (int)(n > 24 ? 24 : n), s, n > 24 ? "..." : "");
        return;
    }
    if (ident_char(*s) || *s == '.')
        for (n = 0; s[n] && (ident_char(s[n]) || s[n] == '.') && n < 24; n++)
            ;
    else if (strchr("=!<>&|", *s) && s[1] && strchr("=&|", s[1]))
        n = 2;
    snprintf(buf, len, "\"%.*s\"", (int)n, s);
}

static void fail_expected(pred_parser_t *p, const char *what)
{
    char found[40];
    describe(p, p->pos, found, sizeof(found));
    fail(p, p->pos, "expected %s, found %s", what, found);
}

/* ------------------------------------------------------------------ */
/* Tree.                                                                */

static void lits_free(pred_lit_t *lits, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(lits[i].str);
        tmpl_free(lits[i].t);
    }
    free(lits);
}

void pred_free(pred_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nkids; i++)
        pred_free(p->kids[i]);
    free(p->kids);
    for (size_t i = 0; i < p->nsegs; i++)
        free(p->segs[i].key);
    free(p->segs);
    lits_free(p->lits, p->nlits);
    if (p->re) {
        regfree(p->re);
        free(p->re);
    }
    free(p);
}

static pred_t *new_node(pred_parser_t *p, pred_kind_t kind)
{
    pred_t *n = calloc(1, sizeof(*n));
    if (!n)
        fail(p, p->pos, "out of memory");
    else
        n->kind = kind;
    return n;
}

/* Grows *v (of *cap elements of size each) to hold n + 1. Returns 0, or -1
 * when out of memory (then *v is unchanged). */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* Appends kid to n's kids; takes ownership of kid, even on failure. */
static int add_kid(pred_parser_t *p, pred_t *n, pred_t *kid)
{
    if (grow((void **)&n->kids, &n->capkids, n->nkids, sizeof(*n->kids)) < 0) {
        pred_free(kid);
        fail(p, p->pos, "out of memory");
        return -1;
    }
    n->kids[n->nkids++] = kid;
    return 0;
}

/* Wraps first in a new node of kind; takes ownership of first, even on
 * failure. */
static pred_t *new_parent(pred_parser_t *p, pred_kind_t kind, pred_t *first)
{
    pred_t *n = new_node(p, kind);
    if (!n) {
        pred_free(first);
        return NULL;
    }
    if (add_kid(p, n, first) < 0) {
        free(n);
        return NULL;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Lexing.                                                              */

static void skip_ws(pred_parser_t *p)
{
    while (isspace((unsigned char)p->src[p->pos]))
        p->pos++;
}

/* Consumes tok (after whitespace) when it is next. */
static bool accept(pred_parser_t *p, const char *tok)
{
    skip_ws(p);
    size_t n = strlen(tok);
    if (strncmp(p->src + p->pos, tok, n) != 0)
        return false;
    p->pos += n;
    return true;
}

/* Consumes the keyword word when it is next and not part of a longer name. */
static bool accept_word(pred_parser_t *p, const char *word)
{
    skip_ws(p);
    size_t n = strlen(word);
    if (strncmp(p->src + p->pos, word, n) != 0 || ident_char(p->src[p->pos + n]))
        return false;
    p->pos += n;
    return true;
}

/* A string literal holding {{...}}: a template of the user's own values
 * (vu.id, captures, data.*), rendered when the predicate is evaluated for
 * that user; one that renders the same for everyone is folded here. */
static int string_template(pred_parser_t *p, size_t at, pred_lit_t *lit)
{
    char why[512];
    tmpl_t *t = tmpl_compile(lit->str, p->scope, why, sizeof(why));
    if (!t) {
        fail(p, at, "bad template in string: %s", why);
        return -1;
    }
    if (!tmpl_is_stable(t)) {
        tmpl_free(t);
        fail(p, at,
             "now.*, random.* and uuid change on every message; a predicate's "
             "template may use vu.id, vu.iteration, captured values, data.* and variables");
        return -1;
    }
    if (!tmpl_is_constant(t)) {
        lit->t = t;
        return 0;
    }
    sbuf_t b = SBUF_INIT;
    tmpl_ctx_t none = { 0 };
    int rc = tmpl_render(t, &none, &b);
    tmpl_free(t);
    char *v = rc < 0 ? NULL : b.data ? b.data : strdup("");
    if (!v) {
        sbuf_free(&b);
        fail(p, at, "out of memory");
        return -1;
    }
    free(lit->str);
    lit->str = v; /* owned now */
    return 0;
}

static int read_string(pred_parser_t *p, pred_lit_t *lit)
{
    size_t start = p->pos;
    char q = p->src[p->pos++];
    size_t cap = 1, n = 0;
    for (size_t i = p->pos; p->src[i] && p->src[i] != q; i++, cap++)
        if (p->src[i] == '\\' && p->src[i + 1])
            i++;
    char *s = malloc(cap);
    if (!s) {
        fail(p, start, "out of memory");
        return -1;
    }
    while (p->src[p->pos] && p->src[p->pos] != q) {
        char c = p->src[p->pos++];
        if (c == '\\' && p->src[p->pos]) {
            c = p->src[p->pos++];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        s[n++] = c;
    }
    if (!p->src[p->pos]) {
        free(s);
        fail(p, start, "unterminated string; close it with %c", q);
        return -1;
    }
    p->pos++;
    s[n] = '\0';
    lit->kind = LIT_STRING;
    lit->str = s;
    if (!p->scope || !strstr(s, "{{") || string_template(p, start, lit) == 0)
        return 0;
    free(lit->str); /* a literal that failed is not counted, so not freed with its node */
    lit->str = NULL;
    return -1;
}

/* JSON-style number: -?digits[.digits][(e|E)[+-]digits]. */
static int read_number(pred_parser_t *p, pred_lit_t *lit)
{
    const char *s = p->src + p->pos;
    size_t n = s[0] == '-' ? 1 : 0;
    size_t digits = n;
    while (isdigit((unsigned char)s[n]))
        n++;
    if (n == digits) {
        fail_expected(p, "a quoted string, number, true, false or null");
        return -1;
    }
    if (s[n] == '.' && isdigit((unsigned char)s[n + 1]))
        for (n++; isdigit((unsigned char)s[n]); n++)
            ;
    if ((s[n] == 'e' || s[n] == 'E') &&
        (isdigit((unsigned char)s[n + 1]) ||
         (strchr("+-", s[n + 1]) && s[n + 1] && isdigit((unsigned char)s[n + 2]))))
        for (n += 2; isdigit((unsigned char)s[n]); n++)
            ;
    if (ident_char(s[n]) || s[n] == '.') {
        while (ident_char(s[n]) || s[n] == '.')
            n++;
        fail(p, p->pos, "malformed number \"%.*s\"", (int)n, s);
        return -1;
    }
    lit->kind = LIT_NUMBER;
    lit->num = strtod(s, NULL);
    p->pos += n;
    return 0;
}

static int parse_literal(pred_parser_t *p, pred_lit_t *lit)
{
    *lit = (pred_lit_t){ 0 };
    skip_ws(p);
    char c = p->src[p->pos];
    if (c == '"' || c == '\'')
        return read_string(p, lit);
    if (c == '-' || isdigit((unsigned char)c))
        return read_number(p, lit);
    if (accept_word(p, "true"))
        lit->kind = LIT_TRUE;
    else if (accept_word(p, "false"))
        lit->kind = LIT_FALSE;
    else if (accept_word(p, "null"))
        lit->kind = LIT_NULL;
    else {
        fail_expected(p, "a quoted string, number, true, false or null");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Paths.                                                               */

static int push_seg(pred_parser_t *p, pred_t *n, char *key, int index)
{
    if (grow((void **)&n->segs, &n->capsegs, n->nsegs, sizeof(*n->segs)) < 0) {
        free(key);
        fail(p, p->pos, "out of memory");
        return -1;
    }
    n->segs[n->nsegs++] = (pred_seg_t){ .key = key, .index = index };
    return 0;
}

static int read_key(pred_parser_t *p, pred_t *n)
{
    size_t start = p->pos;
    while (ident_char(p->src[p->pos]))
        p->pos++;
    char *key = strndup(p->src + start, p->pos - start);
    if (!key) {
        fail(p, start, "out of memory");
        return -1;
    }
    return push_seg(p, n, key, -1);
}

/* "[ 12 ]"; p->pos is on the "[". */
static int read_index(pred_parser_t *p, pred_t *n)
{
    p->pos++;
    skip_ws(p);
    if (!isdigit((unsigned char)p->src[p->pos])) {
        fail_expected(p, "an array index (0, 1, ...)");
        return -1;
    }
    long v = 0;
    while (isdigit((unsigned char)p->src[p->pos]) && v <= PRED_MAX_INDEX)
        v = v * 10 + (p->src[p->pos++] - '0');
    if (v > PRED_MAX_INDEX) {
        fail(p, p->pos, "array index is too large");
        return -1;
    }
    if (!accept(p, "]")) {
        fail_expected(p, "\"]\"");
        return -1;
    }
    return push_seg(p, n, NULL, (int)v);
}

/* path := ident ( '.' ident | '[' integer ']' )*, with no spaces around '.'. */
static int parse_path(pred_parser_t *p, pred_t *n)
{
    skip_ws(p);
    if (!ident_start(p->src[p->pos])) {
        fail_expected(p, "a field name, \"!\" or \"(\"");
        return -1;
    }
    if (read_key(p, n) < 0)
        return -1;
    for (;;) {
        char c = p->src[p->pos];
        if (c == '.' && ident_start(p->src[p->pos + 1])) {
            p->pos++;
            if (read_key(p, n) < 0)
                return -1;
        } else if (c == '.') {
            p->pos++;
            fail_expected(p, "a field name after \".\"");
            return -1;
        } else if (c == '[') {
            if (read_index(p, n) < 0)
                return -1;
        } else {
            return 0;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Grammar.                                                             */

static pred_t *parse_expr(pred_parser_t *p);

static bool accept_op(pred_parser_t *p, pred_op_t *op)
{
    static const struct {
        const char *tok;
        pred_op_t op;
    } ops[] = { { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE },
                { ">=", OP_GE }, { "<", OP_LT },  { ">", OP_GT } };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (accept(p, ops[i].tok)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

static int parse_compare(pred_parser_t *p, pred_t *n, pred_op_t op)
{
    size_t at = (skip_ws(p), p->pos);
    if (!(n->lits = calloc(1, sizeof(*n->lits)))) {
        fail(p, at, "out of memory");
        return -1;
    }
    n->nlits = n->caplits = 1;
    n->kind = PK_CMP;
    n->op = op;
    if (parse_literal(p, &n->lits[0]) < 0)
        return -1;
    if (op != OP_EQ && op != OP_NE && n->lits[0].kind != LIT_NUMBER) {
        fail(p, at, "< <= > >= compare numbers; put a number here");
        return -1;
    }
    return 0;
}

static int push_lit(pred_parser_t *p, pred_t *n)
{
    if (grow((void **)&n->lits, &n->caplits, n->nlits, sizeof(*n->lits)) < 0) {
        fail(p, p->pos, "out of memory");
        return -1;
    }
    n->lits[n->nlits] = (pred_lit_t){ 0 };
    if (parse_literal(p, &n->lits[n->nlits]) < 0)
        return -1;
    n->nlits++;
    return 0;
}

/* '[' literal (',' literal)* ']' after "in". */
static int parse_list(pred_parser_t *p, pred_t *n)
{
    n->kind = PK_IN;
    if (!accept(p, "[")) {
        fail_expected(p, "\"[\" after in");
        return -1;
    }
    do {
        if (push_lit(p, n) < 0)
            return -1;
    } while (accept(p, ","));
    if (!accept(p, "]")) {
        fail_expected(p, "\",\" or \"]\"");
        return -1;
    }
    return 0;
}

/* 'contains' literal: a string, number, true, false or null. */
static int parse_contains(pred_parser_t *p, pred_t *n)
{
    n->kind = PK_CONTAINS;
    return push_lit(p, n);
}

/* '~' "regex": compiled here with regcomp (POSIX extended), never at run time. */
static int parse_match(pred_parser_t *p, pred_t *n)
{
    size_t at = (skip_ws(p), p->pos);
    n->kind = PK_MATCH;
    if (push_lit(p, n) < 0)
        return -1;
    if (n->lits[0].kind != LIT_STRING) {
        fail(p, at, "~ takes a regular expression in quotes, e.g. text ~ \"^pong\"");
        return -1;
    }
    if (n->lits[0].t) {
        fail(p, at, "a regular expression is compiled once, for everyone: it cannot hold {{...}}");
        return -1;
    }
    if (!(n->re = malloc(sizeof(*n->re)))) {
        fail(p, at, "out of memory");
        return -1;
    }
    int rc = regcomp(n->re, n->lits[0].str, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[160];
        regerror(rc, n->re, why, sizeof(why));
        free(n->re);
        n->re = NULL;
        fail(p, at, "bad regular expression \"%.60s\": %s", n->lits[0].str, why);
        return -1;
    }
    return 0;
}

/* True when a bare path is complete: what follows can only come after a cmp. */
static bool ends_cmp(pred_parser_t *p)
{
    const char *s = p->src + p->pos;
    return !*s || *s == ')' || strncmp(s, "&&", 2) == 0 || strncmp(s, "||", 2) == 0;
}

/* cmp := path OP literal | path 'in' list | path 'contains' literal
 *      | path '~' string | path */
static pred_t *parse_cmp(pred_parser_t *p)
{
    pred_t *n = new_node(p, PK_EXISTS);
    pred_op_t op;
    int rc = -1;
    if (!n || parse_path(p, n) < 0)
        goto done;
    if (accept_op(p, &op))
        rc = parse_compare(p, n, op);
    else if (accept_word(p, "in"))
        rc = parse_list(p, n);
    else if (accept_word(p, "contains"))
        rc = parse_contains(p, n);
    else if (accept(p, "~"))
        rc = parse_match(p, n);
    else if (ends_cmp(p))
        rc = 0;
    else
        fail_expected(p, "== != < <= > >= in contains or ~");
done:
    if (rc < 0) {
        pred_free(n);
        return NULL;
    }
    return n;
}

static pred_t *parse_unary(pred_parser_t *p)
{
    skip_ws(p);
    if (++p->depth > PRED_MAX_DEPTH) {
        fail(p, p->pos, "nested too deeply (more than %d levels of ! and parentheses)",
             PRED_MAX_DEPTH);
        return NULL;
    }
    pred_t *n;
    if (accept(p, "!")) {
        pred_t *inner = parse_unary(p);
        n = inner ? new_parent(p, PK_NOT, inner) : NULL;
    } else if (accept(p, "(")) {
        n = parse_expr(p);
        if (n && !accept(p, ")")) {
            fail_expected(p, "\")\", && or ||");
            pred_free(n);
            n = NULL;
        }
    } else {
        n = parse_cmp(p);
    }
    p->depth--;
    return n;
}

/* One operand, then (op operand)*: a chain of two or more becomes one node
 * of kind holding every operand. */
static pred_t *parse_chain(pred_parser_t *p, const char *op, pred_kind_t kind,
                           pred_t *(*operand)(pred_parser_t *))
{
    pred_t *n = operand(p);
    if (!n || !accept(p, op))
        return n;
    if (!(n = new_parent(p, kind, n)))
        return NULL;
    do {
        pred_t *rhs = operand(p);
        if (!rhs || add_kid(p, n, rhs) < 0) {
            pred_free(n);
            return NULL;
        }
    } while (accept(p, op));
    return n;
}

static pred_t *parse_and(pred_parser_t *p)
{
    return parse_chain(p, "&&", PK_AND, parse_unary);
}

static pred_t *parse_expr(pred_parser_t *p)
{
    return parse_chain(p, "||", PK_OR, parse_and);
}

/* Compiles src; with scope, its strings may hold {{...}}. */
static pred_t *compile(const char *src, const tmpl_scope_t *scope, char *err, size_t errlen)
{
    pred_parser_t p = { .src = src ? src : "", .scope = scope, .err = err, .errlen = errlen };
    if (errlen)
        err[0] = '\0';
    const char *hole = scope ? NULL : strstr(p.src, "{{");
    if (hole) { /* it would compile as a literal and silently never match */
        if (errlen)
            snprintf(err, errlen,
                     "column %d: predicates are not templates, \"{{\" is not expanded here; "
                     "write the value itself (e.g. channel == \"room:42\")",
                     (int)(hole - p.src) + 1);
        return NULL;
    }
    pred_t *n = parse_expr(&p);
    if (n && (skip_ws(&p), p.src[p.pos])) {
        fail_expected(&p, "&&, || or the end of the predicate");
        pred_free(n);
        n = NULL;
    }
    if (!n && errlen && !err[0])
        snprintf(err, errlen, "column 1: cannot compile predicate");
    return n;
}

pred_t *pred_compile(const char *src, char *err, size_t errlen)
{
    return compile(src, NULL, err, errlen);
}

pred_t *pred_compile_scoped(const char *src, const tmpl_scope_t *scope, char *err, size_t errlen)
{
    return compile(src, scope, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Evaluation.                                                          */

static const cJSON *lookup(const pred_t *n, const cJSON *msg)
{
    const cJSON *v = msg;
    for (size_t i = 0; v && i < n->nsegs; i++) {
        const pred_seg_t *s = &n->segs[i];
        if (s->key)
            v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, s->key) : NULL;
        else
            v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, s->index) : NULL;
    }
    return v;
}

/* One evaluation: the user whose templates the literals render for. */
typedef struct pred_env {
    const tmpl_ctx_t *ctx; /* NULL: templates render with no user values */
    sbuf_t *tmp;           /* a rendered literal */
} pred_env_t;

/* The literal's text: its own, or its template rendered for the user. */
static const char *lit_str(const pred_lit_t *lit, pred_env_t *env)
{
    if (!lit->t)
        return lit->str;
    static const tmpl_ctx_t none = { 0 };
    sbuf_truncate(env->tmp, 0);
    if (tmpl_render(lit->t, env->ctx ? env->ctx : &none, env->tmp) < 0)
        return NULL; /* out of memory: matches nothing */
    return env->tmp->data ? env->tmp->data : "";
}

/* Equality of a JSON value and a literal; different types are never equal. */
static bool equal(const cJSON *v, const pred_lit_t *lit, pred_env_t *env)
{
    const char *str;
    switch (lit->kind) {
    case LIT_STRING:
        if (!cJSON_IsString(v) || !v->valuestring)
            return false;
        str = lit_str(lit, env);
        return str && strcmp(v->valuestring, str) == 0;
    case LIT_NUMBER:
        return cJSON_IsNumber(v) && v->valuedouble == lit->num;
    case LIT_TRUE:
        return cJSON_IsTrue(v);
    case LIT_FALSE:
        return cJSON_IsFalse(v);
    case LIT_NULL:
        return cJSON_IsNull(v);
    }
    return false;
}

static bool compare(const cJSON *v, pred_op_t op, const pred_lit_t *lit, pred_env_t *env)
{
    if (op == OP_EQ)
        return equal(v, lit, env);
    if (op == OP_NE)
        return !equal(v, lit, env);
    if (!cJSON_IsNumber(v))
        return false;
    double a = v->valuedouble, b = lit->num;
    switch (op) {
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_GT:
        return a > b;
    default:
        return a >= b;
    }
}

/* A substring of a string, or an element of an array equal to lit. */
static bool contains(const cJSON *v, const pred_lit_t *lit, pred_env_t *env)
{
    if (cJSON_IsString(v)) {
        const char *str = lit->kind == LIT_STRING ? lit_str(lit, env) : NULL;
        return str && v->valuestring && strstr(v->valuestring, str);
    }
    if (!cJSON_IsArray(v))
        return false;
    for (const cJSON *e = v->child; e; e = e->next)
        if (equal(e, lit, env))
            return true;
    return false;
}

static bool eval_node(const pred_t *n, const cJSON *msg, pred_env_t *env)
{
    const cJSON *v;
    switch (n->kind) {
    case PK_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (eval_node(n->kids[i], msg, env))
                return true;
        return false;
    case PK_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (!eval_node(n->kids[i], msg, env))
                return false;
        return true;
    case PK_NOT:
        return !eval_node(n->kids[0], msg, env);
    case PK_EXISTS:
        v = lookup(n, msg);
        return v && !cJSON_IsFalse(v) && !cJSON_IsNull(v);
    case PK_CMP:
        v = lookup(n, msg);
        return v ? compare(v, n->op, &n->lits[0], env) : n->op == OP_NE;
    case PK_CONTAINS:
        return contains(lookup(n, msg), &n->lits[0], env);
    case PK_MATCH:
        v = lookup(n, msg);
        return cJSON_IsString(v) && v->valuestring &&
               regexec(n->re, v->valuestring, 0, NULL, 0) == 0;
    case PK_IN:
        v = lookup(n, msg);
        for (size_t i = 0; v && i < n->nlits; i++)
            if (equal(v, &n->lits[i], env))
                return true;
        return false;
    }
    return false;
}

bool pred_eval_in(const pred_t *p, const cJSON *msg, const tmpl_ctx_t *ctx, sbuf_t *scratch)
{
    if (!p || !cJSON_IsObject(msg))
        return false;
    pred_env_t env = { .ctx = ctx, .tmp = scratch };
    return eval_node(p, msg, &env);
}

bool pred_eval_for(const pred_t *p, const cJSON *msg, const tmpl_ctx_t *ctx)
{
    sbuf_t tmp = SBUF_INIT;
    bool hit = pred_eval_in(p, msg, ctx, &tmp);
    sbuf_free(&tmp);
    return hit;
}

bool pred_eval(const pred_t *p, const cJSON *msg)
{
    return pred_eval_for(p, msg, NULL);
}

void pred_root_keys(const pred_t *p, void (*fn)(const char *key, void *arg), void *arg)
{
    if (!p)
        return;
    if (p->nsegs && p->segs[0].key)
        fn(p->segs[0].key, arg);
    for (size_t i = 0; i < p->nkids; i++)
        pred_root_keys(p->kids[i], fn, arg);
}

pred_t *pred_path_compile(const char *src, char *err, size_t errlen)
{
    pred_t *n = pred_compile(src, err, errlen);
    if (n && n->kind != PK_EXISTS) {
        if (errlen)
            snprintf(err, errlen, "expected one field path such as ts or message.sentAt");
        pred_free(n);
        return NULL;
    }
    return n;
}

bool pred_path_number(const pred_t *p, const cJSON *msg, double *out)
{
    if (!p || p->kind != PK_EXISTS || !cJSON_IsObject(msg))
        return false;
    const cJSON *v = lookup(p, msg);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

const cJSON *pred_path_value(const pred_t *p, const cJSON *msg)
{
    if (!p || p->kind != PK_EXISTS || !cJSON_IsObject(msg))
        return NULL;
    return lookup(p, msg);
}
