/* engine: runs a compiled plan: sets up the workers, runs and watches them, builds the result. */
#include "engine/engine.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <ev.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/redact.h"
#include "engine/livefeed.h"
#include "engine/metrics.h"
#include "engine/observe.h"
#include "engine/selfmon.h"
#include "engine/series.h"
#include "engine/vu.h"
#include "engine/worker.h"
#include "engine/wsurl.h"
#include "result/tally.h"

#define START_DELAY_US 20000ull   /* lets every worker be ready at t0 */
#define MAX_WAKES_PER_TICK 20000u /* keeps the loop serving sockets */
#define MONITOR_US 100000u        /* how often the main thread looks */
#define FD_RESERVE 64u            /* files wsgate needs besides connections */
/* The soft open-file limit a run sets: each user's WebSocket, plus an http
 * step's connection when the spec has any, twice with the embedded server in
 * this process (`run --serve`: its ends are here too), a quarter more for a
 * reconnect's new socket opening before the old one is gone, and room for
 * everything else. No more: libwebsockets 4.1 as Debian builds it scans a
 * table as long as this limit on every connect and every close. */
static uint64_t fd_room(uint32_t users, bool http, bool in_process_server)
{
    uint64_t per_user = (http ? 2u : 1u) * (in_process_server ? 2u : 1u);
    return per_user * users + users / 4u + 1024u;
}

/* rx_buffer_size is allocated per connection: 512 instead of 4096 saves
 * ~3.4 KiB per idle user (issue 5, bench/connections.sh); longer
 * messages arrive in fragments that vu.c reassembles. */
static const struct lws_protocols client_protocols[] = {
    { "wsgate", vu_lws_callback, 0, 512, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Wall clock in whole milliseconds, the precision result.json keeps, so
 * reports rendered again from the file match the run's byte for byte. */
static double wall_now(void)
{
    return (double)(clock_wall_us() / 1000) / 1000.0;
}

/* ---- the tick: a worker drives its users ---- */

/* Publishes how many replies this worker still awaits (the sum over all
 * workers is run->pending_at_end; the arithmetic is modular), dropping from
 * w->awaiting the users that no longer await one: O(replies awaited). */
static void publish_pending(worker_t *w)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->nawaiting; i++)
        if (vu_awaits_reply(&w->vus[w->awaiting[i]]))
            w->awaiting[n++] = w->awaiting[i];
    w->nawaiting = n;
    atomic_fetch_add(&w->run->pending_at_end, (uint64_t)n - w->pending_published);
    w->pending_published = n;
}

/* Each tick once the run is ending, until done: closes the idle connections,
 * in one pass, when every worker has reached the end and none awaits a
 * reply, or when waiting longer would leave their close handshakes no time
 * before the hard end. A user that becomes idle after that pass (its expect
 * timed out) closes by itself (vu.c close_at_run_end). */
static void close_idle_at_end(worker_t *w, uint64_t now)
{
    run_ctx_t *run = w->run;
    publish_pending(w);
    if (w->idle_closed)
        return;
    bool drained = atomic_load(&run->ending_workers) >= run->nworkers &&
                   atomic_load(&run->pending_at_end) == 0;
    if (!drained && now + CLOSE_GRACE_US < run->hard_end)
        return;
    w->idle_closed = true;
    for (uint32_t i = 0; i < w->nvus; i++)
        if (vu_idle_connected(&w->vus[i]))
            vu_end(&w->vus[i], now);
}

/* At the planned end, pending replies are still awaited (and measured);
 * idle connections close only after the last of them (in any worker):
 * thousands of closes at once would delay those replies, here and in the
 * server, and the last second's latencies would show wsgate's own work.
 * The one pass over the users notes those awaiting a reply, and the
 * pending count is published before this worker counts as ending, so no
 * other worker sees "all ending, nothing pending" too early.
 * An abort_on_fail stop drops pending replies so the run ends at once. */
static void apply_end(worker_t *w, uint64_t now, bool aborting)
{
    w->ending = true;
    w->nawaiting = 0;
    /* the latest started first: lws 4.1 keeps a pending connect's header
     * buffer in a list, newest first, and finds it there to free it */
    for (uint32_t i = w->nvus; i-- > 0;) {
        vu_t *vu = &w->vus[i];
        if (aborting)
            vu_abort(vu, now);
        else if (!vu_idle_connected(vu))
            vu_end(vu, now);
        if (vu_awaits_reply(vu))
            w->awaiting[w->nawaiting++] = i;
    }
    publish_pending(w);
    atomic_fetch_add(&w->run->ending_workers, 1);
}

