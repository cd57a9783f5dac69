/* Unit tests for the user's state machine (src/engine/vu.c, vu_lws.c,
 * vu_match.c, reconnect.c): a user of a worker built in memory
 * (fake_worker.h) is driven through connect, on_start, tasks, drops,
 * reconnects and the end of the run. fake_lws.c replaces the
 * libwebsockets calls the user makes at link time, and the tests play the
 * library's part by calling vu_lws_callback as it would. Times the tests
 * choose are passed to vu_wake; the user reads the monotonic clock itself
 * for latencies, so runs start in the past (every planned start is due). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_lws.h"
#include "fake_worker.h"

#include "engine/vu_internal.h"

/* A ramp of 4 users over 4 s (user k starts at k s), then 10 minutes. */
static const char *chat_yaml =
    "name: vu\n"
    "target: ws://chat.test:9001\n"
    "load:\n"
    "  stages:\n"
    "    - {duration: 4s, users: 4}\n"
    "    - {duration: 10m, users: 4}\n"
    "scenarios:\n"
    "  - name: chat\n"
    "    connect: {url: \"{{target}}/ws/chat?u={{vu.id}}\", timeout: 3s}\n"
    "    on_start:\n"
    "      - name: join\n"
    "        send: '{\"action\":\"join\",\"user\":{{vu.id}}}'\n"
    "        expect: {match: 'type == \"joined\"', timeout: 2s}\n"
    "      - name: hello\n"
    "        send: '{\"action\":\"hello\"}'\n"
    "    tasks:\n"
    "      - name: publish\n"
    "        pause: 500ms\n"
    "        send: '{\"action\":\"publish\"}'\n"
    "        expect: {match: 'type == \"ack\"', timeout: 1s}\n";

static fake_worker_t fw;

static int setup(void **state)
{
    fake_lws_reset();
    return 0;
}

static int teardown(void **state)
{
    fake_worker_stop(&fw);
    return 0;
}

static int metric(const char *name)
{
    for (size_t i = 0; i < fw.spec->nmetrics; i++)
        if (strcmp(fw.spec->metric_names[i], name) == 0)
            return (int)i;
    fail_msg("no metric %s", name);
    return -1;
}

/* What libwebsockets would call for wsi (its opaque data is the user). */
static int lws_event(struct lws *wsi, enum lws_callback_reasons reason, const char *in)
{
    return vu_lws_callback(wsi, reason, NULL, (void *)in, in ? strlen(in) : 0);
}

/* The user's deadline (it must have one: one user per test here, or the
 * first in the queue). */
static uint64_t due_of(const vu_t *vu)
{
    return fake_worker_due(&fw, vu);
}

/* Starts the run t0_ago in the past, with its users. */
static void start(const char *yaml, uint64_t t0_ago)
{
    fake_worker_start(&fw, yaml, mono_us() - t0_ago, FAKE_USERS);
}

/* Wakes vu at its planned start and has the upgrade succeed. */
static struct lws *connect_user(vu_t *vu)
{
    vu_wake(vu, due_of(vu));
    assert_int_equal(vu->state, VU_CONNECTING);
    struct lws *wsi = fake_lws_last_wsi();
    assert_non_null(wsi);
    assert_ptr_equal(lws_get_opaque_user_data(wsi), vu);
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL), 0);
    return wsi;
}

static const char *last_sent(void)
{
    assert_true(fake_lws.nsent > 0);
    return fake_lws.sent[fake_lws.nsent - 1].data;
}

/* ---- connecting ---- */

/* Each user waits for its planned start (user k of a 0 -> 4 ramp over 4 s
 * at k s) and only then connects: to the resolved address, with its URL
 * rendered for it, bounded by connect.timeout. */
static void test_user_connects_at_its_planned_start(void **state)
{
    start(chat_yaml, 30 * SEC);
    worker_t *w = &fw.w;
    uint64_t t0 = fw.run.t0;
    /* the engine resolved the URL's host before the run */
    snprintf(fw.addrs[0].host, sizeof(fw.addrs[0].host), "chat.test");
    snprintf(fw.addrs[0].numeric, sizeof(fw.addrs[0].numeric), "10.1.2.3");
    for (uint32_t k = 0; k < 4; k++) {
        assert_int_equal(w->vus[k].state, VU_WAITING);
        assert_int_equal(due_of(&w->vus[k]), t0 + k * SEC);
    }
    assert_int_equal(fake_lws.connects, 0);
    uint32_t id;
    assert_true(timerq_pop_due(w->tq, t0 + 2 * SEC - 1, &id));
    assert_true(timerq_pop_due(w->tq, t0 + 2 * SEC - 1, &id));
    assert_int_equal(id, 1);
    assert_false(timerq_pop_due(w->tq, t0 + 2 * SEC - 1, &id)); /* user 2: not yet */

    vu_t *vu = &w->vus[1];
    uint64_t now = t0 + SEC;
    vu_wake(vu, now);
    assert_int_equal(vu->state, VU_CONNECTING);
    assert_int_equal(fake_lws.connects, 1);
    assert_string_equal(fake_lws.address, "10.1.2.3");
    assert_string_equal(fake_lws.host, "chat.test");
    assert_int_equal(fake_lws.port, 9001);
    assert_string_equal(fake_lws.path, "/ws/chat?u=2"); /* templates count users from 1 */
    assert_ptr_equal(fake_lws.opaque, vu);
    assert_ptr_equal(vu->wsi, fake_lws_last_wsi());
    assert_int_equal(due_of(vu), now + 3 * SEC);
}

/* The upgrade: the connect latency is recorded, the connection counted
 * open, and on_start's first step sends at once. */
static void test_established_records_connect_and_runs_on_start(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    uint64_t before = mono_us();
    connect_user(vu);
    metrics_t *m = fw.w.m;
    assert_int_equal(m->ok[0], 1);
    assert_int_equal(hist_count(m->lat[0]), 1);
    /* from the planned start 30 s ago to the upgrade just now */
    assert_true(hist_max(m->lat[0]) >= before - fw.run.t0 - 10 * MS);
    assert_int_equal(atomic_load(&fw.run.active), 1);
    assert_int_equal(atomic_load(&fw.run.peak), 1);
    assert_int_equal(fake_lws.nsent, 1);
    assert_string_equal(last_sent(), "{\"action\":\"join\",\"user\":1}");
    assert_int_equal(fake_lws.sent[0].kind, LWS_WRITE_TEXT);
    assert_int_equal(m->sent, 1);
    assert_int_equal(vu->state, VU_AWAITING);
}

