#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define EXPONENTIAL_CAP 10.0 /* exponential think time: at most 10x the mean */

typedef struct unit {
    const char *name;
    double us;
} unit_t;

static const unit_t duration_units[] = {
    { "us", 1.0 }, { "ms", 1e3 }, { "s", 1e6 }, { "m", 60e6 }, { "h", 3600e6 },
};

static double unit_scale(const char *u)
{
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
        if (strcmp(u, duration_units[i].name) == 0)
            return duration_units[i].us;
    return 0.0;
}

int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen)
{
    const char *p = s ? s : "";
    while (isspace((unsigned char)*p))
        p++;
    char *end;
    double v = strtod(p, &end);
    if (end == p || *p == '-' || *p == '+' || !isfinite(v) || isalpha((unsigned char)*p)) {
        snprintf(err, errlen,
                 "bad duration \"%s\": write a number and a unit, e.g. 5s, 500ms or 250us", p);
        return -1;
    }
    char unit[8];
    size_t n = 0;
    while (isalpha((unsigned char)end[n]) && n < sizeof(unit) - 1) {
        unit[n] = end[n];
        n++;
    }
    unit[n] = '\0';
    const char *rest = end + n;
    while (isspace((unsigned char)*rest))
        rest++;
    if (n == 0) {
        snprintf(err, errlen, "bad duration \"%s\": \"%.*s\" has no unit; write %gs, %gms or %gus",
                 p, (int)(end - p), p, v, v, v);
        return -1;
    }
    double scale = unit_scale(unit);
    if (scale == 0.0 || *rest) {
        snprintf(err, errlen, "bad duration \"%s\": units are us, ms, s, m, h (write e.g. 5s)", p);
        return -1;
    }
    double us = v * scale;
    if (us > 1e15) {
        snprintf(err, errlen, "duration \"%s\" is too long", p);
        return -1;
    }
    *out_us = (uint64_t)llround(us);
    return 0;
}

/* Parses "name(args)" and returns a copy of args, or NULL. */
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
    if (!close)
        return NULL;
    for (const char *q = close + 1; *q; q++)
        if (!isspace((unsigned char)*q))
            return NULL;
    return strndup(p + 1, (size_t)(close - p - 1));
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, strlen(s + lead) + 1);
}

static int parse_between(char *args, pause_t *out, char *err, size_t errlen)
{
    char *comma = strchr(args, ',');
    if (!comma) {
        snprintf(err, errlen, "between needs two durations: write between(2s, 5s)");
        return -1;
    }
    *comma = '\0';
    char *b = comma + 1;
    trim(args);
    trim(b);
    if (units_parse_duration(args, &out->a_us, err, errlen) < 0 ||
        units_parse_duration(b, &out->b_us, err, errlen) < 0)
        return -1;
    if (out->a_us > out->b_us) {
        snprintf(err, errlen, "between(%s, %s): the first must not exceed the second", args, b);
        return -1;
    }
    out->kind = PAUSE_UNIFORM;
    return 0;
}

int units_parse_pause(const char *s, pause_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p = s ? s : "";
    while (isspace((unsigned char)*p))
        p++;
    char *args;
    int rc;
    if ((args = call_args(p, "between"))) {
        rc = parse_between(args, out, err, errlen);
    } else if ((args = call_args(p, "exponential"))) {
        trim(args);
        rc = units_parse_duration(args, &out->a_us, err, errlen);
        out->kind = PAUSE_EXPONENTIAL;
    } else {
        if (strchr(p, '(')) {
            snprintf(err, errlen,
                     "unknown think time \"%s\": write 3s, between(2s, 5s) or exponential(3s)", p);
            return -1;
        }
        out->kind = PAUSE_CONSTANT;
        return units_parse_duration(p, &out->a_us, err, errlen);
    }
    free(args);
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
        double x = -log(1.0 - rng_unit(rng));
        if (x > EXPONENTIAL_CAP)
            x = EXPONENTIAL_CAP;
        return (uint64_t)(x * (double)p->a_us);
    }
    case PAUSE_NONE:
    default:
        return 0;
    }
}

void units_format_us(double us, char *buf, size_t n)
{
    if (us < 1000.0)
        snprintf(buf, n, "%.0f us", us);
    else if (us < 1e6)
        snprintf(buf, n, "%.1f ms", us / 1e3);
    else
        snprintf(buf, n, "%.2f s", us / 1e6);
}
