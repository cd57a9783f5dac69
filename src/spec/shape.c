/* shape: the load shape, closed (users, stages) or open (arrival_rate); see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "spec/load.h"

/* ------------------------------------------------------------------ */
/* The closed model: a number of users over time.                       */

/* Durations scaled so they add up to total_us (--duration over stages):
 * each keeps its share, the last takes the rounding, a 0s jump stays one.
 * d is the first of n durations stride bytes apart (one per stage). */
static void scale_durations(uint64_t *d, size_t n, size_t stride, uint64_t total_us)
{
    uint64_t sum = 0, used = 0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *di = (uint64_t *)((char *)d + i * stride);
        sum += *di;
        if (*di)
            last = i;
    }
    if (sum == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        uint64_t *di = (uint64_t *)((char *)d + i * stride);
        if (i == last)
            *di = total_us - used;
        else
            used += *di = (uint64_t)((double)*di * (double)total_us / (double)sum + 0.5);
    }
}

/* --users over stages: every stage's users scaled so the peak is users
 * (rounded; a stage with users keeps at least 1). */
static void scale_stage_users(spec_t *s, unsigned users)
{
    unsigned peak = 0;
    for (size_t i = 0; i < s->nstages; i++)
        if (s->stages[i].users > peak)
            peak = s->stages[i].users;
    for (size_t i = 0; peak && i < s->nstages; i++) {
        unsigned u = s->stages[i].users;
        double scaled = (double)u * users / peak + 0.5;
        s->stages[i].users = u == 0 ? 0 : scaled < 1 ? 1 : (unsigned)scaled;
    }
}

/* An override with no meaning for the spec's load model (from names it). */
static int override_misfit(spec_ctx_t *c, const char *ypath, const char *from, const char *why)
{
    return diag_fail_at(c, ypath, "%s cannot apply: %s", from, why);
}

/* stages: [...]: each moves to its users over its duration; --users and
 * --duration scale them, keeping the shape. */
static int closed_stages(spec_ctx_t *c, const raw_load_t *l)
{
    spec_t *s = c->s;
    const spec_overrides_t *o = c->ovr;
    if (o && o->ramp_up_from)
        return override_misfit(c, "load.stages", o->ramp_up_from,
                               "load.stages sets each stage's own ramp; leave it out (--users "
                               "and --duration scale the stages)");
    s->stages = calloc(l->stages_count, sizeof(*s->stages));
    if (!s->stages)
        return diag_oom(c);
    s->nstages = l->stages_count;
    for (unsigned i = 0; i < l->stages_count; i++) {
        char ypath[64];
        snprintf(ypath, sizeof(ypath), "load.stages[%u].duration", i);
        if (field_duration(c, ypath, l->stages[i].duration, &s->stages[i].duration_us) < 0)
            return -1;
        s->stages[i].users = l->stages[i].users;
    }
    if (o && o->users_from)
        scale_stage_users(s, o->users);
    if (o && o->duration_from)
        scale_durations(&s->stages[0].duration_us, s->nstages, sizeof(spec_stage_t),
                        o->duration_us);
    return 0;
}

/* Where a value of users + duration + ramp_up came from, for messages. */
static const char *origin(const char *from, const char *ypath)
{
    return from ? from : ypath;
}

/* users + duration (+ ramp_up) -> a ramp stage and a hold stage; each
 * may come from an override instead. */
static int closed_simple(spec_ctx_t *c, const raw_load_t *l)
{
    static const spec_overrides_t none = { 0 };
    const spec_overrides_t *o = c->ovr ? c->ovr : &none;
    uint64_t dur, ramp = 0;
    if (l->users == 0)
        return diag_fail_at(c, "load.users", "load.users must be at least 1; write e.g. users: 10");
    if (field_duration(c, "load.duration", l->duration, &dur) < 0)
        return -1;
    if (l->ramp_up && field_duration(c, "load.ramp_up", l->ramp_up, &ramp) < 0)
        return -1;
    unsigned users = o->users_from ? o->users : l->users;
    dur = o->duration_from ? o->duration_us : dur;
    ramp = o->ramp_up_from ? o->ramp_up_us : ramp;
    if (ramp >= dur && (o->duration_from || o->ramp_up_from)) {
        char r[32], d[32];
        units_format_us((double)ramp, r, sizeof(r));
        units_format_us((double)dur, d, sizeof(d));
        return diag_fail_at(c, "load",
                            "the ramp-up (%s, from %s) must be shorter than the duration (%s, "
                            "from %s), which includes the ramp; raise the duration or lower "
                            "the ramp-up",
                            r, origin(o->ramp_up_from, "load.ramp_up"), d,
                            origin(o->duration_from, "load.duration"));
    }
    if (ramp >= dur)
        return diag_fail_at(c, l->ramp_up ? "load.ramp_up" : "load.duration",
                            "load.ramp_up (%s) must be shorter than load.duration (%s), which "
                            "includes the ramp; raise duration or lower ramp_up",
                            l->ramp_up ? l->ramp_up : "0s", l->duration);
    c->s->stages = calloc(2, sizeof(spec_stage_t));
    if (!c->s->stages)
        return diag_oom(c);
    c->s->nstages = 2;
    c->s->stages[0] = (spec_stage_t){ ramp, users };
    c->s->stages[1] = (spec_stage_t){ dur - ramp, users };
    return 0;
}