/* A failed connect counts as a failed connect with the kind of error
 * libwebsockets' reason names (or the refused upgrade's HTTP status), and
 * without a reconnect policy the user starts afresh after 1 s. */
static void test_failed_connect_counts_its_error_kind(void **state)
{
    static const struct {
        const char *why;
        unsigned status;
        err_kind_t kind;
        const char *sample;
    } cases[] = {
        { "connection refused", 0, ERR_REFUSED, "connection refused" },
        { "getaddrinfo failed", 0, ERR_DNS, "getaddrinfo" },
        { "SSL error: certificate verify failed", 0, ERR_TLS, "certificate" },
        { NULL, 403, ERR_HTTP_STATUS, "upgrade refused with HTTP 403" },
        { "HS: ws upgrade response not 101", 0, ERR_HTTP_STATUS, "not 101" },
        { "read failed", 0, ERR_CLOSED, "read failed" },
        { NULL, 0, ERR_PROTOCOL, "connection failed" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_lws_reset();
        start(chat_yaml, 30 * SEC);
        vu_t *vu = &fw.w.vus[0];
        vu_wake(vu, due_of(vu));
        struct lws *wsi = fake_lws_last_wsi();
        wsi->http_status = cases[i].status;
        uint64_t before = mono_us();
        lws_event(wsi, LWS_CALLBACK_CLIENT_CONNECTION_ERROR, cases[i].why);
        uint64_t after = mono_us();
        metrics_t *m = fw.w.m;
        for (int k = 0; k < ERR_KIND_COUNT; k++)
            assert_int_equal(m->errors[k].count, k == (int)cases[i].kind);
        assert_int_equal(m->errors[cases[i].kind].nsamples, 1);
        assert_contains(m->errors[cases[i].kind].samples[0], "connect (chat): ");
        assert_contains(m->errors[cases[i].kind].samples[0], cases[i].sample);
        assert_int_equal(m->failed[0], 1);
        assert_int_equal(m->ok[0], 0);
        assert_int_equal(atomic_load(&fw.run.active), 0);
        assert_null(lws_get_opaque_user_data(wsi)); /* no later callback reaches the user */
        assert_null(vu->wsi);
        assert_int_equal(vu->state, VU_BACKOFF);
        uint64_t due = due_of(vu);
        assert_true(due >= before + SEC && due <= after + SEC);
        fake_worker_stop(&fw);
    }
    start(chat_yaml, 30 * SEC); /* for teardown */
}

/* No upgrade within connect.timeout: a timeout, the attempt abandoned. */
static void test_connect_timeout(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    vu_wake(vu, due_of(vu));
    struct lws *wsi = fake_lws_last_wsi();
    uint64_t deadline = due_of(vu);
    vu_wake(vu, deadline);
    metrics_t *m = fw.w.m;
    assert_int_equal(m->errors[ERR_TIMEOUT].count, 1);
    assert_contains(m->errors[ERR_TIMEOUT].samples[0], "connect (chat): no upgrade within");
    assert_int_equal(m->failed[0], 1);
    assert_true(wsi->killed);
    assert_null(lws_get_opaque_user_data(wsi));
    assert_int_equal(vu->state, VU_BACKOFF);
    assert_int_equal(due_of(vu), deadline + SEC);
    /* a late callback of the abandoned attempt changes nothing */
    lws_event(wsi, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL);
    assert_int_equal(m->ok[0], 0);
    assert_int_equal(vu->state, VU_BACKOFF);
}

/* load.max_connecting: beyond the slots, users wait in order, timed from
 * their planned start; a slot freed by an open connect goes to the first
 * waiting before the loop waits; a wait past connect.timeout is a connect
 * timeout, one at the end is abandoned; the ramp counts plan and opens. */
static void test_connect_waits_for_a_slot(void **state)
{
    start(chat_yaml, 30 * SEC); /* users 0..3 planned at 0..3 s, all due */
    worker_t *w = &fw.w;
    w->connq.limit = 1;
    vu_t *u0 = &w->vus[0], *u1 = &w->vus[1], *u2 = &w->vus[2], *u3 = &w->vus[3];
    uint64_t t0 = fw.run.t0;
    vu_wake(u0, due_of(u0));
    struct lws *wsi0 = fake_lws_last_wsi();
    vu_wake(u1, mono_us());
    assert_int_equal(fake_lws.connects, 1); /* u1 waits for the slot */
    assert_int_equal(u1->state, VU_CONNECTING);
    assert_null(u1->wsi);
    assert_true(connq_waiting(&w->connq, u1->slot));
    assert_int_equal(u1->t0, t0 + 1 * SEC); /* timed from its planned start */
    assert_int_equal(due_of(u1), t0 + 1 * SEC + 3 * SEC);
    vu_connect_drain(w); /* no slot free yet */
    assert_int_equal(fake_lws.connects, 1);
    assert_int_equal(atomic_load(&fw.run.waiting), 1);

    lws_event(wsi0, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL);
    assert_int_equal(w->m->ok[0], 1);
    assert_int_equal(w->m->ramp.connected, 1);
    vu_connect_drain(w); /* before the loop waits: u1 takes the slot */
    assert_int_equal(fake_lws.connects, 2);
    assert_ptr_equal(u1->wsi, fake_lws_last_wsi());
    assert_false(connq_waiting(&w->connq, u1->slot));
    assert_int_equal(u1->t0, t0 + 1 * SEC);

    vu_wake(u2, mono_us()); /* waits behind u1 until its timeout */
    assert_true(connq_waiting(&w->connq, u2->slot));
    vu_wake(u2, due_of(u2));
    assert_int_equal(w->m->failed[0], 1);
    assert_contains(w->m->errors[ERR_TIMEOUT].samples[0], "connect (chat): no connect slot within");
    assert_int_equal(u2->state, VU_BACKOFF);
    assert_int_equal(w->connq.len, 0);

    vu_wake(u3, mono_us());
    assert_true(connq_waiting(&w->connq, u3->slot));
    assert_int_equal(fw.run.waiting_peak, 1);
    w->ending = true;
    vu_end(u3, mono_us());
    assert_int_equal(w->m->connect_abandoned, 1);
    assert_int_equal(w->connq.len, 0);
    assert_int_equal(atomic_load(&fw.run.waiting), 0);
    assert_int_equal(w->connq.waited, 3);
    assert_int_equal(w->m->ramp.planned, 4);
    assert_true(w->m->ramp.start_s == 0.0 && w->m->ramp.end_s == 3.0);
    assert_int_equal(fake_lws.connects, 2); /* nobody connects after the end */
}

/* libwebsockets could not even start the connection. */
static void test_connect_that_cannot_start(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    fake_lws.refuse_connect = true;
    vu_wake(vu, due_of(vu));
    assert_int_equal(fw.w.m->errors[ERR_PROTOCOL].count, 1);
    assert_contains(fw.w.m->errors[ERR_PROTOCOL].samples[0], "could not start the connection");
    assert_int_equal(fw.w.m->failed[0], 1);
    assert_int_equal(vu->state, VU_BACKOFF);
}

/* ---- steps ---- */

/* An expect with no matching reply within its timeout: one timeout error
 * and a failed step, and its block ends (the rest of on_start is skipped,
 * the tasks begin). */
static void test_expect_times_out_after_its_timeout(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    uint64_t before = mono_us();
    struct lws *wsi = connect_user(vu);
    uint64_t after = mono_us();
    uint64_t deadline = due_of(vu);
    assert_true(deadline >= before + 2 * SEC && deadline <= after + 2 * SEC);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"other\"}");
    vu_wake(vu, deadline);
    metrics_t *m = fw.w.m;
    int join = metric("join"), hello = metric("hello"), publish = metric("publish");
    assert_int_equal(m->errors[ERR_TIMEOUT].count, 1);
    assert_contains(m->errors[ERR_TIMEOUT].samples[0],
                    "join: no message matching 'type == \"joined\"' within 2");
    assert_int_equal(m->failed[join], 1);
    assert_int_equal(m->ok[join], 0);
    assert_int_equal(m->ok[hello], 0);
    assert_int_equal(m->received, 1);
    assert_string_equal(last_sent(), "{\"action\":\"publish\"}");
    assert_int_equal(m->sent, 2);
    assert_int_equal(vu->phase, PHASE_TASK);
    assert_int_equal(vu->state, VU_AWAITING);
    assert_int_equal(m->failed[publish], 0);
}

