/* livefeed: the monitor's side of the live feed (engine_opts_t.live). The
 * series (series.c) merges each second once every worker has closed it, as
 * result.json will have it; the feed hands it to the watcher with the run
 * so far, from the workers' snapshots. Runs on the monitoring thread only. */
#ifndef WSGATE_LIVEFEED_H
#define WSGATE_LIVEFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/observe.h"
#include "engine/selfmon.h"
#include "engine/worker.h"

typedef struct livefeed livefeed_t;

/* The generator's own figures a second is handed out with (borrowed, the
 * monitor's; either may be NULL): the workers' loop lag merged so far and
 * the process's CPU and memory. */
typedef struct engine_gen {
    const selfmon_lagsum_t *lag;
    const selfmon_proc_t *proc;
} engine_gen_t;

/* A feed for the n workers of a run of spec (they must have snapshots).
 * Returns NULL when out of memory; free it with livefeed_free. */
livefeed_t *livefeed_new(const spec_t *spec, unsigned n);
void livefeed_free(livefeed_t *lf);

/* Counts obs's failed scrapes (observer_errors) in the run so far's
 * errors.observe from now on; obs must outlive the feed's calls. */
void livefeed_observe(livefeed_t *lf, observer_t *obs);

/* Hands second t to opts->live: sec merged over the workers, lat[i] step
 * i's histogram of the second, with the totals of the workers ws[0..n)
 * so far and the generator's figures for it (g: result.json's saturation
 * rule). Out of memory, the totals are what could be merged (best effort:
 * watching never fails a run). */
void livefeed_second(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, const engine_gen_t *g,
                     const res_second_t *sec, size_t t, const hist_t *const *lat);
/* Every worker has exited and every second has been handed out (next of
 * them): one last call with sec NULL and final set. */
void livefeed_end(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, const engine_gen_t *g,
                  size_t next);

#endif
