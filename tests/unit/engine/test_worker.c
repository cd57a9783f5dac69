/* Unit tests for src/engine/worker.c: a worker's set-up, its tick
 * scheduling, per-second housekeeping and publishing, open-model session
 * places and when it is done. No network, no thread: one worker of a run
 * built in memory (fake_worker.h); fake_lws.c stands in for the one
 * libwebsockets call worker.c makes (lws_cancel_service). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>

#include "fake_lws.h"
#include "fake_worker.h"

/* A ramp of 4 users over 4 s (user k starts at k s), then 10 minutes. */
static const char *closed_yaml = "name: w\n"
                                 "target: ws://127.0.0.1:9001\n"
                                 "load:\n"
                                 "  stages:\n"
                                 "    - {duration: 4s, users: 4}\n"
                                 "    - {duration: 10m, users: 4}\n"
                                 "scenarios:\n"
                                 "  - name: s\n"
                                 "    connect: {url: \"{{target}}/ws\"}\n"
                                 "    tasks:\n"
                                 "      - name: first\n"
                                 "        pause: 1s\n"
                                 "        send: 'a'\n"
                                 "        expect: {match: 'type == \"a\"'}\n"
                                 "      - name: second\n"
                                 "        pause: 1s\n"
                                 "        send: 'b'\n"
                                 "        expect: {match: 'type == \"b\"'}\n";

/* 10 arrivals a second for 2 s, at most 3 sessions at once. */
static const char *open_yaml = "name: o\n"
                               "target: ws://127.0.0.1:9001\n"
                               "load:\n"
                               "  arrival_rate: {rate: 10/s, duration: 2s, max_users: 3}\n"
                               "scenarios:\n"
                               "  - name: s\n"
                               "    connect: {url: \"{{target}}/ws\"}\n";

static int setup(void **state)
{
    fake_lws_reset();
    return 0;
}

/* ---- set-up and release ---- */

/* worker_init makes what its contract lists, sized for the spec and the
 * users, with the run's time 0 as the metrics' second 0; the snapshot copy
 * and the slot pool only when asked for (snapshots, open model). */
static void test_init_makes_queues_metrics_and_loop(void **state)
{
    char path[1024], err[1024] = "";
    snprintf(path, sizeof(path), "%s/specs/good.yaml", WSGATE_TEST_DATA);
    spec_t *spec = spec_load(path, NULL, err, sizeof(err));
    if (!spec)
        fail_msg("good.yaml: %s", err);
    run_ctx_t run = { .spec = spec, .t0 = 123456789 };
    worker_t w;
    assert_int_equal(worker_init(&w, &run, 3, 5, false, NULL, vu_lws_settle), 0);
    assert_ptr_equal(w.run, &run);
    assert_int_equal(w.index, 3);
    assert_int_equal(w.nvus, 5);
    assert_non_null(w.tq);
    assert_non_null(w.ping_tq);
    assert_non_null(w.loop);
    assert_non_null(w.m);
    assert_int_equal(w.m->nsteps, spec->nmetrics);
    assert_int_equal(w.m->t0_us, run.t0);
    assert_null(w.snap);
    assert_null(w.pool.free); /* closed model: no session slots */
    assert_int_equal(timerq_size(w.tq), 0);
    for (uint32_t i = 0; i < 5; i++) /* a queue for every user's slot */
        timerq_set(w.tq, i, 10 + i);
    assert_int_equal(timerq_size(w.tq), 5);
    worker_release(&w);

    assert_int_equal(worker_init(&w, &run, 0, 5, true, NULL, vu_lws_settle), 0);
    assert_non_null(w.snap);
    assert_int_equal(w.snap->nsteps, spec->nmetrics);
    worker_release(&w);
    spec_free(spec);

    fake_worker_t fw; /* open model: nvus slots in the pool */
    fake_worker_start(&fw, open_yaml, mono_us(), 0);
    assert_int_equal(fw.w.pool.cap, fw.w.nvus);
    assert_int_equal(fw.w.pool.nfree, fw.w.nvus);
    fake_worker_stop(&fw);
}