/* on_start's steps in order; a matching reply records the time since its
 * send for its own step only; other messages are counted, not matched; a
 * send without an expect is ok when written; then the task, and its pause
 * before the next one. */
static void test_steps_run_in_order_and_replies_time_their_step(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    metrics_t *m = fw.w.m;
    int join = metric("join"), hello = metric("hello"), publish = metric("publish");
    struct lws *wsi = connect_user(vu);
    uint64_t sent_at = mono_us();
    usleep(30 * MS);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"noise\"}");
    assert_int_equal(vu->state, VU_AWAITING);
    assert_int_equal(m->ok[join], 0);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    uint64_t waited = mono_us() - sent_at;
    assert_int_equal(m->received, 2);
    assert_int_equal(m->ok[join], 1);
    assert_int_equal(hist_count(m->lat[join]), 1);
    assert_true(hist_min(m->lat[join]) >= 30 * MS * 99 / 100); /* histogram precision */
    assert_true(hist_max(m->lat[join]) <= waited * 101 / 100);
    assert_int_equal(hist_count(m->lat[publish]), 0);

    /* hello (no expect) went out at once and is ok; the task's send that
     * follows a send waits for the writeable callback (no recursion) */
    assert_int_equal(fake_lws.nsent, 2);
    assert_string_equal(fake_lws.sent[1].data, "{\"action\":\"hello\"}");
    assert_int_equal(m->ok[hello], 1);
    assert_int_equal(hist_count(m->lat[hello]), 0);
    assert_int_equal(vu->state, VU_SENDING);
    assert_true(wsi->writable >= 1);
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, 3);
    assert_string_equal(fake_lws.sent[2].data, "{\"action\":\"publish\"}");
    assert_int_equal(vu->phase, PHASE_TASK);
    assert_int_equal(vu->state, VU_AWAITING);

    /* the reply in two fragments */
    wsi->nonfinal = true;
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":");
    assert_int_equal(m->ok[publish], 0);
    wsi->nonfinal = false;
    uint64_t before = mono_us();
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "\"ack\"}");
    uint64_t after = mono_us();
    assert_int_equal(m->received, 3);
    assert_int_equal(m->ok[publish], 1);
    assert_int_equal(hist_count(m->lat[publish]), 1);
    assert_int_equal(hist_count(m->lat[join]), 1);
    assert_int_equal(vu->state, VU_THINKING);
    uint64_t next = due_of(vu);
    assert_true(next >= before + 500 * MS && next <= after + 500 * MS);

    vu_wake(vu, next); /* the pause is over: the next iteration */
    assert_int_equal(vu->iteration, 1);
    assert_int_equal(fake_lws.nsent, 4);
    assert_string_equal(last_sent(), "{\"action\":\"publish\"}");
    assert_int_equal(vu->state, VU_AWAITING);
}

/* A think time of 1 s or more ends on the next whole PAUSE_GRID_US of the
 * clock (users due within the same one share a wake of the worker): never
 * early, less than one grid step late, the planned time (vu->sched) exact,
 * and a between() pause still spread over its bounds; a shorter one
 * (chat_yaml's 500 ms, test_steps_run_in_order...) ends exactly. */
static void think_on_grid(const char *pause_line, uint64_t lo, uint64_t hi, int rounds)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml), "%s", chat_yaml);
    char *p = strstr(yaml, "pause: 500ms");
    assert_non_null(p);
    memmove(p + strlen(pause_line), p + 12, strlen(p + 12) + 1);
    memcpy(p, pause_line, strlen(pause_line));
    start(yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL); /* the task's send */
    uint64_t sum = 0, low = UINT64_MAX, high = 0;
    for (int i = 0; i < rounds; i++) {
        uint64_t before = mono_us();
        lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"ack\"}");
        uint64_t after = mono_us();
        assert_int_equal(vu->state, VU_THINKING);
        uint64_t due = due_of(vu);
        assert_int_equal(due % PAUSE_GRID_US, 0);
        assert_true(vu->sched >= before + lo && vu->sched <= after + hi);
        assert_true(due >= vu->sched && due < vu->sched + PAUSE_GRID_US);
        uint64_t pause = vu->sched - before;
        sum += pause;
        low = pause < low ? pause : low;
        high = pause > high ? pause : high;
        vu_wake(vu, due);
        assert_int_equal(vu->state, VU_AWAITING);
    }
    if (lo == hi)
        return;
    /* uniform over [lo, hi]: the mean near the middle, both ends reached */
    uint64_t mean = sum / (uint64_t)rounds, mid = (lo + hi) / 2, span = hi - lo;
    assert_true(mean > mid - span / 10 && mean < mid + span / 10);
    assert_true(low < lo + span / 10 && high > hi - span / 10);
}

