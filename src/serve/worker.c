/* serve_worker: one worker's event loop, its one timer for every
 * connection timer, and its service thread. */
#include "serve/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---- worker timers ---------------------------------------------------- */

/* Sets the worker's one timer to the earliest conn timer, unless it is
 * already set no later than that. Not an lws sul: lws 4.1's libev glue
 * re-arms its timer with ev_timer_set() on an active watcher, which libev
 * ignores, so an earlier sul waits for the later one already armed. Not an
 * ev_timer either: libev sleeps in epoll_wait, whose timeout is in whole
 * milliseconds, so every --ack-delay reply would be up to 1 ms late. A
 * timerfd has nanosecond resolution and wakes epoll on time. */
void serve_worker_arm(worker_t *w)
{
    uint64_t due;
    if (!stimer_next(&w->timers, &due))
        return;
    if (w->timers_armed && (uint64_t)w->timers_armed <= due)
        return;
    lws_usec_t now = lws_now_usecs();
    uint64_t in_us = (lws_usec_t)due > now ? (uint64_t)((lws_usec_t)due - now) : 0;
    struct itimerspec its = { 0 };
    its.it_value.tv_sec = (time_t)(in_us / 1000000u);
    its.it_value.tv_nsec = (long)(in_us % 1000000u) * 1000 + 1; /* 0 would disarm it */
    w->timers_armed = (lws_usec_t)due;
    timerfd_settime(w->timer_fd, 0, &its, NULL);
}

/* Runs the conn timers that are due (bounded per call), then re-arms. */
static void worker_timers_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    worker_t *w = lws_container_of(io, worker_t, timer_io);
    uint64_t expirations;
    if (read(w->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        return;
    w->timers_armed = 0;
    uint64_t now = (uint64_t)lws_now_usecs();
    stimer_t *t;
    for (unsigned i = 0; i < 100000 && (t = stimer_pop_due(&w->timers, now)); i++)
        t->cb(t);
    serve_worker_arm(w);
}

/* ---- life of a worker ------------------------------------------------ */

void serve_worker_init(worker_t *w, server_t *s, uint64_t seed)
{
    w->srv = s;
    w->rng = seed;
    pthread_mutex_init(&w->inbox_lock, NULL);
}

int serve_worker_loop_new(worker_t *w, char *err, size_t errlen)
{
    /* libev (epoll) instead of lws's own poll(), which scans every socket
     * on every wake-up (bench/serve_ab.sh, bench/README.md) */
    w->loop = ev_loop_new(EVFLAG_AUTO);
    if (!w->loop) {
        snprintf(err, errlen, "cannot create the event loop");
        return -1;
    }
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->timer_fd < 0) {
        snprintf(err, errlen, "cannot create a timer: %s", strerror(errno));
        return -1;
    }
    ev_io_init(&w->timer_io, worker_timers_cb, w->timer_fd, EV_READ);
    ev_io_start(w->loop, &w->timer_io);
    serve_health_start(w);
    return 0;
}

void *serve_worker_run(void *arg)
{
    worker_t *w = arg;
    while (!atomic_load(&w->srv->stop))
        ev_run(w->loop, EVRUN_ONCE);
    return NULL;
}

void serve_worker_free(worker_t *w)
{
    if (w->ctx)
        lws_context_destroy(w->ctx); /* closes connections: CLOSED runs here */
    if (w->loop) {
        serve_accept_free(w);
        serve_health_stop(w);
        ev_io_stop(w->loop, &w->timer_io);
        ev_loop_destroy(w->loop);
    }
    serve_room_drain_inbox(w, false);
    serve_room_free_all(w);
    serve_metrics_free_leaks(w);
    stimer_heap_free(&w->timers);
    if (w->timer_fd > 0)
        close(w->timer_fd);
    pthread_mutex_destroy(&w->inbox_lock);
}
