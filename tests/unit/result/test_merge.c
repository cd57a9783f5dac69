/* Tests for src/result/merge.c: merging shard results is exact (the percentiles of
 * the merged histogram are those of one histogram holding every sample),
 * counters add up, series align by wall clock, and inputs that do not
 * belong together are refused with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "result/hist.h"
#include "result/merge.h"
#include "result/observed.h"
#include "result/overrides.h"
#include "helpers.h"

#define NSHARDS 3

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A shard result of spec "chat": steps connect and publish, one series
 * second per entry of secs. */
static result_t *make_shard(unsigned k, unsigned n, double started_at, size_t nsecs)
{
    result_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->spec_name = xstrdup("chat");
    r->spec_hash = xstrdup("abc123");
    r->target = xstrdup("ws://127.0.0.1:1");
    r->started_at = started_at;
    r->ended_at = started_at + 10;
    r->duration_s = 10;
    r->threads = 2;
    r->users_planned = 10;
    r->shard_index = k;
    r->shard_total = n;
    r->nsteps = 2;
    r->steps = calloc(2, sizeof(res_step_t));
    assert_non_null(r->steps);
    add_step(r, 0, "connect", 0, 0);
    add_step(r, 1, "publish", 0, 0);
    r->msgs_sent = 100 * k;
    r->peak_active = 10;
    r->open_model = true; /* each shard ran its slice of the arrivals */
    r->rate_max = r->rate_min = 20;
    r->session_iterations = 2;
    r->arrivals_planned = 40 + k;
    r->arrivals_started = 30 + k;
    r->arrivals_dropped = 10;
    r->connect_abandoned = k;
    r->reconnect_attempts = 2 * k;
    r->slow = (res_slow_t){
        .known = k != 2, .samples = k, .unread_total = 100 * k, .unread_max = k == 2 ? 0 : 50 * k
    };
    r->wire = (res_wire_t){ k, 10 * k, 100 * k, 20 * k, 300 * k, k, k - 1 };
    r->errors[ERR_TIMEOUT].count = k;
    add_sample(&r->errors[ERR_TIMEOUT], k == 1 ? "same" : "other");
    if (nsecs) {
        r->series = calloc(nsecs, sizeof(res_second_t));
        r->nseconds = nsecs;
        for (size_t t = 0; t < nsecs; t++) {
            r->series[t].sent = 10;
            r->series[t].active = 5;
            r->series[t].step_hist = calloc(2, sizeof(char *));
            hist_t *h = hist_new();
            hist_record(h, 1000 * k + t);
            r->series[t].step_hist[1] = hist_encode(h);
            hist_free(h);
        }
    }
    return r;
}

static void free_results(result_t **rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_result(rs[i]);
}

static void test_exact_percentiles(void **state)
{
    result_t *in[NSHARDS];
    hist_t *all = hist_new();
    uint64_t seed = 42;
    for (unsigned k = 0; k < NSHARDS; k++) {
        in[k] = make_shard(k + 1, NSHARDS, 1000.0, 0);
        /* different shapes per shard: the average of percentiles would be wrong */
        for (int i = 0; i < 20000; i++) {
            uint64_t v = next_rand(&seed) % (k == 2 ? 900000u : 50000u) + 100;
            hist_record(in[k]->steps[1].latency, v);
            hist_record(all, v);
        }
        in[k]->steps[1].ok = 20000;
        in[k]->steps[1].failed = k;
    }
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, NSHARDS, false, &m, err, sizeof(err)), 0);
    const hist_t *mh = m.steps[result_find_step(&m, "publish")].latency;
    const double pcts[] = { 1, 50, 90, 95, 99, 99.9, 100 };
    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
        assert_int_equal(hist_percentile(mh, pcts[i]), hist_percentile(all, pcts[i]));
    assert_int_equal(hist_count(mh), 60000);
    assert_int_equal(hist_min(mh), hist_min(all));
    assert_true(hist_mean(mh) == hist_mean(all));
    assert_int_equal(m.steps[1].ok, 60000);
    assert_int_equal(m.steps[1].failed, 0 + 1 + 2);
    assert_int_equal(m.msgs_sent, 100 + 200 + 300);
    assert_int_equal(m.errors[ERR_TIMEOUT].count, 1 + 2 + 3);
    assert_int_equal(m.errors[ERR_TIMEOUT].nsamples, 2); /* "same" and "other", each once */
    assert_int_equal(m.users_planned, 30);
    assert_int_equal(m.peak_active, 30);
    assert_true(m.open_model && m.rate_max == 20 && m.session_iterations == 2);
    assert_int_equal(m.arrivals_planned, 120 + 6);
    assert_int_equal(m.arrivals_started, 90 + 6);
    assert_int_equal(m.arrivals_dropped, 30);
    assert_int_equal(m.connect_abandoned, 1 + 2 + 3);
    assert_int_equal(m.reconnect_attempts, 2 + 4 + 6);
    assert_true(m.slow.known);
    assert_int_equal(m.slow.samples, 1 + 2 + 3);
    assert_int_equal(m.slow.unread_total, 600);
    assert_int_equal(m.slow.unread_max, 150);
    res_wire_t want = { 6, 60, 600, 120, 1800, 6, 3 };
    assert_memory_equal(&m.wire, &want, sizeof(want));
    assert_int_equal(m.shard_total, 0);
    assert_int_equal(m.nshards, NSHARDS);
    assert_int_equal(m.shards[2].index, 3);
    assert_int_equal(m.shards[2].errors, 3);
    assert_null(m.missing_shards);
    result_clear(&m);
    hist_free(all);
    free_results(in, NSHARDS);
}

