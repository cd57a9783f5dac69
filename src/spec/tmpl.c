/* tmpl: templates compiled into a flat list of parts; see tmpl.h. */
#include "spec/tmpl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "base/clock.h"
#include "base/suggest.h"

#define TMPL_STRING_MAX 4096   /* longest random.string(n) */
#define TMPL_SUGGEST_MAXLEN 64 /* names longer than this get no suggestion */

typedef enum tmpl_kind {
    TK_LIT,
    TK_VU_ID,
    TK_ITERATION,
    TK_NOW_MS,
    TK_NOW_US,
    TK_NOW_S,
    TK_RAND_INT,
    TK_RAND_STRING,
    TK_RAND_CHOICE,
    TK_UUID,
    TK_SLOT,
    TK_DATA,
} tmpl_kind_t;

typedef struct tmpl_part {
    tmpl_kind_t kind;
    char *text; /* TK_LIT: owned, len bytes */
    size_t len;
    int64_t lo, hi; /* TK_RAND_INT bounds, inclusive */
    size_t n;       /* TK_RAND_STRING length, TK_SLOT index, TK_RAND_CHOICE count, TK_DATA column */
    char **choices; /* TK_RAND_CHOICE: owned, n strings */
} tmpl_part_t;

/* Owns parts and everything they point to. */
struct tmpl {
    tmpl_part_t *parts;
    size_t nparts;
    size_t cap;
};

/* Built-in names that take no arguments, and the part each becomes. */
static const struct {
    const char *name;
    tmpl_kind_t kind;
} builtins[] = {
    { "vu.id", TK_VU_ID },   { "vu.iteration", TK_ITERATION },
    { "now.ms", TK_NOW_MS }, { "now.us", TK_NOW_US },
    { "now.s", TK_NOW_S },   { "uuid", TK_UUID },
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static const char *const functions[] = { "random.int", "random.string", "random.choice" };
#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

static const char known_tail[] = "vu.id, vu.iteration, now.ms, now.us, now.s, uuid, "
                                 "random.int(a, b), random.string(n), "
                                 "random.choice(\"x\", ...), env.NAME, data.COLUMN";
static const char known_functions[] = "random.int(a, b), random.string(n), "
                                      "random.choice(\"x\", ...)";

/* One argument of a function call: a quoted string or an integer. */
typedef struct tmpl_arg {
    char *str; /* owned; NULL when the argument is a number */
    int64_t num;
} tmpl_arg_t;

typedef struct tmpl_args {
    tmpl_arg_t *v;
    size_t n;
    size_t cap;
} tmpl_args_t;

/* Compiler state for one tmpl_compile call. */
typedef struct tmpl_comp {
    const char *src;
    size_t len; /* bytes of src; src[len] is NUL, literal text may hold more */
    size_t pos;
    size_t hole; /* offset of the current "{{" */
    const tmpl_scope_t *scope;
    tmpl_t *t;
    sbuf_t lit; /* literal text not yet stored as a part */
    char *err;
    size_t errlen;
} tmpl_comp_t;

/* ------------------------------------------------------------------ */
/* Errors.                                                              */

static int fail(tmpl_comp_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(tmpl_comp_t *c, const char *fmt, ...)
{
    if (c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int column(size_t pos)
{
    return (int)pos + 1;
}

/* Fails with the unclosed-hole message when the source ended. */
static int fail_unclosed(tmpl_comp_t *c)
{
    return fail(c, "\"{{\" at column %d has no closing \"}}\"", column(c->hole));
}

/* Fails at c->pos: what was found there, and what should be. */
static int fail_expected(tmpl_comp_t *c, const char *what)
{
    if (!strstr(c->src + c->pos, "}}"))
        return fail_unclosed(c);
    return fail(c, "unexpected \"%c\" at column %d in template; expected %s", c->src[c->pos],
                column(c->pos), what);
}

/* Keeps cand in *best when it is closer to name than anything so far. */
static void consider(const char *name, const char *cand, const char **best, size_t *bestd)
{
    if (strlen(name) > TMPL_SUGGEST_MAXLEN || strlen(cand) > TMPL_SUGGEST_MAXLEN)
        return;
    size_t d = suggest_distance(name, cand);
    size_t limit = strlen(name) <= 4 ? 1 : 2;
    if (d <= limit && d < *bestd) {
        *best = cand;
        *bestd = d;
    }
}

/* The closest known variable to name, or NULL. */
static const char *suggest_variable(const tmpl_scope_t *s, const char *name)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < s->nconst; i++)
        consider(name, s->const_names[i], &best, &bestd);
    for (size_t i = 0; i < s->nslots; i++)
        consider(name, s->slot_names[i], &best, &bestd);
    for (size_t i = 0; i < NBUILTINS; i++)
        consider(name, builtins[i].name, &best, &bestd);
    return best;
}

static const char *suggest_function(const char *name)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < NFUNCTIONS; i++)
        consider(name, functions[i], &best, &bestd);
    return best;
}

