/* diag: errors for the user, and libcyaml's error log turned into one such line; see spec_int.h. */
#include "spec/spec_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/suggest.h"

__attribute__((format(printf, 3, 0))) static int vfail_line(spec_ctx_t *c, int line,
                                                            const char *fmt, va_list ap)
{
    char msg[SPEC_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (line > 0)
        snprintf(c->err, c->errlen, "%s:%d: %s", c->file, line, msg);
    else
        snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
    return -1;
}

/* Sets the error to "FILE:LINE: msg" (or "FILE: msg" for line 0). */
int diag_fail_line(spec_ctx_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_line(c, line, fmt, ap);
    va_end(ap);
    return -1;
}

/* Like diag_fail_line, at the line of a spec path such as "load.ramp_up". */
int diag_fail_at(spec_ctx_t *c, const char *ypath, const char *fmt, ...)
{
    int line = yloc_line(c->root, ypath);
    va_list ap;
    va_start(ap, fmt);
    vfail_line(c, line > 0 ? line : 1, fmt, ap);
    va_end(ap);
    return -1;
}

int diag_oom(spec_ctx_t *c)
{
    return diag_fail_line(c, 0, "out of memory while loading the spec");
}

char *diag_strdup(spec_ctx_t *c, const char *s)
{
    char *p = strdup(s);
    if (!p)
        diag_oom(c);
    return p;
}

const char *diag_kind_name(yloc_kind_t k)
{
    return k == YLOC_MAP ? "mapping" : k == YLOC_SEQ ? "list" : "plain value";
}

/* ------------------------------------------------------------------ */
/* libcyaml errors -> one line with the right line number.              */

#define SPEC_MAX_FRAMES 32

/* What to write when a key is missing or a list is empty. */
static const struct {
    const char *key;
    const char *example;
} key_examples[] = {
    { "name", "name: my-load-test" },
    { "load", "load: {users: 10, duration: 30s}" },
    { "scenarios", "scenarios: followed by a list item \"- name: ...\" with connect: {url: ...}" },
    { "connect", "connect: {url: \"{{target}}/ws\"}" },
    { "url", "url: \"{{target}}/ws\"" },
    { "match", "match: 'type == \"ack\"'" },
    { "duration", "duration: 30s" },
    { "users", "users: 10" },
    { "stages", "stages: [{duration: 10s, users: 50}]" },
    { "file", "file: users.csv (a CSV file whose first line names the columns)" },
};

/* One backtrace step from libcyaml: a mapping key or a sequence index. */
typedef struct cy_frame {
    char key[64]; /* "" for a sequence entry or a bare mapping */
    long index;   /* sequence entry index, -1 otherwise */
    bool is_seq;
    int line;
} cy_frame_t;

/* libcyaml's error, as schema.c captured its log, parsed. */
typedef struct cy_error {
    char msg[256];                      /* first "Load: ..." line, prefix stripped */
    cy_frame_t frames[SPEC_MAX_FRAMES]; /* outermost first */
    size_t nframes;
} cy_error_t;

static void parse_frame(cy_error_t *e, const char *ln)
{
    cy_frame_t f = { .index = -1 };
    long idx;
    if (e->nframes == SPEC_MAX_FRAMES)
        return;
    if (sscanf(ln, "  in mapping field '%63[^']' (line: %d", f.key, &f.line) == 2) {
        /* key frame */
    } else if (sscanf(ln, "  in sequence entry '%ld' (line: %d", &idx, &f.line) == 2) {
        f.is_seq = true;
        f.index = idx > 0 ? idx - 1 : 0; /* libcyaml counts the entry in progress */
    } else if (sscanf(ln, "  in mapping (line: %d", &f.line) != 1) {
        return;
    }
    e->frames[e->nframes++] = f;
}

/* Splits the captured log into the message and the backtrace frames. */
static void parse_cy_log(const char *log, cy_error_t *e)
{
    memset(e, 0, sizeof(*e));
    const char *p = log ? log : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        char ln[512];
        snprintf(ln, sizeof(ln), "%.*s", (int)(n < 511 ? n : 511), p);
        if (strncmp(ln, "Load: ", 6) == 0 && strcmp(ln, "Load: Backtrace:") != 0) {
            if (!e->msg[0])
                snprintf(e->msg, sizeof(e->msg), "%.250s", ln + 6);
        } else if (strncmp(ln, "  in ", 5) == 0) {
            parse_frame(e, ln);
        }
        p += n + (p[n] == '\n');
    }
    /* libcyaml prints innermost first; keep outermost first. */
    for (size_t i = 0; i < e->nframes / 2; i++) {
        cy_frame_t t = e->frames[i];
        e->frames[i] = e->frames[e->nframes - 1 - i];
        e->frames[e->nframes - 1 - i] = t;
    }
}