/* The step the progress line follows: the first named step of the first
 * task (the steady-state exchange), else the first metric after connect (an
 * on_start step, ws.ping or reconnects), else connect. The result records it
 * (result_t.main_step), so the HTML latency chart follows the same step. */
static size_t main_step(const spec_t *spec)
{
    for (size_t s = 0; s < spec->nscenarios; s++)
        for (size_t t = 0; t < spec->scenarios[s].ntasks; t++)
            for (size_t i = 0; i < spec->scenarios[s].tasks[t].nsteps; i++)
                if (spec->scenarios[s].tasks[t].steps[i].metric >= 0)
                    return (size_t)spec->scenarios[s].tasks[t].steps[i].metric;
    return spec->nmetrics > 1 ? 1 : 0;
}

/* Open model: due arrivals start a session (worker_admit), or are dropped
 * when max_users sessions run. Arrivals still to come when the run is
 * stopped early are neither. */
static void start_arrivals(worker_t *w, uint64_t now, unsigned *wakes)
{
    const spec_t *spec = w->run->spec;
    while (!w->ending && w->arr_next < w->arr.count && w->arr_due <= now &&
           (*wakes)++ < MAX_WAKES_PER_TICK) {
        uint64_t k = w->arr.first + w->arr_next * w->arr.step;
        uint64_t due = w->arr_due;
        uint32_t slot;
        w->last_busy = now;
        if (++w->arr_next < w->arr.count)
            w->arr_due = w->run->t0 + load_arrival_time(spec, k + w->arr.step);
        if (!worker_admit(w, &slot)) {
            w->dropped++;
            continue;
        }
        w->started++;
        vu_session_start(&w->vus[slot], (uint32_t)k, due, now);
    }
    atomic_store_explicit(&w->pub_started, w->started, memory_order_relaxed);
    atomic_store_explicit(&w->pub_dropped, w->dropped, memory_order_relaxed);
}

static void on_tick(struct ev_loop *loop, ev_timer *tick, int revents)
{
    (void)loop;
    (void)revents;
    worker_t *w = lws_container_of(tick, worker_t, tick);
    run_ctx_t *run = w->run;
    uint64_t now = clock_mono_us();
    w->in_tick = true;
    bool stop_now = (run->stop_flag && *run->stop_flag) || atomic_load(&run->abort_run);

    if (!w->ending && (now >= run->end || stop_now)) {
        if (!stop_now)
            worker_drop_overdue(w);
        apply_end(w, now, atomic_load(&run->abort_run));
    }
    if (w->ending)
        close_idle_at_end(w, now);
    uint32_t id;
    unsigned wakes = 0;
    start_arrivals(w, now, &wakes);
    while (wakes++ < MAX_WAKES_PER_TICK && timerq_pop_due(w->tq, now, &id))
        vu_wake(&w->vus[id], now);
    while (wakes++ < MAX_WAKES_PER_TICK && timerq_pop_due(w->ping_tq, now, &id))
        vu_ping_due(&w->vus[id], now);
    while (w->flow_tq && wakes++ < MAX_WAKES_PER_TICK && timerq_pop_due(w->flow_tq, now, &id))
        vu_flow_due(&w->vus[id], now);
    worker_housekeeping(w, now);
    w->in_tick = false;
    if (worker_all_done(w) || now >= run->hard_end || (stop_now && now >= run->end)) {
        worker_finish(w, now);
        return;
    }
    worker_schedule_next(w, now);
}

/* ---- set-up ---- */

static unsigned pick_threads(const engine_opts_t *opts, uint32_t users)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = opts->threads ? opts->threads : (unsigned)(cores > 0 ? cores : 1);
    if (n > users)
        n = users ? users : 1;
    return n;
}

/* Sets the open-file limit to what the run can use, fd_room() within
 * the hard maximum, and checks that the planned users fit, so a run never
 * fails midway for lack of sockets. A soft limit far above that is lowered
 * to it: libwebsockets sizes each context's fd table by the soft limit, and
 * its 4.1 builds with debug checks (Debian's) scan that whole table on
 * every close, so under a limit of 1,048,576 each closed connection read
 * 8 MB. */
