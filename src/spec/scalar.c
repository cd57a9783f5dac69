/* scalar: whole numbers and true/false read exactly, before libcyaml; see spec_int.h. */
#include "spec/spec_int.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCALAR_PATH_MAX 512

/* A value to show in "write KEY: VALUE" for each numeric key. */
static const struct {
    const char *key;
    const char *example;
} examples[] = {
    { "version", "1" },
    { "users", "10" },
    { "max_users", "500" },
    { "weight", "1" },
    { "iterations", "1" },
    { "max_attempts", "5" },
    { "code", "1000" },
    { "expect_status", "200" },
    { "max_connecting", "2000" },
    { "client_max_window_bits", "12" },
    { "server_max_window_bits", "12" },
};

static const char *example_for(const char *key)
{
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
        if (strcmp(examples[i].key, key) == 0)
            return examples[i].example;
    return "1";
}

/* ------------------------------------------------------------------ */
/* Whole numbers.                                                       */

/* True when s is the decimal digits of a number up to UINT_MAX, written
 * the one way (no sign, no leading zero, nothing around it). */
static bool is_canonical(const char *s, unsigned long long *v)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n] != '\0' || (s[0] == '0' && n > 1) || n > 10)
        return false;
    *v = strtoull(s, NULL, 10);
    return *v <= UINT_MAX;
}

/* Copies s without the characters of drop into buf (n bytes). */
static void without(const char *s, const char *drop, char *buf, size_t n)
{
    size_t used = 0;
    for (; *s && used + 1 < n; s++)
        if (!strchr(drop, *s))
            buf[used++] = *s;
    buf[used] = '\0';
}

/* "0x10", "0o10", "0b10" -> *v. */
static bool read_prefixed(const char *s, unsigned long long *v)
{
    static const struct {
        const char *prefix;
        int base;
    } bases[] = { { "0x", 16 }, { "0X", 16 }, { "0o", 8 }, { "0b", 2 } };
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        if (strncmp(s, bases[i].prefix, 2) != 0 || !isxdigit((unsigned char)s[2]))
            continue;
        char *end;
        *v = strtoull(s + 2, &end, bases[i].base);
        return *end == '\0' && *v <= UINT_MAX;
    }
    return false;
}

/* A plain decimal with a fraction or an exponent ("2.9", "1e3") -> *d. */
static bool read_decimal(const char *s, double *d)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0)
        return false;
    if (s[n] == '.')
        n += 1 + strspn(s + n + 1, "0123456789");
    if (s[n] == 'e' || s[n] == 'E') {
        size_t sign = (s[n + 1] == '+' || s[n + 1] == '-');
        size_t digits = strspn(s + n + 1 + sign, "0123456789");
        if (digits == 0)
            return false;
        n += 1 + sign + digits;
    }
    if (s[n] != '\0')
        return false;
    *d = strtod(s, NULL);
    return true;
}

/* Reads text written another way (spaces or separators around the digits,
 * a sign, leading zeros, another base, a fraction or an exponent) into *d,
 * with the reason it is not accepted in why. False when it is no number. */
static bool read_other_way(const char *text, double *d, char *why, size_t wn)
{
    char plain[64];
    unsigned long long v;
    size_t len = strlen(text);
    without(text, " _,'", plain, sizeof(plain));
    const char *reason = NULL;
    if (strspn(text, "0123456789 _,'") == len && is_canonical(plain, &v))
        reason = isdigit((unsigned char)text[0]) && isdigit((unsigned char)text[len - 1])
                     ? "has digit separators"
                     : "has spaces or separators around the digits";
    else if (text[0] == '+' && is_canonical(text + 1, &v))
        reason = "has a sign";
    else if (text[0] == '0' && strspn(text, "0123456789") == len)
        reason = "has a leading zero (YAML 1.1 reads that as octal)", v = strtoull(text, NULL, 10);
    else if (read_prefixed(text, &v))
        reason = "is not written in decimal";
    if (reason) {
        snprintf(why, wn, "%s", reason);
        *d = (double)v;
        return true;
    }
    snprintf(why, wn, "is not a whole number");
    return read_decimal(text, d);
}

int scalar_whole(const char *text, const char *write, const char *ex, unsigned *out, char *msg,
                 size_t n)
{
    char why[128];
    unsigned long long v;
    double d;
    if (is_canonical(text, &v)) {
        *out = (unsigned)v;
        return 0;
    }
    if (text[0] == '-' && isdigit((unsigned char)text[1]))
        snprintf(msg, n, "\"%.40s\" is negative; write a whole number, e.g. %s%s", text, write, ex);
    else if (!read_other_way(text, &d, why, sizeof(why)))
        snprintf(msg, n, "\"%.40s\" is not a whole number; write digits only, e.g. %s%s", text,
                 write, ex);
    else if (d > UINT_MAX)
        snprintf(msg, n, "\"%.40s\" is too large; write a whole number up to %u", text, UINT_MAX);
    else if (d != floor(d))
        snprintf(msg, n, "\"%.40s\" %s; write %s%.0f or %s%.0f", text, why, write, floor(d), write,
                 ceil(d));
    else
        snprintf(msg, n, "\"%.40s\" %s; write %s%.0f", text, why, write, d);
    return -1;
}

