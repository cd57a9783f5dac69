/* The floor for the CPU benchmarks: a minimal single-threaded epoll
 * WebSocket client, what a hand-written load generator would do and no more.
 *
 * Modes (-m):
 *   zero   (default) N connections to ws://HOST:PORT/ws/chat?token=x, each
 *          subscribes to its own room, then publishes, waits for
 *          message_ack and publishes again with no think time
 *          (bench/cpu_per_roundtrip.sh, bench/think_cpu.sh).
 *   think  the same, but after each ack the connection sleeps a uniform
 *          -t MIN-MAX seconds (default 2-5) before the next publish: one
 *          min-heap of deadlines and one epoll_wait timeout per loop pass,
 *          deadlines rounded up to -g GRID_MS (default 1 ms; 0 = none, the
 *          wait then ends on the next whole millisecond anyway, as
 *          epoll_wait counts in ms) (bench/think_cpu.sh).
 *   push   N market-data terminals on /ws/quotes (wsgate serve
 *          --quote-rate): subscribe to three streams, then count every
 *          quote push whose "type" is "quote" and "symbol" not "NOISE",
 *          timed from its "ts_us" field (bench/push_cpu.sh).
 * Every exchange is timed as wsgate times it (clock at the send and at the
 * reply, or wall clock against ts_us) into a 1 us histogram.
 * One send() per publish and one recv() per readable socket; the frames
 * are masked with a fixed key (a client must mask, RFC 6455, any key is
 * valid), so the measured cost is the kernel's plus a tiny parser.
 *
 *   epoll_client [-m zero|think|push] [-t MIN-MAX] [-g GRID_MS] [-R RAMP_S]
 *                [-w FROM-TO] [-s] PORT [CONNS=1000] [SECONDS=20] [HOST=127.0.0.1]
 *   -R   open the connections evenly over RAMP_S seconds (default: at once)
 *   -w   also count only the seconds FROM..TO after the start (the hold)
 *   -s   zero/think: publish to the connection's own room the short message
 *        of bench/lib.sh publish_spec (default: room:bench, the longer
 *        message of bench/specs/cpu_roundtrip.yaml)
 *
 * Prints one line: conns, messages (round trips or pushes), CPU user+sys
 * (getrusage, whole process including connects) and us per message; with
 * -w the same for the window (win_*), epoll_wait calls and sleeps
 * (voluntary context switches) per message in it, and the window's latency
 * p50/p99 in us. Bounded: exits after SECONDS plus at
 * most 30 s of connecting. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 1024
#define PUB_SIZE 192
#define HIST_US 200000 /* latencies above 200 ms go to the last bucket */
enum { ST_CLOSED, ST_UPGRADE, ST_SUBSCRIBING, ST_AWAITING, ST_THINKING, ST_RECEIVING };
enum { MODE_ZERO, MODE_THINK, MODE_PUSH };

typedef struct conn {
    int fd;
    int state;
    int id;
    uint64_t sent_us; /* the pending publish's send */
    size_t len;       /* bytes held in buf */
    char buf[BUF_SIZE];
} conn_t;

typedef struct opts {
    int mode;                /* -m */
    uint64_t think_min_us;   /* -t */
    uint64_t think_max_us;   /* -t */
    uint64_t grid_us;        /* -g */
    double ramp_s;           /* -R */
    double win_from, win_to; /* -w, seconds after the start */
    int self_room;           /* -s */
} opts_t;

/* A min-heap of (deadline, connection): the thinking connections. */
typedef struct theap {
    uint64_t *due;
    uint32_t *id;
    size_t n;
} theap_t;

typedef struct bench {
    opts_t o;
    conn_t *conns;
    int nconn;
    int ep;
    const char *host;
    int port;
    struct sockaddr_in sa;
    uint8_t pub[512]; /* the room:bench publish (no -s) */
    size_t publen;
    uint8_t *own_pub; /* -s: each connection's own-room publish, PUB_SIZE each */
    size_t *own_len;
    theap_t heap;
    uint64_t rng;
    long long messages; /* round trips or pushes */
    long long wakes;    /* epoll_wait calls */
    int opened;
    int running;
    int failed;
    /* the window (-w) */
    int win_state; /* 0 before, 1 in, 2 after */
    double win_cpu0, win_cpu;
    long long win_msgs0, win_msgs, win_wakes0, win_wakes, win_sleeps0, win_sleeps;
    uint32_t *hist; /* latencies in the window, 1 us buckets */
} bench_t;

