/* livefeed: hands each closed second of a running test, and the run so far, to a live watcher. */
#include "engine/livefeed.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/selfmon.h"
#include "result/gen.h"

/* Owns sofar. */
struct livefeed {
    unsigned n;
    result_t sofar; /* steps with histograms, refilled at each second */
    double lag_limit_ms;
    res_gen_sec_t gen; /* the generator in the last second handed out */
    uint64_t saturated_secs;
    observer_t *obs; /* borrowed; NULL: none */
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
    lf->lag_limit_ms = gen_lag_limit_ms(selfmon_min_expect_timeout(spec));
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

void livefeed_observe(livefeed_t *lf, observer_t *obs)
{
    lf->obs = obs;
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
    r->connect_abandoned = r->reconnect_attempts = r->connect_attempts = r->connect_unstarted = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        r->errors[k].count = 0; /* snapshots carry no samples */
    for (unsigned w = 0; w < lf->n; w++) {
        pthread_mutex_lock(&ws[w].snap_lock);
        metrics_merge_into(r, ws[w].snap); /* counts only: cannot fail */
        pthread_mutex_unlock(&ws[w].snap_lock);
    }
    r->peak_active = atomic_load(&ws[0].run->peak);
    r->errors[ERR_OBSERVE].count = observer_errors(lf->obs); /* kept by its thread */
}

/* lf->gen for second t: the workers' loop lag of t once every worker's is
 * final (else of the latest second that is: lag seconds are handed over a
 * probe interval after the second closes), the process's CPU and memory
 * of its latest closed second. */
static void gen_second(livefeed_t *lf, const engine_gen_t *g, size_t t)
{
    res_gen_sec_t *out = &lf->gen;
    const selfmon_lagsum_t *lag = g->lag;
    if (lag && lag->n) {
        size_t i = t < lag->n ? t : lag->n - 1;
        out->loop_lag_p99_ms = lag->p99_ms[i];
        out->loop_lag_max_ms = lag->max_ms[i];
    }
    const selfmon_proc_t *proc = g->proc;
    if (proc && proc->n) {
        size_t i = t < proc->n ? t : proc->n - 1;
        out->cpu_pct = proc->cpu_pct[i];
        out->rss_mb = proc->rss_mb[i];
    }
    out->saturated = gen_sec_saturated(out->loop_lag_p99_ms, lf->lag_limit_ms);
    lf->saturated_secs += out->saturated;
}

static void hand_out(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, const engine_gen_t *g,
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
        .gen = lf->gen,
        .lag_limit_ms = lf->lag_limit_ms,
        .saturated_secs = lf->saturated_secs,
        .cpu_s = g->proc ? (double)g->proc->last_cpu_us / 1e6 : 0,
    };
    opts->live(&lv, opts->live_ctx);
}

void livefeed_second(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, const engine_gen_t *g,
                     const res_second_t *sec, size_t t, const hist_t *const *lat)
{
    fill_sofar(lf, ws);
    gen_second(lf, g, t);
    hand_out(lf, opts, ws, g, sec, t, lat, false);
}

void livefeed_end(livefeed_t *lf, const engine_opts_t *opts, worker_t *ws, const engine_gen_t *g,
                  size_t next)
{
    fill_sofar(lf, ws);
    hand_out(lf, opts, ws, g, NULL, next, NULL, true);
}