static void test_series_aligned_by_wall_clock(void **state)
{
    result_t *in[2] = { make_shard(1, 2, 1000.0, 3), make_shard(2, 2, 1002.0, 3) };
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_true(m.started_at == 1000.0);
    assert_true(m.ended_at == 1012.0);
    assert_int_equal(m.nseconds, 5); /* 0..2 from shard 1, 2..4 from shard 2 */
    const uint64_t sent[] = { 10, 10, 20, 10, 10 };
    for (size_t t = 0; t < 5; t++)
        assert_int_equal(m.series[t].sent, sent[t]);
    assert_int_equal(m.series[2].active, 10);
    hist_t *h = result_second_hist(&m, 2, 1); /* 1002 (shard 1, t=2) and 2000 (shard 2, t=0) */
    assert_non_null(h);
    assert_int_equal(hist_count(h), 2);
    assert_int_equal(hist_min(h), 1002);
    assert_int_equal(hist_max(h), 2000);
    hist_free(h);
    assert_null(result_second_hist(&m, 0, 0)); /* connect had no series samples */
    result_clear(&m);
    free_results(in, 2);
}

/* Errors by kind add up per wall-clock second and in the totals: shard 1
 * (t=0..2) has timeouts, shard 2 (started 1 s later, t=0..2) timeouts and
 * http_status; the overlapping seconds hold both shards' counts. */
static void test_errors_by_kind_add_up(void **state)
{
    result_t *in[2] = { make_shard(1, 2, 1000.0, 3), make_shard(2, 2, 1001.0, 3) };
    for (size_t t = 0; t < 3; t++) {
        in[0]->series[t].errors_by_kind[ERR_TIMEOUT] = t + 1; /* 1, 2, 3 */
        in[0]->series[t].errors = t + 1;
        in[1]->series[t].errors_by_kind[ERR_TIMEOUT] = 10;
        in[1]->series[t].errors_by_kind[ERR_HTTP_STATUS] = t; /* 0, 1, 2 */
        in[1]->series[t].errors = 10 + t;
    }
    in[0]->errors[ERR_TIMEOUT].count = 1 + 2 + 3;
    in[1]->errors[ERR_TIMEOUT].count = 30;
    in[1]->errors[ERR_HTTP_STATUS].count = 0 + 1 + 2;
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_int_equal(m.nseconds, 4); /* 1000..1003 */
    const uint64_t timeout[] = { 1, 2 + 10, 3 + 10, 10 };
    const uint64_t status[] = { 0, 0, 1, 2 };
    for (size_t t = 0; t < 4; t++) {
        assert_int_equal(m.series[t].errors_by_kind[ERR_TIMEOUT], timeout[t]);
        assert_int_equal(m.series[t].errors_by_kind[ERR_HTTP_STATUS], status[t]);
        assert_int_equal(m.series[t].errors, timeout[t] + status[t]);
        assert_int_equal(m.series[t].errors_by_kind[ERR_REFUSED], 0);
    }
    assert_int_equal(m.errors[ERR_TIMEOUT].count, 6 + 30);
    assert_int_equal(m.errors[ERR_HTTP_STATUS].count, 3);
    uint64_t sum = 0;
    for (size_t t = 0; t < 4; t++)
        sum += m.series[t].errors_by_kind[ERR_TIMEOUT];
    assert_int_equal(sum, m.errors[ERR_TIMEOUT].count);
    result_clear(&m);
    free_results(in, 2);
}

