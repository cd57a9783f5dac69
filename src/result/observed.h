/* observed: what a run saw of the server (the spec's observe:): one series
 * per selected metric, a value per scrape, as result.json's "server"
 * object holds them; and the aggregates assertions take over a series
 * (max, last, rate, drift). Nothing here scrapes. */
#ifndef WSGATE_OBSERVED_H
#define WSGATE_OBSERVED_H

#include <stddef.h>
#include <stdint.h>

/* One selected metric: NAME, or NAME{label="value",...} (the samples whose
 * labels include those, summed). Owns every pointer. */
typedef struct res_obs_series {
    char *name; /* the selector, as obs_selector_norm writes it */
    char *url;  /* the endpoint it was scraped from */
    double *t;  /* seconds since the load started, increasing */
    double *v;
    size_t n, cap;
} res_obs_series_t;

/* Owns series. */
typedef struct res_server {
    res_obs_series_t *series;
    size_t nseries;
    /* The steady window (the hold after the ramp), seconds since the load
     * started: rate() and drift() read only the samples inside it. */
    double window_start_s, window_end_s;
    uint64_t scrapes;       /* scrapes tried, over every endpoint */
    uint64_t scrape_errors; /* of which failed (also errors.observe) */
} res_server_t;

/* Appends a sample. Returns 0, or -1 when out of memory. */
int obs_series_push(res_obs_series_t *s, double t, double v);

/* The series named name (a selector as obs_selector_norm writes it), or
 * NULL. srv may be NULL. */
const res_obs_series_t *obs_find(const res_server_t *srv, const char *name);

/* The aggregates. Each returns 0 with the value in *out, or -1 with why in
 * *why (a static string: "no samples", ...).
 *   max    the largest sample of the run
 *   last   the last sample of the run
 *   rate   per second over the window, of a counter: the sum of the
 *          increases between successive samples (after a drop, a reset,
 *          the new value counts as the increase) over the time they span
 *   drift  the least-squares slope over the window's samples times the
 *          window's length, as a fraction of their mean (0.05 = grew 5%) */
int obs_max(const res_obs_series_t *s, double *out, const char **why);
int obs_last(const res_obs_series_t *s, double *out, const char **why);
int obs_rate(const res_obs_series_t *s, double w0, double w1, double *out, const char **why);
int obs_drift(const res_obs_series_t *s, double w0, double w1, double *out, const char **why);

/* Writes sel in one spelling (no spaces outside quoted values) into out:
 * NAME or NAME{a="x",b="y"} with the labels as given. Returns 0, or -1
 * with a reason in err (not a metric name, a bad label list). */
int obs_selector_norm(const char *sel, char *out, size_t outlen, char *err, size_t errlen);

/* A deep copy of srv with dt seconds added to every sample time and to
 * the window (a merge moves a shard's times to the merged start). Returns
 * NULL when srv is NULL or out of memory. */
res_server_t *res_server_copy(const res_server_t *srv, double dt);

/* Frees srv and what it owns (NULL is fine). */
void res_server_free(res_server_t *srv);

#endif
