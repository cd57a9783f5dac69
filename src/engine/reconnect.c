/* reconnect: a user's automatic reconnects after a drop (connect.reconnect). */
#include "base/rng.h"
#include "engine/vu_internal.h"

/* backoff * 2^(attempt-1), capped at max_backoff, then scaled by a
 * uniform factor in [1 - jitter, 1 + jitter] from the user's rng. */
static uint64_t attempt_delay(vu_t *vu)
{
    const spec_reconnect_t *p = &vu_scenario(vu)->reconnect;
    uint64_t d = p->backoff_us;
    for (unsigned i = 1; i < vu->reconnect_attempt && d < p->max_backoff_us; i++)
        d *= 2;
    if (d > p->max_backoff_us)
        d = p->max_backoff_us;
    if (p->jitter_pct) {
        double j = (double)p->jitter_pct / 100.0;
        d = (uint64_t)((double)d * (1.0 - j + 2.0 * j * rng_unit(&vu->rng)));
    }
    return d ? d : 1000; /* jitter 100% can draw 0: never a busy reconnect loop */
}

/* Waits before attempt reconnect_attempt, unless the interval is over. */
static void wait_for_attempt(vu_t *vu, uint64_t now)
{
    vu->wsi = NULL;
    if (vu_run_over(vu, now) || now >= vu->stop_at) {
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->state = VU_BACKOFF;
    vu_timer(vu, now + attempt_delay(vu));
}

/* The connection dropped (or a reconnect step could not connect): under a
 * policy the user reconnects after the backoff; else it starts afresh. */
void reconnect_after_drop(vu_t *vu, uint64_t now)
{
    if (!vu_scenario(vu)->reconnect.max_attempts) {
        vu_backoff(vu, now);
        return;
    }
    vu->reconnect_attempt = 1;
    vu->drop_at = now;
    vu->reconnect_resume = vu->phase != PHASE_ON_START;
    wait_for_attempt(vu, now);
}

void reconnect_now(vu_t *vu, uint64_t now)
{
    vu->w->m->reconnect_attempts++;
    vu_connect(vu, now);
}

/* A connect failed or timed out: the next attempt, or give up for the rest
 * of the interval after max_attempts (one failure of "reconnects"). */
void reconnect_retry(vu_t *vu, uint64_t now)
{
    if (!vu->reconnect_attempt) {
        vu_backoff(vu, now);
        return;
    }
    vu->wsi = NULL;
    if (vu->reconnect_attempt >= vu_scenario(vu)->reconnect.max_attempts) {
        metrics_fail(vu->w->m, vu->w->run->spec->reconnect_metric);
        vu_schedule_next_interval(vu, now);
        return;
    }
    vu->reconnect_attempt++;
    wait_for_attempt(vu, now);
}