static int ensure_fd_limit(uint32_t users, bool http, bool in_process_server, char *err,
                           size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    rlim_t want = (rlim_t)fd_room(users, http, in_process_server);
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    uint64_t need = (uint64_t)users + FD_RESERVE;
    if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
        snprintf(err, errlen,
                 "%u users need about %llu open files but the limit is %llu; "
                 "raise it (ulimit -n) or run fewer users per process (--shard)",
                 users, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

/* Resolves each scenario's host once, before the run. */
static int resolve_targets(run_ctx_t *run, char *err, size_t errlen)
{
    const spec_t *spec = run->spec;
    sbuf_t url = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < spec->nscenarios && rc == 0; i++) {
        uint64_t rng = 1;
        tmpl_ctx_t ctx = { .vu_id = 1, .iteration = 0, .rng = &rng, .slots = NULL };
        wsurl_t u;
        char why[128];
        sbuf_truncate(&url, 0);
        if (tmpl_render(spec->scenarios[i].url, &ctx, &url) < 0 ||
            wsurl_parse(url.data ? url.data : "", &u, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "scenario \"%s\": bad connect URL: %s", spec->scenarios[i].name,
                     url.data ? why : "out of memory");
            rc = -1;
            break;
        }
        if (hostguard_check(spec->hosts, u.host, NULL, u.port, why, sizeof(why)) < 0) {
            run->uses_tls |= u.tls || spec_http_uses_tls(spec);
            continue; /* refused by name (--allow-hosts): never looked up; vu_connect counts it */
        }
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
        int gai = getaddrinfo(u.host, NULL, &hints, &ai);
        if (gai != 0) {
            snprintf(err, errlen, "cannot resolve \"%s\": %s", u.host, gai_strerror(gai));
            rc = -1;
            break;
        }
        snprintf(run->addrs[i].host, sizeof(run->addrs[i].host), "%s", u.host);
        run->uses_tls |= u.tls || spec_http_uses_tls(spec);
        getnameinfo(ai->ai_addr, ai->ai_addrlen, run->addrs[i].numeric,
                    sizeof(run->addrs[i].numeric), NULL, 0, NI_NUMERICHOST);
        freeaddrinfo(ai);
    }
    sbuf_free(&url);
    return rc;
}

/* TLS is set up only when a scenario uses wss://: OpenSSL's client
 * context costs memory and start-up time that plain runs do not need. The
 * spec's tls: files apply to the context's one client vhost. OpenSSL's
 * global init is done once, by the first worker's context, which is
 * destroyed last (lws 4.1 doing it per context leaks a client SSL_CTX with
 * the system CA store at exit); every vhost still needs the flag to get
 * its client SSL_CTX. timeout_s is the period of lws's own connect and
 * handshake timeouts (lws_timeout_s). The permessage-deflate extension is
 * there only for a spec that asks for it (connect.compression), so other
 * runs keep lws's plain path. */
static struct lws_context *client_context(bool tls, bool first, const spec_t *spec,
                                          struct ev_loop *loop, unsigned timeout_s)
{
    struct lws_context_creation_info info;
    void *loops[1] = { loop };
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    /* libev (epoll) instead of lws's own poll(), which scans every socket on
     * every wake-up: at 1,000 users publishing every second, client CPU
     * 45% -> 10% of a core (bench/accuracy.sh, README Performance). */
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = loops;
    if (tls && first)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.count_threads = 1;
    info.timeout_secs = timeout_s;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx)
        return NULL;
    info.options = tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    const spec_tls_t *t = &spec->tls;
    info.protocols = client_protocols;
    if (spec_uses_deflate(spec))
        info.extensions = vu_wire_extensions();
    info.vhost_name = "wsgate-client";
    info.client_ssl_ca_filepath = t->ca_file;
    info.client_ssl_cert_filepath = t->client_cert;
    info.client_ssl_private_key_filepath = t->client_key;
    info.connect_timeout_secs = timeout_s;
    if (!lws_create_vhost(ctx, &info)) {
        lws_context_destroy(ctx);
        return NULL;
    }
    return ctx;
}

/* libwebsockets' own timeouts of a client connect (5 s for the handshake
 * and 20 s for the TCP connect by default) would cut connects that
 * connect.timeout still allows, and its TCP connect watchdog cannot be
 * cleared (vu_lws.c): they are set past the run's hard end, when the
 * context is destroyed, so the user's own deadline always comes first. At
 * most a year: lws takes them as int seconds. */
static unsigned lws_timeout_s(const run_ctx_t *run)
{
    uint64_t s = (run->hard_end - run->t0) / 1000000u + 60u;
    return s < 366u * 86400u ? (unsigned)s : 366u * 86400u;
}

