/* hist: log-linear latency histograms, exact to merge and encode as text; see hist.h. */
#include "result/hist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BUCKETS 1024u  /* per power of two: 1/1024 relative width */
#define LINEAR_LIMIT 2048u /* values below are exact */
#define MAX_BITS 40u       /* 2^40 us, about 12.7 days */
#define NBUCKETS (LINEAR_LIMIT + (MAX_BITS - 11u) * SUB_BUCKETS)

/* One flat allocation; owns nothing outside itself. */
struct hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    uint64_t sum; /* exact, saturating at UINT64_MAX (never reached by real runs) */
    uint64_t buckets[NBUCKETS];
};

hist_t *hist_new(void)
{
    return calloc(1, sizeof(hist_t));
}

void hist_free(hist_t *h)
{
    free(h);
}

/* Saturating arithmetic keeps merges exact: sat(sat(a+b)+c) == sat(a+b+c). */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static size_t bucket_of(uint64_t v)
{
    if (v < LINEAR_LIMIT)
        return (size_t)v;
    if (v >= (1ull << MAX_BITS))
        v = (1ull << MAX_BITS) - 1;
    unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= 11 */
    unsigned shift = top - 10u;
    return LINEAR_LIMIT + (size_t)(top - 11u) * SUB_BUCKETS + (size_t)((v >> shift) - SUB_BUCKETS);
}

/* Only buckets bucket_of(min)..bucket_of(max) can be non-zero (every
 * writer keeps it so: record, merge, decode's check), so reset and merge
 * touch those alone instead of all NBUCKETS: a live snapshot copies the
 * histograms several times a second. */
void hist_reset(hist_t *h)
{
    if (h->count) {
        size_t lo = bucket_of(h->min), hi = bucket_of(h->max);
        memset(&h->buckets[lo], 0, (hi - lo + 1) * sizeof(h->buckets[0]));
    }
    h->count = h->min = h->max = h->sum = 0;
}

/* Smallest and largest value that land in bucket i. */
static void bucket_range(size_t i, uint64_t *lo, uint64_t *hi)
{
    if (i < LINEAR_LIMIT) {
        *lo = *hi = i;
        return;
    }
    size_t top = (i - LINEAR_LIMIT) / SUB_BUCKETS + 11;
    uint64_t sub = (i - LINEAR_LIMIT) % SUB_BUCKETS + SUB_BUCKETS;
    unsigned shift = (unsigned)top - 10u;
    *lo = sub << shift;
    *hi = *lo + (1ull << shift) - 1;
}

void hist_record_n(hist_t *h, uint64_t v, uint64_t n)
{
    if (n == 0)
        return;
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->count += n;
    h->sum = sat_add(h->sum, sat_mul(v, n));
    h->buckets[bucket_of(v)] += n;
}

void hist_record(hist_t *h, uint64_t v)
{
    hist_record_n(h, v, 1);
}

void hist_merge(hist_t *dst, const hist_t *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum = sat_add(dst->sum, src->sum);
    for (size_t i = bucket_of(src->min), hi = bucket_of(src->max); i <= hi; i++)
        dst->buckets[i] += src->buckets[i];
}

uint64_t hist_count(const hist_t *h)
{
    return h->count;
}

uint64_t hist_min(const hist_t *h)
{
    return h->min;
}

uint64_t hist_max(const hist_t *h)
{
    return h->max;
}

