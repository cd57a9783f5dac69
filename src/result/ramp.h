/* ramp: the connect ramp's plan against what happened, and the connect
 * pipeline's queue (load.max_connecting), as result.json's "connect"
 * object holds them. Pure arithmetic on counts: the engine fills one per
 * worker and merges them, merge.c sums shards, reporters read the rates.
 *
 * The ramp window is [start_s, end_s]: the first and the last planned
 * first connect of the run's users (closed model: each user's first start;
 * open model: the first and the last arrival), in seconds of load time.
 *   planned_per_s  = planned / W,  W = max(end_s - start_s, 1 s)
 *   achieved_per_s = connected / max(W, last_connected_s - start_s)
 * where connected counts the planned users (sessions) whose connect
 * eventually opened, and last_connected_s is when the last of them did.
 * So achieved equals planned when every user connected within the planned
 * window, and falls below it when connects failed or came late. */
#ifndef WSGATE_RAMP_H
#define WSGATE_RAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct res_ramp {
    bool known;              /* false: a result.json from before it */
    uint64_t max_connecting; /* connects in flight at most (all workers) */
    uint64_t planned;        /* users (arrivals) with a planned first connect */
    double start_s, end_s;   /* the ramp window, seconds of load time */
    uint64_t connected;      /* of those, users whose connect opened */
    double last_connected_s; /* when the last of them opened */
    uint64_t waited;         /* connects that waited for a slot */
    uint64_t max_waiting;    /* most connects waiting at once (merge: sum of shards') */
    double max_wait_s;       /* the longest wait for a slot */
} res_ramp_t;

/* Before filling: known, empty window. */
void ramp_init(res_ramp_t *r);
/* A planned first connect at t seconds of load time. */
void ramp_plan(res_ramp_t *r, double t);
/* n planned first connects, the first at first and the last at last. */
void ramp_plan_n(res_ramp_t *r, uint64_t n, double first, double last);
/* A planned user's connect opened at t seconds of load time. */
void ramp_connected(res_ramp_t *r, double t);
/* Adds src (another worker or shard) into dst. */
void ramp_merge(res_ramp_t *dst, const res_ramp_t *src);

/* Rounds the times to the millisecond result.json keeps, so a result read
 * back from it derives the same rates. */
void ramp_round(res_ramp_t *r);

/* The rates defined above; 0 when nothing was planned. */
double ramp_planned_per_s(const res_ramp_t *r);
double ramp_achieved_per_s(const res_ramp_t *r);
/* The ramp fell behind its plan: achieved below 90% of planned, or some
 * connect waited for a slot. The reports then show a line. */
bool ramp_behind(const res_ramp_t *r);

/* When the ramp fell behind (ramp_behind), the reports' line, without a
 * final period: "ramp: 1,000/s planned, 412/s achieved; up to 7,300 users
 * waited for a connect slot (max 4.1 s)". The second half only when some
 * connect waited. Writes "" otherwise. */
void ramp_line(const res_ramp_t *r, char *buf, size_t n);

#endif