/* This process's users: all of them, or one shard's (see engine_opts_t). */
typedef struct slice {
    uint32_t users; /* how many this process runs */
    uint32_t k, n;  /* local user g has the global id g * n + k */
} slice_t;

static slice_t slice_of(const spec_t *spec, const engine_opts_t *opts)
{
    slice_t sl = { spec->peak_users, 0, 1 };
    if (opts->shard_total > 1 && opts->shard_index >= 1 && opts->shard_index <= opts->shard_total) {
        sl.k = opts->shard_index - 1;
        sl.n = opts->shard_total;
        sl.users = spec->peak_users > sl.k ? (spec->peak_users - sl.k + sl.n - 1) / sl.n : 0;
    }
    return sl;
}

/* Open model: every nworkers-th arrival of this process's slice, and
 * nvus empty session slots: as many as the process's max_users (sl->users)
 * but no more than this worker's arrivals, since admission is process-wide
 * (worker_admit) and one worker may run all the sessions at a time. */
static uint32_t open_slots(const spec_t *spec, unsigned index, unsigned nworkers, const slice_t *sl)
{
    load_slice_t arr = load_slice(load_arrivals_total(spec), (uint64_t)index * sl->n + sl->k,
                                  (uint64_t)nworkers * sl->n);
    return arr.count < sl->users ? (uint32_t)arr.count : sl->users;
}

/* Open model: the worker's arrivals and its empty session slots. */
static void fill_open_slots(worker_t *w, unsigned index, unsigned nworkers, const slice_t *sl)
{
    const spec_t *spec = w->run->spec;
    for (uint32_t i = 0; i < w->nvus; i++)
        vu_init_slot(&w->vus[i], w, i);
    w->arr = load_slice(load_arrivals_total(spec), (uint64_t)index * sl->n + sl->k,
                        (uint64_t)nworkers * sl->n);
    if (!w->arr.count)
        return;
    w->arr_due = w->run->t0 + load_arrival_time(spec, w->arr.first);
    uint64_t last = w->arr.first + (w->arr.count - 1) * w->arr.step;
    ramp_plan_n(&w->m->ramp, w->arr.count, (double)load_arrival_time(spec, w->arr.first) / 1e6,
                (double)load_arrival_time(spec, last) / 1e6);
}

/* Connects in flight at most in worker index: its share of the spec's
 * load.max_connecting (split over shards and workers as users are, at
 * least 1), else the engine's per-worker limit. */
static uint32_t conn_limit(const run_ctx_t *run, unsigned index, unsigned nworkers,
                           const slice_t *sl)
{
    unsigned total = run->spec->max_connecting;
    if (!total)
        return run->conn_limit ? run->conn_limit : CONNQ_DEFAULT_LIMIT;
    uint64_t mine = load_share(load_share(total, sl->k, sl->n), index, nworkers);
    return mine ? (uint32_t)mine : 1;
}

/* Worker index of nworkers with room for its users and its lws context
 * (place_users puts the users in once the run's clock is set). Returns 0,
 * or -1 when out of memory or sockets; release_worker frees what was made
 * either way. */
static int setup_worker(worker_t *w, run_ctx_t *run, unsigned index, unsigned nworkers,
                        const slice_t *sl, bool snapshots)
{
    uint32_t users = sl->users;
    uint32_t nvus = users / nworkers + (index < users % nworkers ? 1 : 0);
    if (run->spec->open_model)
        nvus = open_slots(run->spec, index, nworkers, sl);
    if (worker_init(w, run, index, nvus, snapshots, on_tick, vu_lws_settle) < 0)
        return -1;
    w->connq.limit = conn_limit(run, index, nworkers, sl);
    w->vus = calloc(nvus ? nvus : 1, sizeof(vu_t));
    w->ctx = client_context(run->uses_tls, index == 0, run->spec, w->loop, lws_timeout_s(run));
    return w->vus && w->ctx ? 0 : -1;
}

/* The users of worker index (closed model: every nworkers-th user of the
 * slice, their first starts scheduled from run->t0; open model: empty
 * session slots and the worker's arrivals). */
static void place_users(worker_t *w, unsigned index, unsigned nworkers, uint64_t seed,
                        const slice_t *sl)
{
    worker_set_t0(w);
    if (w->run->spec->open_model) {
        fill_open_slots(w, index, nworkers, sl);
        return;
    }
    for (uint32_t i = 0; i < w->nvus; i++)
        vu_init(&w->vus[i], w, (i * nworkers + index) * sl->n + sl->k, i, seed);
}