static void test_long_pause_ends_on_the_grid(void **state)
{
    think_on_grid("pause: 2s", 2 * SEC, 2 * SEC, 5);
}

static void test_between_pause_ends_on_the_grid(void **state)
{
    think_on_grid("pause: between(2s, 5s)", 2 * SEC, 5 * SEC, 400);
}

/* A message waits for the writeable callback when the socket still holds
 * a partial frame, and is sent from there. */
static void test_send_waits_for_a_busy_socket(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    vu_wake(vu, due_of(vu));
    struct lws *wsi = fake_lws_last_wsi();
    wsi->partial = true;
    lws_event(wsi, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL);
    assert_int_equal(vu->state, VU_SENDING);
    assert_int_equal(fake_lws.nsent, 0);
    assert_int_equal(wsi->writable, 1);
    wsi->partial = false;
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, 1);
    assert_string_equal(last_sent(), "{\"action\":\"join\",\"user\":1}");
    assert_int_equal(vu->state, VU_AWAITING);
}

/* A protocol's answers to received messages (a pong, a namespace connect)
 * queue behind its frame already waiting and go one WebSocket message
 * each, in order, before the user's own next frame. */
static void test_protocol_replies_queue_in_order(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    assert_int_equal(fake_lws.nsent, 1); /* the join went out at once */
    vu_proto_reply(vu, "3", 1);
    vu_proto_reply(vu, "40{\"a\":1}", 9);
    vu_proto_reply(vu, "A\0B", 3);
    assert_true(vu->proto_pending);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, 4);
    assert_string_equal(fake_lws.sent[1].data, "3");
    assert_string_equal(fake_lws.sent[2].data, "40{\"a\":1}");
    assert_int_equal(fake_lws.sent[3].len, 3);
    assert_memory_equal(fake_lws.sent[3].data, "A\0B", 3);
    assert_false(vu->proto_pending);
    assert_int_equal(vu->pqueued, 0);
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, 4); /* nothing more was queued */
    assert_int_equal(vu->state, VU_AWAITING);
}

/* ---- the end of the run ---- */

/* The last frame written: a close frame with this code (big-endian). */
static void assert_close_frame(struct lws *wsi, unsigned code)
{
    assert_true(fake_lws.nsent >= 1);
    const fake_lws_frame_t *f = &fake_lws.sent[fake_lws.nsent - 1];
    assert_ptr_equal(f->wsi, wsi);
    assert_int_equal(f->kind, VU_LWS_WRITE_CLOSE);
    assert_int_equal(f->len, 2);
    assert_int_equal((unsigned char)f->data[0] << 8 | (unsigned char)f->data[1], code);
}

/* At the end a connected user closes with a close frame (1000), and once
 * closed it is done: the connection no longer counts, no error. The user
 * writes the close frame itself and waits for the server's answer by its
 * own deadline: libwebsockets' close (lws_close_reason, then -1 from the
 * callback) would arm two of its sorted timeouts per connection. The
 * server's close frame then ends the connection (-1: nothing echoed). */
static void test_run_end_closes_the_user(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL); /* the task's send */
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"ack\"}");
    assert_int_equal(vu->state, VU_THINKING);
    assert_true(vu_idle_connected(vu));

    uint64_t now = mono_us();
    fw.w.ending = true; /* what engine.c's apply_end does first */
    vu_end(vu, now);
    assert_int_equal(vu->state, VU_CLOSING);
    assert_int_equal(due_of(vu), now + CLOSE_GRACE_US);
    unsigned asked = wsi->writable;
    assert_true(asked >= 1);
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_close_frame(wsi, 1000);
    assert_int_equal(wsi->close_status, 0); /* not lws's close */
    unsigned sent = fake_lws.nsent;
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, sent); /* nothing after the close frame */
    assert_int_equal(due_of(vu), now + CLOSE_GRACE_US);
    uint8_t answer[2] = { 1000 >> 8, 1000 & 0xff };
    assert_int_equal(vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, answer, 2),
                     -1);
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    assert_int_equal(vu->state, VU_DONE);
    assert_int_equal(fw.w.done, 1);
    assert_int_equal(atomic_load(&fw.run.active), 0);
    assert_false(timerq_pending(fw.w.tq, vu->slot));
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        assert_int_equal(fw.w.m->errors[k].count, 0);
}

/* A reply still awaited at the end is measured first; the user closes
 * after it. */
static void test_run_end_waits_for_a_pending_reply(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    fw.w.ending = true;
    vu_end(vu, mono_us());
    assert_int_equal(vu->state, VU_AWAITING);
    assert_true(vu_awaits_reply(vu));
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    assert_int_equal(fw.w.m->ok[metric("join")], 1);
    assert_int_equal(vu->state, VU_CLOSING);
    assert_int_equal(fake_lws.nsent, 1); /* nothing more is sent after the end */
}

/* A connect still pending at the end is abandoned and counted apart; so
 * are the users whose planned start came but whose wake the end overtook
 * (never started); a user whose start is still to come simply finishes. */
static void test_run_end_abandons_a_pending_connect(void **state)
{
    start(chat_yaml, 2 * SEC); /* users 0..2 due, user 3 not yet */
    worker_t *w = &fw.w;
    vu_t *vu = &w->vus[0];
    vu_wake(vu, due_of(vu));
    struct lws *wsi = fake_lws_last_wsi();
    uint64_t now = mono_us();
    w->ending = true;
    for (uint32_t i = 0; i < w->nvus; i++)
        vu_end(&w->vus[i], now);
    assert_int_equal(w->m->connect_abandoned, 3); /* user 0 pending, users 1 and 2 never started */
    assert_int_equal(w->m->connect_unstarted, 2);
    assert_int_equal(w->m->connect_attempts, 3);
    assert_int_equal(w->m->failed[0], 0);
    assert_true(wsi->killed);
    assert_null(lws_get_opaque_user_data(wsi));
    assert_int_equal(w->done, 4);
    assert_true(worker_all_done(w));
}

