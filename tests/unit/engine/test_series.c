/* Unit tests for src/engine/series.c: the monitor takes the seconds the
 * workers hand over, merges each one once every worker has closed it, and
 * keeps it on disk, not in memory. Two real workers (worker.c) of a run
 * built in memory, driven by worker_housekeeping with times the test picks;
 * no thread, no network. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_worker.h"

#include "engine/series.h"

static const char *yaml = "name: s\n"
                          "target: ws://127.0.0.1:9001\n"
                          "load: {users: 2, duration: 2h}\n"
                          "scenarios:\n"
                          "  - name: s\n"
                          "    connect: {url: \"{{target}}/ws\"}\n"
                          "    tasks:\n"
                          "      - name: publish\n"
                          "        pause: 1s\n"
                          "        send: 'a'\n"
                          "        expect: {match: 'type == \"a\"'}\n";

#define NW 2

/* Two workers of one run starting at t0, and the series over them. */
typedef struct rig {
    spec_t *spec;
    run_ctx_t run;
    worker_t ws[NW];
    series_t *s;
    uint64_t t0;
    int publish; /* the step's metric */
} rig_t;

static void rig_start(rig_t *g)
{
    char err[256] = "";
    memset(g, 0, sizeof(*g));
    g->spec = fake_spec(yaml);
    g->t0 = 1000 * SEC;
    g->run.spec = g->spec;
    g->run.t0 = g->t0;
    g->run.end = g->t0 + g->spec->duration_us;
    g->run.hard_end = g->run.end + 5 * SEC;
    g->run.nworkers = NW;
    for (unsigned i = 0; i < NW; i++)
        assert_int_equal(worker_init(&g->ws[i], &g->run, i, 1, false, fake_tick, vu_lws_settle), 0);
    g->s = series_new(g->spec->nmetrics, NW, err, sizeof(err));
    if (!g->s)
        fail_msg("series_new: %s", err);
    g->publish = -1;
    for (size_t i = 0; i < g->spec->nmetrics; i++)
        if (strcmp(g->spec->metric_names[i], "publish") == 0)
            g->publish = (int)i;
    assert_true(g->publish > 0);
}

static void rig_stop(rig_t *g)
{
    series_free(g->s);
    for (unsigned i = 0; i < NW; i++)
        worker_release(&g->ws[i]);
    spec_free(g->spec);
}

/* Worker w's second t: sent t + w + 1, and t + 1 publish latencies. */
static void load_second(rig_t *g, unsigned w, uint64_t t)
{
    worker_t *wk = &g->ws[w];
    wk->m->sent += t + w + 1;
    for (uint64_t i = 0; i <= t % 50; i++)
        metrics_ok(wk->m, g->publish, 1000 + 37 * i + 11 * w + t % 1000);
}

/* Worker w's loop-lag probes of second t, as its loop would fire them:
 * every 10 ms, late by (t % 7 + w + 1) ms; the next is due after it. */
static void probe_second(rig_t *g, unsigned w, uint64_t t)
{
    selfmon_lag_t *l = &g->ws[w].lag;
    for (uint64_t i = 0; i < 100; i++) {
        uint64_t due = g->t0 + t * SEC + i * 10 * MS;
        selfmon_lag_record(l, due, due + (t % 7 + w + 1) * MS);
        l->due_us = due + 10 * MS;
    }
}

/* What the series handed out, for the checks. */
typedef struct seen {
    size_t n;
    size_t t[16];
    uint64_t sent[16], active[16], count[16];
} seen_t;

static void on_second(const res_second_t *sec, size_t t, const hist_t *const *lat, void *ctx)
{
    seen_t *seen = ctx;
    assert_true(seen->n < 16);
    seen->t[seen->n] = t;
    seen->sent[seen->n] = sec->sent;
    seen->active[seen->n] = sec->active;
    seen->count[seen->n] = hist_count(lat[1]);
    seen->n++;
}

/* The seconds a result's spool gives back. */
typedef struct back {
    size_t nsteps, step, n;
    uint64_t sent[4], count[4];
} back_t;

static int on_back(const res_second_t *sec, size_t t, void *ctx)
{
    back_t *b = ctx;
    assert_int_equal(t, b->n);
    assert_true(b->n < 4);
    hist_t *h = res_second_hist(sec, b->nsteps, b->step);
    b->sent[b->n] = sec->sent;
    b->count[b->n] = h ? hist_count(h) : 0;
    hist_free(h);
    b->n++;
    return 0;
}

/* A second is merged once every worker has closed it and the monitor has
 * looked at the connections after it; in order; with the sums of both. */
static void test_merges_once_every_worker_closed(void **state)
{
    rig_t g;
    rig_start(&g);
    const uint64_t active[] = { 10, 11, 12, 13, 14, 15 };
    seen_t seen = { 0 };
    for (uint64_t t = 0; t < 3; t++) /* worker 0 closes seconds 0..2 */
        load_second(&g, 0, t), worker_housekeeping(&g.ws[0], g.t0 + (t + 1) * SEC + 1);
    load_second(&g, 1, 0);
    worker_housekeeping(&g.ws[1], g.t0 + SEC + 1); /* worker 1: second 0 only */
    series_poll(g.s, g.ws, active, 6, false, on_second, &seen);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.t[0], 0);
    assert_int_equal(seen.sent[0], 1 + 2);
    assert_int_equal(seen.active[0], 10);
    assert_int_equal(seen.count[0], 2);
    assert_int_equal(series_held(g.s), 2); /* worker 0's seconds 1 and 2 */

    for (uint64_t t = 1; t < 3; t++)
        load_second(&g, 1, t), worker_housekeeping(&g.ws[1], g.t0 + (t + 1) * SEC + 1);
    series_poll(g.s, g.ws, active, 2, false, on_second, &seen); /* second 1 is still open */
    assert_int_equal(seen.n, 1);
    series_poll(g.s, g.ws, active, 6, false, on_second, &seen);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.t[2], 2);
    assert_int_equal(seen.sent[2], 3 + 4);
    assert_int_equal(seen.active[2], 12);
    assert_int_equal(seen.count[2], 2 * 3);
    assert_int_equal(series_held(g.s), 0);
    assert_int_equal(series_count(g.s), 3);
    rig_stop(&g);
}