static const uint8_t MASK[4] = { 0x12, 0x34, 0x56, 0x78 };

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Voluntary context switches so far: the times the process slept. */
static long long sleeps(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nvcsw;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- the deadline heap ---- */

static void heap_swap(theap_t *h, size_t a, size_t b)
{
    uint64_t d = h->due[a];
    uint32_t i = h->id[a];
    h->due[a] = h->due[b];
    h->id[a] = h->id[b];
    h->due[b] = d;
    h->id[b] = i;
}

static void heap_push(theap_t *h, uint64_t due, uint32_t id)
{
    size_t k = h->n++;
    h->due[k] = due;
    h->id[k] = id;
    while (k > 0 && h->due[(k - 1) / 2] > h->due[k]) {
        heap_swap(h, k, (k - 1) / 2);
        k = (k - 1) / 2;
    }
}

static uint32_t heap_pop(theap_t *h)
{
    uint32_t top = h->id[0];
    h->n--;
    h->due[0] = h->due[h->n];
    h->id[0] = h->id[h->n];
    for (size_t k = 0;;) {
        size_t l = 2 * k + 1, m = k;
        if (l < h->n && h->due[l] < h->due[m])
            m = l;
        if (l + 1 < h->n && h->due[l + 1] < h->due[m])
            m = l + 1;
        if (m == k)
            break;
        heap_swap(h, k, m);
        k = m;
    }
    return top;
}

/* ---- frames and sockets ---- */

/* Builds a masked client text frame for payload into out; returns its length. */
static size_t ws_frame(const char *payload, uint8_t *out, size_t cap)
{
    size_t n = strlen(payload), h = 0;
    if (n + 8 > cap)
        return 0;
    out[h++] = 0x81;
    if (n < 126) {
        out[h++] = (uint8_t)(0x80 | n);
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(n >> 8);
        out[h++] = (uint8_t)n;
    }
    memcpy(out + h, MASK, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        out[h + i] = (uint8_t)payload[i] ^ MASK[i & 3];
    return h + n;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    for (int tries = 0; n > 0 && tries < 1000; tries++) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (w > 0) {
            c += w;
            n -= (size_t)w;
        }
    }
    return n == 0 ? 0 : -1;
}

static int open_conn(const bench_t *b, int id)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)&b->sa, sizeof(b->sa)) < 0) {
        close(fd);
        return -1;
    }
    char path[64], req[320];
    if (b->o.mode == MODE_PUSH)
        snprintf(path, sizeof(path), "/ws/quotes?clientId=t-%d&format=json", id);
    else
        snprintf(path, sizeof(path), "/ws/chat?token=x");
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, b->host, b->port);
    if (send_all(fd, req, (size_t)n) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Returns the length of the first complete server frame in c->buf (payload
 * at *off, *plen bytes), 0 when incomplete. Server frames are unmasked. */
static size_t frame_len(const conn_t *c, size_t *off, size_t *plen)
{
    const uint8_t *b = (const uint8_t *)c->buf;
    if (c->len < 2)
        return 0;
    size_t n = b[1] & 0x7f, h = 2;
    if (n == 126) {
        if (c->len < 4)
            return 0;
        n = ((size_t)b[2] << 8) | b[3];
        h = 4;
    } else if (n == 127) {
        return (size_t)-1; /* never sent by this server for these replies */
    }
    if (c->len < h + n)
        return 0;
    *off = h;
    *plen = n;
    return h + n;
}

/* ---- the exchanges ---- */

static void record(bench_t *b, uint64_t lat_us)
{
    b->messages++;
    if (b->win_state == 1)
        b->hist[lat_us < HIST_US ? lat_us : HIST_US]++;
}

static int publish(bench_t *b, conn_t *c)
{
    const uint8_t *f = b->pub;
    size_t n = b->publen;
    if (b->own_pub) {
        f = b->own_pub + (size_t)c->id * PUB_SIZE;
        n = b->own_len[c->id];
    }
    c->state = ST_AWAITING;
    c->sent_us = now_us();
    return send_all(c->fd, f, n);
}

/* The reply came: publish again, or think first. */
static int after_ack(bench_t *b, conn_t *c)
{
    if (b->o.mode != MODE_THINK)
        return publish(b, c);
    uint64_t span = b->o.think_max_us - b->o.think_min_us;
    uint64_t due = now_us() + b->o.think_min_us + (span ? rng_next(&b->rng) % (span + 1) : 0);
    if (b->o.grid_us)
        due = (due + b->o.grid_us - 1) / b->o.grid_us * b->o.grid_us;
    c->state = ST_THINKING;
    heap_push(&b->heap, due, (uint32_t)c->id);
    return 0;
}

/* A quote push: "type":"quote" and "symbol" not "NOISE", timed from ts_us. */
static void on_push(bench_t *b, const char *p, size_t n)
{
    if (!memmem(p, n, "\"type\":\"quote\"", 14))
        return;
    const char *s = memmem(p, n, "\"symbol\":\"", 10);
    if (s && (size_t)(p + n - s) > 15 && memcmp(s + 10, "NOISE\"", 6) == 0)
        return;
    const char *t = memmem(p, n, "\"ts_us\":", 8);
    if (!t)
        return;
    uint64_t ts = strtoull(t + 8, NULL, 10), now = wall_us();
    record(b, now > ts ? now - ts : 0);
}

static int on_frame(bench_t *b, conn_t *c, const char *p, size_t n)
{
    if (c->state == ST_RECEIVING) {
        on_push(b, p, n);
        return 0;
    }
    if (c->state == ST_SUBSCRIBING && b->o.mode == MODE_PUSH &&
        memmem(p, n, "\"op\":\"subscribed\"", 17)) {
        c->state = ST_RECEIVING;
        b->running++;
        return 0;
    }
    if (c->state == ST_SUBSCRIBING && memmem(p, n, "subscription_confirmed", 22)) {
        b->running++;
        return publish(b, c);
    }
    if (c->state == ST_AWAITING && memmem(p, n, "message_ack", 11)) {
        record(b, now_us() - c->sent_us);
        return after_ack(b, c);
    }
    return 0;
}

static int subscribe(bench_t *b, conn_t *c)
{
    char json[160];
    uint8_t f[192];
    if (b->o.mode == MODE_PUSH)
        snprintf(json, sizeof(json),
                 "{\"op\":\"subscribe\",\"streams\":[\"quotes.NASDAQ:AAPL\",\"quotes.NYSE:TSLA\","
                 "\"quotes.NYSE:IBM\"],\"snapshot\":true}");
    else
        snprintf(json, sizeof(json), "{\"action\":\"subscribe\",\"channel\":\"room:%d\"}", c->id);
    size_t n = ws_frame(json, f, sizeof(f));
    c->state = ST_SUBSCRIBING;
    return send_all(c->fd, f, n);
}

/* Consumes what c->buf holds: the 101 response, then whole frames. */
static int drain(bench_t *b, conn_t *c)
{
    if (c->state == ST_UPGRADE) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return 0;
        if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0)
            return -1;
        size_t hl = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + hl, c->len - hl);
        c->len -= hl;
        if (subscribe(b, c) < 0)
            return -1;
    }
    size_t off, plen, fl;
    while ((fl = frame_len(c, &off, &plen)) > 0) {
        if (fl == (size_t)-1)
            return -1;
        if (on_frame(b, c, c->buf + off, plen) < 0)
            return -1;
        memmove(c->buf, c->buf + fl, c->len - fl);
        c->len -= fl;
    }
    return c->len == BUF_SIZE ? -1 : 0;
}

