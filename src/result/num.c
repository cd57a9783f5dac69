/* num: the one number formatter of every report and assertion text. */
#include "result/num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH "\xe2\x80\x93" /* U+2013 */

/* Digits before the decimal point of v > 0 (0 or less for v < 1). */
static int int_digits(double v)
{
    return (int)floor(log10(v)) + 1;
}

/* Decimals that show v with sig significant digits (none below 0, at
 * most 6). */
static int decimals_for(double v, int sig)
{
    if (v <= 0)
        return 0;
    int d = sig - int_digits(v);
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* Units of num_latency: microseconds per unit, the value it is left for
 * the next one at, and the significant digits it shows by default (0:
 * whole units). */
static const struct {
    const char *name;
    double us;
    double below;
} lat_units[] = {
    { "us", 1, 1000 },
    { "ms", 1e3, 10000 },
    { "s", 1e6, INFINITY },
};

void num_latency_sig(double us, int sig, char *buf, size_t n)
{
    if (!isfinite(us) || us < 0) {
        snprintf(buf, n, "%s", DASH);
        return;
    }
    sig = sig < 3 ? 3 : sig > 9 ? 9 : sig;
    for (size_t u = 0; u < sizeof lat_units / sizeof lat_units[0]; u++) {
        double v = us / lat_units[u].us;
        /* whole microseconds by default: sub-microsecond digits are noise */
        int d = u == 0 ? sig - 3 : decimals_for(v, sig);
        snprintf(buf, n, "%.*f %s", d, v, lat_units[u].name);
        if (u > 0 && d > 0 && v > 0 && strtod(buf, NULL) >= pow(10, int_digits(v)))
            snprintf(buf, n, "%.*f %s", d - 1, v, lat_units[u].name); /* 9.996 -> "10.0" */
        if (strtod(buf, NULL) < lat_units[u].below)
            return;
    }
}

void num_latency(double us, char *buf, size_t n)
{
    num_latency_sig(us, 3, buf, n);
}

double num_latency_parse(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != ' ')
        return -1;
    for (size_t u = 0; u < sizeof lat_units / sizeof lat_units[0]; u++)
        if (strcmp(end + 1, lat_units[u].name) == 0)
            return round(v * lat_units[u].us * 1e6) / 1e6; /* "1.001 ms": 1001, not 1000.99... */
    return -1;
}

void num_count(uint64_t v, char *buf, size_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    char out[32];
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, n, "%s", out);
}

void num_rate(double per_s, char *buf, size_t n)
{
    if (!isfinite(per_s) || per_s < 0) {
        snprintf(buf, n, "%s", DASH);
        return;
    }
    if (per_s >= 999.5 && per_s < 1.8e19) {
        char whole[32];
        num_count((uint64_t)llround(per_s), whole, sizeof whole);
        snprintf(buf, n, "%s/s", whole);
        return;
    }
    int d = decimals_for(per_s, 3);
    snprintf(buf, n, "%.*f/s", d, per_s);
    if (d > 0 && strtod(buf, NULL) >= pow(10, int_digits(per_s))) /* 9.996 -> "10.00" */
        snprintf(buf, n, "%.*f/s", d - 1, per_s);
}

void num_pct(double pct, char *buf, size_t n)
{
    if (!isfinite(pct))
        snprintf(buf, n, "%s", DASH);
    else
        snprintf(buf, n, "%.2f%%", pct);
}

void num_duration(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0 || s >= 1e12) {
        snprintf(buf, n, "%s", DASH);
        return;
    }
    if (s < 59.95) {
        snprintf(buf, n, "%.1f s", s);
        return;
    }
    long long whole = llround(s);
    if (whole < 3600) {
        long long m = whole / 60, sec = whole % 60;
        if (sec)
            snprintf(buf, n, "%lld min %lld s", m, sec);
        else
            snprintf(buf, n, "%lld min", m);
        return;
    }
    long long mins = (whole + 30) / 60, h = mins / 60, m = mins % 60;
    if (m)
        snprintf(buf, n, "%lld h %lld min", h, m);
    else
        snprintf(buf, n, "%lld h", h);
}

void num_value(num_kind_t k, double v, char *buf, size_t n)
{
    switch (k) {
    case NUM_LATENCY:
        num_latency(v, buf, n);
        return;
    case NUM_COUNT:
        if (isfinite(v) && v >= 0 && v < 1.8e19)
            num_count((uint64_t)llround(v), buf, n);
        else
            snprintf(buf, n, "%s", DASH);
        return;
    case NUM_RATE:
        num_rate(v, buf, n);
        return;
    case NUM_PCT:
        num_pct(v, buf, n);
        return;
    }
    snprintf(buf, n, "%g", v);
}

void num_delta(num_kind_t k, bool higher_is_worse, double now, double was, char *buf, size_t n)
{
    char a[48], b[48], change[48];
    num_value(k, now, a, sizeof a);
    num_value(k, was, b, sizeof b);
    double diff = now - was;
    double pct = was > 0 ? diff / was * 100.0 : 0;
    if (diff == 0 || (was > 0 && fabs(pct) < 0.05)) {
        snprintf(buf, n, "%s (was %s, no change)", a, b);
        return;
    }
    bool worse = higher_is_worse ? diff > 0 : diff < 0;
    const char *word = worse ? "worse" : "better";
    bool loud;
    if (!(was > 0)) { /* from nothing: no ratio to give */
        snprintf(change, sizeof change, "%s", word);
        loud = true;
    } else if (now >= 10 * was || (now > 0 && was >= 10 * now)) {
        char times[32];
        num_count((uint64_t)llround(now > was ? now / was : was / now), times, sizeof times);
        snprintf(change, sizeof change, "%sx %s", times, word);
        loud = true;
    } else {
        snprintf(change, sizeof change, "%+.1f%% %s", pct, word);
        loud = fabs(pct) >= NUM_DELTA_QUIET;
    }
    snprintf(buf, n, "%s%s%s (was %s, %s)", loud ? (worse ? NUM_WORSE : NUM_BETTER) : "",
             loud ? " " : "", a, b, change);
}