/* 'did you mean "x"? ' or "", written into buf. */
static const char *did_you_mean(const char *best, char *buf, size_t len)
{
    if (!best)
        return "";
    snprintf(buf, len, "did you mean \"%s\"? ", best);
    return buf;
}

static void put_names(sbuf_t *b, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sbuf_printf(b, "%s, ", names[i]);
}

static int fail_unknown_variable(tmpl_comp_t *c, const char *name)
{
    const char *best = suggest_variable(c->scope, name);
    char envname[TMPL_SUGGEST_MAXLEN + 8];
    /* A bare name that is set in the environment probably meant env.NAME. */
    if (!best && strlen(name) <= TMPL_SUGGEST_MAXLEN && !strchr(name, '.') && getenv(name)) {
        snprintf(envname, sizeof(envname), "env.%s", name);
        best = envname;
    }
    char hint[TMPL_SUGGEST_MAXLEN + 32];
    sbuf_t known = SBUF_INIT;
    put_names(&known, c->scope->const_names, c->scope->nconst);
    put_names(&known, c->scope->slot_names, c->scope->nslots);
    sbuf_puts(&known, known_tail);
    fail(c, "unknown variable \"%s\" in template; %sknown: %s", name,
         did_you_mean(best, hint, sizeof(hint)), known.data ? known.data : known_tail);
    sbuf_free(&known);
    return -1;
}

static int fail_unknown_function(tmpl_comp_t *c, const char *name)
{
    char hint[TMPL_SUGGEST_MAXLEN + 32];
    return fail(c, "unknown function \"%s\" in template; %sknown: %s", name,
                did_you_mean(suggest_function(name), hint, sizeof(hint)), known_functions);
}

/* ------------------------------------------------------------------ */
/* Parts.                                                               */

static void part_clear(tmpl_part_t *p)
{
    free(p->text);
    if (p->kind == TK_RAND_CHOICE)
        for (size_t i = 0; i < p->n; i++)
            free(p->choices[i]);
    free(p->choices);
}

/* Appends a part; on success the template owns what p points to. */
static int push_part(tmpl_comp_t *c, const tmpl_part_t *p)
{
    tmpl_t *t = c->t;
    if (t->nparts == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        tmpl_part_t *v = realloc(t->parts, cap * sizeof(*v));
        if (!v)
            return fail(c, "out of memory");
        t->parts = v;
        t->cap = cap;
    }
    t->parts[t->nparts++] = *p;
    return 0;
}

/* Stores the pending literal text, if any, as one part. */
static int flush_literal(tmpl_comp_t *c)
{
    if (c->lit.len == 0)
        return 0;
    tmpl_part_t p = { .kind = TK_LIT, .text = c->lit.data, .len = c->lit.len };
    if (push_part(c, &p) < 0)
        return -1;
    c->lit = (sbuf_t)SBUF_INIT;
    return 0;
}

static int add_literal(tmpl_comp_t *c, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (sbuf_append(&c->lit, s, n) < 0)
        return fail(c, "out of memory");
    return 0;
}

/* Adds a run-time part; p's pointers pass to the template only on success. */
static int add_dynamic(tmpl_comp_t *c, const tmpl_part_t *p)
{
    return flush_literal(c) < 0 ? -1 : push_part(c, p);
}

static int add_simple(tmpl_comp_t *c, tmpl_kind_t kind, size_t n)
{
    tmpl_part_t p = { .kind = kind, .n = n };
    return add_dynamic(c, &p);
}