/* ------------------------------------------------------------------ */
/* The open model: arrivals per second, each a session.                 */

static int parse_rate(spec_ctx_t *c, const char *ypath, const char *text, double *out)
{
    char why[256];
    if (units_parse_rate(text, out, why, sizeof(why)) == 0)
        return 0;
    return diag_fail_at(c, ypath, "bad rate for %s: %s", ypath, why);
}

/* arrival_rate: {rate, duration} -> a jump to rate and a hold. */
static int open_constant(spec_ctx_t *c, const raw_arrival_t *a, spec_open_t *o)
{
    double rate;
    uint64_t dur;
    if (!a->rate || !a->duration)
        return diag_fail_at(
            c, "load.arrival_rate",
            "load.arrival_rate needs %s; write arrival_rate: {rate: 50/s, duration: "
            "60s, max_users: 500} or arrival_rate: {stages: [{duration: 10s, rate: "
            "50/s}], max_users: 500}",
            a->rate       ? "duration"
            : a->duration ? "rate"
                          : "rate and duration (or stages)");
    if (parse_rate(c, "load.arrival_rate.rate", a->rate, &rate) < 0 ||
        field_duration(c, "load.arrival_rate.duration", a->duration, &dur) < 0)
        return -1;
    if (rate <= 0)
        return diag_fail_at(c, "load.arrival_rate.rate",
                            "load.arrival_rate.rate must be more than 0; write e.g. rate: 10/s");
    if (!(o->stages = calloc(2, sizeof(*o->stages))))
        return diag_oom(c);
    o->nstages = 2;
    o->stages[0] = (spec_arrival_stage_t){ 0, rate };
    o->stages[1] = (spec_arrival_stage_t){ dur, rate };
    return 0;
}

/* arrival_rate: {stages: [...]}: linear ramps of the rate, from 0. */
static int open_stages(spec_ctx_t *c, const raw_arrival_t *a, spec_open_t *o)
{
    if (a->rate || a->duration)
        return diag_fail_at(
            c, "load.arrival_rate.stages",
            "load.arrival_rate has both stages and rate/duration; use either stages "
            "or rate + duration");
    if (!(o->stages = calloc(a->stages_count, sizeof(*o->stages))))
        return diag_oom(c);
    o->nstages = a->stages_count;
    for (unsigned i = 0; i < a->stages_count; i++) {
        char dpath[80], rpath[80];
        snprintf(dpath, sizeof(dpath), "load.arrival_rate.stages[%u].duration", i);
        snprintf(rpath, sizeof(rpath), "load.arrival_rate.stages[%u].rate", i);
        if (field_duration(c, dpath, a->stages[i].duration, &o->stages[i].duration_us) < 0 ||
            parse_rate(c, rpath, a->stages[i].rate, &o->stages[i].rate_per_s) < 0)
            return -1;
    }
    return 0;
}

/* session: how an arrival's session ends; default one task. */
static int open_session(spec_ctx_t *c, const raw_session_t *ss, spec_open_t *o)
{
    o->iterations = 1;
    if (!ss)
        return 0;
    bool iters = field_present(c, "load.arrival_rate.session.iterations");
    if (iters && ss->iterations == 0)
        return diag_fail_at(
            c, "load.arrival_rate.session.iterations",
            "session.iterations must be at least 1; leave it out to end sessions by "
            "session.duration only");
    if (ss->duration) {
        if (field_duration(c, "load.arrival_rate.session.duration", ss->duration, &o->session_us) <
            0)
            return -1;
        if (o->session_us == 0)
            return diag_fail_at(c, "load.arrival_rate.session.duration",
                                "session.duration must be more than 0; write e.g. duration: 30s");
    }
    o->iterations = iters ? ss->iterations : ss->duration ? 0 : 1;
    return 0;
}