double hist_mean(const hist_t *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/* ceil(p/100 * count) in [1, count]. p arrives as a binary double (99.9 is a
 * hair above 99.9), so a relative 1e-15 is shaved off before rounding up. */
static uint64_t rank_of(double p, uint64_t count)
{
    if (!(p > 0.0)) /* also NaN */
        return 1;
    if (p >= 100.0)
        return count;
    long double want = (long double)p * (long double)count / 100.0L;
    want -= want * 1e-15L;
    return (uint64_t)ceill(want); /* in [1, count]: 0 < want < count */
}

uint64_t hist_percentile(const hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max; /* the top is known exactly */
    uint64_t rank = rank_of(p, h->count), seen = 0;
    for (size_t i = bucket_of(h->min); i < NBUCKETS; i++) {
        seen += h->buckets[i];
        if (seen < rank)
            continue;
        uint64_t lo, hi;
        bucket_range(i, &lo, &hi);
        uint64_t mid = lo + (hi - lo) / 2;
        return mid < h->min ? h->min : mid > h->max ? h->max : mid;
    }
    return h->max;
}

void hist_counts_le(const hist_t *h, const uint64_t *le, size_t n, uint64_t *out)
{
    uint64_t seen = 0;
    size_t b = 0;
    for (size_t k = 0; k < n; k++) {
        size_t last = bucket_of(le[k]);
        for (; b <= last; b++)
            seen += h->buckets[b];
        out[k] = seen;
    }
}

/* "v1;count;min;max;sum;idx:n,idx:n,..." listing non-empty buckets only, in
 * increasing index order (so equal histograms encode to equal text). */
char *hist_encode(const hist_t *h)
{
    size_t cap = 256;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = (size_t)snprintf(out, cap, "v1;%" PRIu64 ";%" PRIu64 ";%" PRIu64 ";%" PRIu64 ";",
                                  h->count, h->min, h->max, h->sum);
    bool first = true;
    for (size_t i = 0; i < NBUCKETS; i++) {
        if (!h->buckets[i])
            continue;
        if (len + 48 > cap) { /* one pair is at most 1 + 5 + 1 + 20 chars */
            char *grown = realloc(out, cap *= 2);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%zu:%" PRIu64, first ? "" : ",", i,
                                h->buckets[i]);
        first = false;
    }
    return out;
}

/* Decoder state: the text, a cursor into it, and the reason on failure. */
typedef struct decoder {
    const char *text;
    const char *p;
    char *err;
    size_t errlen;
} decoder_t;

__attribute__((format(printf, 2, 3))) static int bad(decoder_t *d, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (d->err && d->errlen)
        snprintf(d->err, d->errlen, "malformed histogram: %s", why);
    return -1;
}

/* Reads an unsigned decimal ending at stop, or at the end of the text when
 * end_ok; the cursor moves past the stop. */
static int read_u64(decoder_t *d, char stop, bool end_ok, const char *what, uint64_t *v)
{
    char *end;
    size_t at = (size_t)(d->p - d->text);
    if (*d->p < '0' || *d->p > '9')
        return bad(d, "expected a number for %s at offset %zu", what, at);
    errno = 0;
    *v = strtoull(d->p, &end, 10);
    if (errno)
        return bad(d, "%s at offset %zu is too large", what, at);
    if (*end == stop)
        d->p = end + 1;
    else if (end_ok && !*end)
        d->p = end;
    else
        return bad(d, "expected '%c' after %s at offset %zu", stop, what, at);
    return 0;
}

static int read_header(decoder_t *d, hist_t *h)
{
    if (strncmp(d->p, "v1;", 3) != 0)
        return bad(d, "expected layout \"v1;count;min;max;sum;bucket:n,...\"");
    d->p += 3;
    if (read_u64(d, ';', false, "count", &h->count) < 0 ||
        read_u64(d, ';', false, "min", &h->min) < 0 ||
        read_u64(d, ';', false, "max", &h->max) < 0 || read_u64(d, ';', false, "sum", &h->sum) < 0)
        return -1;
    return 0;
}

/* Reads "idx:n" pairs; indexes strictly increase and counts are non-zero, which
 * is exactly what hist_encode writes. */
static int read_buckets(decoder_t *d, hist_t *h, size_t *first, size_t *last)
{
    uint64_t total = 0;
    bool any = false;
    while (*d->p) {
        uint64_t i = 0, n = 0; /* set by read_u64; -O3 cannot tell */
        if (read_u64(d, ':', false, "bucket index", &i) < 0 ||
            read_u64(d, ',', true, "bucket count", &n) < 0)
            return -1;
        if (i >= NBUCKETS)
            return bad(d, "bucket index %" PRIu64 " is out of range (0..%u)", i, NBUCKETS - 1);
        if (any && i <= *last)
            return bad(d, "bucket index %" PRIu64 " does not follow %zu in order", i, *last);
        if (n == 0)
            return bad(d, "bucket %" PRIu64 " has count 0", i);
        if (!*d->p && d->p[-1] == ',')
            return bad(d, "trailing ',' after the last bucket");
        if (!any)
            *first = (size_t)i;
        *last = (size_t)i;
        any = true;
        h->buckets[i] = n;
        total = sat_add(total, n);
    }
    if (total != h->count)
        return bad(d, "bucket counts add up to %" PRIu64 " but count is %" PRIu64, total, h->count);
    return 0;
}

/* min, max and sum must agree with the buckets, or percentiles would lie. */
static int check_summary(decoder_t *d, const hist_t *h, size_t first, size_t last)
{
    if (h->count == 0)
        return h->min || h->max || h->sum ? bad(d, "count is 0 but min, max or sum is not") : 0;
    if (h->min > h->max)
        return bad(d, "min %" PRIu64 " exceeds max %" PRIu64, h->min, h->max);
    if (bucket_of(h->min) != first || bucket_of(h->max) != last)
        return bad(d, "min or max does not match the first and last buckets");
    if (h->sum < sat_mul(h->min, h->count) || h->sum > sat_mul(h->max, h->count))
        return bad(d, "sum %" PRIu64 " is impossible for %" PRIu64 " values in [min, max]", h->sum,
                   h->count);
    return 0;
}

/* The longest text hist_encode writes: "v1;" and four 20-digit numbers,
 * then every bucket as "index:count," (5 + 1 + 20 + 1 bytes). */
#define TEXT_MAX (3u + 4u * 21u + NBUCKETS * 27u)

static int check_length(decoder_t *d)
{
    size_t n = strnlen(d->text, TEXT_MAX + 1);
    if (n > TEXT_MAX)
        return bad(d, "longer than %u bytes (%u buckets at most)", TEXT_MAX, NBUCKETS);
    return 0;
}

hist_t *hist_decode(const char *text, char *err, size_t errlen)
{
    decoder_t d = { text ? text : "", text ? text : "", err, errlen };
    size_t first = 0, last = 0;
    hist_t *h = hist_new();
    if (!h) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (check_length(&d) < 0 || read_header(&d, h) < 0 || read_buckets(&d, h, &first, &last) < 0 ||
        check_summary(&d, h, first, last) < 0)
        goto fail;
    return h;
fail:
    hist_free(h);
    return NULL;
}