/* ------------------------------------------------------------------ */
/* Lexing inside {{ }}.                                                 */

static void skip_ws(tmpl_comp_t *c)
{
    while (c->src[c->pos] && isspace((unsigned char)c->src[c->pos]))
        c->pos++;
}

static bool name_start(char ch)
{
    return isalpha((unsigned char)ch) || ch == '_';
}

static bool name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '.';
}

/* Reads a name such as vu.id or env.API_TOKEN; returns it malloc'd. */
static char *read_name(tmpl_comp_t *c)
{
    size_t start = c->pos;
    if (!name_start(c->src[c->pos])) {
        fail_expected(c, "a name such as vu.id");
        return NULL;
    }
    while (name_char(c->src[c->pos]))
        c->pos++;
    char *s = strndup(c->src + start, c->pos - start);
    if (!s)
        fail(c, "out of memory");
    return s;
}

/* Reads a quoted string ("..." or '...', backslash escapes the next char). */
static char *read_quoted(tmpl_comp_t *c)
{
    char q = c->src[c->pos];
    size_t start = c->pos++;
    sbuf_t b = SBUF_INIT;
    while (c->src[c->pos] && c->src[c->pos] != q) {
        if (c->src[c->pos] == '\\' && c->src[c->pos + 1])
            c->pos++;
        if (sbuf_putc(&b, c->src[c->pos++]) < 0)
            goto oom;
    }
    if (!c->src[c->pos]) {
        fail(c, "string starting at column %d in template has no closing %c", column(start), q);
        goto fail;
    }
    c->pos++;
    if (sbuf_append(&b, "", 0) < 0) /* an empty string still needs its NUL */
        goto oom;
    return b.data;
oom:
    fail(c, "out of memory");
fail:
    sbuf_free(&b);
    return NULL;
}

static int read_integer(tmpl_comp_t *c, int64_t *out)
{
    const char *s = c->src + c->pos;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s)
        return fail_expected(c, "an integer or a quoted string");
    if (name_char(*end)) {
        size_t n = 0;
        while (name_char(s[n]))
            n++;
        return fail(c, "\"%.*s\" at column %d in template is not an integer", (int)n, s,
                    column(c->pos));
    }
    if (errno == ERANGE)
        return fail(c, "number at column %d in template is too large", column(c->pos));
    c->pos += (size_t)(end - s);
    *out = v;
    return 0;
}

static void args_free(tmpl_args_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].str);
    free(a->v);
}

static int read_arg(tmpl_comp_t *c, tmpl_args_t *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        tmpl_arg_t *v = realloc(a->v, cap * sizeof(*v));
        if (!v)
            return fail(c, "out of memory");
        a->v = v;
        a->cap = cap;
    }
    tmpl_arg_t *arg = &a->v[a->n];
    *arg = (tmpl_arg_t){ 0 };
    char ch = c->src[c->pos];
    if (ch == '"' || ch == '\'') {
        if (!(arg->str = read_quoted(c)))
            return -1;
    } else if (read_integer(c, &arg->num) < 0) {
        return -1;
    }
    a->n++;
    return 0;
}

/* Reads "( arg, arg, ... )"; c->pos is on the "(". */
static int read_args(tmpl_comp_t *c, tmpl_args_t *a)
{
    c->pos++;
    skip_ws(c);
    if (c->src[c->pos] == ')') {
        c->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(c);
        if (read_arg(c, a) < 0)
            return -1;
        skip_ws(c);
        if (c->src[c->pos] == ')') {
            c->pos++;
            return 0;
        }
        if (c->src[c->pos] != ',')
            return fail_expected(c, "\",\" or \")\"");
        c->pos++;
    }
}

/* ------------------------------------------------------------------ */
/* Expressions.                                                         */

static bool all_numbers(const tmpl_args_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].str)
            return false;
    return true;
}

static int compile_rand_int(tmpl_comp_t *c, const tmpl_args_t *a)
{
    if (a->n != 2 || !all_numbers(a))
        return fail(c, "random.int takes two integers, e.g. {{random.int(1, 100)}}");
    int64_t lo = a->v[0].num, hi = a->v[1].num;
    if (lo > hi)
        return fail(c,
                    "random.int(%" PRId64 ", %" PRId64 "): the first bound is above the "
                    "second; write random.int(%" PRId64 ", %" PRId64 ")",
                    lo, hi, hi, lo);
    tmpl_part_t p = { .kind = TK_RAND_INT, .lo = lo, .hi = hi };
    return add_dynamic(c, &p);
}