static void test_refusals(void **state)
{
    result_t m;
    char err[256];
    const char *names[] = { "a.json", "b.json", "c.json" };

    result_t *diff[2] = { make_shard(1, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    free(diff[1]->spec_hash);
    diff[1]->spec_hash = xstrdup("fff999");
    assert_int_equal(
        merge_results((const result_t *const *)diff, names, 2, false, &m, err, sizeof(err)), -1);
    assert_contains(err, "different specs");
    assert_contains(err, "b.json");
    free_results(diff, 2);

    result_t *missing[2] = { make_shard(1, 4, 1000, 0), make_shard(3, 4, 1000, 0) };
    assert_int_equal(
        merge_results((const result_t *const *)missing, names, 2, false, &m, err, sizeof(err)), -1);
    assert_contains(err, "shards 2, 4 of 4 are missing");
    assert_contains(err, "--allow-partial");
    assert_int_equal(
        merge_results((const result_t *const *)missing, names, 2, true, &m, err, sizeof(err)), 0);
    assert_string_equal(m.missing_shards, "2, 4 of 4");
    result_clear(&m);
    free_results(missing, 2);

    result_t *dup[2] = { make_shard(2, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    assert_int_equal(
        merge_results((const result_t *const *)dup, names, 2, true, &m, err, sizeof(err)), -1);
    assert_contains(err, "repeats shard 2/2");
    free_results(dup, 2);

    result_t *mixed[2] = { make_shard(1, 2, 1000, 0), make_shard(0, 0, 1000, 0) };
    assert_int_equal(
        merge_results((const result_t *const *)mixed, names, 2, true, &m, err, sizeof(err)), -1);
    assert_contains(err, "not a shard");
    free_results(mixed, 2);

    result_t *far[2] = { make_shard(1, 2, 1000, 3), make_shard(2, 2, 1000 + 86400, 3) };
    assert_int_equal(
        merge_results((const result_t *const *)far, names, 2, false, &m, err, sizeof(err)), -1);
    assert_contains(err, "86400 s apart");
    free_results(far, 2);

    result_t *twice[2] = { make_shard(0, 0, 1000, 0), make_shard(0, 0, 1000, 0) };
    twice[0]->shard_index = twice[1]->shard_index = 0;
    assert_int_equal(
        merge_results((const result_t *const *)twice, names, 2, true, &m, err, sizeof(err)), -1);
    assert_contains(err, "b.json looks like a.json again");
    free_results(twice, 2);

    assert_int_equal(merge_results(NULL, NULL, 0, false, &m, err, sizeof(err)), -1);
}

/* Shards of one load run one size: different overrides are refused, the
 * same ones carried into the merge. */
static void test_overrides_must_agree(void **state)
{
    result_t m;
    char err[512];
    const char *names[] = { "a.json", "b.json" };
    result_t *in[2] = { make_shard(1, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    for (int i = 0; i < 2; i++) {
        assert_non_null(in[i]->overrides = res_overrides_new());
        in[i]->overrides->users = 50;
        assert_int_equal(res_overrides_add_var(in[i]->overrides, "room", "r1"), 0);
    }
    assert_int_equal(
        merge_results((const result_t *const *)in, names, 2, false, &m, err, sizeof(err)), 0);
    assert_non_null(m.overrides);
    assert_int_equal(m.overrides->users, 50);
    assert_string_equal(m.overrides->var_values[0], "r1");
    result_clear(&m);
    in[1]->overrides->users = 40;
    assert_int_equal(
        merge_results((const result_t *const *)in, names, 2, false, &m, err, sizeof(err)), -1);
    assert_contains(err, "a.json and b.json ran with different overrides (users 50, var room=r1 "
                         "vs users 40, var room=r1)");
    res_overrides_free(in[1]->overrides);
    in[1]->overrides = NULL;
    assert_int_equal(
        merge_results((const result_t *const *)in, names, 2, false, &m, err, sizeof(err)), -1);
    assert_contains(err, "vs none");
    free_results(in, 2);
}

static void test_regions(void **state)
{
    result_t *in[2] = { make_shard(1, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    in[0]->region = xstrdup("eu");
    in[1]->region = xstrdup("us");
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_null(m.region); /* several regions: none for the whole */
    assert_string_equal(m.shards[0].region, "eu");
    assert_string_equal(m.shards[1].region, "us");
    result_clear(&m);
    free(in[1]->region);
    in[1]->region = xstrdup("eu");
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_string_equal(m.region, "eu");
    result_clear(&m);
    free_results(in, 2);
}

/* One shard run with tls.insecure_skip_verify makes the whole unverified. */
static void test_tls_insecure_spreads(void **state)
{
    (void)state;
    result_t *in[2] = { make_shard(1, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_false(m.tls_insecure);
    result_clear(&m);
    in[1]->tls_insecure = true;
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_true(m.tls_insecure);
    result_clear(&m);
    free_results(in, 2);
}

/* An interrupted shard makes the merge interrupted, and its row says which
 * shard, by what signal, and when it ended; the planned duration is kept. */
static void test_interrupted_shard_interrupts_the_merge(void **state)
{
    (void)state;
    result_t *in[2] = { make_shard(1, 2, 1000, 0), make_shard(2, 2, 1000, 0) };
    in[0]->planned_s = in[1]->planned_s = 10;
    in[0]->passed = in[1]->passed = true;
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    assert_false(m.interrupted);
    result_clear(&m);
    in[1]->interrupted = true;
    in[1]->stop_signal = SIGTERM;
    in[1]->ended_at = in[1]->started_at + 4;
    in[1]->duration_s = 4;
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 2, false, &m, err, sizeof(err)), 0);
    m.passed = true; /* as if every assertion held */
    assert_int_equal(result_verdict(&m), RES_VERDICT_INTERRUPTED);
    assert_int_equal(m.stop_signal, 0); /* the merge itself was not signalled */
    assert_true(m.planned_s == 10);
    assert_false(m.shards[0].interrupted);
    assert_true(m.shards[1].interrupted);
    assert_int_equal(m.shards[1].stop_signal, SIGTERM);
    assert_true(m.shards[1].ended_at == 1004);
    result_clear(&m);
    free_results(in, 2);
}

/* The merged generator is saturated when any shard was (in the seconds
 * that shard was, aligned by wall clock), keeps the worst runner per second
 * and one summary per input; an input without generator figures is listed
 * as unknown. No input with figures: unknown. */
static void test_generator_merge(void **state)
{
    (void)state;
    result_t *in[3];
    in[0] = make_shard(1, 3, 1000.0, 0);
    in[1] = make_shard(2, 3, 1002.0, 0); /* two seconds later */
    in[2] = make_shard(3, 3, 1000.0, 0);
    const double calm[] = { 1, 2, 3, 4 };
    const double busy[] = { 1, 90, 2 };
    set_generator(in[0], calm, 4, 50);
    set_generator(in[1], busy, 3, 50);
    in[1]->generator->secs[2].cpu_pct = 180;
    in[1]->generator->cores = 4;
    assert_int_equal(gen_summarize(in[1]->generator), 0);
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 3, false, &m, err, sizeof(err)), 0);
    const res_gen_t *g = m.generator;
    assert_non_null(g);
    assert_true(g->saturated);
    assert_int_equal(g->nsecs, 5);
    assert_true(g->secs[3].saturated && g->secs[3].loop_lag_p99_ms == 90);
    assert_false(g->secs[1].saturated);
    assert_true(g->secs[2].loop_lag_p99_ms == 3); /* calm's second 2, busy's second 0 */
    assert_true(g->secs[4].cpu_pct == 180);
    assert_int_equal(g->nranges, 1);
    assert_true(g->ranges[0].from == 3 && g->ranges[0].to == 4);
    assert_true(g->loop_lag_p99_ms == 90 && g->lag_limit_ms == 50);
    assert_int_equal(g->cores, 0); /* machines differ */
    assert_int_equal(g->nshards, 3);
    assert_int_equal(g->shards[1].index, 2);
    assert_true(g->shards[1].gen && g->shards[1].gen->saturated && g->shards[1].gen->nsecs == 0);
    assert_true(g->shards[0].gen && !g->shards[0].gen->saturated);
    assert_null(g->shards[2].gen);
    result_clear(&m);

    gen_free(in[0]->generator);
    gen_free(in[1]->generator);
    in[0]->generator = in[1]->generator = NULL;
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 3, false, &m, err, sizeof(err)), 0);
    assert_null(m.generator);
    result_clear(&m);
    free_results(in, 3);
}

/* A server object as a shard's observe: left it: one series, v[i] = base + i
 * at t = i. */
static res_server_t *make_server(double base, uint64_t errors)
{
    res_server_t *srv = calloc(1, sizeof(*srv));
    assert_non_null(srv);
    srv->series = calloc(1, sizeof(*srv->series));
    assert_non_null(srv->series);
    srv->nseries = 1;
    srv->series[0].name = xstrdup("process_resident_memory_bytes");
    srv->series[0].url = xstrdup("http://127.0.0.1:1/metrics");
    for (int i = 0; i < 3; i++)
        assert_int_equal(obs_series_push(&srv->series[0], i, base + i), 0);
    srv->window_start_s = 1;
    srv->window_end_s = 9;
    srv->scrapes = 3 + errors;
    srv->scrape_errors = errors;
    return srv;
}

/* Shards observe the same server: the merge keeps shard 1's series (the
 * lowest --shard K with one, wherever it is in the inputs), its times moved
 * to the merged start, and its scrape counts; errors.observe adds up every
 * shard's. No shard with a server: none. */
static void test_server_from_lowest_shard(void **state)
{
    (void)state;
    result_t *in[3] = { make_shard(2, 3, 1000.0, 0), make_shard(1, 3, 1002.0, 0),
                        make_shard(3, 3, 1000.0, 0) };
    in[0]->server = make_server(100, 0);
    in[1]->server = make_server(500, 1);
    in[0]->errors[ERR_OBSERVE].count = 2;
    in[1]->errors[ERR_OBSERVE].count = 1;
    result_t m;
    char err[256];
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 3, false, &m, err, sizeof(err)), 0);
    const res_server_t *srv = m.server;
    assert_non_null(srv);
    assert_int_equal(srv->nseries, 1);
    const res_obs_series_t *rss = obs_find(srv, "process_resident_memory_bytes");
    assert_non_null(rss);
    assert_string_equal(rss->url, "http://127.0.0.1:1/metrics");
    assert_int_equal(rss->n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(rss->v[i] == 500 + (double)i); /* shard 1's */
        assert_true(rss->t[i] == 2 + (double)i);   /* it started 2 s after the merged start */
    }
    assert_true(srv->window_start_s == 3 && srv->window_end_s == 11);
    assert_true(srv->scrapes == 4 && srv->scrape_errors == 1);
    assert_int_equal(m.errors[ERR_OBSERVE].count, 3);
    result_clear(&m);

    res_server_free(in[0]->server);
    res_server_free(in[1]->server);
    in[0]->server = in[1]->server = NULL;
    assert_int_equal(
        merge_results((const result_t *const *)in, NULL, 3, false, &m, err, sizeof(err)), 0);
    assert_null(m.server);
    result_clear(&m);
    free_results(in, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_percentiles),
        cmocka_unit_test(test_series_aligned_by_wall_clock),
        cmocka_unit_test(test_errors_by_kind_add_up),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_tls_insecure_spreads),
        cmocka_unit_test(test_interrupted_shard_interrupts_the_merge),
        cmocka_unit_test(test_generator_merge),
        cmocka_unit_test(test_server_from_lowest_shard),
        cmocka_unit_test(test_overrides_must_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
