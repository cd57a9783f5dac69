/* ndjson: the lines of `wsgate run --live FILE`: one JSON object per line,
 * each with "event" first: "start" (the run's labels), "second" (each
 * second of the load as it closes: result.json's series entry plus the run
 * so far) and "end" (the verdict and exit status, written by cli after
 * judging). Each line ends in '\n'. */
#ifndef WSGATE_NDJSON_H
#define WSGATE_NDJSON_H

#include "base/sbuf.h"
#include "engine/engine.h"
#include "live/live.h"
#include "result/result.h"

/* Appends the start line: {"event":"start","ts":..,"spec":..,..}. ts_s is
 * the wall clock (epoch seconds). Returns 0, or -1 when out of memory. */
int ndjson_start(sbuf_t *out, const live_run_t *run, double ts_s);

/* Appends the line of lv's second (lv->sec must be set): t, active, sent,
 * received, errors and per step its count and p50/p95/p99 in ms (null
 * without samples) with the step's ok_total and failed_total so far,
 * "generator": the second's cpu_pct, rss_mb, loop_lag_p99_ms,
 * loop_lag_max_ms and saturated as result.json's generator.secs holds
 * them, with saturated_seconds so far, and "total": connections open, connects ok/failed, messages
 * and bytes, errors by kind. Returns 0, or -1 when out of memory. */
int ndjson_second(sbuf_t *out, const engine_live_t *lv, double ts_s);

/* Appends the end line: "verdict" (pass, fail, aborted, interrupted, or
 * error when r is NULL: the run could not start or finish) and
 * "exit_status". Returns 0, or -1 when out of memory. */
int ndjson_end(sbuf_t *out, const result_t *r, int exit_status, double ts_s);

#endif
