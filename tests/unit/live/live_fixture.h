/* A hand-built engine_live_t for the tests of src/live: two steps,
 * connect and a step whose name needs escaping, with known latencies. */
#ifndef WSGATE_TEST_LIVE_FIXTURE_H
#define WSGATE_TEST_LIVE_FIXTURE_H

#include "helpers.h"

#include "engine/engine.h"

#define ODD_STEP "say \"hi\"\\now\nthen"

/* Owns sofar's steps and lat. */
typedef struct fixture {
    result_t sofar;
    res_second_t sec;
    hist_t *lat[2];
    engine_live_t lv;
} fixture_t;

/* The generator: saturated this second (lag p99 60 ms over a 50 ms
 * limit), 2 saturated seconds so far. connect: 3 ok (100 us each), 1 failed. ODD_STEP: 3 x 100 us,
 * 2 x 300 us, 1 x 2 ms and 1 x 90 s (above the top bound), 2 failed; this second holds 4 of them. 3
 * timeouts, 1 refused. */
static inline void fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    result_t *r = &f->sofar;
    r->steps = calloc(2, sizeof(res_step_t));
    assert_non_null(r->steps);
    r->nsteps = 2;
    r->steps[0].name = xstrdup("connect");
    r->steps[1].name = xstrdup(ODD_STEP);
    for (int i = 0; i < 2; i++) {
        assert_non_null(r->steps[i].latency = hist_new());
        assert_non_null(f->lat[i] = hist_new());
    }
    hist_record_n(r->steps[0].latency, 100, 3);
    r->steps[0].ok = 3;
    r->steps[0].failed = 1;
    hist_record_n(r->steps[1].latency, 100, 3);
    hist_record_n(r->steps[1].latency, 300, 2);
    hist_record(r->steps[1].latency, 2000);
    hist_record(r->steps[1].latency, 90000000);
    r->steps[1].ok = 7;
    r->steps[1].failed = 2;
    hist_record_n(f->lat[1], 1000, 3);
    hist_record(f->lat[1], 5000);
    r->msgs_sent = 40;
    r->msgs_received = 41;
    r->bytes_sent = 4000;
    r->bytes_received = 4100;
    r->errors[ERR_TIMEOUT].count = 3;
    r->errors[ERR_REFUSED].count = 1;
    f->sec = (res_second_t){ .active = 2, .sent = 10, .received = 11, .errors = 1 };
    f->lv = (engine_live_t){ .sec = &f->sec,
                             .t = 4,
                             .lat = (const hist_t *const *)f->lat,
                             .sofar = r,
                             .active = 3,
                             .elapsed_s = 5.25,
                             .gen = { .cpu_pct = 87.5,
                                      .loop_lag_p99_ms = 60,
                                      .loop_lag_max_ms = 250,
                                      .rss_mb = 12.5,
                                      .saturated = true },
                             .lag_limit_ms = 50,
                             .saturated_secs = 2,
                             .cpu_s = 4.25 };
}

static inline void fixture_free(fixture_t *f)
{
    for (int i = 0; i < 2; i++)
        hist_free(f->lat[i]);
    result_clear(&f->sofar);
}

#endif
