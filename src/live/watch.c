/* watch: turns the engine's live feed into --live lines and /metrics texts. */
#include "live/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/sbuf.h"
#include "live/liveout.h"
#include "live/ndjson.h"
#include "live/prom.h"
#include "live/promsrv.h"

#define END_LINE_WAIT_MS 1000

/* Owns out, srv and line; run's strings are borrowed. */
struct watch {
    live_run_t run;
    liveout_t *out; /* NULL: no --live */
    promsrv_t *srv; /* NULL: no --metrics-listen */
    int port;
    sbuf_t line; /* the line being written, reused */
};

/* Hands a fresh /metrics text of lv (NULL: before the first second) to the
 * listener; best effort. */
static void publish(watch_t *w, const engine_live_t *lv)
{
    sbuf_t text = SBUF_INIT;
    if (prom_render(&text, &w->run, lv) == 0 && text.data)
        promsrv_publish(w->srv, text.data, text.len);
    else
        sbuf_free(&text);
}

watch_t *watch_open(const watch_opts_t *o, char *err, size_t errlen)
{
    watch_t *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->run = o->run;
    w->port = o->metrics_port;
    if (o->metrics_host && !(w->srv = promsrv_start(o->metrics_host, &w->port, err, errlen)))
        goto fail;
    if (o->live && !(w->out = liveout_open(o->live, err, errlen)))
        goto fail;
    if (w->srv)
        publish(w, NULL);
    if (w->out && ndjson_start(&w->line, &w->run, clock_wall_s()) == 0)
        liveout_write(w->out, w->line.data, w->line.len);
    return w;
fail:
    watch_close(w);
    return NULL;
}

int watch_metrics_port(const watch_t *w)
{
    return w->srv ? w->port : 0;
}

void watch_on_live(const engine_live_t *lv, void *ctx)
{
    watch_t *w = ctx;
    if (w->out && lv->sec) {
        sbuf_truncate(&w->line, 0);
        if (ndjson_second(&w->line, lv, clock_wall_s()) == 0)
            liveout_write(w->out, w->line.data, w->line.len);
    }
    if (w->srv)
        publish(w, lv);
}

void watch_end(watch_t *w, const result_t *r, int exit_status)
{
    if (!w->out)
        return;
    sbuf_truncate(&w->line, 0);
    if (ndjson_end(&w->line, r, exit_status, clock_wall_s()) == 0)
        liveout_write_last(w->out, w->line.data, w->line.len, END_LINE_WAIT_MS);
}

uint64_t watch_lost_lines(const watch_t *w, const char **why)
{
    *why = "";
    return w->out ? liveout_lost(w->out, why) : 0;
}

void watch_close(watch_t *w)
{
    if (!w)
        return;
    promsrv_stop(w->srv);
    liveout_close(w->out);
    sbuf_free(&w->line);
    free(w);
}