/* The context first: destroying it may still call back into the users. */
static void release_worker(worker_t *w)
{
    if (w->ctx)
        lws_context_destroy(w->ctx);
    for (uint32_t i = 0; w->vus && i < w->nvus; i++)
        vu_release(&w->vus[i]);
    free(w->vus);
    worker_release(w);
}

/* ---- result ---- */

static int result_init_steps(result_t *r, const spec_t *spec)
{
    r->steps = calloc(spec->nmetrics, sizeof(res_step_t));
    if (!r->steps)
        return -1;
    r->nsteps = spec->nmetrics;
    for (size_t i = 0; i < spec->nmetrics; i++) {
        r->steps[i].name = strdup(spec->metric_names[i]);
        r->steps[i].latency = hist_new();
        if (!r->steps[i].name || !r->steps[i].latency)
            return -1;
    }
    return 0;
}

/* What the monitoring thread gathers while the workers run. Owns active,
 * series and feed. */
typedef struct monitor {
    series_t *series; /* the closed seconds, merged and spooled */
    livefeed_t *feed; /* opts->live is set */
    uint64_t *active; /* open connections at the last look in each second */
    size_t nactive, cap;
    bool aborted; /* opts->abort_check stopped the run */
    double aborted_at_s;
    char abort_reason[256];
    selfmon_proc_t proc; /* the process's CPU and memory, second by second */
    observer_t *obs;     /* the spec's observe: scrapes (borrowed); NULL: none */
} monitor_t;

/* Notes the open connections of the current second (the last look wins;
 * seconds the monitor missed repeat the previous value). */
static void monitor_sample(monitor_t *mon, const run_ctx_t *run, uint64_t now)
{
    if (now < run->t0)
        return;
    size_t sec = (size_t)((now - run->t0) / 1000000u);
    if (sec >= mon->cap) {
        size_t cap = mon->cap ? mon->cap * 2 : 64;
        while (cap <= sec)
            cap *= 2;
        uint64_t *grown = realloc(mon->active, cap * sizeof(*grown));
        if (!grown)
            return; /* best effort */
        mon->active = grown;
        mon->cap = cap;
    }
    uint64_t now_active = atomic_load(&((run_ctx_t *)run)->active);
    for (size_t i = mon->nactive; i < sec; i++)
        mon->active[i] = mon->nactive ? mon->active[mon->nactive - 1] : 0;
    mon->active[sec] = now_active;
    if (sec + 1 > mon->nactive)
        mon->nactive = sec + 1;
}

/* Which model ran, and the open model's arrival counts. */
static void result_fill_load(result_t *r, const spec_t *spec, const worker_t *ws, unsigned n)
{
    r->open_model = spec->open_model;
    if (!spec->open_model)
        return;
    r->rate_min = spec->open.rate_min;
    r->rate_max = spec->open.rate_max;
    r->session_iterations = spec->open.iterations;
    r->session_s = (double)spec->open.session_us / 1e6;
    uint64_t last = ws[0].run->t0;
    for (unsigned i = 0; i < n; i++) {
        if (ws[i].last_busy > last)
            last = ws[i].last_busy;
        r->arrivals_planned += ws[i].arr.count;
        r->arrivals_started += ws[i].started;
        r->arrivals_dropped += ws[i].dropped;
    }
    /* the time load ran: sessions go on after the arrival window (through
     * session.duration and graceful_stop), so rates divide by t0 to the end
     * of the last session (or the last arrival), in whole ms like the
     * wall-clock times */
    r->duration_s = (double)((last - ws[0].run->t0) / 1000) / 1000.0;
}

/* r->ramp's connect queue figures: the workers' slots, waits, and the most
 * connects waiting at once in the process. */
static void result_connq(result_t *r, const run_ctx_t *run, const worker_t *ws, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        r->ramp.max_connecting += ws[i].connq.limit;
        r->ramp.waited += ws[i].connq.waited;
        double w = (double)ws[i].connq.max_wait_us / 1e6;
        if (w > r->ramp.max_wait_s)
            r->ramp.max_wait_s = w;
    }
    r->ramp.max_waiting = atomic_load(&((run_ctx_t *)run)->waiting_peak);
    ramp_round(&r->ramp);
}