/* Drops the innermost frame when it names a key or entry that is not the
 * place of the error (libcyaml keeps the last key seen in a mapping). */
static void drop_inner_if(cy_error_t *e, bool seq)
{
    if (e->nframes == 0)
        return;
    const cy_frame_t *f = &e->frames[e->nframes - 1];
    if ((seq && f->is_seq) || (!seq && !f->is_seq && f->key[0]))
        e->nframes--;
}

static void frames_path(const cy_error_t *e, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nframes && used < n; i++) {
        const cy_frame_t *f = &e->frames[i];
        int w = 0;
        if (f->is_seq)
            w = snprintf(buf + used, n - used, "[%ld]", f->index);
        else if (f->key[0])
            w = snprintf(buf + used, n - used, "%s%s", used ? "." : "", f->key);
        if (w > 0)
            used += (size_t)w;
    }
}

/* "in scenarios[0].on_start[0]" or "at the top level". */
static void where_text(const char *path, char *buf, size_t n)
{
    if (path[0])
        snprintf(buf, n, "in %s", path);
    else
        snprintf(buf, n, "at the top level");
}

/* Walks the schema along the frames to the mapping they end in. */
static const cyaml_schema_field_t *schema_fields_at(const cy_error_t *e)
{
    const cyaml_schema_value_t *v = &schema_spec;
    for (size_t i = 0; i < e->nframes && v; i++) {
        const cy_frame_t *f = &e->frames[i];
        if (f->is_seq) {
            v = v->type == CYAML_SEQUENCE ? v->sequence.entry : NULL;
            continue;
        }
        if (!f->key[0])
            continue;
        if (v->type != CYAML_MAPPING)
            return NULL;
        const cyaml_schema_field_t *fld = v->mapping.fields;
        while (fld->key && strcmp(fld->key, f->key) != 0)
            fld++;
        v = fld->key ? &fld->value : NULL;
    }
    return v && v->type == CYAML_MAPPING ? v->mapping.fields : NULL;
}

/* A key that one starts with the other (e.g. "expect_type" / "expect")
 * counts as a near miss. */
static size_t key_distance(const char *typed, const char *allowed)
{
    size_t lt = strlen(typed), la = strlen(allowed);
    size_t shorter = lt < la ? lt : la;
    if (shorter >= 3 && strncasecmp(typed, allowed, shorter) == 0)
        return 1;
    return suggest_distance(typed, allowed);
}

/* The allowed key closest to typed, or NULL when none is close. */
static const char *did_you_mean(const char *typed, const cyaml_schema_field_t *fields)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    size_t limit = strlen(typed) / 3 > 2 ? strlen(typed) / 3 : 2;
    for (; fields && fields->key; fields++) {
        size_t d = key_distance(typed, fields->key);
        if (d < bestd) {
            bestd = d;
            best = fields->key;
        }
    }
    return bestd <= limit ? best : NULL;
}

static void allowed_keys(const cyaml_schema_field_t *fields, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (; fields && fields->key && used < n; fields++) {
        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", fields->key);
        if (w > 0)
            used += (size_t)w;
    }
}

/* Line of key in the mapping at path; occurrence 0 is the first. */
static int key_line(const spec_ctx_t *c, const char *path, const char *key, int occurrence)
{
    const yloc_node_t *map = yloc_find(c->root, path);
    for (size_t i = 0; map && map->kind == YLOC_MAP && i < map->nkids; i++)
        if (strcmp(map->kids[i]->key, key) == 0 && occurrence-- == 0)
            return map->kids[i]->key_line;
    return 0;
}

static int line_or(int line, int fallback)
{
    return line > 0 ? line : (fallback > 0 ? fallback : 1);
}

static int cy_unknown_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540], allowed[512];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    const cyaml_schema_field_t *fields = schema_fields_at(e);
    const char *near = did_you_mean(key, fields);
    int line = line_or(key_line(c, path, key, 0), yloc_line(c->root, path));
    if (near)
        return diag_fail_line(c, line, "unknown key \"%s\" %s; did you mean \"%s\"?", key, where,
                              near);
    allowed_keys(fields, allowed, sizeof(allowed));
    return diag_fail_line(c, line, "unknown key \"%s\" %s; allowed here: %s", key, where, allowed);
}

static const char *example_for(const char *key)
{
    for (size_t i = 0; i < sizeof(key_examples) / sizeof(key_examples[0]); i++)
        if (strcmp(key_examples[i].key, key) == 0)
            return key_examples[i].example;
    return NULL;
}