/* ---- the tick's timer ---- */

/* Seconds until the tick fires, as libev sees it. */
static double tick_in(worker_t *w)
{
    ev_now_update(w->loop);
    return ev_timer_remaining(w->loop, &w->tick);
}

/* worker_schedule arms the tick; worker_wake_by moves it earlier, never
 * later, and does nothing inside the tick or after the worker finished. */
static void test_wake_by_earliest_wins(void **state)
{
    fake_worker_t fw;
    uint64_t now = mono_us();
    fake_worker_start(&fw, closed_yaml, now, 0);
    worker_t *w = &fw.w;
    worker_schedule(w, now + 800 * MS, now);
    assert_true(ev_is_active(&w->tick));
    assert_int_equal(w->next_wake, now + 800 * MS);
    assert_true(tick_in(w) > 0.5 && tick_in(w) <= 0.8);

    worker_wake_by(w, now + 300 * MS);
    assert_int_equal(w->next_wake, now + 300 * MS);
    assert_true(tick_in(w) > 0.1 && tick_in(w) <= 0.3);

    worker_wake_by(w, now + 600 * MS); /* later: the earlier wake stands */
    assert_int_equal(w->next_wake, now + 300 * MS);
    assert_true(tick_in(w) <= 0.3);
    worker_wake_by(w, now + 300 * MS);
    assert_int_equal(w->next_wake, now + 300 * MS);

    w->in_tick = true; /* the tick schedules itself when done */
    worker_wake_by(w, now + 100 * MS);
    assert_int_equal(w->next_wake, now + 300 * MS);
    w->in_tick = false;
    w->finished = true;
    worker_wake_by(w, now + 100 * MS);
    assert_int_equal(w->next_wake, now + 300 * MS);
    w->finished = false;

    worker_schedule(w, now - SEC, mono_us()); /* overdue: fires at once */
    assert_true(tick_in(w) <= 0.);
    fake_worker_stop(&fw);
}

/* The reason the tick is worker.c's own ev_timer: an earlier wake really
 * fires earlier on the loop, not when the later timer already armed would
 * have. */
static void test_wake_by_fires_the_loop_early(void **state)
{
    fake_worker_t fw;
    uint64_t now = mono_us();
    fake_worker_start(&fw, closed_yaml, now, 0);
    worker_t *w = &fw.w;
    worker_schedule(w, now + 3 * SEC, now);
    worker_wake_by(w, mono_us() + 20 * MS);
    uint64_t t = mono_us();
    ev_run(w->loop, EVRUN_ONCE);
    uint64_t waited = mono_us() - t;
    assert_int_equal(fw.ticks, 1);
    assert_true(waited < 2 * SEC);
    fake_worker_stop(&fw);
}

/* worker_schedule_next: the earliest of a user's deadline, a ping, the
 * run's end and the next arrival, but never further than the plain tick
 * interval, and sooner than that while the run is ending. */
static void test_schedule_next_picks_the_earliest(void **state)
{
    fake_worker_t fw;
    uint64_t now = mono_us();
    fake_worker_start(&fw, closed_yaml, now - SEC, 0);
    worker_t *w = &fw.w;

    worker_schedule_next(w, now); /* nothing due: the plain interval */
    uint64_t interval = w->next_wake - now;
    assert_true(interval > 0 && interval <= SEC);

    timerq_set(w->tq, 2, now + interval + 1); /* later than the interval */
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval);

    timerq_set(w->tq, 2, now + interval / 2);
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval / 2);

    timerq_set(w->ping_tq, 1, now + interval / 4);
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval / 4);

    fw.run.end = now + interval / 8;
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval / 8);

    w->arr.count = 5; /* an arrival due sooner still */
    w->arr_due = now + interval / 16;
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval / 16);
    w->arr_next = 5; /* every arrival handled: it no longer counts */
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + interval / 8);

    /* ending: the end and arrivals no longer count, a shorter poll does */
    timerq_cancel(w->tq, 2);
    timerq_cancel(w->ping_tq, 1);
    w->arr_next = 0;
    w->ending = true;
    worker_schedule_next(w, now);
    uint64_t poll = w->next_wake - now;
    assert_true(poll > 0 && poll < interval);
    timerq_set(w->tq, 0, now + poll / 2); /* a user's deadline still wins */
    worker_schedule_next(w, now);
    assert_int_equal(w->next_wake, now + poll / 2);
    fake_worker_stop(&fw);
}