static int result_fill(result_t *r, const run_ctx_t *run, worker_t *ws, unsigned n,
                       const monitor_t *mon)
{
    const spec_t *spec = run->spec;
    r->spec_name = strdup(spec->name);
    r->spec_path = strdup(spec->path);
    r->target = redact_url(spec->target);
    r->wsgate_version = strdup(WSGATE_VERSION);
    r->duration_s = (double)spec->duration_us / 1e6;
    r->threads = n;
    r->users_planned = spec->peak_users;
    r->peak_active = atomic_load(&((run_ctx_t *)run)->peak);
    result_fill_load(r, spec, ws, n); /* open model: duration_s as it ran */
    if (!r->spec_name || !r->spec_path || !r->target || !r->wsgate_version ||
        result_init_steps(r, spec) < 0)
        return -1;
    if (!(r->main_step = strdup(spec->metric_names[main_step(spec)])))
        return -1;
    for (unsigned i = 0; i < n; i++)
        if (metrics_merge_into(r, ws[i].m) < 0)
            return -1;
    r->slow.known = spec->slow_readers;
    result_connq(r, run, ws, n);
    return 0;
}

/* r->generator: the workers' loop lag and the process's CPU and memory. */
static int result_generator(result_t *r, const spec_t *spec, const monitor_t *mon)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return selfmon_result(r, series_lag(mon->series), &mon->proc,
                          gen_lag_limit_ms(selfmon_min_expect_timeout(spec)),
                          cores > 0 ? (unsigned)cores : 0);
}

static uint64_t grace_us(const spec_t *spec)
{
    uint64_t g = 1000000;
    for (size_t s = 0; s < spec->nscenarios; s++) {
        const spec_scenario_t *sc = &spec->scenarios[s];
        for (size_t i = 0; i < sc->non_start; i++)
            if (sc->on_start[i].expect_timeout_us > g)
                g = sc->on_start[i].expect_timeout_us;
        for (size_t t = 0; t < sc->ntasks; t++)
            for (size_t i = 0; i < sc->tasks[t].nsteps; i++)
                if (sc->tasks[t].steps[i].expect_timeout_us > g)
                    g = sc->tasks[t].steps[i].expect_timeout_us;
    }
    return g + 2000000;
}

/* Load time 0 is START_DELAY_US from now; the planned end and the hard end
 * follow from it. */
static void set_clock(run_ctx_t *run, const spec_t *spec)
{
    run->t0 = clock_mono_us() + START_DELAY_US;
    run->end = run->t0 + spec->duration_us;
    if (spec->open_model) /* sessions in flight may finish after the last arrival */
        run->end += spec->open.graceful_stop_us;
    run->hard_end = run->end + grace_us(spec);
}

static void progress_emit(const engine_opts_t *opts, worker_t *ws, unsigned n, const monitor_t *mon)
{
    run_ctx_t *run = ws[0].run;
    const spec_t *spec = run->spec;
    engine_progress_t p;
    memset(&p, 0, sizeof(p));
    uint64_t now = clock_mono_us();
    p.elapsed_s = now > run->t0 ? (double)(now - run->t0) / 1e6 : 0;
    p.duration_s = (double)spec->duration_us / 1e6;
    p.active = atomic_load(&run->active);
    p.main_step = spec->metric_names[run->main_metric];
    p.observe_error = observer_first_error(mon->obs);
    for (unsigned i = 0; i < n; i++) {
        p.msgs_sent += atomic_load_explicit(&ws[i].pub_sent, memory_order_relaxed);
        p.msgs_received += atomic_load_explicit(&ws[i].pub_received, memory_order_relaxed);
        p.errors += atomic_load_explicit(&ws[i].pub_errors, memory_order_relaxed);
        uint64_t p95 = atomic_load_explicit(&ws[i].pub_p95, memory_order_relaxed);
        if (p95 > p.main_p95_us)
            p.main_p95_us = p95;
    }
    opts->progress(&p, opts->progress_ctx);
}

/* Merges the workers' latest snapshots into a live result and asks
 * opts->abort_check whether the run is hopeless. */
