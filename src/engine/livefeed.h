/* livefeed: the monitor's side of the live feed (engine_opts_t.live). Each
 * worker copies the seconds it closes into its snapshot (worker.c); the
 * feed takes them out, and once every worker has closed a second, merges
 * it as metrics_merge_series will for result.json and hands it to the
 * watcher with the run so far. Runs on the monitoring thread only. */
#ifndef WSGATE_LIVEFEED_H
#define WSGATE_LIVEFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/observe.h"
#include "engine/worker.h"

typedef struct livefeed livefeed_t;

/* A feed for the n workers of a run of spec (they must have snapshots).
 * Returns NULL when out of memory; free it with livefeed_free. */
livefeed_t *livefeed_new(const spec_t *spec, unsigned n);
void livefeed_free(livefeed_t *lf);

/* Counts obs's failed scrapes (observer_errors) in the run so far's
 * errors.observe from now on; obs must outlive the feed's polls. */
void livefeed_observe(livefeed_t *lf, observer_t *obs);

/* Takes the seconds the workers ws[0..n) closed since the last poll and
 * calls opts->live for each second every worker has closed (a worker that
 * has exited has closed all of its own), in order, with the generator's
 * figures for it (the workers' lag copies; proc: the process's CPU and
 * memory, NULL: none). active[s], for s < nactive, is the open connections at the end of second s.
 * final: every worker has exited; the remaining seconds are handed out, then one more call with sec
 * NULL and final set. Out of memory, a second is handed out with what could be merged (best effort:
 * watching never fails a run). */
void livefeed_poll(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                   const selfmon_proc_t *proc, const uint64_t *active, size_t nactive, bool final);

#endif