/* At the end (final), a worker that has exited is done: the seconds only
 * the others closed go too, and so do seconds it closed but could not hand
 * over; active past what the monitor saw is 0. */
static void test_final_takes_the_rest(void **state)
{
    rig_t g;
    rig_start(&g);
    const uint64_t active[] = { 5 };
    seen_t seen = { 0 };
    load_second(&g, 0, 0);
    worker_housekeeping(&g.ws[0], g.t0 + SEC + 1);
    load_second(&g, 0, 1);
    worker_housekeeping(&g.ws[0], g.t0 + 2 * SEC + 1);
    load_second(&g, 1, 0);
    assert_int_equal(metrics_finish(g.ws[1].m), 0); /* closed, not handed over */
    atomic_store(&g.ws[0].exited, true);
    series_poll(g.s, g.ws, active, 1, false, on_second, &seen);
    assert_int_equal(seen.n, 0); /* worker 1 is still running */
    atomic_store(&g.ws[1].exited, true);
    series_poll(g.s, g.ws, active, 1, true, on_second, &seen);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.sent[0], 1 + 2);
    assert_int_equal(seen.active[0], 5);
    assert_int_equal(seen.sent[1], 2);
    assert_int_equal(seen.active[1], 0);

    result_t *r = make_result("s", "ws://127.0.0.1:1", g.spec->nmetrics);
    char err[256] = "";
    assert_int_equal(series_result(g.s, r, err, sizeof(err)), 0);
    assert_int_equal(r->nseconds, 2);
    assert_null(r->series); /* on disk, handed over: read one second at a time */
    back_t back = { .nsteps = r->nsteps, .step = (size_t)g.publish };
    assert_int_equal(result_series_each(r, on_back, &back), 0);
    assert_int_equal(back.n, 2);
    assert_int_equal(back.sent[1], 2);
    assert_int_equal(back.count[0], 2);
    free_result(r);
    rig_stop(&g);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* The point of the series: however long the run, the seconds that have
 * closed leave memory (workers and monitor), and the whole series comes
 * back, exact, at the end. Kept in memory, a second of these two workers
 * takes about 2 KB (their latency texts and records, their loop-lag
 * histograms); what stays is the lag's p99 and max (16 bytes a second, in
 * arrays that double): over 2,800 seconds the heap may grow by 32 bytes a
 * second at most. */
/* Second t as load_second and active[t] = t made it. */
static int check_back(const res_second_t *sec, size_t t, void *ctx)
{
    back_t *b = ctx;
    assert_int_equal(t, b->n);
    assert_int_equal(sec->sent, 2 * t + 3);
    assert_int_equal(sec->active, t);
    hist_t *h = res_second_hist(sec, b->nsteps, b->step);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 2 * (t % 50 + 1));
    assert_int_equal(hist_min(h), 1000 + t % 1000); /* exact below 2048 */
    hist_free(h);
    b->n++;
    return 0;
}

static void test_memory_stays_flat(void **state)
{
    rig_t g;
    rig_start(&g);
    enum { WARM = 200, SECS = 3000 };
    uint64_t *active = calloc(SECS + 1, sizeof(*active));
    assert_non_null(active);
    size_t before = 0;
    for (uint64_t t = 0; t < SECS; t++) {
        for (unsigned w = 0; w < NW; w++) {
            load_second(&g, w, t);
            probe_second(&g, w, t);
            worker_housekeeping(&g.ws[w], g.t0 + (t + 1) * SEC + 1);
        }
        active[t] = t;
        series_poll(g.s, g.ws, active, t + 2, false, NULL, NULL);
        assert_true(series_held(g.s) == 0);
        if (t == WARM)
            before = heap_in_use();
    }
    size_t after = heap_in_use();
    size_t grown = after > before ? after - before : 0;
    if (grown > 32 * (SECS - WARM))
        fail_msg("the heap grew by %zu bytes over %d seconds", grown, SECS - WARM);
    assert_int_equal(series_count(g.s), SECS);
    const selfmon_lagsum_t *lag = series_lag(g.s);
    assert_int_equal(lag->n, SECS);
    for (uint64_t t = 0; t < SECS; t++) /* the later worker's */
        assert_true(lag->max_ms[t] == (double)(t % 7 + 2));
    assert_int_equal(lag->all.count, 2 * 100 * SECS);

    result_t *r = make_result("s", "ws://127.0.0.1:1", g.spec->nmetrics);
    char err[256] = "";
    assert_int_equal(series_result(g.s, r, err, sizeof(err)), 0);
    assert_int_equal(r->nseconds, SECS);
    back_t back = { .nsteps = r->nsteps, .step = (size_t)g.publish };
    assert_int_equal(result_series_each(r, check_back, &back), 0);
    assert_int_equal(back.n, SECS);
    free_result(r);
    free(active);
    rig_stop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merges_once_every_worker_closed),
        cmocka_unit_test(test_final_takes_the_rest),
        cmocka_unit_test(test_memory_stays_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