static int compile_rand_string(tmpl_comp_t *c, const tmpl_args_t *a)
{
    if (a->n != 1 || !all_numbers(a))
        return fail(c, "random.string takes one integer length, e.g. {{random.string(12)}}");
    int64_t n = a->v[0].num;
    if (n < 1 || n > TMPL_STRING_MAX)
        return fail(c, "random.string(%" PRId64 "): the length must be between 1 and %d", n,
                    TMPL_STRING_MAX);
    return add_simple(c, TK_RAND_STRING, (size_t)n);
}

/* Moves the argument strings into a choice part. */
static int compile_rand_choice(tmpl_comp_t *c, tmpl_args_t *a)
{
    if (a->n == 0)
        return fail(c, "random.choice needs at least one quoted string, "
                       "e.g. {{random.choice(\"a\", \"b\")}}");
    for (size_t i = 0; i < a->n; i++)
        if (!a->v[i].str)
            return fail(c,
                        "random.choice takes quoted strings, e.g. "
                        "{{random.choice(\"a\", \"b\")}}; argument %zu is a number",
                        i + 1);
    tmpl_part_t p = { .kind = TK_RAND_CHOICE, .n = a->n, .choices = calloc(a->n, sizeof(char *)) };
    if (!p.choices)
        return fail(c, "out of memory");
    for (size_t i = 0; i < a->n; i++)
        p.choices[i] = a->v[i].str;
    if (add_dynamic(c, &p) < 0) {
        free(p.choices); /* strings still belong to the args */
        return -1;
    }
    for (size_t i = 0; i < a->n; i++)
        a->v[i].str = NULL;
    return 0;
}

/* name(...): c->pos is on the "(". */
static int compile_call(tmpl_comp_t *c, const char *name)
{
    tmpl_args_t a = { 0 };
    int rc;
    if (strcmp(name, "random.int") != 0 && strcmp(name, "random.string") != 0 &&
        strcmp(name, "random.choice") != 0)
        rc = fail_unknown_function(c, name);
    else if (read_args(c, &a) < 0)
        rc = -1;
    else if (strcmp(name, "random.int") == 0)
        rc = compile_rand_int(c, &a);
    else if (strcmp(name, "random.string") == 0)
        rc = compile_rand_string(c, &a);
    else
        rc = compile_rand_choice(c, &a);
    args_free(&a);
    return rc;
}

static int compile_env(tmpl_comp_t *c, const char *var)
{
    if (!*var)
        return fail(c, "env. at column %d needs a variable name, e.g. {{env.API_TOKEN}}",
                    column(c->hole));
    const tmpl_scope_t *s = c->scope;
    if (s->env_allow ? !namepat_match(s->env_allow, var) : !namepat_default_env(var))
        return fail(c, "{{env.%s}}: reading %s needs --allow-env %s (or WSGATE_ALLOW_ENV); %s%s",
                    var, var, var, s->env_allow_from ? s->env_allow_from : "the default",
                    s->env_allow_from ? " does not name it"
                                      : " allows only WSGATE_* and LOADTEST_*");
    const char *v = getenv(var);
    if (!v)
        return fail(c, "environment variable \"%s\" is not set; export it before running", var);
    if (s->env_secrets && redact_secrets_add(s->env_secrets, v) < 0)
        return fail(c, "out of memory");
    return add_literal(c, v, strlen(v));
}

