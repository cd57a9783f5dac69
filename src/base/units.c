/* units: durations, rates and pauses from spec text; times for people. */
#include "base/units.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

#define EXPONENTIAL_CAP 10.0 /* exponential think time: at most 10x the mean */
#define MAX_DURATION_US 1e15 /* about 31 years: anything longer is a typo */
#define UNIT_LIST "us, ms, s, m, h"

typedef struct unit {
    const char *name;
    double us;
} unit_t;

static const unit_t duration_units[] = {
    { "us", 1.0 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
};

/* Microseconds per unit named by the n bytes at u, or 0 when unknown. */
static double unit_scale(const char *u, size_t n)
{
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
        if (strlen(duration_units[i].name) == n && strncmp(u, duration_units[i].name, n) == 0)
            return duration_units[i].us;
    return 0.0;
}

/* Length of a plain decimal "123" or "1.5" at s (no sign, exponent or hex),
 * or 0 when s does not start with one. */
static size_t number_len(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (s[n] == '.' && isdigit((unsigned char)s[n + 1]))
        n += 1 + strspn(s + n + 1, "0123456789");
    return n;
}

static size_t alpha_len(const char *s)
{
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    return n;
}

/* Explains what is wrong with text whose number spans num bytes. */
static int duration_error(const char *text, size_t num, char *err, size_t errlen)
{
    const char *unit = text + num;
    size_t ulen = alpha_len(unit);
    if (!*text)
        snprintf(err, errlen, "empty duration: write a number and a unit, e.g. 5s, 500ms or 250us");
    else if (*text == '-')
        snprintf(err, errlen, "\"%s\" is negative: write 0s or more, e.g. 5s", text);
    else if (num == 0)
        snprintf(err, errlen,
                 "\"%s\" is not a duration: write a number and a unit, e.g. 5s, 500ms or 250us",
                 text);
    else if (ulen == 0 && *unit && !isspace((unsigned char)*unit))
        snprintf(err, errlen, "\"%s\": unexpected '%c' after the number; write e.g. 1.5s", text,
                 *unit);
    else if (ulen == 0)
        snprintf(err, errlen, "\"%.*s\" has no unit%s: write %.*ss, %.*sms or %.*sus", (int)num,
                 text, *unit ? " right after it" : "", (int)num, text, (int)num, text, (int)num,
                 text);
    else if (unit_scale(unit, ulen) == 0.0)
        snprintf(err, errlen, "\"%s\": unknown unit \"%.*s\"; units are " UNIT_LIST " (e.g. 5s)",
                 text, (int)ulen, unit);
    else
        snprintf(err, errlen, "\"%s\": unexpected \"%s\" after the duration; units are " UNIT_LIST,
                 text, unit + ulen);
    return -1;
}

/* Copies s without surrounding white space into buf. Returns 0, or -1 with
 * a reason when it does not fit (no sensible duration is that long). */
static int trimmed(const char *s, char *buf, size_t n, char *err, size_t errlen)
{
    s = s ? s : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= n) {
        snprintf(err, errlen, "\"%.20s...\" is too long for a duration", s);
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen)
{
    char text[128];
    if (trimmed(s, text, sizeof(text), err, errlen) < 0)
        return -1;
    size_t num = number_len(text);
    size_t ulen = num ? alpha_len(text + num) : 0;
    double scale = ulen ? unit_scale(text + num, ulen) : 0.0;
    if (num == 0 || scale == 0.0 || text[num + ulen] != '\0')
        return duration_error(text, num, err, errlen);
    double us = strtod(text, NULL) * scale; /* the syntax is checked: plain decimal */
    if (us > MAX_DURATION_US) {
        snprintf(err, errlen, "\"%s\" is too long: the limit is about 31 years", text);
        return -1;
    }
    *out_us = (uint64_t)llround(us);
    return 0;
}

int units_parse_rate(const char *s, double *per_s, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        double s;
    } per[] = { { "s", 1.0 }, { "m", 60.0 }, { "min", 60.0 }, { "h", 3600.0 } };
    char text[64];
    if (trimmed(s, text, sizeof(text), err, errlen) < 0)
        return -1;
    size_t num = number_len(text);
    const char *unit = text + num;
    if (num && *unit == '/')
        for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
            if (strcmp(unit + 1, per[i].name) == 0) {
                double v = strtod(text, NULL) / per[i].s;
                if (v >= 0 && v <= 1e7) {
                    *per_s = v;
                    return 0;
                }
                snprintf(err, errlen, "\"%s\" must be at most 10000000/s", text);
                return -1;
            }
    snprintf(err, errlen,
             "\"%s\" is not a rate: write a number per time unit, e.g. 50/s, 0.5/s or 3000/m",
             text);
    return -1;
}

/* Parses "name(args)" (white space allowed around the parentheses) and
 * returns a malloc'd copy of args, or NULL when s is not such a call. */
