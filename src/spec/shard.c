/* shard: which slice of the load this process runs, and when it starts; see shard.h. */
#include "spec/shard.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SHARDS 100000u

static int parse_index(const char *s, unsigned long *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > MAX_SHARDS)
        return -1;
    *out = v;
    return 0;
}

int shard_parse(const char *text, shard_t *out, char *err, size_t errlen)
{
    unsigned long k, n;
    const char *slash = text ? strchr(text, '/') : NULL;
    char kbuf[16];
    if (!slash || (size_t)(slash - text) >= sizeof(kbuf)) {
        snprintf(err, errlen, "shard \"%s\" is not K/N: write e.g. 2/4", text ? text : "");
        return -1;
    }
    memcpy(kbuf, text, (size_t)(slash - text));
    kbuf[slash - text] = '\0';
    if (parse_index(kbuf, &k) < 0 || parse_index(slash + 1, &n) < 0 || n == 0 || k == 0 || k > n) {
        snprintf(err, errlen, "shard \"%s\" is not K/N with 1 <= K <= N <= %u: write e.g. 2/4",
                 text, MAX_SHARDS);
        return -1;
    }
    out->index = (unsigned)k;
    out->total = (unsigned)n;
    out->source = "--shard";
    return 0;
}

/* Reads an index/total pair of variables; base is 0 or 1. */
static int from_pair(const char *ivar, const char *nvar, unsigned base, shard_t *out, char *err,
                     size_t errlen)
{
    const char *iv = getenv(ivar), *nv = getenv(nvar);
    if (!iv || !*iv)
        return 0;
    unsigned long i, n;
    if (!nv || !*nv) {
        snprintf(err, errlen, "%s is set but %s is not: set it to the number of shards", ivar,
                 nvar);
        return -1;
    }
    if (parse_index(iv, &i) < 0 || parse_index(nv, &n) < 0 || n == 0 || i < base || i - base >= n) {
        snprintf(err, errlen, "%s=%s / %s=%s is not a valid shard (index from %u, below %s+%u)",
                 ivar, iv, nvar, nv, base, nvar, base);
        return -1;
    }
    out->index = (unsigned)(i - base + 1);
    out->total = (unsigned)n;
    out->source = ivar;
    return 1;
}

int shard_from_env(shard_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *w = getenv("WSGATE_SHARD");
    if (w && *w) {
        char why[160];
        if (shard_parse(w, out, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "WSGATE_SHARD: %s", why);
            return -1;
        }
        out->source = "WSGATE_SHARD";
        return 1;
    }
    int rc = from_pair("CI_NODE_INDEX", "CI_NODE_TOTAL", 1, out, err, errlen);
    if (rc != 0)
        return rc;
    return from_pair("JOB_COMPLETION_INDEX", "WSGATE_SHARD_TOTAL", 0, out, err, errlen);
}

/* Seconds east of UTC from "Z", "+HH:MM" or "-HH:MM"; -1 when malformed. */
static int zone_offset(const char *z, long *off)
{
    int hh, mm, used = 0;
    if (strcmp(z, "Z") == 0 || strcmp(z, "z") == 0) {
        *off = 0;
        return 0;
    }
    if ((z[0] != '+' && z[0] != '-') || !isdigit((unsigned char)z[1]) ||
        !isdigit((unsigned char)z[2]) || z[3] != ':' || !isdigit((unsigned char)z[4]) ||
        !isdigit((unsigned char)z[5]) || sscanf(z + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 ||
        z[1 + used] != '\0' || hh > 23 || mm > 59)
        return -1;
    *off = (long)(z[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return 0;
}

static int parse_rfc3339(const char *text, double *epoch_s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int used = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used != 19)
        return -1;
    const char *p = text + used;
    double frac = 0;
    if (*p == '.') { /* digits only: strtod would also take ".5e3" */
        double scale = 0.1;
        if (!isdigit((unsigned char)p[1]))
            return -1;
        for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    long off;
    if (zone_offset(p, &off) < 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *epoch_s = (double)(timegm(&tm) - off) + frac;
    return 0;
}

int shard_parse_time(const char *text, double *epoch_s, char *err, size_t errlen)
{
    if (text && *text && strspn(text, "0123456789") == strlen(text)) {
        errno = 0;
        double v = strtod(text, NULL);
        if (!errno && v > 0) {
            *epoch_s = v;
            return 0;
        }
    }
    if (text && parse_rfc3339(text, epoch_s) == 0)
        return 0;
    snprintf(err, errlen,
             "start time \"%s\" is neither RFC 3339 (2026-11-28T10:00:00Z) nor unix seconds",
             text ? text : "");
    return -1;
}
