/* promtext: the Prometheus text exposition format, read line by line. */
#include "engine/promtext.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A cursor over one line (no line break inside). */
typedef struct cur {
    const char *p, *end;
} cur_t;

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static bool name_char(char c)
{
    return name_start(c) || isdigit((unsigned char)c);
}

static void skip_blank(cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* A metric name (colons allowed) or a label name (not) into out. */
static const char *read_name(cur_t *c, bool colons, char *out)
{
    size_t n = 0;
    if (c->p >= c->end || !name_start(*c->p) || (!colons && *c->p == ':'))
        return colons ? "expected a metric name" : "expected a label name";
    while (c->p < c->end && name_char(*c->p) && (colons || *c->p != ':')) {
        if (n + 1 >= PROMTEXT_MAX_TEXT)
            return "a name is too long";
        out[n++] = *c->p++;
    }
    out[n] = '\0';
    return NULL;
}

/* A quoted label value, unescaped into out. */
static const char *read_value(cur_t *c, char *out)
{
    size_t n = 0;
    if (c->p >= c->end || *c->p != '"')
        return "expected a quoted label value";
    for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
        char ch = *c->p;
        if (ch == '\\') {
            if (++c->p >= c->end)
                break;
            ch = *c->p == 'n' ? '\n' : *c->p;
            if (*c->p != 'n' && *c->p != '\\' && *c->p != '"')
                return "unknown escape in a label value (\\\\, \\\" or \\n)";
        }
        if (n + 1 >= PROMTEXT_MAX_TEXT)
            return "a label value is too long";
        out[n++] = ch;
    }
    if (c->p >= c->end)
        return "unterminated label value";
    c->p++;
    out[n] = '\0';
    return NULL;
}

/* {a="x",b="y"} (a trailing comma is allowed), after the name. */
static const char *read_labels(cur_t *c, promtext_sample_t *s)
{
    const char *why;
    c->p++; /* '{' */
    for (;;) {
        skip_blank(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return NULL;
        }
        if (s->nlabels == PROMTEXT_MAX_LABELS)
            return "too many labels";
        promtext_label_t *l = &s->labels[s->nlabels];
        if ((why = read_name(c, false, l->name)))
            return why;
        skip_blank(c);
        if (c->p >= c->end || *c->p != '=')
            return "expected \"=\" after a label name";
        c->p++;
        skip_blank(c);
        if ((why = read_value(c, l->value)))
            return why;
        s->nlabels++;
        skip_blank(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p >= c->end || *c->p != '}')
            return "expected \",\" or \"}\" after a label";
    }
}

/* A number token (value or timestamp) into *out. */
static const char *read_number(cur_t *c, double *out)
{
    char buf[64];
    size_t n = 0;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t') {
        if (n + 1 >= sizeof(buf))
            return "a number is too long";
        buf[n++] = *c->p++;
    }
    buf[n] = '\0';
    if (n == 0)
        return "expected a value";
    const char *b = buf[0] == '+' || buf[0] == '-' ? buf + 1 : buf;
    if (strcasecmp(b, "inf") == 0 || strcasecmp(b, "nan") == 0) {
        *out = tolower((unsigned char)b[0]) == 'n' ? NAN : buf[0] == '-' ? -INFINITY : INFINITY;
        return NULL;
    }
    for (const char *q = b; *q; q++) /* decimal only: no hex, no "infinity" */
        if (!isdigit((unsigned char)*q) && !strchr(".eE+-_", *q))
            return "a value is not a number";
    char *end;
    *out = strtod(buf, &end);
    if (*end || end == buf)
        return "a value is not a number";
    return NULL;
}

static const char *parse_line(cur_t *c, promtext_sample_t *s, bool want_value)
{
    const char *why;
    s->nlabels = 0;
    if ((why = read_name(c, true, s->name)))
        return why;
    skip_blank(c);
    if (c->p < c->end && *c->p == '{' && (why = read_labels(c, s)))
        return why;
    skip_blank(c);
    if (!want_value)
        return c->p < c->end ? "unexpected text after the selector" : NULL;
    if ((why = read_number(c, &s->value)))
        return why;
    skip_blank(c);
    double ts;
    if (c->p < c->end && (why = read_number(c, &ts)))
        return "the timestamp is not a number";
    skip_blank(c);
    return c->p < c->end ? "unexpected text after the value" : NULL;
}

long promtext_parse(const char *text, size_t len, promtext_fn fn, void *ctx, char *err,
                    size_t errlen)
{
    promtext_sample_t *s = malloc(sizeof(*s));
    const char *p = text, *end = text + len;
    long count = 0;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        cur_t c = { p, nl ? nl : end };
        p = nl ? nl + 1 : end;
        if (c.end > c.p && c.end[-1] == '\r')
            c.end--;
        skip_blank(&c);
        if (c.p == c.end || *c.p == '#')
            continue;
        const char *why = parse_line(&c, s, true);
        if (why) {
            snprintf(err, errlen, "line %zu: %s", line, why);
            free(s);
            return -1;
        }
        fn(s, ctx);
        count++;
    }
    free(s);
    return count;
}

int promtext_selector(const char *sel, promtext_sample_t *out, char *err, size_t errlen)
{
    cur_t c = { sel, sel + strlen(sel) };
    skip_blank(&c);
    const char *why = parse_line(&c, out, false);
    if (why) {
        snprintf(err, errlen, "%s in \"%.80s\"", why, sel);
        return -1;
    }
    return 0;
}

bool promtext_match(const promtext_sample_t *sel, const promtext_sample_t *s)
{
    if (strcmp(sel->name, s->name) != 0)
        return false;
    for (size_t i = 0; i < sel->nlabels; i++) {
        bool found = false;
        for (size_t j = 0; j < s->nlabels && !found; j++)
            found = strcmp(sel->labels[i].name, s->labels[j].name) == 0 &&
                    strcmp(sel->labels[i].value, s->labels[j].value) == 0;
        if (!found)
            return false;
    }
    return true;
}
