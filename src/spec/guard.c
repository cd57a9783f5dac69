/* guard: the guard rails a spec from a pull request is held to at load
 * time (hosts known before the run, load limits); see spec_int.h. */
#include "spec/spec_int.h"

#include <stdio.h>

int spec_guard_url(spec_ctx_t *c, const char *ypath, const char *origin, const char *host, int port)
{
    char why[512];
    if (!c->guard || hostguard_check(c->guard->hosts, host, NULL, port, why, sizeof(why)) == 0)
        return 0;
    if (origin)
        return diag_fail_line(c, 0, "%s: %s", origin, why);
    return diag_fail_at(c, ypath, "%s: %s", ypath, why);
}

/* The line to blame for the peak users. */
static const char *users_path(spec_ctx_t *c)
{
    if (c->s->open_model)
        return "load.arrival_rate.max_users";
    return field_present(c, "load.users") ? "load.users" : "load.stages";
}

static int check_users(spec_ctx_t *c, const spec_guard_t *g)
{
    if (!g->max_users || c->s->peak_users <= g->max_users)
        return 0;
    if (c->ovr && c->ovr->users_from)
        return diag_fail_at(c, users_path(c),
                            "%s: the load reaches %u users at once, over the limit of %u set by "
                            "%s; lower %s or raise %s",
                            c->ovr->users_from, c->s->peak_users, g->max_users, g->max_users_from,
                            c->ovr->users_from, g->max_users_from);
    return diag_fail_at(c, users_path(c),
                        "the load reaches %u users at once, over the limit of %u set by %s; "
                        "lower the users or raise %s",
                        c->s->peak_users, g->max_users, g->max_users_from, g->max_users_from);
}

static int check_duration(spec_ctx_t *c, const spec_guard_t *g)
{
    const spec_t *s = c->s;
    uint64_t total = s->duration_us + (s->open_model ? s->open.graceful_stop_us : 0);
    if (!g->max_duration_us || total <= g->max_duration_us)
        return 0;
    char got[32], lim[32];
    units_format_us((double)total, got, sizeof(got));
    units_format_us((double)g->max_duration_us, lim, sizeof(lim));
    const char *from = c->ovr ? c->ovr->duration_from : NULL;
    return diag_fail_at(c, "load",
                        "%s%sthe load lasts %s%s, over the limit of %s set by %s; shorten it or "
                        "raise %s",
                        from ? from : "", from ? ": " : "", got,
                        s->open_model ? " with its graceful_stop" : "", lim, g->max_duration_from,
                        g->max_duration_from);
}

/* Fixed-rate tasks: each user of a scenario starts its fastest task at
 * most rate times a second; the users of a scenario are its weight's share
 * of the peak, rounded up. *where gets the fastest task's rate path. */
static double task_rate_total(const spec_t *s, char *where, size_t n)
{
    double total = 0, fastest = 0;
    for (size_t i = 0; i < s->nscenarios; i++) {
        const spec_scenario_t *sc = &s->scenarios[i];
        double per_user = 0;
        for (size_t t = 0; t < sc->ntasks; t++) {
            double r = sc->tasks[t].every_us ? 1e6 / (double)sc->tasks[t].every_us : 0;
            if (r > per_user)
                per_user = r;
            if (r > fastest) {
                fastest = r;
                snprintf(where, n, "scenarios[%zu].tasks[%zu].rate", i, t);
            }
        }
        uint64_t share = ((uint64_t)s->peak_users * sc->weight + s->scenario_weight_sum - 1) /
                         s->scenario_weight_sum;
        total += per_user * (double)share;
    }
    return total;
}

static int check_rate(spec_ctx_t *c, const spec_guard_t *g)
{
    const spec_t *s = c->s;
    char where[96] = "load";
    double limit = g->max_rate * (1 + 1e-9);
    if (!g->max_rate)
        return 0;
    if (s->open_model && s->open.rate_max > limit)
        return diag_fail_at(c, "load.arrival_rate",
                            "the arrival rate reaches %g/s, over the limit of %g/s set by %s; "
                            "lower the rate or raise %s",
                            s->open.rate_max, g->max_rate, g->max_rate_from, g->max_rate_from);
    double tasks = task_rate_total(s, where, sizeof(where));
    if (tasks > limit)
        return diag_fail_at(c, where,
                            "fixed-rate tasks start up to %g/s (task rate x users), over the limit "
                            "of %g/s set by %s; lower the rates or users or raise %s",
                            tasks, g->max_rate, g->max_rate_from, g->max_rate_from);
    return 0;
}

int spec_guard_limits(spec_ctx_t *c)
{
    const spec_guard_t *g = c->guard;
    if (!g)
        return 0;
    if (check_users(c, g) < 0 || check_duration(c, g) < 0 || check_rate(c, g) < 0)
        return -1;
    return 0;
}
