/* units: durations, think times, rates and human formatting. */
#ifndef WSGATE_UNITS_H
#define WSGATE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "1500us", "250ms", "5s", "1.5s", "2m", "1h" -> microseconds.
 * A bare number or an unknown unit is an error naming the accepted units.
 * Returns 0, or -1 with a one-line reason in err. */
int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen);

/* "50/s", "0.5/s", "3000/m", "100/h" -> events per second (>= 0: callers
 * that need more than 0 check it).
 * Returns 0, or -1 with a one-line reason in err that shows what to write. */
int units_parse_rate(const char *s, double *per_s, char *err, size_t errlen);

/* "512", "512B", "1KB", "1.5MB", "2GB", "1TB" -> bytes. KB, MB, GB and TB
 * are powers of 1024 (KiB, MiB, GiB, TiB are accepted as the same).
 * Returns 0, or -1 with a one-line reason in err that shows what to write. */
int units_parse_bytes(const char *s, double *out, char *err, size_t errlen);

/* The length of a size unit (B KB MB GB TB, KiB MiB GiB TiB) at s and its
 * multiplier in *mult, or 0 when s does not start with one. */
size_t units_bytes_unit(const char *s, double *mult);

typedef enum pause_kind {
    PAUSE_NONE = 0,
    PAUSE_CONSTANT,    /* "3s"                      a_us */
    PAUSE_UNIFORM,     /* "between(2s, 5s)"         a_us..b_us */
    PAUSE_EXPONENTIAL, /* "exponential(3s)"         mean a_us */
} pause_kind_t;

typedef struct pause {
    pause_kind_t kind;
    uint64_t a_us;
    uint64_t b_us;
} pause_t;

/* Parses a think time as above. between() needs a <= b.
 * Returns 0, or -1 with a one-line reason in err. */
int units_parse_pause(const char *s, pause_t *out, char *err, size_t errlen);

/* Draws one think time in microseconds (exponential is capped at 10x mean). */
uint64_t pause_sample(const pause_t *p, uint64_t *rng);

/* Formats microseconds for people: "850 us", "12.3 ms", "4.20 s". */
void units_format_us(double us, char *buf, size_t n);

#endif
