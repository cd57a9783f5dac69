/* hist: log-linear latency histogram (HdrHistogram-like), microseconds.
 *
 * Values 0..2047 are exact; above that each power-of-two range is split into
 * 1024 equal sub-buckets, so any recorded value is known to within 1/1024
 * (about 3 significant digits). Range: 0 .. 2^40 us (about 12.7 days);
 * larger values are clamped to the top bucket (max still tracks the truth).
 * Histograms with the same layout merge exactly by adding counts, which is
 * what makes per-worker and per-shard results combinable.
 *
 * Not thread-safe: one histogram per worker, merged after the run. */
#ifndef WSGATE_HIST_H
#define WSGATE_HIST_H

#include <stdint.h>
#include <stddef.h>

typedef struct hist hist_t;

/* Returns a new empty histogram, or NULL on allocation failure.
 * The caller frees it with hist_free(). */
hist_t *hist_new(void);
void hist_free(hist_t *h);

/* Records one value in microseconds. */
void hist_record(hist_t *h, uint64_t value_us);
/* Records the same value n times. */
void hist_record_n(hist_t *h, uint64_t value_us, uint64_t n);

/* Adds every count of src into dst (exact: same bucket layout). */
void hist_merge(hist_t *dst, const hist_t *src);
void hist_reset(hist_t *h);

uint64_t hist_count(const hist_t *h);
/* min/max of recorded values (exact, not bucketed); 0 when empty. */
uint64_t hist_min(const hist_t *h);
uint64_t hist_max(const hist_t *h);
/* Mean of recorded values (exact sum / count); 0.0 when empty. */
double hist_mean(const hist_t *h);

/* Value at percentile p (0 < p <= 100; 100 gives max): the smallest bucket whose cumulative
 * count reaches ceil(p/100 * count), reported as the bucket's midpoint
 * clamped into [min, max]. Returns 0 when empty. */
uint64_t hist_percentile(const hist_t *h, double p);

/* Cumulative counts for n ascending bounds: out[i] = values recorded at or
 * below le[i] microseconds, to within the histogram's resolution (the
 * bucket that holds le[i] counts as below it). For Prometheus buckets. */
void hist_counts_le(const hist_t *h, const uint64_t *le, size_t n, uint64_t *out);

/* Compact text encoding of the whole histogram (layout version, min, max,
 * sum, and the non-zero buckets), safe to embed in JSON as a string.
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL. */
char *hist_encode(const hist_t *h);
/* Decodes what hist_encode produced. Returns a new histogram, or NULL with
 * a reason in err when the text is malformed, including a text longer than
 * hist_encode can write (every bucket at its largest count). */
hist_t *hist_decode(const char *text, char *err, size_t errlen);

#endif