/* arrival_rate: the rate shape, the session, max_users, graceful_stop. */
static int compile_open(spec_ctx_t *c, const raw_arrival_t *a)
{
    spec_open_t *o = &c->s->open;
    const spec_overrides_t *ov = c->ovr;
    c->s->open_model = true;
    if (ov && (ov->users_from || ov->ramp_up_from))
        return override_misfit(c, "load.arrival_rate",
                               ov->users_from ? ov->users_from : ov->ramp_up_from,
                               "the load is load.arrival_rate (the open model), where sessions "
                               "arrive at a rate up to max_users at once; change the rate or "
                               "max_users in the spec (--duration applies)");
    if ((a->stages_count ? open_stages(c, a, o) : open_constant(c, a, o)) < 0 ||
        open_session(c, a->session, o) < 0)
        return -1;
    if (ov && ov->duration_from)
        scale_durations(&o->stages[0].duration_us, o->nstages, sizeof(spec_arrival_stage_t),
                        ov->duration_us);
    if (!field_present(c, "load.arrival_rate.max_users") || a->max_users == 0)
        return diag_fail_at(
            c, "load.arrival_rate",
            "load.arrival_rate needs max_users of 1 or more, the most sessions at "
            "once (an arrival beyond it is dropped and counted in arrivals.dropped); "
            "write e.g. max_users: 500");
    o->max_users = a->max_users;
    o->graceful_stop_us = 30000000ull;
    if (a->graceful_stop && field_duration(c, "load.arrival_rate.graceful_stop", a->graceful_stop,
                                           &o->graceful_stop_us) < 0)
        return -1;
    o->rate_min = o->rate_max = o->stages[0].rate_per_s;
    for (size_t i = 0; i < o->nstages; i++) {
        c->s->duration_us += o->stages[i].duration_us;
        if (o->stages[i].rate_per_s < o->rate_min)
            o->rate_min = o->stages[i].rate_per_s;
        if (o->stages[i].rate_per_s > o->rate_max)
            o->rate_max = o->stages[i].rate_per_s;
    }
    c->s->peak_users = o->max_users;
    if (c->s->duration_us == 0)
        return diag_fail_at(c, "load.arrival_rate",
                            "the arrivals last 0s; give a duration such as 60s");
    uint64_t total = load_arrivals_total(c->s);
    if (total == 0)
        return diag_fail_at(c, "load.arrival_rate",
                            "the arrival rate gives no arrival at all; raise rate or duration "
                            "(e.g. rate: 10/s, duration: 30s)");
    if (total > UINT32_MAX) /* arrival k is session id k (32 bits) */
        return diag_fail_at(c, "load.arrival_rate",
                            "the arrivals add up to %llu, more than the %lu a run can number; "
                            "lower rate or duration (e.g. rate: 1000/s, duration: 1h)",
                            (unsigned long long)total, (unsigned long)UINT32_MAX);
    return 0;
}

/* ------------------------------------------------------------------ */

/* The model the keys ask for; mixing the two models is an error. */
static int choose_model(spec_ctx_t *c, const raw_load_t *l)
{
    bool users = field_present(c, "load.users"), dur = l->duration != NULL;
    if (l->arrival_rate) {
        if (users || dur || l->ramp_up || l->stages_count)
            return diag_fail_at(c, "load.arrival_rate",
                                "load has both arrival_rate (open model) and users/duration/"
                                "ramp_up/stages (closed model); keep one of them");
        return compile_open(c, l->arrival_rate);
    }
    if (l->stages_count > 0) {
        if (users || dur || l->ramp_up)
            return diag_fail_at(c, "load.stages",
                                "load has both stages and users/duration/"
                                "ramp_up; use either stages or users + "
                                "duration (+ ramp_up)");
        return closed_stages(c, l);
    }
    if (!users || !dur)
        return diag_fail_at(c, "load",
                            "load needs %s; write load: {users: 10, duration: 30s} "
                            "or load: {stages: [{duration: 10s, users: 10}]}",
                            !users && !dur ? "users and duration (or stages)"
                            : !users       ? "users"
                                           : "duration");
    return closed_simple(c, l);
}

/* load.max_connecting: connects in flight at most, across the workers;
 * --max-connecting replaces it (checked when it was read). */
static int max_connecting(spec_ctx_t *c, const raw_load_t *l)
{
    if (field_present(c, "load.max_connecting")) {
        if (l->max_connecting < 1 || l->max_connecting > SPEC_MAX_CONNECTING)
            return diag_fail_at(c, "load.max_connecting",
                                "max_connecting must be from 1 to %u connects in flight (%u "
                                "given); write e.g. max_connecting: 2000",
                                SPEC_MAX_CONNECTING, l->max_connecting);
        c->s->max_connecting = l->max_connecting;
    }
    if (c->ovr && c->ovr->max_connecting_from)
        c->s->max_connecting = c->ovr->max_connecting;
    return 0;
}

int shape_compile(spec_ctx_t *c, const raw_load_t *l)
{
    if (choose_model(c, l) < 0 || max_connecting(c, l) < 0)
        return -1;
    spec_t *s = c->s;
    if (s->open_model)
        return 0;
    for (size_t i = 0; i < s->nstages; i++) {
        s->duration_us += s->stages[i].duration_us;
        if (s->stages[i].users > s->peak_users)
            s->peak_users = s->stages[i].users;
    }
    if (s->peak_users == 0)
        return diag_fail_at(c, "load",
                            "the load never has any users; give a stage users: 1 "
                            "or more");
    if (s->duration_us == 0)
        return diag_fail_at(c, "load", "the load lasts 0s; give a stage a duration such as 30s");
    return 0;
}