static char *call_args(const char *s, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(s, name, n) != 0)
        return NULL;
    const char *p = s + n;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '(')
        return NULL;
    const char *close = strrchr(p, ')');
    if (!close || close[strspn(close + 1, " \t\r\n") + 1] != '\0')
        return NULL;
    return strndup(p + 1, (size_t)(close - p - 1));
}

static int parse_between(char *args, pause_t *out, char *err, size_t errlen)
{
    char *comma = strchr(args, ',');
    if (!comma || strchr(comma + 1, ',')) {
        snprintf(err, errlen, "between() takes two durations: write between(2s, 5s)");
        return -1;
    }
    *comma = '\0';
    char a[128], b[128];
    if (trimmed(args, a, sizeof(a), err, errlen) < 0 ||
        trimmed(comma + 1, b, sizeof(b), err, errlen) < 0 ||
        units_parse_duration(a, &out->a_us, err, errlen) < 0 ||
        units_parse_duration(b, &out->b_us, err, errlen) < 0)
        return -1;
    if (out->a_us > out->b_us) {
        snprintf(err, errlen,
                 "between(%s, %s): the first must not exceed the second, e.g. between(%s, %s)", a,
                 b, b, a);
        return -1;
    }
    out->kind = PAUSE_UNIFORM;
    return 0;
}

static int parse_exponential(char *args, pause_t *out, char *err, size_t errlen)
{
    if (units_parse_duration(args, &out->a_us, err, errlen) < 0)
        return -1;
    out->kind = PAUSE_EXPONENTIAL;
    return 0;
}

int units_parse_pause(const char *s, pause_t *out, char *err, size_t errlen)
{
    char text[256];
    memset(out, 0, sizeof(*out));
    if (trimmed(s, text, sizeof(text), err, errlen) < 0)
        return -1;
    char *args = NULL;
    int rc = -1;
    if ((args = call_args(text, "between"))) {
        rc = parse_between(args, out, err, errlen);
    } else if ((args = call_args(text, "exponential"))) {
        rc = parse_exponential(args, out, err, errlen);
    } else if (strchr(text, '(')) {
        snprintf(err, errlen,
                 "unknown think time \"%s\": write 3s, between(2s, 5s) or exponential(3s)", text);
    } else if ((rc = units_parse_duration(text, &out->a_us, err, errlen)) == 0) {
        out->kind = PAUSE_CONSTANT;
    }
    free(args);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

uint64_t pause_sample(const pause_t *p, uint64_t *rng)
{
    switch (p->kind) {
    case PAUSE_CONSTANT:
        return p->a_us;
    case PAUSE_UNIFORM:
        return (uint64_t)rng_range(rng, (int64_t)p->a_us, (int64_t)p->b_us);
    case PAUSE_EXPONENTIAL: {
        double x = -log(1.0 - rng_unit(rng)); /* 1 - [0,1) is never 0 */
        if (x > EXPONENTIAL_CAP)
            x = EXPONENTIAL_CAP;
        return (uint64_t)llround(x * (double)p->a_us);
    }
    case PAUSE_NONE:
    default:
        return 0;
    }
}

/* The unit is chosen after rounding, so 999.7 us reads "1.0 ms", not "1000 us". */
void units_format_us(double us, char *buf, size_t n)
{
    if (us < 999.5)
        snprintf(buf, n, "%.0f us", us);
    else if (us < 999950.0)
        snprintf(buf, n, "%.1f ms", us / 1e3);
    else
        snprintf(buf, n, "%.2f s", us / 1e6);
}

/* ---- sizes ------------------------------------------------------------ */

typedef struct size_unit {
    const char *name;
    double bytes;
} size_unit_t;

static const size_unit_t size_units[] = {
    { "KiB", 1024.0 },          { "MiB", 1048576.0 },      { "GiB", 1073741824.0 },
    { "TiB", 1099511627776.0 }, { "KB", 1024.0 },          { "MB", 1048576.0 },
    { "GB", 1073741824.0 },     { "TB", 1099511627776.0 }, { "B", 1.0 },
};

size_t units_bytes_unit(const char *s, double *mult)
{
    for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
        size_t n = strlen(size_units[i].name);
        if (strncmp(s, size_units[i].name, n) == 0 && !isalpha((unsigned char)s[n])) {
            *mult = size_units[i].bytes;
            return n;
        }
    }
    return 0;
}

int units_parse_bytes(const char *s, double *out, char *err, size_t errlen)
{
    size_t num = s ? number_len(s) : 0;
    double mult = 1.0;
    const char *u = num ? s + num : NULL;
    while (u && *u == ' ')
        u++;
    size_t ulen = u && *u ? units_bytes_unit(u, &mult) : 0;
    if (num == 0 || (u && *u && (ulen == 0 || u[ulen]))) {
        snprintf(err, errlen,
                 "\"%s\" is not a size: write a number and an optional unit "
                 "(B, KB, MB, GB, TB; powers of 1024), e.g. 1KB",
                 s ? s : "");
        return -1;
    }
    *out = strtod(s, NULL) * mult;
    return 0;
}
