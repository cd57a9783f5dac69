/* yloc: line numbers of YAML nodes by path, for file:line errors; see yloc.h. */
#include "spec/yloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Bounds, so hostile input cannot exhaust the stack or memory. */
#define YLOC_MAX_DEPTH 256
#define YLOC_MAX_NODES 200000

typedef struct yloc_anchor {
    char *name;
    const yloc_node_t *node; /* borrowed from the tree */
} yloc_anchor_t;

/* An open mapping or sequence. */
typedef struct yloc_frame {
    yloc_node_t *node; /* borrowed: already attached to the tree */
    char *pending_key; /* mapping: key waiting for its value */
    int pending_line;
    char *anchor; /* registered when the node ends */
} yloc_frame_t;

typedef struct yloc_builder {
    yloc_frame_t stack[YLOC_MAX_DEPTH];
    size_t depth;
    yloc_node_t *root;
    yloc_anchor_t *anchors;
    size_t nanchors;
    size_t nodes;
    bool done;
    int quote_start; /* the last scalar: a quoted one over several lines, */
    int quote_end;   /* from this line to that one; else both 0 */
    int err_line;
    char *err;
    size_t errlen;
} yloc_builder_t;

/* A parsed path segment: a key (key != NULL) or a sequence index. */
typedef struct yloc_seg {
    const char *key;
    size_t keylen;
    size_t index;
} yloc_seg_t;

