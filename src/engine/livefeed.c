/* livefeed: hands each closed second of a running test, and the run so far, to a live watcher. */
#include "engine/livefeed.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

/* Owns sofar. */
struct livefeed {
    unsigned n;
    result_t sofar; /* steps with histograms, refilled at each second */
};

static int sofar_init(result_t *r, const spec_t *spec)
{
    if (!(r->steps = calloc(spec->nmetrics, sizeof(res_step_t))))
        return -1;
    r->nsteps = spec->nmetrics;
    for (size_t i = 0; i < spec->nmetrics; i++)
        if (!(r->steps[i].name = strdup(spec->metric_names[i])) ||
            !(r->steps[i].latency = hist_new()))
            return -1;
    if (!(r->spec_name = strdup(spec->name)))
        return -1;
    return 0;
}

livefeed_t *livefeed_new(const spec_t *spec, unsigned n)
{
    livefeed_t *lf = calloc(1, sizeof(*lf));
    if (!lf)
        return NULL;
    lf->n = n;
    if (sofar_init(&lf->sofar, spec) < 0) {
        livefeed_free(lf);
        return NULL;
    }
    return lf;
}

void livefeed_free(livefeed_t *lf)
{
    if (!lf)
        return;
    result_clear(&lf->sofar);
    free(lf);
}

/* The workers' totals so far, from their snapshots. */
static void fill_sofar(livefeed_t *lf, worker_t *ws)
{
    result_t *r = &lf->sofar;
    for (size_t i = 0; i < r->nsteps; i++) {
        hist_reset(r->steps[i].latency);
        r->steps[i].ok = r->steps[i].failed = 0;
    }
    r->msgs_sent = r->msgs_received = r->bytes_sent = r->bytes_received = 0;
    r->connect_abandoned = r->reconnect_attempts = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        r->errors[k].count = 0; /* snapshots carry no samples */
    for (unsigned w = 0; w < lf->n; w++) {
        pthread_mutex_lock(&ws[w].snap_lock);
        metrics_merge_into(r, ws[w].snap); /* counts only: cannot fail */
        pthread_mutex_unlock(&ws[w].snap_lock);
    }
    r->peak_active = atomic_load(&ws[0].run->peak);
}

static void hand_out(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                     const res_second_t *sec, size_t t, const hist_t *const *lat, bool final)
{
    const run_ctx_t *run = ws[0].run;
    uint64_t now = clock_mono_us();
    engine_live_t lv = {
        .sec = sec,
        .t = t,
        .lat = lat,
        .sofar = &lf->sofar,
        .active = atomic_load(&((run_ctx_t *)run)->active),
        .elapsed_s = now > run->t0 ? (double)(now - run->t0) / 1e6 : 0,
        .final = final,
    };
    opts->live(&lv, opts->live_ctx);
}

void livefeed_second(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws,
                     const res_second_t *sec, size_t t, const hist_t *const *lat)
{
    fill_sofar(lf, ws);
    hand_out(lf, opts, ws, sec, t, lat, false);
}

void livefeed_end(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, size_t next)
{
    fill_sofar(lf, ws);
    hand_out(lf, opts, ws, NULL, next, NULL, true);
}