/* However the run ends, every connect the users owed ended once: connect
 * ok + failed + abandoned == attempts. Users of a ramp end as connected,
 * failed and retrying, pending, and due but never woken (the runner fell
 * behind past the end); a reconnect step adds an attempt. */
static void test_connect_counts_add_up_at_the_end(void **state)
{
    start(chat_yaml, 3 * SEC + 500 * MS); /* users 0..3 all due */
    worker_t *w = &fw.w;
    metrics_t *m = w->m;
    struct lws *wsi0 = connect_user(&w->vus[0]); /* ok */
    vu_wake(&w->vus[1], due_of(&w->vus[1]));     /* fails, backs off */
    lws_event(fake_lws_last_wsi(), LWS_CALLBACK_CLIENT_CONNECTION_ERROR, "connection refused");
    assert_int_equal(w->vus[1].state, VU_BACKOFF);
    vu_wake(&w->vus[2], due_of(&w->vus[2])); /* pending at the end */
    /* user 3 never woke */
    lws_event(wsi0, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    assert_int_equal(m->connect_attempts, 3);
    uint64_t now = mono_us();
    w->ending = true;
    for (uint32_t i = 0; i < w->nvus; i++)
        vu_end(&w->vus[i], now);
    assert_int_equal(m->ok[0], 1);
    assert_int_equal(m->failed[0], 1);
    assert_int_equal(m->connect_abandoned, 2); /* user 2 pending, user 3 never started */
    assert_int_equal(m->connect_unstarted, 1);
    assert_int_equal(m->connect_attempts, 4);
    assert_int_equal(m->ok[0] + m->failed[0] + m->connect_abandoned, m->connect_attempts);
}

/* A login (an http step before the connect) still running when the run
 * ends: its user's connect was due and never started, and is counted. */
static void test_connect_after_login_cut_by_the_end(void **state)
{
    static const char *yaml =
        "name: login\n"
        "target: ws://chat.test:9001\n"
        "load: {users: 1, duration: 10m}\n"
        "scenarios:\n"
        "  - name: chat\n"
        "    connect: {url: \"{{target}}/ws\"}\n"
        "    on_start:\n"
        "      - name: login\n"
        "        http: {method: POST, url: \"http://chat.test:9001/login\"}\n";
    start(yaml, SEC);
    worker_t *w = &fw.w;
    vu_t *vu = &w->vus[0];
    vu_wake(vu, due_of(vu));
    assert_int_equal(vu->state, VU_HTTP);
    assert_int_equal(w->m->connect_attempts, 0);
    uint64_t now = mono_us();
    w->ending = true;
    vu_abort(vu, now); /* the login is given up */
    assert_int_equal(vu->state, VU_DONE);
    assert_int_equal(w->m->connect_attempts, 1);
    assert_int_equal(w->m->connect_abandoned, 1);
    assert_int_equal(w->m->connect_unstarted, 1);
}

/* A user's connection counts once in the run's open connections, however
 * libwebsockets reports it: an upgrade reported twice, or a close after
 * the user already let go of it, never leave the count above the users
 * (nor below zero). */
static void test_open_connections_count_each_user_once(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    assert_int_equal(atomic_load(&fw.run.active), 1);
    vu_established(vu); /* a second report of the same upgrade */
    assert_int_equal(atomic_load(&fw.run.active), 1);
    assert_int_equal(atomic_load(&fw.run.peak), 1);
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    assert_int_equal(atomic_load(&fw.run.active), 0);
    vu_conn_closed(vu); /* closed again */
    assert_int_equal(atomic_load(&fw.run.active), 0);
}

/* Closing many users at the end arms no libwebsockets timeout: each writes
 * its close frame (a close step's code when it has one) and nothing else
 * is asked of the library, so the end costs O(users) (lws 4.1 inserts
 * each timeout into a sorted list: O(users) per close). */
static void test_run_end_arms_no_lws_timeout(void **state)
{
    start(chat_yaml, 30 * SEC);
    worker_t *w = &fw.w;
    struct lws *wsis[4];
    for (uint32_t i = 0; i < w->nvus; i++) {
        wsis[i] = connect_user(&w->vus[i]);
        lws_event(wsis[i], LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    }
    w->vus[3].close_code = 4001; /* as a close step would */
    uint64_t now = mono_us();
    w->ending = true;
    for (uint32_t i = 0; i < w->nvus; i++)
        vu_end(&w->vus[i], now);
    for (uint32_t i = 0; i < w->nvus; i++) {
        assert_int_equal(w->vus[i].state, VU_CLOSING);
        assert_int_equal(lws_event(wsis[i], LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
        assert_close_frame(wsis[i], i == 3 ? 4001 : 1000);
        assert_int_equal(wsis[i]->close_status, 0);
        assert_int_equal(wsis[i]->timeouts, 0);
        assert_false(wsis[i]->killed);
    }
    for (uint32_t i = 0; i < w->nvus; i++) {
        uint8_t answer[2] = { 1000 >> 8, 1000 & 0xff };
        assert_int_equal(
            vu_lws_callback(wsis[i], LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, answer, 2), -1);
        lws_event(wsis[i], LWS_CALLBACK_CLIENT_CLOSED, NULL);
    }
    assert_int_equal(w->done, 4);
    assert_int_equal(atomic_load(&fw.run.active), 0);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        assert_int_equal(w->m->errors[k].count, 0);
}

/* The server closes first while the user is about to close: the user
 * answers with its own close frame echoing the server's code and drops the
 * connection (-1 from the callback: lws's own answer would arm its
 * CLOSE_SEND timeout, a sorted insert per connection), and the close counts
 * as the end, not as an error. */
static void test_server_close_before_ours(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    fw.w.ending = true;
    vu_end(vu, mono_us());
    assert_int_equal(vu->state, VU_CLOSING);
    unsigned sent = fake_lws.nsent;
    uint8_t frame[2] = { 1001 >> 8, 1001 & 0xff };
    assert_int_equal(vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, frame, 2),
                     -1);
    assert_int_equal(fake_lws.nsent, sent + 1);
    assert_close_frame(wsi, 1001);
    assert_int_equal(wsi->timeouts, 0);
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    assert_int_equal(vu->state, VU_DONE);
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        assert_int_equal(fw.w.m->errors[k].count, 0);
}

/* The server closes a connection in the middle of the run: the user
 * answers the close itself (the code echoed; an empty close answered
 * empty) and lets lws drop the socket at once, with no lws timeout armed;
 * the drop counts as closed by the server. When a frame of the user's is
 * still partly unsent, lws answers after it (0), as before. */
static void test_server_closes_first(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    unsigned sent = fake_lws.nsent;
    uint8_t frame[2] = { 1001 >> 8, 1001 & 0xff };
    assert_int_equal(vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, frame, 2),
                     -1);
    assert_int_equal(fake_lws.nsent, sent + 1);
    assert_close_frame(wsi, 1001);
    assert_int_equal(wsi->timeouts, 0);
    assert_int_equal(wsi->close_status, 0); /* not lws's close */
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_int_equal(fake_lws.nsent, sent + 1); /* nothing after the close frame */
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    assert_null(vu->wsi);
    assert_int_equal(fw.w.m->errors[err_kind_of_close(1001)].count, 1);
    assert_int_equal(atomic_load(&fw.run.active), 0);

    /* an empty close: answered with an empty one */
    fake_worker_stop(&fw);
    fake_lws_reset();
    start(chat_yaml, 30 * SEC);
    vu = &fw.w.vus[0];
    wsi = connect_user(vu);
    assert_int_equal(vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, NULL, 0), -1);
    const fake_lws_frame_t *f = &fake_lws.sent[fake_lws.nsent - 1];
    assert_int_equal(f->kind, VU_LWS_WRITE_CLOSE);
    assert_int_equal(f->len, 0);

    /* a frame still partly unsent: lws answers after it */
    fake_worker_stop(&fw);
    fake_lws_reset();
    start(chat_yaml, 30 * SEC);
    vu = &fw.w.vus[0];
    wsi = connect_user(vu);
    sent = fake_lws.nsent;
    wsi->partial = true;
    assert_int_equal(vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, frame, 2), 0);
    assert_int_equal(fake_lws.nsent, sent);
    assert_false(vu->close_sent);
}

