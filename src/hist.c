#include "hist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BUCKETS 1024u  /* per power of two: 1/1024 relative width */
#define LINEAR_LIMIT 2048u /* values below are exact */
#define MAX_BITS 40u       /* 2^40 us, about 12.7 days */
#define NBUCKETS (LINEAR_LIMIT + (MAX_BITS - 11u) * SUB_BUCKETS)

/* Owns nothing outside itself: one flat allocation. */
struct hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    uint64_t sum; /* exact: wraps only past 2^64 us in total */
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

void hist_reset(hist_t *h)
{
    memset(h, 0, sizeof(*h));
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
    h->sum += v * n;
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
    dst->sum += src->sum;
    for (size_t i = 0; i < NBUCKETS; i++)
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

uint64_t hist_percentile(const hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    long double want = (long double)p / 100.0L * (long double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((long double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
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

/* "v1;count;min;max;sum;idx:n,idx:n,..." listing non-empty buckets only. */
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
        if (len + 48 > cap) {
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

/* Reads digits up to the separator stop (or the end when stop is 0). */
static int read_u64(const char **p, char stop, uint64_t *v)
{
    char *end;
    if (**p < '0' || **p > '9')
        return -1;
    errno = 0;
    *v = strtoull(*p, &end, 10);
    if (errno || *end != stop)
        return -1;
    *p = stop ? end + 1 : end;
    return 0;
}

static int decode_buckets(hist_t *h, const char *p)
{
    uint64_t total = 0;
    while (*p) {
        uint64_t i, n;
        const char *comma = strchr(p, ',');
        if (read_u64(&p, ':', &i) < 0 || i >= NBUCKETS ||
            read_u64(&p, comma ? ',' : '\0', &n) < 0 || n == 0 || (comma && !*p))
            return -1;
        h->buckets[i] += n;
        total += n;
    }
    return total == h->count ? 0 : -1;
}

hist_t *hist_decode(const char *text, char *err, size_t errlen)
{
    hist_t *h = hist_new();
    const char *p = text;
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (strncmp(p, "v1;", 3) != 0)
        goto bad;
    p += 3;
    if (read_u64(&p, ';', &h->count) < 0 || read_u64(&p, ';', &h->min) < 0 ||
        read_u64(&p, ';', &h->max) < 0 || read_u64(&p, ';', &h->sum) < 0 ||
        (h->count && h->min > h->max) || decode_buckets(h, p) < 0)
        goto bad;
    return h;
bad:
    snprintf(err, errlen, "malformed histogram: expected \"v1;count;min;max;sum;bucket:n,...\"");
    hist_free(h);
    return NULL;
}
