/* num: the one number formatter of every report and assertion text, so a
 * value prints the same in every table and format. */
#ifndef WSGATE_NUM_H
#define WSGATE_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a number measures: picks its unit and rounding. */
typedef enum num_kind {
    NUM_LATENCY, /* microseconds */
    NUM_COUNT,   /* a whole number of things */
    NUM_RATE,    /* per second */
    NUM_PCT,     /* percent, 0..100 */
} num_kind_t;

/* A latency given in microseconds: whole microseconds below 1 ms ("53 us"),
 * milliseconds with 3 significant digits below 1 s ("4.10 ms", "41.0 ms",
 * "410 ms"), whole milliseconds below 10 s ("4213 ms"), seconds with 3
 * significant digits from 10 s ("12.3 s", "123 s"; whole seconds above).
 * Negative or not finite: "–". */
void num_latency(double us, char *buf, size_t n);

/* num_latency with at least sig (3..9) significant digits, for a value
 * whose rounding must not read as another verdict. */
void num_latency_sig(double us, int sig, char *buf, size_t n);

/* Microseconds of text written by num_latency ("4.10 ms" -> 4100), or -1
 * when it is no such text. */
double num_latency_parse(const char *s);

/* A count with thousands separators: "12,000". */
void num_count(uint64_t v, char *buf, size_t n);

/* A rate per second: 3 significant digits below 1000 ("0.500/s",
 * "12.3/s", "123/s"), whole with thousands separators above ("1,235/s"). */
void num_rate(double per_s, char *buf, size_t n);

/* A run's length in seconds, for people: tenths below a minute ("4.0 s",
 * "59.9 s"), then minutes and whole seconds ("2 min 30 s", "15 min"),
 * then hours and minutes ("1 h 5 min", "2 h"). Negative or not finite:
 * "–". */
void num_duration(double s, char *buf, size_t n);

/* A percentage with 2 decimals: "99.50%". */
void num_pct(double pct, char *buf, size_t n);

/* v formatted as its kind says (a count is rounded to a whole number). */
void num_value(num_kind_t k, double v, char *buf, size_t n);

/* Changes smaller than this, in percent, get no marker: run-to-run noise. */
#define NUM_DELTA_QUIET 5.0

/* A value against its baseline, direction-aware (higher_is_worse: latency
 * and errors; else rates and success): "🔴 4.10 ms (was 3.60 ms, +13.9%
 * worse)", "🟢 ... -20.0% better)", "4.10 ms (was 4.05 ms, +1.2% worse)"
 * (no marker below NUM_DELTA_QUIET), "... no change)". A change of 10
 * times or more reads "🔴 12.3 ms (was 15 us, 820x worse)" and one from
 * 0 "🔴 3 (was 0, worse)", never a percentage in the hundreds of
 * thousands. */
void num_delta(num_kind_t k, bool higher_is_worse, double now, double was, char *buf, size_t n);

/* The markers num_delta puts first. */
#define NUM_WORSE "\xf0\x9f\x94\xb4"  /* U+1F534 large red circle */
#define NUM_BETTER "\xf0\x9f\x9f\xa2" /* U+1F7E2 large green circle */

#endif