/* The server never finishes the close handshake: the user lets go of the
 * socket after CLOSE_GRACE_US and is done; in the tick the socket closes at
 * once (thousands of asynchronous kills would each walk lws's sorted list). */
static void test_close_handshake_timeout(void **state)
{
    start(chat_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    fw.w.ending = true;
    vu_abort(vu, mono_us()); /* awaiting: given up, not failed */
    assert_int_equal(vu->state, VU_CLOSING);
    assert_int_equal(lws_event(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL), 0);
    assert_close_frame(wsi, 1000);
    assert_false(wsi->killed); /* the server has CLOSE_GRACE_US to answer */
    fw.w.in_tick = true;
    vu_wake(vu, due_of(vu));
    fw.w.in_tick = false;
    assert_true(wsi->killed && wsi->killed_sync);
    assert_int_equal(vu->state, VU_DONE);
    assert_int_equal(atomic_load(&fw.run.active), 0);
    assert_int_equal(fw.w.m->failed[metric("join")], 0);
}

/* A login over HTTP, then the WebSocket connect. */
static const char *login_yaml =
    "name: vu\n"
    "target: ws://chat.test:9001\n"
    "load: {users: 1, duration: 60s}\n"
    "scenarios:\n"
    "  - name: login\n"
    "    connect: {url: \"{{target}}/ws\", timeout: 3s}\n"
    "    on_start:\n"
    "      - name: login\n"
    "        http: {method: POST, url: \"http://chat.test:9001/login\", "
    "timeout: 2s}\n"
    "      - name: hello\n"
    "        send: hello\n";

/* An HTTP step given up in the tick (its timeout, the run's end) closes
 * its connection at once: an asynchronous kill is a timeout due now in
 * lws's sorted list, walked past every other one given up in the tick. */
static void test_http_step_given_up_closes_at_once(void **state)
{
    for (int end = 0; end < 2; end++) {
        if (end)
            fake_worker_stop(&fw); /* teardown stops the last one */
        fake_lws_reset();
        start(login_yaml, 0);
        vu_t *vu = &fw.w.vus[0];
        vu_wake(vu, due_of(vu));
        assert_int_equal(vu->state, VU_HTTP);
        struct lws *wsi = fake_lws_last_wsi();
        assert_non_null(wsi);
        assert_non_null(wsi->user); /* the call */
        fw.w.in_tick = true;
        if (end) {
            fw.w.ending = true;
            vu_abort(vu, mono_us());
        } else {
            vu_wake(vu, due_of(vu));
        }
        fw.w.in_tick = false;
        assert_true(wsi->killed && wsi->killed_sync);
        assert_null(wsi->user); /* no callback reaches the call any more */
    }
}

/* ---- reconnects (connect.reconnect) ---- */

/* One user for the whole run under a reconnect policy with jitter (a
 * printf format: %s is the jitter), an on_start exchange and an
 * on_reconnect send, no tasks. */
static void start_reconnecting(const char *users, const char *policy)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "name: rc\n"
             "target: ws://127.0.0.1:9001\n"
             "load: {users: %s, duration: 10m}\n"
             "scenarios:\n"
             "  - name: r\n"
             "    connect:\n"
             "      url: \"{{target}}/ws\"\n"
             "      timeout: 1s\n"
             "      reconnect: {%s}\n"
             "    on_start:\n"
             "      - name: join\n"
             "        send: 'j'\n"
             "        expect: {match: 'type == \"joined\"'}\n"
             "    on_reconnect:\n"
             "      - name: resume\n"
             "        send: 'r'\n",
             users, policy);
    start(yaml, 30 * SEC);
}

/* The connect of an attempt times out at its deadline: returns the
 * deadline (the time of the failure). */
static uint64_t attempt_times_out(vu_t *vu)
{
    uint64_t at = due_of(vu);
    vu_wake(vu, at); /* the backoff is over: connect */
    assert_int_equal(vu->state, VU_CONNECTING);
    uint64_t deadline = due_of(vu);
    assert_int_equal(deadline, at + SEC); /* connect.timeout */
    vu_wake(vu, deadline);
    return deadline;
}

/* Without jitter: after a drop, attempts wait backoff, doubling up to
 * max_backoff; after max_attempts failed attempts the user gives up (one
 * failed "reconnects") for the rest of its interval, here the run. */