/* ---- housekeeping ---- */

/* Metric index of name in spec. */
static int metric(const spec_t *spec, const char *name)
{
    for (size_t i = 0; i < spec->nmetrics; i++)
        if (strcmp(spec->metric_names[i], name) == 0)
            return (int)i;
    fail_msg("no metric %s", name);
    return -1;
}

/* Publishing: sent, received, all errors and the p95 of the run's main
 * step are copied for the progress line, then not again for a second. */
static void test_housekeeping_publishes_once_a_second(void **state)
{
    fake_worker_t fw;
    uint64_t t0 = mono_us();
    fake_worker_start(&fw, closed_yaml, t0, 0);
    worker_t *w = &fw.w;
    metrics_t *m = w->m;
    int first = metric(fw.spec, "first"), second = metric(fw.spec, "second");
    fw.run.main_metric = (size_t)second;
    for (uint64_t i = 1; i <= 100; i++) {
        metrics_ok(m, second, i * MS); /* 1..100 ms: p95 about 95 ms */
        metrics_ok(m, first, 500 * MS);
    }
    m->sent = 7;
    m->received = 5;
    metrics_error(m, ERR_TIMEOUT, "t");
    metrics_error(m, ERR_RESET, "r");
    metrics_error(m, ERR_RESET, "r");

    worker_housekeeping(w, t0 + 100 * MS);
    assert_int_equal(atomic_load(&w->pub_sent), 7);
    assert_int_equal(atomic_load(&w->pub_received), 5);
    assert_int_equal(atomic_load(&w->pub_errors), 3);
    uint64_t p95 = atomic_load(&w->pub_p95);
    assert_true(p95 >= 93 * MS && p95 <= 97 * MS); /* the main step's, not first's 500 ms */
    assert_int_equal(w->next_publish, t0 + 100 * MS + WORKER_PUBLISH_US);

    m->sent = 9; /* within the second: not published yet */
    worker_housekeeping(w, t0 + 100 * MS + WORKER_PUBLISH_US - 1);
    assert_int_equal(atomic_load(&w->pub_sent), 7);
    worker_housekeeping(w, t0 + 100 * MS + WORKER_PUBLISH_US);
    assert_int_equal(atomic_load(&w->pub_sent), 9);
    fake_worker_stop(&fw);
}

/* Each call closes the seconds that have ended, so counts land in the
 * second they happened in (to within the tick), and hands them over to the
 * monitor (w->out), in order: none stays in the worker's metrics. */
static void test_housekeeping_closes_finished_seconds(void **state)
{
    fake_worker_t fw;
    uint64_t t0 = mono_us();
    fake_worker_start(&fw, closed_yaml, t0, 0);
    worker_t *w = &fw.w;
    w->m->sent = 3;
    worker_housekeeping(w, t0 + 900 * MS);
    assert_int_equal(w->m->nsecs, 0);
    assert_int_equal(w->nout, 0);
    worker_housekeeping(w, t0 + 1100 * MS);
    assert_int_equal(w->m->nsecs, 0);
    assert_int_equal(w->nout, 1);
    assert_int_equal(w->out[0].sent, 3);
    w->m->sent = 10;
    worker_housekeeping(w, t0 + 3200 * MS); /* seconds 1 and 2 closed */
    assert_int_equal(w->m->nsecs, 0);
    assert_int_equal(w->nout, 3);
    assert_int_equal(w->out[1].sent + w->out[2].sent, 7);
    fake_worker_stop(&fw);
}

/* With snapshots (abort_on_fail), a copy of the metrics every
 * WORKER_SNAPSHOT_US for the monitoring thread. */