static int find_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* data.COLUMN: a column of the user's CSV row. */
static int compile_data(tmpl_comp_t *c, const char *col)
{
    const tmpl_scope_t *s = c->scope;
    if (!s->data_file)
        return fail(c,
                    "data.%s: the spec has no data file; add data: {file: users.csv} "
                    "(a CSV file whose first line names the columns)",
                    col);
    int i = find_name(s->data_columns, s->ndata, col);
    if (i >= 0)
        return add_simple(c, TK_DATA, (size_t)i);
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t k = 0; k < s->ndata; k++)
        consider(col, s->data_columns[k], &best, &bestd);
    char hint[TMPL_SUGGEST_MAXLEN + 32];
    sbuf_t known = SBUF_INIT;
    for (size_t k = 0; k < s->ndata; k++)
        sbuf_printf(&known, "%sdata.%s", k ? ", " : "", s->data_columns[k]);
    fail(c, "unknown column \"%s\" in data.%s; %s%s has the columns: %s", col, col,
         did_you_mean(best, hint, sizeof(hint)), s->data_file, known.data ? known.data : "");
    sbuf_free(&known);
    return -1;
}

/* A name without arguments. Slots come before constants: a value captured
 * at run time overrides a spec default of the same name. */
static int compile_name(tmpl_comp_t *c, const char *name)
{
    const tmpl_scope_t *s = c->scope;
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return add_simple(c, builtins[i].kind, 0);
    for (size_t i = 0; i < NFUNCTIONS; i++)
        if (strcmp(functions[i], name) == 0)
            return fail(c, "%s needs arguments; known: %s", name, known_functions);
    if (strncmp(name, "env.", 4) == 0)
        return compile_env(c, name + 4);
    if (strncmp(name, "data.", 5) == 0)
        return compile_data(c, name + 5);
    int i = find_name(s->slot_names, s->nslots, name);
    if (i >= 0)
        return add_simple(c, TK_SLOT, (size_t)i);
    i = find_name(s->const_names, s->nconst, name);
    if (i >= 0)
        return add_literal(c, s->const_values[i], strlen(s->const_values[i]));
    return fail_unknown_variable(c, name);
}

/* One {{ ... }}; c->pos is just after the "{{". */
static int compile_hole(tmpl_comp_t *c)
{
    skip_ws(c);
    if (strncmp(c->src + c->pos, "}}", 2) == 0)
        return fail(c, "empty {{ }} at column %d; put a name inside, e.g. {{vu.id}}",
                    column(c->hole));
    char *name = read_name(c);
    if (!name)
        return -1;
    skip_ws(c);
    int rc = c->src[c->pos] == '(' ? compile_call(c, name) : compile_name(c, name);
    free(name);
    if (rc < 0)
        return -1;
    skip_ws(c);
    if (strncmp(c->src + c->pos, "}}", 2) != 0)
        return fail_expected(c, "\"}}\"");
    c->pos += 2;
    return 0;
}

/* The offset of the next "{{" at or after from, or len when there is none. */
static size_t next_hole(const tmpl_comp_t *c, size_t from)
{
    for (size_t i = from; i + 1 < c->len; i++)
        if (c->src[i] == '{' && c->src[i + 1] == '{')
            return i;
    return c->len;
}

static int compile_all(tmpl_comp_t *c)
{
    while (c->pos < c->len) {
        size_t end = next_hole(c, c->pos);
        if (add_literal(c, c->src + c->pos, end - c->pos) < 0)
            return -1;
        c->pos = end;
        if (end == c->len)
            break;
        c->hole = end;
        c->pos += 2;
        if (compile_hole(c) < 0)
            return -1;
    }
    return flush_literal(c);
}

tmpl_t *tmpl_compile(const char *src, const tmpl_scope_t *scope, char *err, size_t errlen)
{
    return tmpl_compile_n(src ? src : "", src ? strlen(src) : 0, scope, err, errlen);
}

