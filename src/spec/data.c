/* data: CSV data rows; see data.h. */
#include "spec/data.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/sbuf.h"

/* Owns buf (every field, NUL-terminated, header first) and the arrays. */
struct data {
    char *buf;
    char **names; /* ncols pointers into buf */
    char **cells; /* nrows * ncols pointers into buf, row-major */
    size_t ncols, nrows;
};

/* Offsets into the field buffer while parsing (it moves as it grows). */
typedef struct offs {
    size_t *v;
    size_t n, cap;
} offs_t;

typedef struct parser {
    const char *s;
    size_t len, pos;
    int line; /* physical line of s[pos], 1-based */
    const char *name;
    sbuf_t fields; /* decoded fields, each NUL-terminated */
    offs_t offs;   /* start of each field */
    char *err;
    size_t errlen;
} parser_t;

static int fail(parser_t *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(parser_t *p, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->name, line, msg);
    return -1;
}

static int oom(parser_t *p)
{
    snprintf(p->err, p->errlen, "%s: out of memory reading the data file", p->name);
    return -1;
}

static int offs_push(parser_t *p, size_t off)
{
    offs_t *o = &p->offs;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        size_t *v = realloc(o->v, cap * sizeof(*v));
        if (!v)
            return oom(p);
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = off;
    return 0;
}

/* Consumes a line end at pos (LF, CRLF or a lone CR); true if there was one. */
static bool eat_eol(parser_t *p)
{
    if (p->pos < p->len && p->s[p->pos] == '\r') {
        p->pos++;
        if (p->pos < p->len && p->s[p->pos] == '\n')
            p->pos++;
    } else if (p->pos < p->len && p->s[p->pos] == '\n') {
        p->pos++;
    } else {
        return false;
    }
    p->line++;
    return true;
}

/* A quoted field; pos is on the opening quote. */
static int quoted_field(parser_t *p)
{
    int open = p->line;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, open,
                        "the quote opened on this line is never closed; end the field "
                        "with \" (write a quote inside a quoted field as \"\")");
        char c = p->s[p->pos];
        if (c == '"' && p->pos + 1 < p->len && p->s[p->pos + 1] == '"') {
            p->pos += 2;
        } else if (c == '"') {
            p->pos++;
            break;
        } else {
            if (c == '\n' || (c == '\r' && (p->pos + 1 >= p->len || p->s[p->pos + 1] != '\n')))
                p->line++;
            p->pos++;
        }
        if (sbuf_putc(&p->fields, c) < 0)
            return oom(p);
    }
    if (p->pos < p->len && p->s[p->pos] != ',' && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
        return fail(p, p->line,
                    "text after a closing quote; quote the whole field and double any quote "
                    "inside it, e.g. \"say \"\"hi\"\"\"");
    return 0;
}

/* An unquoted field: up to a comma or a line end; quotes inside are kept. */
static int plain_field(parser_t *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] != ',' && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
        p->pos++;
    return sbuf_append(&p->fields, p->s + start, p->pos - start) < 0 ? oom(p) : 0;
}

/* Reads one record's fields onto p->offs. Returns 1 with *line set to
 * where it starts, 0 at the end of the text, -1 on error. Blank lines are
 * skipped. */
static int read_record(parser_t *p, int *line)
{
    while (eat_eol(p))
        ;
    if (p->pos >= p->len)
        return 0;
    *line = p->line;
    for (;;) {
        if (offs_push(p, p->fields.len) < 0)
            return -1;
        int rc = p->s[p->pos] == '"' ? quoted_field(p) : plain_field(p);
        if (rc < 0 || sbuf_putc(&p->fields, '\0') < 0)
            return rc < 0 ? -1 : oom(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            if (p->pos < p->len)
                continue;
            if (offs_push(p, p->fields.len) < 0) /* "a," at the very end: empty last field */
                return -1;
            if (sbuf_putc(&p->fields, '\0') < 0)
                return oom(p);
        }
        eat_eol(p);
        return 1;
    }
}

static bool good_column_name(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* "username, password" (at most about 200 characters), for messages. */
static void column_list(const parser_t *p, size_t ncols, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ncols && used + 1 < n; i++) {
        int w =
            snprintf(buf + used, n - used, "%s%s", i ? ", " : "", p->fields.data + p->offs.v[i]);
        if (w < 0 || (size_t)w >= n - used) {
            snprintf(buf + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
            return;
        }
        used += (size_t)w;
    }
}

static int check_header(parser_t *p, int line)
{
    size_t n = p->offs.n;
    if (n > DATA_MAX_COLUMNS)
        return fail(p, line, "the header has %zu columns; at most %d are supported", n,
                    DATA_MAX_COLUMNS);
    for (size_t i = 0; i < n; i++) {
        const char *c = p->fields.data + p->offs.v[i];
        if (!good_column_name(c))
            return fail(p, line,
                        "column name \"%.64s\" cannot be used as {{data.NAME}}; the first line "
                        "names the columns with letters, digits, _ and -, e.g. "
                        "username,password",
                        c);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c, p->fields.data + p->offs.v[j]) == 0)
                return fail(p, line, "column \"%.64s\" appears twice in the header; rename one", c);
    }
    return 0;
}

static int read_rows(parser_t *p, size_t ncols, size_t *nrows)
{
    char cols[256];
    int line, rc;
    *nrows = 0;
    while ((rc = read_record(p, &line)) > 0) {
        size_t got = p->offs.n - ncols * (*nrows + 1);
        if (got != ncols) {
            column_list(p, ncols, cols, sizeof(cols));
            return fail(p, line,
                        "row has %zu field%s but the header has %zu (%s); quote a field that "
                        "contains a comma, e.g. \"a,b\"",
                        got, got == 1 ? "" : "s", ncols, cols);
        }
        (*nrows)++;
    }
    return rc;
}