static int cy_missing_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    const char *ex = example_for(key);
    int line = line_or(yloc_line(c->root, path), 1);
    if (ex)
        return diag_fail_line(c, line, "missing key \"%s\" %s; add %s", key, where, ex);
    return diag_fail_line(c, line, "missing key \"%s\" %s; add %s: ...", key, where, key);
}

static int cy_duplicate_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    int first = key_line(c, path, key, 0);
    int line = line_or(key_line(c, path, key, 1), yloc_line(c->root, path));
    return diag_fail_line(c, line, "key \"%s\" appears twice %s (first on line %d); keep one", key,
                          where, first);
}

static int cy_bad_number(spec_ctx_t *c, cy_error_t *e, const char *value)
{
    char path[512];
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    return diag_fail_at(c, path, "%s must be a whole number, not \"%s\"; write e.g. %s: %s", path,
                        value, last[0] ? last : "value", strcmp(last, "users") == 0 ? "10" : "1");
}

static const char *cy_type_text(const char *t)
{
    if (strcmp(t, "STRING") == 0)
        return "a text value";
    if (strcmp(t, "SEQUENCE") == 0)
        return "a list";
    if (strcmp(t, "MAPPING") == 0)
        return "a mapping (key: value lines)";
    if (strcmp(t, "UINT") == 0 || strcmp(t, "INT") == 0)
        return "a whole number";
    if (strcmp(t, "SCALAR") == 0)
        return "a plain value";
    if (strcmp(t, "SEQUENCE_START") == 0)
        return "a list";
    if (strcmp(t, "MAPPING_START") == 0)
        return "a mapping";
    return t;
}

static const char *cy_type_hint(const char *want, const char *got)
{
    if (strcmp(want, "STRING") == 0 && strcmp(got, "MAPPING_START") == 0)
        return "put the whole value in quotes (single quotes around JSON, e.g. "
               "send: '{\"a\":1}')";
    if (strcmp(want, "STRING") == 0)
        return "write a single value, in quotes if it contains [ ] { } : or #";
    if (strcmp(want, "SEQUENCE") == 0)
        return "write one entry per line, each starting with \"- \"";
    if (strcmp(want, "MAPPING") == 0)
        return "write indented key: value lines (or {key: value})";
    return "see the spec reference";
}

static int cy_wrong_type(spec_ctx_t *c, cy_error_t *e, const char *want, const char *got)
{
    char path[512];
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    const char *ex = example_for(last);
    if (yloc_is_null(yloc_find(c->root, path)) && path[0])
        return diag_fail_at(c, path, "%s has no value; write %s", path,
                            ex ? ex : cy_type_hint(want, got));
    return diag_fail_at(c, path, "%s must be %s, not %s; %s", path[0] ? path : "the spec",
                        cy_type_text(want), cy_type_text(got), cy_type_hint(want, got));
}

static int cy_too_few(spec_ctx_t *c, cy_error_t *e, unsigned min)
{
    char path[512];
    drop_inner_if(e, true);
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    const char *ex = example_for(last);
    return diag_fail_at(c, path, "%s needs at least %u entr%s; write %s", path, min,
                        min == 1 ? "y" : "ies", ex ? ex : "one \"- ...\" line per entry");
}

/* Turns libcyaml's captured log into one user-facing line. */
int diag_cyaml(spec_ctx_t *c, const char *log)
{
    cy_error_t e;
    char a[256], b[256];
    unsigned n, min;
    parse_cy_log(log, &e);
    if (sscanf(e.msg, "Unexpected key: %255[^\n]", a) == 1)
        return cy_unknown_key(c, &e, a);
    if (sscanf(e.msg, "Missing required mapping field: %255[^\n]", a) == 1)
        return cy_missing_key(c, &e, a);
    if (sscanf(e.msg, "Mapping field already seen: %255[^\n]", a) == 1)
        return cy_duplicate_key(c, &e, a);
    /* "Invalid UINT value: 'x'" (or "uint64_t", depending on the build) */
    if (strncmp(e.msg, "Invalid ", 8) == 0 &&
        sscanf(e.msg, "Invalid %*s value: '%255[^']'", a) == 1)
        return cy_bad_number(c, &e, a);
    if (sscanf(e.msg, "Expecting %255s got event: %255s", a, b) == 2) {
        a[strcspn(a, ",")] = '\0';
        return cy_wrong_type(c, &e, a, b);
    }
    if (sscanf(e.msg, "Insufficient entries (%u of %u min)", &n, &min) == 2)
        return cy_too_few(c, &e, min);
    char path[512];
    frames_path(&e, path, sizeof(path));
    int line = e.nframes ? e.frames[e.nframes - 1].line : 1;
    return diag_fail_line(c, line_or(yloc_line(c->root, path), line), "invalid spec: %s",
                          e.msg[0] ? e.msg : "libcyaml could not load it");
}
