/* observe: scrapes the spec's observe: endpoints (Prometheus text over
 * HTTP or HTTPS, obsconn.h) on a thread of its own while the load runs, so
 * the workers never wait on it. Every scrape that fails (host refused by
 * the host rules, connect refused, a certificate that fails the check,
 * timeout, a status other than 200, a body that is not the format, a
 * selected metric absent) is an ERR_OBSERVE error with its reason, never a
 * silent gap. */
#ifndef WSGATE_OBSERVE_H
#define WSGATE_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "result/result.h"
#include "spec/spec.h"

typedef struct observer observer_t;

/* Starts scraping every endpoint of spec->observe at t0_us (clock_mono_us)
 * and then every interval until t0_us + end_us. Returns the observer
 * (NULL when the spec observes nothing), or NULL with *failed set and a
 * reason in err. spec must outlive the observer. */
observer_t *observer_start(const spec_t *spec, uint64_t t0_us, uint64_t end_us, int *failed,
                           char *err, size_t errlen);

/* The scrapes that failed so far, readable from any thread while the
 * observer runs (the live feed's errors.observe); 0 for NULL. */
uint64_t observer_errors(observer_t *o);

/* The text of the first scrape that failed ("observe URL: reason"), or
 * NULL while none has (and for NULL). Readable from any thread; valid
 * until observer_finish. */
const char *observer_first_error(observer_t *o);

/* Stops the thread and frees o, handing its series and errors to r:
 * r->server (with the steady window of spec's load shape) and
 * r->errors[ERR_OBSERVE]. Returns 0, or -1 when out of memory. o may be
 * NULL (nothing happens). */
int observer_finish(observer_t *o, const spec_t *spec, result_t *r);

/* The steady window of a load shape, seconds from the load's start: the
 * stages at the peak users from start to end (the hold after the ramp);
 * the whole load when there is none (open model: the whole load). */
void observer_window(const spec_t *spec, double *start_s, double *end_s);

#endif