static void monitor_abort_check(const engine_opts_t *opts, worker_t *ws, unsigned n, monitor_t *mon,
                                uint64_t now)
{
    run_ctx_t *run = ws[0].run;
    if (mon->aborted || now < run->t0)
        return;
    result_t live;
    memset(&live, 0, sizeof(live));
    double elapsed = (double)(now - run->t0) / 1e6;
    live.duration_s = elapsed;
    live.peak_active = atomic_load(&run->peak);
    bool ok = result_init_steps(&live, run->spec) == 0;
    for (unsigned i = 0; i < n; i++) { /* open model: arrivals so far */
        live.arrivals_planned += ws[i].arr.count;
        live.arrivals_started += atomic_load_explicit(&ws[i].pub_started, memory_order_relaxed);
        live.arrivals_dropped += atomic_load_explicit(&ws[i].pub_dropped, memory_order_relaxed);
    }
    for (unsigned i = 0; ok && i < n; i++) {
        pthread_mutex_lock(&ws[i].snap_lock);
        ok = metrics_merge_into(&live, ws[i].snap) == 0;
        pthread_mutex_unlock(&ws[i].snap_lock);
    }
    /* the scrapes that failed so far: counted by the observer's thread */
    live.errors[ERR_OBSERVE].count += observer_errors(mon->obs);
    if (ok && opts->abort_check(&live, elapsed, opts->abort_ctx, mon->abort_reason,
                                sizeof(mon->abort_reason))) {
        mon->aborted = true;
        mon->aborted_at_s = elapsed;
        atomic_store(&run->abort_run, true);
    }
    result_clear(&live);
}

/* Hands a merged second to the live feed. */
typedef struct feed_ctx {
    const engine_opts_t *opts;
    worker_t *ws;
    livefeed_t *feed;
    engine_gen_t gen;
} feed_ctx_t;

static void feed_second(const res_second_t *sec, size_t t, const hist_t *const *lat, void *ctx)
{
    feed_ctx_t *fc = ctx;
    livefeed_second(fc->feed, fc->opts, fc->ws, &fc->gen, sec, t, lat);
}

/* Takes the seconds the workers have closed into the series (and the live
 * feed); final: they have all exited. */
static void monitor_series(const engine_opts_t *opts, worker_t *ws, monitor_t *mon, bool final)
{
    feed_ctx_t fc = { opts, ws, mon->feed, { series_lag(mon->series), &mon->proc } };
    series_poll(mon->series, ws, mon->active, mon->nactive, final, mon->feed ? feed_second : NULL,
                &fc);
    if (final && mon->feed)
        livefeed_end(mon->feed, opts, ws, &fc.gen, series_count(mon->series));
}

/* The calling thread watches the workers until all have left their loops,
 * reporting progress about once a second. */
static void monitor_workers(const engine_opts_t *opts, worker_t *ws, unsigned n, monitor_t *mon)
{
    uint64_t next = clock_mono_us() + WORKER_PUBLISH_US, next_check = 0;
    for (;;) {
        unsigned exited = 0;
        for (unsigned i = 0; i < n; i++)
            exited += atomic_load(&ws[i].exited);
        if (exited == n) {
            monitor_series(opts, ws, mon, true);
            return;
        }
        usleep(MONITOR_US);
        monitor_sample(mon, ws[0].run, clock_mono_us());
        selfmon_proc_sample(&mon->proc, clock_mono_us());
        uint64_t now = clock_mono_us();
        if (opts->abort_check && now >= next_check) {
            monitor_abort_check(opts, ws, n, mon, now);
            next_check = now + WORKER_SNAPSHOT_US;
        }
        monitor_series(opts, ws, mon, false);
        if (opts->progress && now >= next) {
            progress_emit(opts, ws, n, mon);
            next += WORKER_PUBLISH_US;
        }
    }
}

static int run_workers(const engine_opts_t *opts, worker_t *ws, unsigned n, monitor_t *mon,
                       char *err, size_t errlen)
{
    unsigned started = 0;
    int rc = 0;
    for (; started < n; started++) {
        int e = pthread_create(&ws[started].thread, NULL, worker_thread, &ws[started]);
        if (e != 0) {
            snprintf(err, errlen, "cannot start worker thread: %s", strerror(e));
            rc = -1;
            break;
        }
    }
    if (rc < 0) /* let the started ones finish promptly */
        atomic_store(&ws[0].run->abort_run, true);
    else
        monitor_workers(opts, ws, n, mon);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    return rc;
}