static void test_housekeeping_takes_snapshots(void **state)
{
    fake_worker_t fw;
    uint64_t t0 = mono_us();
    fake_worker_start(&fw, closed_yaml, t0, FAKE_SNAPSHOTS);
    worker_t *w = &fw.w;
    int first = metric(fw.spec, "first");
    metrics_ok(w->m, first, 10 * MS);
    w->m->failed[first] = 2;
    worker_housekeeping(w, t0);
    assert_int_equal(w->snap->ok[first], 1);
    assert_int_equal(w->snap->failed[first], 2);
    assert_int_equal(hist_count(w->snap->lat[first]), 1);
    metrics_ok(w->m, first, 10 * MS);
    worker_housekeeping(w, t0 + WORKER_SNAPSHOT_US - 1);
    assert_int_equal(w->snap->ok[first], 1);
    worker_housekeeping(w, t0 + WORKER_SNAPSHOT_US);
    assert_int_equal(w->snap->ok[first], 2);
    fake_worker_stop(&fw);
}

/* ---- open model: session places ---- */

/* A place is taken in the whole process (run->sessions against
 * max_sessions) and a slot in this worker; when max_users sessions run,
 * nothing is taken; a session's end frees both, and the slot is used
 * again. */
static void test_admit_and_session_end_account_places(void **state)
{
    fake_worker_t fw;
    fake_worker_start(&fw, open_yaml, mono_us(), 0);
    worker_t *w = &fw.w;
    run_ctx_t *run = &fw.run;
    assert_int_equal(run->max_sessions, 3);
    uint32_t a, b, c, d;
    assert_true(worker_admit(w, &a));
    assert_true(worker_admit(w, &b));
    assert_true(worker_admit(w, &c));
    assert_true(a != b && b != c && a != c);
    assert_true(a < w->nvus && b < w->nvus && c < w->nvus);
    assert_int_equal(w->sessions, 3);
    assert_int_equal(atomic_load(&run->sessions), 3);
    uint32_t nfree = w->pool.nfree;
    d = 999;
    assert_false(worker_admit(w, &d)); /* full: nothing taken */
    assert_int_equal(d, 999);
    assert_int_equal(w->sessions, 3);
    assert_int_equal(atomic_load(&run->sessions), 3);
    assert_int_equal(w->pool.nfree, nfree);

    uint64_t before = mono_us();
    worker_session_end(w, b);
    assert_int_equal(w->sessions, 2);
    assert_int_equal(atomic_load(&run->sessions), 2);
    assert_true(w->last_busy >= before);
    assert_true(worker_admit(w, &d));
    assert_int_equal(d, b);
    fake_worker_stop(&fw);
}

/* Places are the process's: sessions in one worker count against another
 * worker's admissions. */
static void test_admit_is_process_wide(void **state)
{
    fake_worker_t fw;
    fake_worker_start(&fw, open_yaml, mono_us(), 0);
    worker_t other;
    assert_int_equal(worker_init(&other, &fw.run, 1, 3, false, fake_tick, vu_lws_settle), 0);
    uint32_t mine[2], slot;
    assert_true(worker_admit(&fw.w, &mine[0]));
    assert_true(worker_admit(&fw.w, &mine[1]));
    assert_true(worker_admit(&other, &slot));
    assert_false(worker_admit(&other, &slot));
    assert_false(worker_admit(&fw.w, &slot));
    worker_session_end(&fw.w, mine[1]);
    assert_true(worker_admit(&other, &slot));
    assert_int_equal(other.sessions, 2);
    assert_int_equal(atomic_load(&fw.run.sessions), 3);
    worker_release(&other);
    fake_worker_stop(&fw);
}

/* ---- done ---- */

/* Closed model: done when every user will not run again (here: users
 * that ended before their start, as at the end of a run). */
static void test_all_done_closed_model(void **state)
{
    fake_worker_t fw;
    uint64_t t0 = mono_us();
    fake_worker_start(&fw, closed_yaml, t0, FAKE_USERS);
    worker_t *w = &fw.w;
    assert_int_equal(w->nvus, 4);
    for (uint32_t i = 0; i < w->nvus; i++) {
        assert_false(worker_all_done(w));
        vu_end(&w->vus[i], t0); /* waiting for its start: finishes */
    }
    assert_int_equal(w->done, 4);
    assert_true(worker_all_done(w));
    worker_drop_overdue(w); /* closed model: no arrivals to drop */
    assert_int_equal(w->dropped, 0);
    fake_worker_stop(&fw);
}