static void drop(bench_t *b, conn_t *c)
{
    b->failed++;
    close(c->fd);
    c->fd = -1;
    c->state = ST_CLOSED;
}

static void on_readable(bench_t *b, conn_t *c)
{
    ssize_t r = recv(c->fd, c->buf + c->len, BUF_SIZE - c->len, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
        (r > 0 && (c->len += (size_t)r, drain(b, c) < 0)))
        drop(b, c);
}

/* ---- the loop ---- */

/* Opens the connections due by now (all at once without -R). */
static void open_due(bench_t *b, uint64_t t0, uint64_t now)
{
    while (b->opened < b->nconn) {
        int i = b->opened;
        uint64_t due = t0 + (uint64_t)(b->o.ramp_s * 1e6 * i / b->nconn);
        if (due > now || now - t0 > 30000000u + (uint64_t)(b->o.ramp_s * 1e6))
            return;
        conn_t *c = &b->conns[i];
        b->opened++;
        c->id = i;
        c->state = ST_UPGRADE;
        c->fd = open_conn(b, i);
        if (c->fd < 0) {
            c->state = ST_CLOSED;
            b->failed++;
            continue;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(b->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
}

static void wake_thinkers(bench_t *b, uint64_t now)
{
    while (b->heap.n > 0 && b->heap.due[0] <= now) {
        conn_t *c = &b->conns[heap_pop(&b->heap)];
        if (c->fd >= 0 && publish(b, c) < 0)
            drop(b, c);
    }
}

static void window_close(bench_t *b)
{
    b->win_state = 2;
    b->win_cpu = cpu_s() - b->win_cpu0;
    b->win_msgs = b->messages - b->win_msgs0;
    b->win_wakes = b->wakes - b->win_wakes0;
    b->win_sleeps = sleeps() - b->win_sleeps0;
}

/* Opens and closes the window (-w) at its edges. */
static void window(bench_t *b, uint64_t t0, uint64_t now)
{
    double t = (double)(now - t0) / 1e6;
    if (b->win_state == 0 && t >= b->o.win_from) {
        b->win_state = 1;
        b->win_cpu0 = cpu_s();
        b->win_msgs0 = b->messages;
        b->win_wakes0 = b->wakes;
        b->win_sleeps0 = sleeps();
    } else if (b->win_state == 1 && t >= b->o.win_to) {
        window_close(b);
    }
}

/* The epoll_wait timeout in ms: up to the next deadline (a thinker, a
 * connect of the ramp, a window edge), at most 100 ms. */
static int wait_ms(const bench_t *b, uint64_t t0, uint64_t now, uint64_t until)
{
    uint64_t next = now + 100000u;
    if (b->heap.n > 0 && b->heap.due[0] < next)
        next = b->heap.due[0];
    if (b->opened < b->nconn) {
        uint64_t due = t0 + (uint64_t)(b->o.ramp_s * 1e6 * b->opened / b->nconn);
        if (due < next)
            next = due;
    }
    uint64_t edge = t0 + (uint64_t)((b->win_state == 0 ? b->o.win_from : b->o.win_to) * 1e6);
    if (b->win_state < 2 && edge < next)
        next = edge;
    if (until < next)
        next = until;
    return next > now ? (int)((next - now + 999) / 1000) : 0;
}

static void loop(bench_t *b, uint64_t t0, uint64_t until)
{
    struct epoll_event ev[256];
    uint64_t now = now_us();
    while (now < until) {
        int n = epoll_wait(b->ep, ev, 256, wait_ms(b, t0, now, until));
        b->wakes++;
        for (int i = 0; i < n; i++) {
            conn_t *c = &b->conns[ev[i].data.u32];
            if (c->fd >= 0)
                on_readable(b, c);
        }
        now = now_us();
        open_due(b, t0, now);
        wake_thinkers(b, now);
        window(b, t0, now);
    }
    if (b->win_state == 1) /* the run ended inside the window */
        window_close(b);
}

/* ---- set-up and report ---- */

static int parse_range(const char *s, double *lo, double *hi)
{
    char *end;
    *lo = strtod(s, &end);
    if (*end != '-')
        return -1;
    *hi = strtod(end + 1, &end);
    return *end || *hi < *lo || *lo < 0 ? -1 : 0;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    double lo = 2, hi = 5;
    int c;
    o->grid_us = 1000;
    o->win_to = 1e9;
    while ((c = getopt(argc, argv, "m:t:g:R:w:s")) != -1) {
        if (c == 'm' && strcmp(optarg, "zero") == 0)
            o->mode = MODE_ZERO;
        else if (c == 'm' && strcmp(optarg, "think") == 0)
            o->mode = MODE_THINK;
        else if (c == 'm' && strcmp(optarg, "push") == 0)
            o->mode = MODE_PUSH;
        else if (c == 't' && parse_range(optarg, &lo, &hi) == 0)
            ;
        else if (c == 'g' && atoi(optarg) >= 0)
            o->grid_us = (uint64_t)atoi(optarg) * 1000u;
        else if (c == 'R' && atof(optarg) >= 0)
            o->ramp_s = atof(optarg);
        else if (c == 'w' && parse_range(optarg, &o->win_from, &o->win_to) == 0)
            ;
        else if (c == 's')
            o->self_room = 1;
        else
            return -1;
    }
    o->think_min_us = (uint64_t)(lo * 1e6);
    o->think_max_us = (uint64_t)(hi * 1e6);
    return 0;
}

static int make_publishes(bench_t *b)
{
    b->publen =
        ws_frame("{\"action\":\"publish\",\"channel\":\"room:bench\",\"message\":{\"id\":\"m1\","
                 "\"text\":\"Can someone help me with my order?\"}}",
                 b->pub, sizeof(b->pub));
    if (!b->o.self_room)
        return 0;
    b->own_pub = malloc((size_t)b->nconn * PUB_SIZE);
    b->own_len = malloc((size_t)b->nconn * sizeof(*b->own_len));
    if (!b->own_pub || !b->own_len)
        return -1;
    for (int i = 0; i < b->nconn; i++) {
        char json[128];
        snprintf(json, sizeof(json),
                 "{\"action\":\"publish\",\"channel\":\"room:%d\",\"message\":{\"id\":\"m1\","
                 "\"text\":\"hello\"}}",
                 i);
        b->own_len[i] = ws_frame(json, b->own_pub + (size_t)i * PUB_SIZE, PUB_SIZE);
    }
    return 0;
}

/* The p-th percentile of the window's latencies, in us. */
static long percentile(const bench_t *b, double p)
{
    long long total = 0, seen = 0;
    for (int i = 0; i <= HIST_US; i++)
        total += b->hist[i];
    for (int i = 0; i <= HIST_US && total > 0; i++) {
        seen += b->hist[i];
        if ((double)seen >= p / 100.0 * (double)total)
            return i;
    }
    return 0;
}

static void report(const bench_t *b, double cpu, double wall)
{
    printf("conns_open=%d running=%d failed=%d %s=%lld wall_s=%.2f cpu_s=%.3f us_per_%s=%.2f",
           b->opened - b->failed, b->running, b->failed,
           b->o.mode == MODE_PUSH ? "pushes" : "roundtrips", b->messages, wall, cpu,
           b->o.mode == MODE_PUSH ? "push" : "rt",
           b->messages ? cpu * 1e6 / (double)b->messages : 0.0);
    if (b->win_state == 2)
        printf(" win_msgs=%lld win_cpu_s=%.3f win_us=%.2f win_waits_per_msg=%.3f "
               "win_sleeps_per_msg=%.3f lat_p50_us=%ld lat_p99_us=%ld",
               b->win_msgs, b->win_cpu, b->win_msgs ? b->win_cpu * 1e6 / (double)b->win_msgs : 0.0,
               b->win_msgs ? (double)b->win_wakes / (double)b->win_msgs : 0.0,
               b->win_msgs ? (double)b->win_sleeps / (double)b->win_msgs : 0.0, percentile(b, 50),
               percentile(b, 99));
    printf("\n");
}

int main(int argc, char **argv)
{
    static bench_t b;
    if (parse_opts(argc, argv, &b.o) < 0 || optind >= argc) {
        fprintf(stderr, "usage: epoll_client [-m zero|think|push] [-t MIN-MAX] [-g GRID_MS] "
                        "[-R RAMP_S] [-w FROM-TO] [-s] PORT [CONNS] [SECONDS] [HOST]\n");
        return 2;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    b.port = atoi(pos[0]);
    b.nconn = npos > 1 ? atoi(pos[1]) : 1000;
    double secs = npos > 2 ? atof(pos[2]) : 20;
    b.host = npos > 3 ? pos[3] : "127.0.0.1";
    b.sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)b.port) };
    if (b.nconn <= 0 || inet_pton(AF_INET, b.host, &b.sa.sin_addr) != 1) {
        fprintf(stderr, "epoll_client: bad connection count or host\n");
        return 2;
    }
    b.rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    b.conns = calloc((size_t)b.nconn, sizeof(*b.conns));
    b.heap.due = malloc((size_t)b.nconn * sizeof(*b.heap.due));
    b.heap.id = malloc((size_t)b.nconn * sizeof(*b.heap.id));
    b.hist = calloc(HIST_US + 1, sizeof(*b.hist));
    b.ep = epoll_create1(0);
    if (!b.conns || !b.heap.due || !b.heap.id || !b.hist || b.ep < 0 || make_publishes(&b) < 0)
        return 1;
    for (int i = 0; i < b.nconn; i++)
        b.conns[i].fd = -1;
    uint64_t t0 = now_us();
    double cpu0 = cpu_s();
    open_due(&b, t0, t0);
    loop(&b, t0, t0 + (uint64_t)(secs * 1e6));
    report(&b, cpu_s() - cpu0, (double)(now_us() - t0) / 1e6);
    for (int i = 0; i < b.nconn; i++)
        if (b.conns[i].fd >= 0)
            close(b.conns[i].fd);
    free(b.conns);
    free(b.heap.due);
    free(b.heap.id);
    free(b.hist);
    free(b.own_pub);
    free(b.own_len);
    close(b.ep);
    return b.opened == b.nconn && b.failed == 0 ? 0 : 1;
}