static int build_fail(yloc_builder_t *b, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int build_fail(yloc_builder_t *b, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, b->errlen, fmt, ap);
    va_end(ap);
    b->err_line = line;
    return -1;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *dup_str(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

void yloc_free(yloc_node_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        yloc_free(n->kids[i]);
    free(n->kids);
    free(n->key);
    free(n->value);
    free(n);
}

static yloc_node_t *node_new(yloc_builder_t *b, yloc_kind_t kind, const yaml_mark_t *m)
{
    if (++b->nodes > YLOC_MAX_NODES) {
        build_fail(b, (int)m->line + 1, "document too large (more than %d nodes)", YLOC_MAX_NODES);
        return NULL;
    }
    yloc_node_t *n = calloc(1, sizeof(*n));
    if (!n) {
        build_fail(b, (int)m->line + 1, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static int kids_push(yloc_node_t *parent, yloc_node_t *kid)
{
    yloc_node_t **k = realloc(parent->kids, (parent->nkids + 1) * sizeof(*k));
    if (!k)
        return -1;
    parent->kids = k;
    parent->kids[parent->nkids++] = kid;
    return 0;
}

/* Hands n to the tree: as root, as the value of the pending key, or as the
 * next sequence item. Frees n on failure. */
static int attach(yloc_builder_t *b, yloc_node_t *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    yloc_frame_t *top = &b->stack[b->depth - 1];
    if (top->node->kind == YLOC_MAP) {
        n->key = top->pending_key;
        n->key_line = top->pending_line;
        top->pending_key = NULL;
    }
    if (kids_push(top->node, n) < 0) {
        int line = n->line;
        yloc_free(n);
        return build_fail(b, line, "out of memory");
    }
    return 0;
}

static bool expecting_key(const yloc_builder_t *b)
{
    if (b->depth == 0)
        return false;
    const yloc_frame_t *top = &b->stack[b->depth - 1];
    return top->node->kind == YLOC_MAP && !top->pending_key;
}

static int add_anchor(yloc_builder_t *b, char *name, const yloc_node_t *n)
{
    yloc_anchor_t *a = realloc(b->anchors, (b->nanchors + 1) * sizeof(*a));
    if (!a) {
        free(name);
        return build_fail(b, n->line, "out of memory");
    }
    b->anchors = a;
    b->anchors[b->nanchors].name = name;
    b->anchors[b->nanchors].node = n;
    b->nanchors++;
    return 0;
}

static const yloc_node_t *find_anchor(const yloc_builder_t *b, const char *name)
{
    for (size_t i = b->nanchors; i > 0; i--)
        if (strcmp(b->anchors[i - 1].name, name) == 0)
            return b->anchors[i - 1].node;
    return NULL;
}

/* Deep copy for an alias; counts against the node cap. */
static yloc_node_t *copy_node(yloc_builder_t *b, const yloc_node_t *src, const yaml_mark_t *m)
{
    yloc_node_t *n = node_new(b, src->kind, m);
    if (!n)
        return NULL;
    n->line = src->line;
    n->col = src->col;
    n->quoted = src->quoted;
    n->key_line = src->key_line;
    n->len = src->len;
    if ((src->value && !(n->value = dup_n(src->value, src->len))) ||
        (src->key && !(n->key = dup_str(src->key))))
        goto fail;
    for (size_t i = 0; i < src->nkids; i++) {
        yloc_node_t *kid = copy_node(b, src->kids[i], m);
        if (!kid || kids_push(n, kid) < 0) {
            yloc_free(kid);
            goto fail;
        }
    }
    return n;
fail:
    if (!b->err[0])
        build_fail(b, (int)m->line + 1, "out of memory");
    yloc_free(n);
    return NULL;
}

/* Keeps where the last scalar was when it is quoted across lines: a quote
 * left open runs on until the next quote, and the error shows there. */
static void note_quote(yloc_builder_t *b, const yaml_event_t *ev)
{
    yaml_scalar_style_t st = ev->data.scalar.style;
    bool quoted = st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    bool spans = ev->end_mark.line > ev->start_mark.line;
    b->quote_start = quoted && spans ? (int)ev->start_mark.line + 1 : 0;
    b->quote_end = quoted && spans ? (int)ev->end_mark.line + 1 : 0;
}

static int on_scalar(yloc_builder_t *b, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    note_quote(b, ev);
    if (expecting_key(b)) {
        yloc_frame_t *top = &b->stack[b->depth - 1];
        top->pending_key = dup_n(text, len);
        top->pending_line = (int)ev->start_mark.line + 1;
        return top->pending_key ? 0 : build_fail(b, top->pending_line, "out of memory");
    }
    yloc_node_t *n = node_new(b, YLOC_SCALAR, &ev->start_mark);
    if (!n)
        return -1;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->value = dup_n(text, len);
    n->len = len;
    if (!n->value) {
        yloc_free(n);
        return build_fail(b, (int)ev->start_mark.line + 1, "out of memory");
    }
    if (attach(b, n) < 0)
        return -1;
    if (ev->data.scalar.anchor) {
        char *name = dup_str((const char *)ev->data.scalar.anchor);
        if (!name)
            return build_fail(b, n->line, "out of memory");
        return add_anchor(b, name, n);
    }
    return 0;
}

static int on_start(yloc_builder_t *b, const yaml_event_t *ev, yloc_kind_t kind,
                    const yaml_char_t *anchor)
{
    int line = (int)ev->start_mark.line + 1;
    if (expecting_key(b))
        return build_fail(b, line, "mapping keys must be plain text, not a %s",
                          kind == YLOC_MAP ? "mapping" : "list");
    if (b->depth == YLOC_MAX_DEPTH)
        return build_fail(b, line, "nesting deeper than %d levels", YLOC_MAX_DEPTH);
    yloc_node_t *n = node_new(b, kind, &ev->start_mark);
    if (!n || attach(b, n) < 0)
        return -1;
    yloc_frame_t *f = &b->stack[b->depth++];
    memset(f, 0, sizeof(*f));
    f->node = n;
    if (anchor && !(f->anchor = dup_str((const char *)anchor)))
        return build_fail(b, line, "out of memory");
    return 0;
}

static int on_end(yloc_builder_t *b)
{
    yloc_frame_t *f = &b->stack[--b->depth];
    free(f->pending_key);
    f->pending_key = NULL;
    if (!f->anchor)
        return 0;
    char *name = f->anchor;
    f->anchor = NULL;
    return add_anchor(b, name, f->node);
}

static int on_alias(yloc_builder_t *b, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    const char *name = (const char *)ev->data.alias.anchor;
    if (expecting_key(b))
        return build_fail(b, line, "an alias (*%s) cannot be a mapping key", name);
    const yloc_node_t *src = find_anchor(b, name);
    if (!src)
        return build_fail(b, line, "unknown alias *%s; define &%s before using it", name, name);
    yloc_node_t *n = copy_node(b, src, &ev->start_mark);
    if (!n)
        return -1;
    n->line = line;
    n->col = (int)ev->start_mark.column + 1;
    free(n->key);
    n->key = NULL;
    n->key_line = 0;
    return attach(b, n);
}

static int on_event(yloc_builder_t *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, ev, YLOC_SEQ, ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, ev, YLOC_MAP, ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b);
    case YAML_ALIAS_EVENT:
        return on_alias(b, ev);
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return 0;
    default:
        return 0;
    }
}

/* The text being parsed, for positions libyaml gives as byte offsets. */
typedef struct yloc_text {
    const char *data;
    size_t len;
} yloc_text_t;

/* Byte offset where line (1-based) starts; len when there is no such line. */
static size_t line_start(const yloc_text_t *t, int line)
{
    size_t off = 0;
    for (int l = 1; l < line && off < t->len; off++)
        if (t->data[off] == '\n')
            l++;
    return off;
}

/* Offset of the byte that starts the sequence libyaml's reader refused:
 * for a bad trailing octet it names that octet, so step back to its lead. */
static size_t bad_sequence_start(const yaml_parser_t *p, const yloc_text_t *t)
{
    size_t off = p->problem_offset < t->len ? p->problem_offset : t->len;
    if (!strstr(p->problem, "trailing"))
        return off;
    for (int k = 0; k < 3 && off > 0; k++)
        if ((unsigned char)t->data[--off] >= 0xC0)
            break;
    return off;
}

/* Bytes that are not UTF-8 (or control characters), from libyaml's reader:
 * the line and column of the byte that starts the bad sequence. */
static void encoding_error(yloc_builder_t *b, const yaml_parser_t *p, const yloc_text_t *t)
{
    size_t off = bad_sequence_start(p, t), bol = 0;
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (t->data[i] == '\n')
            line++, bol = i + 1;
    unsigned byte = off < t->len ? (unsigned char)t->data[off] : 0;
    if (strstr(p->problem, "control characters"))
        build_fail(b, line, "a control character (byte 0x%02X) at column %zu; remove it", byte,
                   off - bol + 1);
    else
        build_fail(b, line,
                   "the spec is not UTF-8 (byte 0x%02X at column %zu: %s); save the file as UTF-8",
                   byte, off - bol + 1, p->problem);
}

/* The column (1-based) of the first tab on line, or 0. */
static size_t tab_column(const yloc_text_t *t, int line)
{
    for (size_t i = line_start(t, line); i < t->len && t->data[i] != '\n'; i++)
        if (t->data[i] == '\t')
            return i - line_start(t, line) + 1;
    return 0;
}

/* libyaml's problem as one line, with the fix where a usual cause is known:
 * a tab, a quote left open, a byte that is not UTF-8, ": " in a plain value. */
static void syntax_error(yloc_builder_t *b, const yaml_parser_t *p, const yloc_text_t *t)
{
    const char *problem = p->problem ? p->problem : "cannot parse";
    const char *context = p->context ? p->context : "";
    int line = (int)p->problem_mark.line + 1;
    size_t tab = tab_column(t, line);
    if (p->error == YAML_MEMORY_ERROR)
        build_fail(b, line, "out of memory");
    else if (p->error == YAML_READER_ERROR)
        encoding_error(b, p, t);
    else if (tab && (strstr(problem, "tab") || strstr(problem, "cannot start any token")))
        build_fail(b, line, "a tab at column %zu; YAML indents with spaces; replace the tab", tab);
    else if (strstr(context, "quoted scalar"))
        build_fail(b, (int)p->context_mark.line + 1,
                   "the quote opened on line %d is never closed; close the quote opened on line %d",
                   (int)p->context_mark.line + 1, (int)p->context_mark.line + 1);
    else if (b->quote_start && b->quote_end == line)
        build_fail(b, b->quote_start,
                   "the quoted value opened on line %d runs on to line %d, where the YAML "
                   "breaks (%s); close the quote opened on line %d",
                   b->quote_start, line, problem, b->quote_start);
    else if (strstr(problem, "mapping values are not allowed"))
        build_fail(b, line, "%s; put a value that holds \": \" or ends in \":\" in quotes",
                   problem);
    else if (p->context)
        build_fail(b, line, "%s (%s that starts on line %d)", problem, p->context,
                   (int)p->context_mark.line + 1);
    else
        build_fail(b, line, "%s", problem);
}

static void builder_clear(yloc_builder_t *b)
{
    for (size_t i = 0; i < b->depth; i++) {
        free(b->stack[i].pending_key);
        free(b->stack[i].anchor);
    }
    for (size_t i = 0; i < b->nanchors; i++)
        free(b->anchors[i].name);
    free(b->anchors);
}

int yloc_parse(const char *data, size_t len, yloc_node_t **out, int *err_line, char *err,
               size_t errlen)
{
    static yloc_builder_t zero;
    yloc_builder_t *b = malloc(sizeof(*b));
    yaml_parser_t parser;
    int rc = -1;
    char dummy[1];

    *out = NULL;
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    *err_line = 0;
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *b = zero;
    b->err = err;
    b->errlen = errlen;
    if (!yaml_parser_initialize(&parser)) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    while (!b->done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yloc_text_t text = { data, len };
            syntax_error(b, &parser, &text);
            goto out;
        }
        int r = on_event(b, &ev);
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
    }
    *out = b->root;
    b->root = NULL;
    rc = 0;
out:
    *err_line = b->err_line > 0 ? b->err_line : 1;
    yloc_free(b->root);
    builder_clear(b);
    free(b);
    yaml_parser_delete(&parser);
    return rc;
}

const yloc_node_t *yloc_child(const yloc_node_t *map, const char *key)
{
    if (!map || map->kind != YLOC_MAP)
        return NULL;
    for (size_t i = 0; i < map->nkids; i++)
        if (strcmp(map->kids[i]->key, key) == 0)
            return map->kids[i];
    return NULL;
}

const yloc_node_t *yloc_item(const yloc_node_t *seq, size_t i)
{
    if (!seq || seq->kind != YLOC_SEQ || i >= seq->nkids)
        return NULL;
    return seq->kids[i];
}

/* Reads one segment of p into s. Returns the rest of the path, or NULL at
 * the end or on a malformed path. */
static const char *path_next(const char *p, yloc_seg_t *s)
{
    if (*p == '.')
        p++;
    if (*p == '\0')
        return NULL;
    if (*p == '[') {
        char *end;
        s->key = NULL;
        s->index = strtoul(p + 1, &end, 10);
        return (end != p + 1 && *end == ']') ? end + 1 : NULL;
    }
    size_t n = strcspn(p, ".[");
    if (n == 0)
        return NULL;
    s->key = p;
    s->keylen = n;
    return p + n;
}

static const yloc_node_t *seg_step(const yloc_node_t *n, const yloc_seg_t *s)
{
    if (!s->key)
        return yloc_item(n, s->index);
    if (!n || n->kind != YLOC_MAP)
        return NULL;
    for (size_t i = 0; i < n->nkids; i++) {
        const char *k = n->kids[i]->key;
        if (strlen(k) == s->keylen && memcmp(k, s->key, s->keylen) == 0)
            return n->kids[i];
    }
    return NULL;
}

const yloc_node_t *yloc_find(const yloc_node_t *root, const char *path)
{
    const yloc_node_t *n = root;
    yloc_seg_t s;
    const char *p = path ? path : "";
    while (n && (p = path_next(p, &s)) != NULL)
        n = seg_step(n, &s);
    return n;
}

int yloc_line(const yloc_node_t *root, const char *path)
{
    if (!root)
        return 0;
    const yloc_node_t *n = root;
    int line = root->line;
    yloc_seg_t s;
    const char *p = path ? path : "";
    while ((p = path_next(p, &s)) != NULL) {
        n = seg_step(n, &s);
        if (!n)
            break;
        line = n->key ? n->key_line : n->line;
    }
    return line;
}

bool yloc_is_null(const yloc_node_t *n)
{
    if (!n || n->kind != YLOC_SCALAR || n->quoted)
        return false;
    const char *v = n->value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}