/* Open model: done when no arrival is left (or the run is ending) and no
 * session runs; at the planned end, arrivals not started count as
 * dropped, so started + dropped == planned. */
static void test_all_done_open_model(void **state)
{
    fake_worker_t fw;
    fake_worker_start(&fw, open_yaml, mono_us(), 0);
    worker_t *w = &fw.w;
    uint64_t planned = w->arr.count;
    assert_true(planned >= 10); /* 10/s for 2 s */
    assert_false(worker_all_done(w));

    uint32_t slot;
    w->arr_next = 4; /* four arrived: three started, one dropped */
    w->started = 3;
    w->dropped = 1;
    assert_true(worker_admit(w, &slot));
    worker_drop_overdue(w);
    assert_int_equal(w->arr_next, planned);
    assert_int_equal(w->started + w->dropped, planned);
    worker_drop_overdue(w); /* once only */
    assert_int_equal(w->started + w->dropped, planned);
    assert_false(worker_all_done(w)); /* a session still runs */
    worker_session_end(w, slot);
    assert_true(worker_all_done(w));

    w->arr_next = 0; /* arrivals left, but the run is ending */
    assert_false(worker_all_done(w));
    w->ending = true;
    assert_true(worker_all_done(w));
    fake_worker_stop(&fw);
}

/* worker_finish leaves the loop, counts the worker as ending (once) and
 * takes its share of the awaited replies out of the run's total. */
static void test_finish_returns_pending_replies(void **state)
{
    fake_worker_t fw;
    uint64_t now = mono_us();
    fake_worker_start(&fw, closed_yaml, now, 0);
    worker_t *w = &fw.w;
    atomic_store(&fw.run.pending_at_end, 5); /* 2 here, 3 in other workers */
    w->pending_published = 2;
    worker_finish(w, now);
    assert_true(w->finished);
    assert_int_equal(atomic_load(&fw.run.pending_at_end), 3);
    assert_int_equal(w->pending_published, 0);
    assert_int_equal(atomic_load(&fw.run.ending_workers), 1);
    assert_int_equal(fake_lws.cancels, 1); /* wakes the loop to leave it */

    worker_t ended; /* one that already applied the end is not counted again */
    assert_int_equal(worker_init(&ended, &fw.run, 1, 1, false, fake_tick, vu_lws_settle), 0);
    ended.ending = true;
    ended.pending_published = 3;
    ended.sessions = 1; /* cut off at the hard end: busy until now */
    worker_finish(&ended, now + 7);
    assert_int_equal(atomic_load(&fw.run.ending_workers), 1);
    assert_int_equal(atomic_load(&fw.run.pending_at_end), 0);
    assert_int_equal(ended.last_busy, now + 7);
    worker_release(&ended);
    fake_worker_stop(&fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_makes_queues_metrics_and_loop, setup),
        cmocka_unit_test_setup(test_wake_by_earliest_wins, setup),
        cmocka_unit_test_setup(test_wake_by_fires_the_loop_early, setup),
        cmocka_unit_test_setup(test_schedule_next_picks_the_earliest, setup),
        cmocka_unit_test_setup(test_housekeeping_publishes_once_a_second, setup),
        cmocka_unit_test_setup(test_housekeeping_closes_finished_seconds, setup),
        cmocka_unit_test_setup(test_housekeeping_takes_snapshots, setup),
        cmocka_unit_test_setup(test_admit_and_session_end_account_places, setup),
        cmocka_unit_test_setup(test_admit_is_process_wide, setup),
        cmocka_unit_test_setup(test_all_done_closed_model, setup),
        cmocka_unit_test_setup(test_all_done_open_model, setup),
        cmocka_unit_test_setup(test_finish_returns_pending_replies, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
