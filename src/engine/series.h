/* series: the monitor's side of the run's per-second series. Each worker
 * hands the seconds it closes over (worker_t.out), and those of its loop
 * lag once final (worker_t.lag_out); series_poll takes them
 * and, once every worker has closed a second, merges it (the rule of
 * result.json's series, metrics_merge_second), hands it to the live feed
 * and appends it to a spool on disk (result/spool.h), so the run's memory
 * does not grow with its length; the lag's seconds are merged into a p99
 * and a max each (series_lag). At the end series_result hands the spool
 * (the whole series, on disk) to the result. Runs on the monitoring thread only; the
 * workers only hand over. */
#ifndef WSGATE_SERIES_H
#define WSGATE_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/selfmon.h"
#include "engine/worker.h"
#include "result/hist.h"
#include "result/result.h"

typedef struct series series_t;

/* Called for each merged second t, in order: sec as result.json will have
 * it, lat[i] step i's histogram of the second (empty when no sample). */
typedef void (*series_fn)(const res_second_t *sec, size_t t, const hist_t *const *lat, void *ctx);

/* A series of nsteps steps for n workers, spooled in $TMPDIR. Returns
 * NULL with the reason in err. Free it with series_free. */
series_t *series_new(size_t nsteps, unsigned n, char *err, size_t errlen);
/* Frees s and the seconds it still holds (the spool's file goes with it). */
void series_free(series_t *s);

/* Takes the seconds the workers ws[0..n) handed over (a worker that has
 * exited: all it has), then merges, hands to fn (may be NULL) and spools
 * each second every worker has closed whose open connections the monitor
 * has seen to the end (active[t], for t + 1 < nactive; the last look wins),
 * in order; likewise the lag's seconds every worker has handed over.
 * final: every worker has exited; every second left goes, with active[t]
 * for t < nactive, else 0. A second that cannot be merged or spooled is
 * still freed; series_result then fails. */
void series_poll(series_t *s, worker_t *ws, const uint64_t *active, size_t nactive, bool final,
                 series_fn fn, void *ctx);

/* The workers' loop lag merged so far: every second once series_poll has
 * run with final. */
const selfmon_lagsum_t *series_lag(const series_t *s);

/* Seconds merged so far (the next second's number). */
size_t series_count(const series_t *s);
/* Closed seconds (and the lag's) taken from the workers and held in
 * memory, waiting for the other workers to close them too. */
size_t series_held(const series_t *s);

/* Hands the spool of every second merged over to r (r->spool, r->nseconds;
 * r->nsteps set already): r frees it, s no longer spools. Call once, after
 * the last series_poll. Returns 0, or -1 with the reason in err (a second
 * could not be merged or spooled). */
int series_result(series_t *s, result_t *r, char *err, size_t errlen);

#endif
