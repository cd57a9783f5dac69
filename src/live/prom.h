/* prom: the Prometheus text exposition (format 0.0.4) of a running test,
 * which --metrics-listen serves at /metrics. Families, all in base units:
 *   wsgate_run_info{spec,shard,region} 1            gauge
 *   wsgate_elapsed_seconds, wsgate_connections_open   gauges
 *   wsgate_connects_total{result="ok|failed"}        counter
 *   wsgate_messages_{sent,received}_total            counters
 *   wsgate_bytes_{sent,received}_total               counters
 *   wsgate_step_total{step,result="ok|failed"}       counter
 *   wsgate_step_latency_seconds{step}                histogram (PROM_NLE bounds + +Inf)
 *   wsgate_errors_total{kind}                        counter (every kind, 0 too)
 *   wsgate_generator_loop_lag_{p99,max}_seconds      gauges (the last second)
 *   wsgate_generator_loop_lag_limit_seconds          gauge (the saturation limit)
 *   wsgate_generator_saturated                       gauge (0/1, the last second)
 *   wsgate_generator_saturated_seconds_total         counter
 *   wsgate_generator_cpu_seconds_total               counter (the process)
 *   wsgate_generator_resident_memory_bytes           gauge (the process)
 * Label values are escaped (backslash, double quote, newline). */
#ifndef WSGATE_PROM_H
#define WSGATE_PROM_H

#include <stddef.h>

#include "base/sbuf.h"
#include "engine/engine.h"
#include "live/live.h"

/* The histogram's bucket bounds in seconds, ascending: 0.0001 .. 60. */
#define PROM_NLE 18
extern const double prom_le_s[PROM_NLE];

/* Appends the exposition of the run so far (lv->sofar, active, elapsed_s)
 * to out; lv NULL (before the first second): only the run's info, elapsed
 * time 0 and no connections. Returns 0, or -1 when out of memory. */
int prom_render(sbuf_t *out, const live_run_t *run, const engine_live_t *lv);

/* Appends s to out as a label value, escaped. Returns 0, or -1 when out of
 * memory. */
int prom_label_value(sbuf_t *out, const char *s);

#endif
