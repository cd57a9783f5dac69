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
#include "engine/worker.h"

typedef struct livefeed livefeed_t;

/* A feed for the n workers of a run of spec (they must have snapshots).
 * Returns NULL when out of memory; free it with livefeed_free. */
livefeed_t *livefeed_new(const spec_t *spec, unsigned n);
void livefeed_free(livefeed_t *lf);

/* Hands second t to opts->live: sec merged over the workers, lat[i] step
 * i's histogram of the second, with the totals of the workers ws[0..n)
 * so far. Out of memory, the totals are what could be merged (best effort:
 * watching never fails a run). */
void livefeed_second(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                     const res_second_t *sec, size_t t, const hist_t *const *lat);
/* Every worker has exited and every second has been handed out (next of
 * them): one last call with sec NULL and final set. */
void livefeed_end(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, size_t next);

#endif
