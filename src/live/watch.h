/* watch: the live watchers of one run (--live FILE, --metrics-listen
 * ADDR:PORT) tied to the engine's live feed: each second becomes an NDJSON
 * line and a new /metrics text, both made on the engine's monitoring
 * thread and handed out without waiting for any reader. */
#ifndef WSGATE_WATCH_H
#define WSGATE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "live/live.h"
#include "result/result.h"

/* What to watch with, each field named after its flag. Borrowed. */
typedef struct watch_opts {
    const char *live;         /* --live FILE ("-": stdout); NULL: none */
    const char *metrics_host; /* --metrics-listen's address; NULL: none */
    int metrics_port;         /* and port; 0: a free one */
    live_run_t run;           /* the labels */
} watch_opts_t;

typedef struct watch watch_t;

/* Opens the live file (writing the start line) and starts the metrics
 * listener. Returns the watch, or NULL with a reason in err (nothing left
 * open); close it with watch_close. */
watch_t *watch_open(const watch_opts_t *o, char *err, size_t errlen);

/* The port the metrics listener is on (the one picked for port 0); 0 when
 * there is none. */
int watch_metrics_port(const watch_t *w);

/* engine_opts_t.live for ctx = the watch: writes lv's second as a line
 * and publishes the run so far as the new /metrics text. */
void watch_on_live(const engine_live_t *lv, void *ctx);

/* Writes the end line with r's verdict (r NULL: the run failed) and the
 * exit status, waiting up to a second for a slow reader. */
void watch_end(watch_t *w, const result_t *r, int exit_status);

/* Lines of the live file lost (see liveout), with the first reason. */
uint64_t watch_lost_lines(const watch_t *w, const char **why);

/* Stops the listener, closes the file and frees w; NULL is a no-op. */
void watch_close(watch_t *w);

#endif