static void test_reconnect_backs_off_and_gives_up(void **state)
{
    start_reconnecting("1", "max_attempts: 3, backoff: 100ms, max_backoff: 250ms, jitter: 0%");
    vu_t *vu = &fw.w.vus[0];
    metrics_t *m = fw.w.m;
    int reconnects = fw.spec->reconnect_metric;
    assert_true(reconnects > 0);
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    assert_int_equal(vu->state, VU_IDLE);

    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL); /* dropped, no close frame */
    assert_int_equal(m->errors[ERR_RESET].count, 1);
    assert_contains(m->errors[ERR_RESET].samples[0], "dropped without a close frame");
    assert_int_equal(atomic_load(&fw.run.active), 0);
    assert_int_equal(vu->state, VU_BACKOFF);
    assert_int_equal(vu->reconnect_attempt, 1);
    assert_int_equal(due_of(vu) - vu->drop_at, 100 * MS);

    uint64_t failed_at = attempt_times_out(vu);
    assert_int_equal(m->reconnect_attempts, 1);
    assert_int_equal(vu->state, VU_BACKOFF);
    assert_int_equal(vu->reconnect_attempt, 2);
    assert_int_equal(due_of(vu) - failed_at, 200 * MS);

    failed_at = attempt_times_out(vu);
    assert_int_equal(vu->reconnect_attempt, 3);
    assert_int_equal(due_of(vu) - failed_at, 250 * MS); /* capped */
    assert_int_equal(m->failed[reconnects], 0);

    attempt_times_out(vu);
    assert_int_equal(m->reconnect_attempts, 3);
    assert_int_equal(m->errors[ERR_TIMEOUT].count, 3);
    assert_int_equal(m->failed[0], 3);
    assert_int_equal(m->failed[reconnects], 1);
    assert_int_equal(m->ok[reconnects], 0);
    assert_int_equal(vu->reconnect_attempt, 0);
    assert_int_equal(vu->state, VU_DONE);
    assert_int_equal(fake_lws.connects, 4);
    assert_true(worker_all_done(&fw.w));
}

/* A reconnect that succeeds is timed from the drop; after on_start had
 * finished, on_reconnect runs (not on_start again). */
static void test_reconnect_resumes_with_on_reconnect(void **state)
{
    start_reconnecting("1", "max_attempts: 3, backoff: 100ms");
    vu_t *vu = &fw.w.vus[0];
    metrics_t *m = fw.w.m;
    int reconnects = fw.spec->reconnect_metric;
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    uint64_t dropped = vu->drop_at;
    vu_wake(vu, due_of(vu));
    struct lws *again = fake_lws_last_wsi();
    assert_ptr_not_equal(again, wsi);
    usleep(10 * MS);
    lws_event(again, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL);
    uint64_t since_drop = mono_us() - dropped;
    assert_int_equal(m->ok[reconnects], 1);
    assert_true(hist_min(m->lat[reconnects]) >= 10 * MS * 99 / 100);
    assert_true(hist_max(m->lat[reconnects]) <= since_drop * 101 / 100);
    assert_int_equal(vu->reconnect_attempt, 0);
    assert_string_equal(last_sent(), "r");
    assert_int_equal(m->ok[metric("resume")], 1);
    assert_int_equal(m->ok[metric("join")], 1); /* on_start did not run again */
    assert_int_equal(vu->state, VU_IDLE);
}

/* Dropped before on_start finished (in the middle of a message): the
 * awaited step fails and, once reconnected, on_start runs again from its
 * start. */
static void test_reconnect_during_on_start_starts_over(void **state)
{
    start_reconnecting("1", "max_attempts: 3, backoff: 100ms");
    vu_t *vu = &fw.w.vus[0];
    metrics_t *m = fw.w.m;
    struct lws *wsi = connect_user(vu);
    wsi->nonfinal = true; /* dropped in the middle of a message */
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"jo");
    uint8_t close_frame[2] = { 1001 >> 8, 1001 & 0xff };
    vu_lws_callback(wsi, LWS_CALLBACK_WS_PEER_INITIATED_CLOSE, NULL, close_frame, 2);
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    assert_int_equal(m->errors[ERR_CLOSED].count, 1); /* a close frame: closed, not reset */
    assert_contains(m->errors[ERR_CLOSED].samples[0], "closed by the server (code 1001)");
    assert_int_equal(m->failed[metric("join")], 1);
    vu_wake(vu, due_of(vu));
    lws_event(fake_lws_last_wsi(), LWS_CALLBACK_CLIENT_ESTABLISHED, NULL);
    assert_int_equal(fake_lws.nsent, 3); /* join, the answer to the close, join */
    assert_int_equal(fake_lws.sent[1].kind, VU_LWS_WRITE_CLOSE);
    assert_string_equal(last_sent(), "j");
    assert_int_equal(vu->phase, PHASE_ON_START);
    assert_int_equal(vu->state, VU_AWAITING);
    assert_int_equal(m->ok[metric("resume")], 0);
    /* the new connection's first message is whole, not glued to the
     * half-received one */
    lws_event(fake_lws_last_wsi(), LWS_CALLBACK_CLIENT_RECEIVE, "{\"type\":\"joined\"}");
    assert_int_equal(m->ok[metric("join")], 1);
}

/* Jitter scales each delay by a factor within 1 +/- jitter, drawn per
 * user: over many users' first attempts the delays spread across that
 * range and never leave it. */
static void test_reconnect_jitter_stays_within_bounds(void **state)
{
    start_reconnecting("64", "max_attempts: 2, backoff: 100ms, jitter: 50%");
    worker_t *w = &fw.w;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t i = 0; i < w->nvus; i++) {
        vu_t *vu = &w->vus[i];
        struct lws *wsi = connect_user(vu);
        lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
        assert_int_equal(vu->state, VU_BACKOFF);
        uint64_t delay = due_of(vu) - vu->drop_at;
        assert_true(delay >= 50 * MS && delay <= 150 * MS);
        lo = delay < lo ? delay : lo;
        hi = delay > hi ? delay : hi;
    }
    assert_true(lo < 80 * MS); /* spread out, not one value for everyone */
    assert_true(hi > 120 * MS);
}

/* With jitter the attempts' delays still grow: each within +/- 20% of
 * backoff * 2^(attempt-1), so each is longer than the one before. */