tmpl_t *tmpl_compile_n(const char *src, size_t len, const tmpl_scope_t *scope, char *err,
                       size_t errlen)
{
    static const tmpl_scope_t empty = { 0 };
    tmpl_comp_t c = {
        .src = src ? src : "",
        .len = src ? len : 0,
        .scope = scope ? scope : &empty,
        .lit = SBUF_INIT,
        .err = err,
        .errlen = errlen,
    };
    if (errlen)
        err[0] = '\0';
    if (!(c.t = calloc(1, sizeof(*c.t)))) {
        fail(&c, "out of memory");
        return NULL;
    }
    if (compile_all(&c) < 0)
        goto fail;
    sbuf_free(&c.lit); /* empty after the last flush */
    return c.t;
fail:
    sbuf_free(&c.lit);
    tmpl_free(c.t);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Rendering.                                                           */

static int put_now(sbuf_t *out, tmpl_kind_t kind)
{
    uint64_t us = clock_wall_us();
    uint64_t s = us / 1000000u, ns = us % 1000000u * 1000u;
    if (kind == TK_NOW_S)
        return sbuf_printf(out, "%" PRIu64, s);
    if (kind == TK_NOW_MS)
        return sbuf_printf(out, "%" PRIu64, s * 1000 + ns / 1000000);
    return sbuf_printf(out, "%" PRIu64, s * 1000000 + ns / 1000);
}

/* Uniform in [lo, hi] without signed overflow even for the full int64 range. */
static int64_t rand_between(uint64_t *rng, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    uint64_t r = rng_next(rng);
    return (int64_t)((uint64_t)lo + (span ? r % span : r));
}

static int put_rand_string(sbuf_t *out, uint64_t *rng, size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    if (sbuf_reserve(out, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out->data[out->len + i] = alphabet[rng_next(rng) % (sizeof(alphabet) - 1)];
    out->len += n;
    out->data[out->len] = '\0';
    return 0;
}

static int put_uuid(sbuf_t *out, uint64_t *rng)
{
    uint8_t b[16];
    uint64_t hi = rng_next(rng), lo = rng_next(rng);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(hi >> (8 * i));
        b[8 + i] = (uint8_t)(lo >> (8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return sbuf_printf(out,
                       "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                       "%02x%02x%02x%02x%02x%02x",
                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                       b[12], b[13], b[14], b[15]);
}

static int render_part(const tmpl_part_t *p, const tmpl_ctx_t *ctx, uint64_t *rng, sbuf_t *out)
{
    switch (p->kind) {
    case TK_LIT:
        return sbuf_append(out, p->text, p->len);
    case TK_VU_ID:
        return sbuf_printf(out, "%" PRIu32, ctx->vu_id);
    case TK_ITERATION:
        return sbuf_printf(out, "%" PRIu64, ctx->iteration);
    case TK_NOW_MS:
    case TK_NOW_US:
    case TK_NOW_S:
        return put_now(out, p->kind);
    case TK_RAND_INT:
        return sbuf_printf(out, "%" PRId64, rand_between(rng, p->lo, p->hi));
    case TK_RAND_STRING:
        return put_rand_string(out, rng, p->n);
    case TK_RAND_CHOICE:
        return sbuf_puts(out, p->choices[rand_between(rng, 0, (int64_t)p->n - 1)]);
    case TK_UUID:
        return put_uuid(out, rng);
    case TK_SLOT: {
        const char *v = ctx->slots ? ctx->slots[p->n] : NULL;
        return v ? sbuf_puts(out, v) : 0;
    }
    case TK_DATA:
        return ctx->data_row ? sbuf_puts(out, ctx->data_row[p->n]) : 0;
    }
    return -1;
}

int tmpl_render(const tmpl_t *t, const tmpl_ctx_t *ctx, sbuf_t *out)
{
    static const tmpl_ctx_t no_ctx = { 0 };
    uint64_t local_rng = 0; /* used only when the caller gave no generator */
    if (!ctx)
        ctx = &no_ctx;
    uint64_t *rng = ctx->rng ? ctx->rng : &local_rng;
    if (sbuf_append(out, "", 0) < 0) /* so an empty rendering is "" and not NULL */
        return -1;
    for (size_t i = 0; t && i < t->nparts; i++)
        if (render_part(&t->parts[i], ctx, rng, out) < 0)
            return -1;
    return 0;
}

bool tmpl_is_constant(const tmpl_t *t)
{
    return !t || t->nparts == 0 || (t->nparts == 1 && t->parts[0].kind == TK_LIT);
}

bool tmpl_is_stable(const tmpl_t *t)
{
    for (size_t i = 0; t && i < t->nparts; i++) {
        tmpl_kind_t k = t->parts[i].kind;
        if (k != TK_LIT && k != TK_VU_ID && k != TK_ITERATION && k != TK_SLOT && k != TK_DATA)
            return false;
    }
    return true;
}

void tmpl_free(tmpl_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nparts; i++)
        part_clear(&t->parts[i]);
    free(t->parts);
    free(t);
}