int engine_run(const spec_t *spec, const engine_opts_t *opts, result_t *r, char *err, size_t errlen)
{
    if (!getenv("WSGATE_LWS_DEBUG"))
        lws_set_log_level(0, NULL);
    else
        lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO, NULL);

    run_ctx_t run;
    memset(&run, 0, sizeof(run));
    monitor_t mon = { 0 };
    observer_t *obs = NULL;
    run.spec = spec;
    run.stop_flag = opts->stop_flag;
    run.src = opts->source_addrs;
    run.conn_limit = opts->max_connecting;
    slice_t sl = slice_of(spec, opts);
    run.id_stride = sl.n;
    unsigned n = pick_threads(opts, sl.users);
    worker_t *ws = calloc(n, sizeof(worker_t));
    run.addrs = calloc(spec->nscenarios, sizeof(target_addr_t));
    int rc = -1;
    if (!ws || !run.addrs) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (spec->open_model && sl.users == 0) {
        snprintf(err, errlen,
                 "max_users %u is below the %u shards: give every shard at least one session "
                 "slot (raise load.arrival_rate.max_users or run fewer shards)",
                 spec->open.max_users, sl.n);
        goto out;
    }
    if (ensure_fd_limit(sl.users, spec_uses_http(spec), opts->in_process_server, err, errlen) < 0 ||
        resolve_targets(&run, err, errlen) < 0)
        goto out;

    uint64_t seed = opts->seed ? opts->seed : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    run.seed = seed;
    run.max_sessions = sl.users;
    set_clock(&run, spec); /* for the set-up; set again once it is done */
    run.nworkers = n;
    run.main_metric = main_step(spec);
    run.live = opts->live != NULL;
    bool snapshots = opts->abort_check || opts->live;
    for (unsigned i = 0; i < n; i++) {
        if (setup_worker(&ws[i], &run, i, n, &sl, snapshots) < 0) {
            snprintf(err, errlen, "cannot set up worker %u (out of memory or sockets)", i);
            n = i + 1;
            goto out;
        }
    }
    if (!(mon.series = series_new(spec->nmetrics, n, err, errlen)))
        goto out;
    if (opts->live && !(mon.feed = livefeed_new(spec, n))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* The clock starts after the set-up (a TLS context per worker can take
     * longer than the whole of a short run on a busy machine): planned
     * starts the set-up ate would be connects timed from before they
     * could be made, or never made. */
    double wall_t0 = wall_now(); /* read with the monotonic start */
    set_clock(&run, spec);
    for (unsigned i = 0; i < n; i++)
        place_users(&ws[i], i, n, seed, &sl);
    r->started_at = wall_t0 + (double)(START_DELAY_US / 1000) / 1000.0;
    selfmon_proc_start(&mon.proc, run.t0, clock_mono_us());
    int obs_failed;
    obs = observer_start(spec, run.t0, spec->duration_us, &obs_failed, err, errlen);
    mon.obs = obs;
    if (mon.feed)
        livefeed_observe(mon.feed, obs);
    if (obs_failed || run_workers(opts, ws, n, &mon, err, errlen) < 0)
        goto out;
    r->ended_at = wall_now();
    selfmon_proc_finish(&mon.proc, clock_mono_us());
    if (result_fill(r, &run, ws, n, &mon) < 0) {
        snprintf(err, errlen, "out of memory building the result");
        goto out;
    }
    if (series_result(mon.series, r, err, errlen) < 0)
        goto out;
    observer_t *obs_done = obs;
    obs = NULL;
    if (observer_finish(obs_done, spec, r) < 0 || result_generator(r, spec, &mon) < 0 ||
        (mon.aborted && !(r->abort_reason = strdup(mon.abort_reason)))) {
        snprintf(err, errlen, "out of memory building the result");
        goto out;
    }
    r->users_planned = sl.users;
    r->aborted = mon.aborted;
    if ((mon.aborted || (opts->stop_flag && *opts->stop_flag)) &&
        r->ended_at - r->started_at < r->duration_s) /* rates over the time that ran */
        r->duration_s = r->ended_at > r->started_at ? r->ended_at - r->started_at : 0;
    r->aborted_at_s = mon.aborted_at_s;
    if (tally_check(r) < 0) { /* counts that do not add up: a warning every report shows */
        snprintf(err, errlen, "out of memory building the result");
        goto out;
    }
    rc = 0;
out:
    if (obs) { /* a failed run: its scrapes go with it */
        result_t scratch = { 0 };
        observer_finish(obs, spec, &scratch);
        result_clear(&scratch);
    }
    for (unsigned i = n; ws && i-- > 0;) /* worker 0's context (OpenSSL's init) last */
        release_worker(&ws[i]);
    free(ws);
    free(run.addrs);
    free(mon.active);
    livefeed_free(mon.feed);
    series_free(mon.series);
    selfmon_proc_release(&mon.proc);
    return rc;
}