/* The scalar n at path is a whole number from 0 to UINT_MAX, written in
 * decimal digits only. Returns 0 or -1 with c->err set. */
static int check_number(spec_ctx_t *c, const char *path, const char *key, const yloc_node_t *n)
{
    const char *ex = example_for(key);
    char write[80], msg[320];
    unsigned v;
    if (yloc_is_null(n))
        return diag_fail_at(c, path, "%s has no value; write %s: %s", path, key, ex);
    snprintf(write, sizeof(write), "%.60s: ", key);
    if (scalar_whole(n->value, write, ex, &v, msg, sizeof(msg)) == 0)
        return 0;
    return diag_fail_at(c, path, "%s %s", path, msg);
}

/* ------------------------------------------------------------------ */
/* true and false.                                                      */

static int check_bool(spec_ctx_t *c, const char *path, const char *key, const yloc_node_t *n)
{
    static const char *const yes[] = { "yes", "y", "on", "1" };
    static const char *const no[] = { "no", "n", "off", "0" };
    const char *text = n->value;
    if (strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0)
        return 0;
    if (yloc_is_null(n))
        return diag_fail_at(c, path, "%s has no value; write %s: true or %s: false", path, key,
                            key);
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0)
            return diag_fail_at(c, path, "%s \"%.40s\" is not true or false; write %s: %s", path,
                                text, key, strcasecmp(text, yes[i]) == 0 ? "true" : "false");
    }
    return diag_fail_at(c, path, "%s \"%.40s\" is not true or false; write %s: true or %s: false",
                        path, text, key, key);
}

/* ------------------------------------------------------------------ */
/* The walk: the schema and the tree side by side.                      */

static int check_value(spec_ctx_t *c, const cyaml_schema_value_t *v, const yloc_node_t *n,
                       const char *path, const char *key);

static const cyaml_schema_field_t *field_named(const cyaml_schema_field_t *f, const char *key)
{
    for (; f && f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

static int check_mapping(spec_ctx_t *c, const cyaml_schema_field_t *fields, const yloc_node_t *n,
                         const char *path)
{
    char sub[SCALAR_PATH_MAX];
    for (size_t i = 0; i < n->nkids; i++) {
        const char *key = n->kids[i]->key;
        const cyaml_schema_field_t *f = field_named(fields, key);
        if (!f)
            continue; /* libcyaml names the unknown key */
        snprintf(sub, sizeof(sub), "%s%s%.200s", path, path[0] ? "." : "", key);
        if (check_value(c, &f->value, n->kids[i], sub, key) < 0)
            return -1;
    }
    return 0;
}

static int check_sequence(spec_ctx_t *c, const cyaml_schema_value_t *entry, const yloc_node_t *n,
                          const char *path, const char *key)
{
    char sub[SCALAR_PATH_MAX];
    for (size_t i = 0; i < n->nkids; i++) {
        snprintf(sub, sizeof(sub), "%.480s[%zu]", path, i);
        if (check_value(c, entry, n->kids[i], sub, key) < 0)
            return -1;
    }
    return 0;
}

/* Checks the node n (at path, under key) against the schema value v. A
 * node of the wrong kind is left to libcyaml, which names what it wants. */
static int check_value(spec_ctx_t *c, const cyaml_schema_value_t *v, const yloc_node_t *n,
                       const char *path, const char *key)
{
    switch (v->type) {
    case CYAML_INT:
    case CYAML_UINT:
        return n->kind == YLOC_SCALAR ? check_number(c, path, key, n) : 0;
    case CYAML_BOOL:
        return n->kind == YLOC_SCALAR ? check_bool(c, path, key, n) : 0;
    case CYAML_MAPPING:
        return n->kind == YLOC_MAP ? check_mapping(c, v->mapping.fields, n, path) : 0;
    case CYAML_SEQUENCE:
    case CYAML_SEQUENCE_FIXED:
        return n->kind == YLOC_SEQ ? check_sequence(c, v->sequence.entry, n, path, key) : 0;
    default:
        return 0;
    }
}

int scalar_check_all(spec_ctx_t *c)
{
    return check_value(c, &schema_spec, c->root, "", "");
}
