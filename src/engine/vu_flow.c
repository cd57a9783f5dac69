/* vu_flow: slow consumers: connect.read_rate's token bucket and pause_reading steps. */
#include <sys/ioctl.h>

#include "base/clock.h"
#include "engine/vu_internal.h"

/* A debt this small is read on at once: it spares a timer per message. */
#define FLOW_SLACK_US 1000ull

/* The bytes the kernel holds unread for the user's socket, as one sample
 * of the run's slow consumers. Nothing when the socket is not known. */
static void sample_unread(vu_t *vu)
{
    int fd = vu->wsi ? (int)lws_get_socket_fd(vu->wsi) : -1;
    int n = 0;
    if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0 || n < 0)
        return;
    res_slow_t *s = &vu->w->m->slow;
    s->samples++;
    s->unread_total += (uint64_t)n;
    if ((uint64_t)n > s->unread_max)
        s->unread_max = (uint64_t)n;
}

/* A virtual clock (GCRA): rx_free_at is when every byte read so far has
 * been paid for at read_rate. Reading stops while it is ahead of now by
 * more than the slack. One uint64_t per user, no refill timer while the
 * user keeps within its rate. */
void vu_flow_received(vu_t *vu, size_t len)
{
    uint64_t rate = vu_scenario(vu)->read_rate;
    if (!rate || !vu->wsi || !vu->w->flow_tq || vu->state == VU_CLOSING)
        return;
    uint64_t now = clock_mono_us();
    uint64_t from = vu->rx_free_at > now ? vu->rx_free_at : now;
    vu->rx_free_at = from + (uint64_t)((double)len * 1e6 / (double)rate);
    if (vu->rx_throttled || vu->rx_free_at <= now + FLOW_SLACK_US)
        return;
    vu->rx_throttled = true;
    if (!vu->rx_paused)
        lws_rx_flow_control(vu->wsi, 0);
    timerq_set(vu->w->flow_tq, vu->slot, vu->rx_free_at);
    worker_wake_by(vu->w, vu->rx_free_at);
}

void vu_flow_due(vu_t *vu, uint64_t now)
{
    (void)now;
    if (!vu->rx_throttled)
        return;
    vu->rx_throttled = false;
    if (vu->wsi && !vu->rx_paused)
        lws_rx_flow_control(vu->wsi, 1);
}

void vu_flow_pause(vu_t *vu, const spec_step_t *st, uint64_t now)
{
    vu->rx_paused = true;
    if (vu->wsi && !vu->rx_throttled)
        lws_rx_flow_control(vu->wsi, 0);
    vu->state = VU_SLEEPING;
    vu_timer(vu, now + st->pause_reading_us);
}

void vu_flow_resume(vu_t *vu)
{
    bool slow = vu->rx_paused || vu_scenario(vu)->read_rate;
    if (!vu->wsi || !slow)
        return;
    sample_unread(vu);
    vu->rx_paused = false;
    if (vu->rx_throttled && vu->w->flow_tq)
        timerq_cancel(vu->w->flow_tq, vu->slot);
    vu->rx_throttled = false;
    vu->rx_free_at = 0;
    lws_rx_flow_control(vu->wsi, 1);
}

void vu_flow_stop(vu_t *vu)
{
    if (vu->w->flow_tq)
        timerq_cancel(vu->w->flow_tq, vu->slot);
    vu->rx_paused = vu->rx_throttled = false;
    vu->rx_free_at = 0;
}
