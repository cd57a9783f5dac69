/* fake_worker: one real worker (worker.c) with its users, built in memory
 * for tests that run without a network or a thread: a spec compiled from
 * YAML text, a run context whose time 0 the test picks, and the users
 * engine.c would give a one-worker run (closed model: users 0..n-1; open
 * model: empty session slots). The worker's loop is never run: tests call
 * what its tick would (vu_wake, vu_end, worker_housekeeping) with the
 * times they choose. Header-only; helpers fail the running test on error. */
#ifndef WSGATE_FAKE_WORKER_H
#define WSGATE_FAKE_WORKER_H

#include "helpers.h"

#include "engine/vu.h"
#include "engine/worker.h"
#include "spec/load.h"
#include "spec/spec.h"

#define MS 1000ull
#define SEC 1000000ull

typedef struct fake_worker {
    spec_t *spec;
    run_ctx_t run;
    target_addr_t addrs[8];
    worker_t w;
    unsigned ticks; /* the tick fired (it should not: nothing runs the loop) */
} fake_worker_t;

/* Compiles yaml (a whole spec) through a temporary file; the caller frees
 * it with spec_free. */
static inline spec_t *fake_spec(const char *yaml)
{
    char dir[256], path[300], err[1024] = "";
    make_tmpdir(dir, sizeof(dir), "spec");
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    write_file(path, yaml);
    spec_t *s = spec_load(path, NULL, err, sizeof(err));
    rm_tree(dir);
    if (!s)
        fail_msg("spec did not load: %s\n%s", err, yaml);
    return s;
}

static inline void fake_tick(struct ev_loop *loop, ev_timer *tick, int revents)
{
    fake_worker_t *fw = (fake_worker_t *)((char *)tick - offsetof(fake_worker_t, w.tick));
    fw->ticks++;
}

enum {
    FAKE_USERS = 1,     /* vu_init / vu_init_slot every user (first starts scheduled) */
    FAKE_SNAPSHOTS = 2, /* the worker keeps a snapshot copy (abort_on_fail) */
};

/* Sets fw up for yaml as worker 0 of 1, the run starting at t0 (monotonic
 * us), every scenario's host resolving to 127.0.0.1; flags: FAKE_*. */
static inline void fake_worker_start(fake_worker_t *fw, const char *yaml, uint64_t t0,
                                     unsigned flags)
{
    memset(fw, 0, sizeof(*fw));
    fw->spec = fake_spec(yaml);
    const spec_t *spec = fw->spec;
    assert_true(spec->nscenarios <= sizeof(fw->addrs) / sizeof(fw->addrs[0]));
    for (size_t i = 0; i < spec->nscenarios; i++) {
        snprintf(fw->addrs[i].host, sizeof(fw->addrs[i].host), "127.0.0.1");
        snprintf(fw->addrs[i].numeric, sizeof(fw->addrs[i].numeric), "127.0.0.1");
    }
    run_ctx_t *run = &fw->run;
    run->spec = spec;
    run->addrs = fw->addrs;
    run->t0 = t0;
    run->end = t0 + spec->duration_us;
    run->hard_end = run->end + 5 * SEC;
    run->id_stride = 1;
    run->seed = 42;
    run->nworkers = 1;
    run->max_sessions = spec->peak_users;
    uint32_t nvus = spec->peak_users;
    if (spec->open_model) {
        uint64_t total = load_arrivals_total(spec);
        nvus = total < nvus ? (uint32_t)total : nvus;
    }
    worker_t *w = &fw->w;
    assert_int_equal(worker_init(w, run, 0, nvus, flags & FAKE_SNAPSHOTS, fake_tick, vu_lws_settle),
                     0);
    w->vus = calloc(nvus ? nvus : 1, sizeof(vu_t));
    assert_non_null(w->vus);
    if (spec->open_model) {
        w->arr = load_slice(load_arrivals_total(spec), 0, 1);
        if (w->arr.count)
            w->arr_due = t0 + load_arrival_time(spec, 0);
    }
    for (uint32_t i = 0; (flags & FAKE_USERS) && i < nvus; i++) {
        if (spec->open_model)
            vu_init_slot(&w->vus[i], w, i);
        else
            vu_init(&w->vus[i], w, i, i, run->seed);
    }
}

static inline void fake_worker_stop(fake_worker_t *fw)
{
    worker_t *w = &fw->w;
    for (uint32_t i = 0; w->vus && i < w->nvus; i++)
        vu_release(&w->vus[i]);
    free(w->vus);
    w->vus = NULL;
    worker_release(w);
    spec_free(fw->spec);
}

/* The user whose deadline is due first, its deadline in *due; fails the
 * test when no user waits for anything. */
static inline vu_t *fake_worker_next(fake_worker_t *fw, uint64_t *due)
{
    uint32_t id;
    if (!timerq_peek(fw->w.tq, &id, due))
        fail_msg("no user has a deadline");
    return &fw->w.vus[id];
}

/* The deadline user vu waits for; fails the test when it has none. */
static inline uint64_t fake_worker_due(fake_worker_t *fw, const vu_t *vu)
{
    uint32_t id;
    uint64_t due;
    timerq_t *q = fw->w.tq;
    if (!timerq_pending(q, vu->slot))
        fail_msg("user %u has no deadline", (unsigned)vu->id);
    /* the queue has no lookup by id: pop everything before it and put it back */
    uint32_t ids[256];
    uint64_t dues[256];
    size_t n = 0;
    for (;;) {
        assert_true(timerq_peek(q, &id, &due));
        if (id == vu->slot)
            break;
        assert_true(n < 256);
        ids[n] = id;
        dues[n++] = due;
        timerq_cancel(q, id);
    }
    for (size_t i = 0; i < n; i++)
        timerq_set(q, ids[i], dues[i]);
    return due;
}

#endif