/* Turns the offsets into pointers; the table takes the field buffer. */
static data_t *build(parser_t *p, size_t ncols, size_t nrows)
{
    data_t *d = calloc(1, sizeof(*d));
    char **ptrs = malloc(p->offs.n * sizeof(char *));
    if (!d || !ptrs) {
        free(d);
        free(ptrs);
        oom(p);
        return NULL;
    }
    for (size_t i = 0; i < p->offs.n; i++)
        ptrs[i] = p->fields.data + p->offs.v[i];
    d->buf = p->fields.data;
    p->fields = (sbuf_t)SBUF_INIT;
    d->names = ptrs;
    d->cells = ptrs + ncols;
    d->ncols = ncols;
    d->nrows = nrows;
    return d;
}

static int check_text(parser_t *p)
{
    const char *nul = memchr(p->s, '\0', p->len);
    if (nul) {
        int line = 1;
        for (const char *c = p->s; c < nul; c++)
            line += *c == '\n';
        return fail(p, line, "the file has a NUL byte; a data file is UTF-8 text (CSV)");
    }
    if (p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
        p->pos = 3; /* UTF-8 byte order mark */
    return 0;
}

data_t *data_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    char dummy[1];
    parser_t p = { .s = text ? text : "", .len = text ? len : 0, .line = 1, .name = name };
    p.err = errlen ? err : dummy;
    p.errlen = errlen ? errlen : sizeof(dummy);
    p.err[0] = '\0';
    data_t *d = NULL;
    int line = 1, rc;
    size_t nrows;
    if (len > DATA_MAX_BYTES) {
        snprintf(p.err, p.errlen, "%s is larger than %u MiB; use fewer or shorter rows", name,
                 DATA_MAX_BYTES >> 20);
        return NULL;
    }
    if (check_text(&p) < 0 || (rc = read_record(&p, &line)) < 0)
        goto out;
    if (rc == 0) {
        fail(&p, 1, "the file is empty; the first line names the columns, e.g. username,password");
        goto out;
    }
    size_t ncols = p.offs.n;
    if (check_header(&p, line) < 0 || read_rows(&p, ncols, &nrows) < 0)
        goto out;
    if (nrows == 0) {
        fail(&p, line, "the file has a header but no rows; add one line per row under it");
        goto out;
    }
    d = build(&p, ncols, nrows);
out:
    sbuf_free(&p.fields);
    free(p.offs.v);
    return d;
}

data_t *data_load(const char *path, char *err, size_t errlen, int *line)
{
    *line = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    sbuf_t b = SBUF_INIT;
    char chunk[65536];
    size_t n;
    bool big = false, bad = false;
    while (!big && !bad && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        big = b.len + n > DATA_MAX_BYTES;
        bad = !big && sbuf_append(&b, chunk, n) < 0;
    }
    bad = bad || ferror(f);
    fclose(f);
    data_t *d = NULL;
    if (big)
        snprintf(err, errlen, "%s is larger than %u MiB; use fewer or shorter rows", path,
                 DATA_MAX_BYTES >> 20);
    else if (bad)
        snprintf(err, errlen, "cannot read %s: read error or out of memory", path);
    else if (!(d = data_parse(b.data, b.len, path, err, errlen)))
        *line = 1; /* data_parse names a line (or the size, checked above) */
    sbuf_free(&b);
    return d;
}

size_t data_ncolumns(const data_t *d)
{
    return d->ncols;
}

const char *const *data_columns(const data_t *d)
{
    return (const char *const *)d->names;
}

size_t data_nrows(const data_t *d)
{
    return d->nrows;
}

const char *const *data_row(const data_t *d, size_t row)
{
    return (const char *const *)d->cells + row * d->ncols;
}

int data_column(const data_t *d, const char *name)
{
    for (size_t i = 0; i < d->ncols; i++)
        if (strcmp(d->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* One keyed bijection of [0, 2^bits): multiply by an odd number, xor-shift,
 * add, each modulo 2^bits. */
static uint64_t mix(uint64_t x, uint64_t key, unsigned bits, uint64_t mask)
{
    x = (x * (key | 1)) & mask;
    x ^= x >> (bits / 2 + 1);
    return (x + (key >> 17)) & mask;
}

/* A keyed permutation of [0, n): a bijection of the enclosing power of two,
 * applied again while the value falls outside (cycle walking; it returns
 * to the range within 2^bits steps since x started there). */
static uint64_t permute(uint64_t x, uint64_t n, uint64_t key)
{
    unsigned bits = 1;
    while (bits < 64 && (n - 1) >> bits)
        bits++;
    uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    uint64_t k[3] = { rng_seed(key, 0), rng_seed(key, 1), rng_seed(key, 2) };
    for (uint64_t step = 0; step <= mask; step++) {
        for (int r = 0; r < 3; r++)
            x = mix(x, k[r], bits, mask);
        if (x < n)
            return x;
    }
    return x % n; /* not reached */
}

size_t data_pick(size_t nrows, bool random, uint64_t seed, uint64_t user)
{
    if (nrows <= 1)
        return 0;
    uint64_t idx = user % nrows, pass = user / nrows;
    if (!random)
        return (size_t)idx;
    return (size_t)permute(idx, nrows, rng_seed(seed ^ 0x64617461726f7773ull, pass));
}

void data_free(data_t *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d->names);
    free(d);
}
