/* ramp: planned vs achieved connect rates and the connect queue's figures; see ramp.h. */
#include "result/ramp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RAMP_MIN_WINDOW_S 1.0
#define RAMP_BEHIND_RATIO 0.9

void ramp_init(res_ramp_t *r)
{
    memset(r, 0, sizeof(*r));
    r->known = true;
}

void ramp_plan(res_ramp_t *r, double t)
{
    if (r->planned == 0 || t < r->start_s)
        r->start_s = t;
    if (r->planned == 0 || t > r->end_s)
        r->end_s = t;
    r->planned++;
}

void ramp_plan_n(res_ramp_t *r, uint64_t n, double first, double last)
{
    if (!n)
        return;
    ramp_plan(r, first);
    ramp_plan(r, last);
    r->planned = r->planned - 2 + n;
}

void ramp_connected(res_ramp_t *r, double t)
{
    r->connected++;
    if (t > r->last_connected_s)
        r->last_connected_s = t;
}

void ramp_merge(res_ramp_t *dst, const res_ramp_t *src)
{
    if (!src->known)
        return;
    if (src->planned) {
        if (dst->planned == 0 || src->start_s < dst->start_s)
            dst->start_s = src->start_s;
        if (dst->planned == 0 || src->end_s > dst->end_s)
            dst->end_s = src->end_s;
    }
    dst->known = true;
    dst->planned += src->planned;
    dst->connected += src->connected;
    if (src->last_connected_s > dst->last_connected_s)
        dst->last_connected_s = src->last_connected_s;
    dst->max_connecting += src->max_connecting;
    dst->waited += src->waited;
    dst->max_waiting += src->max_waiting;
    if (src->max_wait_s > dst->max_wait_s)
        dst->max_wait_s = src->max_wait_s;
}

static double ms(double s)
{
    return round(s * 1000.0) / 1000.0;
}

void ramp_round(res_ramp_t *r)
{
    r->start_s = ms(r->start_s);
    r->end_s = ms(r->end_s);
    r->last_connected_s = ms(r->last_connected_s);
    r->max_wait_s = ms(r->max_wait_s);
}

static double window_s(const res_ramp_t *r)
{
    double w = r->end_s - r->start_s;
    return w > RAMP_MIN_WINDOW_S ? w : RAMP_MIN_WINDOW_S;
}

double ramp_planned_per_s(const res_ramp_t *r)
{
    return r->planned ? (double)r->planned / window_s(r) : 0.0;
}

double ramp_achieved_per_s(const res_ramp_t *r)
{
    if (!r->planned)
        return 0.0;
    double w = window_s(r), took = r->last_connected_s - r->start_s;
    return (double)r->connected / (took > w ? took : w);
}

bool ramp_behind(const res_ramp_t *r)
{
    if (!r->known || !r->planned)
        return false;
    return r->waited > 0 || ramp_achieved_per_s(r) < RAMP_BEHIND_RATIO * ramp_planned_per_s(r);
}

/* A whole number with thousands separators: 7300 -> "7,300". */
static void grouped(uint64_t v, char *buf, size_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* A rate per second: whole above 10/s, one decimal below. */
static void rate_text(double v, char *buf, size_t n)
{
    if (v >= 10.0) {
        grouped((uint64_t)llround(v), buf, n);
        return;
    }
    snprintf(buf, n, "%.1f", v);
}

void ramp_line(const res_ramp_t *r, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!ramp_behind(r))
        return;
    char planned[32], achieved[32], waiting[32];
    rate_text(ramp_planned_per_s(r), planned, sizeof planned);
    rate_text(ramp_achieved_per_s(r), achieved, sizeof achieved);
    int len = snprintf(buf, n, "ramp: %s/s planned, %s/s achieved", planned, achieved);
    if (!r->waited || len < 0 || (size_t)len >= n)
        return;
    grouped(r->max_waiting, waiting, sizeof waiting);
    snprintf(buf + len, n - (size_t)len,
             "; up to %s users waited for a connect slot (max %.1f s, load.max_connecting %llu)",
             waiting, r->max_wait_s, (unsigned long long)r->max_connecting);
}
