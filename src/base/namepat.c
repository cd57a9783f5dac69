/* namepat: name patterns with *; see namepat.h. */
#include "base/namepat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMEPAT_MAX 256 /* longest pattern */

/* Owns every pattern. */
struct namepat {
    char **v;
    size_t n;
};

void namepat_free(namepat_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    free(p);
}

static int check_pattern(const char *s, size_t n, char *err, size_t errlen)
{
    if (n >= NAMEPAT_MAX) {
        snprintf(err, errlen, "pattern \"%.40s...\" is longer than %d bytes", s, NAMEPAT_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '*') {
            snprintf(err, errlen,
                     "pattern \"%.*s\": '%c' is not allowed; write variable names with "
                     "letters, digits and _, and * for any run of them (e.g. LOADTEST_*)",
                     (int)n, s, s[i]);
            return -1;
        }
    }
    return 0;
}

static int push(namepat_t *p, const char *s, size_t n)
{
    char **v = realloc(p->v, (p->n + 1) * sizeof(*v));
    if (!v)
        return -1;
    p->v = v;
    if (!(p->v[p->n] = strndup(s, n)))
        return -1;
    p->n++;
    return 0;
}

namepat_t *namepat_parse(const char *list, char *err, size_t errlen)
{
    namepat_t *p = calloc(1, sizeof(*p));
    if (!p)
        goto oom;
    for (const char *s = list ? list : ""; *s;) {
        s += strspn(s, ", \t\r\n");
        size_t n = strcspn(s, ", \t\r\n");
        if (!n)
            break;
        if (check_pattern(s, n, err, errlen) < 0) {
            namepat_free(p);
            return NULL;
        }
        if (push(p, s, n) < 0)
            goto oom;
        s += n;
    }
    return p;
oom:
    namepat_free(p);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

/* Glob match of * only; iterative, backtracking to the last star. */
static bool glob(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

bool namepat_match(const namepat_t *p, const char *name)
{
    for (size_t i = 0; p && name && i < p->n; i++)
        if (glob(p->v[i], name))
            return true;
    return false;
}

bool namepat_default_env(const char *name)
{
    return name && (glob("WSGATE_*", name) || glob("LOADTEST_*", name));
}