static void test_reconnect_delays_grow_under_jitter(void **state)
{
    start_reconnecting("1", "max_attempts: 5, backoff: 100ms, max_backoff: 10s, jitter: 20%");
    vu_t *vu = &fw.w.vus[0];
    struct lws *wsi = connect_user(vu);
    lws_event(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL);
    uint64_t delay = due_of(vu) - vu->drop_at, base = 100 * MS;
    for (int attempt = 1; attempt <= 4; attempt++) {
        assert_true(delay >= base * 8 / 10 && delay <= base * 12 / 10);
        uint64_t failed_at = attempt_times_out(vu);
        uint64_t next = due_of(vu) - failed_at;
        assert_true(next > delay);
        delay = next;
        base *= 2;
    }
    assert_int_equal(vu->reconnect_attempt, 5);
}

/* ---- slow consumers ---- */

/* A socket with n bytes waiting to be read, handed to wsi (fake
 * lws_get_socket_fd); the other end is returned for closing. */
static int unread_socket(struct lws *wsi, size_t n, int *peer)
{
    int sv[2];
    char buf[4096];
    assert_true(n <= sizeof(buf));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(buf, 'q', n);
    assert_int_equal(write(sv[0], buf, n), (ssize_t)n);
    wsi->fd = sv[1] + 1;
    *peer = sv[0];
    return sv[1];
}

static const char *pause_yaml = "name: vu\n"
                                "target: ws://chat.test:9001\n"
                                "load: {users: 1, duration: 10m}\n"
                                "scenarios:\n"
                                "  - name: stall\n"
                                "    connect: {url: \"{{target}}/ws\"}\n"
                                "    on_start:\n"
                                "      - name: stalled\n"
                                "        pause_reading: 2s\n"
                                "      - send: 'after'\n";

/* pause_reading stops libwebsockets reading for its time; at its end the
 * bytes the socket holds unread are one sample of the slow consumers, the
 * user reads again and the next step runs. */
static void test_pause_reading_stops_reading_for_its_time(void **state)
{
    start(pause_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    uint64_t before = mono_us();
    struct lws *wsi = connect_user(vu);
    int peer, fd = unread_socket(wsi, 1500, &peer);
    assert_int_equal(vu->state, VU_SLEEPING);
    assert_true(wsi->rx_off);
    assert_int_equal(fake_lws.nsent, 0);
    uint64_t due = due_of(vu);
    assert_true(due >= before + 2 * SEC && due <= mono_us() + 2 * SEC);
    assert_int_equal(fw.w.m->slow.samples, 0);

    vu_wake(vu, due);
    assert_false(wsi->rx_off);
    const res_slow_t *slow = &fw.w.m->slow;
    assert_int_equal(slow->samples, 1);
    assert_int_equal(slow->unread_total, 1500);
    assert_int_equal(slow->unread_max, 1500);
    assert_int_equal(fw.w.m->ok[metric("stalled")], 1);
    assert_int_equal(fake_lws.nsent, 1);
    assert_string_equal(last_sent(), "after");
    close(fd);
    close(peer);
}

static const char *rate_yaml = "name: vu\n"
                               "target: ws://chat.test:9001\n"
                               "load: {users: 1, duration: 10m}\n"
                               "scenarios:\n"
                               "  - name: trickle\n"
                               "    connect: {url: \"{{target}}/ws\", read_rate: 1KB/s}\n";

/* connect.read_rate: after each read, reading stops until its bytes are
 * paid for at the rate (flow_tq), then resumes; the debt carries over
 * reads. Closing samples the unread bytes and reads again, so the close
 * handshake is not held up. */
static void test_read_rate_paces_reading(void **state)
{
    start(rate_yaml, 30 * SEC);
    vu_t *vu = &fw.w.vus[0];
    assert_non_null(fw.w.flow_tq);
    struct lws *wsi = connect_user(vu);
    assert_int_equal(vu->state, VU_IDLE);
    char msg[513];
    memset(msg, 'a', 512);
    msg[512] = '\0';
    uint64_t before = mono_us();
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, msg);
    uint64_t after = mono_us();
    assert_true(wsi->rx_off);
    uint32_t id;
    uint64_t due;
    assert_true(timerq_peek(fw.w.flow_tq, &id, &due));
    assert_int_equal(id, vu->slot);
    assert_true(due >= before + 500 * MS && due <= after + 500 * MS); /* 512 B at 1024 B/s */

    vu_flow_due(vu, due);
    assert_false(wsi->rx_off);
    /* read again before the debt is paid: the wait adds up */
    lws_event(wsi, LWS_CALLBACK_CLIENT_RECEIVE, msg);
    assert_true(wsi->rx_off);
    assert_true(timerq_peek(fw.w.flow_tq, &id, &due));
    assert_true(due >= before + 1000 * MS);

    int peer, fd = unread_socket(wsi, 700, &peer);
    fw.w.ending = true;
    vu_end(vu, mono_us());
    assert_int_equal(vu->state, VU_CLOSING);
    assert_false(wsi->rx_off);
    assert_false(timerq_pending(fw.w.flow_tq, vu->slot));
    assert_int_equal(fw.w.m->slow.samples, 1);
    assert_int_equal(fw.w.m->slow.unread_max, 700);
    close(fd);
    close(peer);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_user_connects_at_its_planned_start),
        T(test_long_pause_ends_on_the_grid),
        T(test_between_pause_ends_on_the_grid),
        T(test_established_records_connect_and_runs_on_start),
        T(test_failed_connect_counts_its_error_kind),
        T(test_connect_timeout),
        T(test_connect_waits_for_a_slot),
        T(test_connect_that_cannot_start),
        T(test_expect_times_out_after_its_timeout),
        T(test_steps_run_in_order_and_replies_time_their_step),
        T(test_send_waits_for_a_busy_socket),
        T(test_protocol_replies_queue_in_order),
        T(test_run_end_closes_the_user),
        T(test_run_end_waits_for_a_pending_reply),
        T(test_run_end_abandons_a_pending_connect),
        T(test_connect_counts_add_up_at_the_end),
        T(test_connect_after_login_cut_by_the_end),
        T(test_open_connections_count_each_user_once),
        T(test_run_end_arms_no_lws_timeout),
        T(test_server_close_before_ours),
        T(test_server_closes_first),
        T(test_close_handshake_timeout),
        T(test_http_step_given_up_closes_at_once),
        T(test_reconnect_backs_off_and_gives_up),
        T(test_reconnect_resumes_with_on_reconnect),
        T(test_reconnect_during_on_start_starts_over),
        T(test_reconnect_jitter_stays_within_bounds),
        T(test_reconnect_delays_grow_under_jitter),
        T(test_pause_reading_stops_reading_for_its_time),
        T(test_read_rate_paces_reading),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
