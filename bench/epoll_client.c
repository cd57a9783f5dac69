/* The floor for issue 5's CPU benchmark: a minimal single-threaded epoll
 * WebSocket client. N connections to ws://HOST:PORT/ws/chat?token=x, each
 * subscribes to its own room, then publishes, waits for message_ack and
 * publishes again (no think time) for D seconds. One send() and one recv()
 * per round trip; the publish frame is masked once up front (a client must
 * mask, RFC 6455, but any fixed key is valid), so the measured cost is the
 * kernel's plus a tiny parser.
 *
 *   epoll_client PORT [CONNS=1000] [SECONDS=20] [HOST=127.0.0.1]
 *
 * Prints one line: conns, round trips, CPU user+sys (getrusage, whole
 * process including connects) and us per round trip. Bounded: exits after
 * SECONDS plus at most 30 s of connecting. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
enum { ST_UPGRADE, ST_SUBSCRIBING, ST_RUNNING };

typedef struct conn {
    int fd;
    int state;
    int id;
    size_t len; /* bytes held in buf */
    char buf[BUF_SIZE];
} conn_t;

static const uint8_t MASK[4] = { 0x12, 0x34, 0x56, 0x78 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static int open_conn(const struct sockaddr_in *sa, const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
        close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "GET /ws/chat?token=x HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     host, port);
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

typedef struct bench {
    uint8_t pub[512];
    size_t publen;
    long long roundtrips;
    int running;
    int failed;
} bench_t;

static int on_frame(bench_t *b, conn_t *c, const char *p, size_t n)
{
    if (c->state == ST_SUBSCRIBING && memmem(p, n, "subscription_confirmed", 22)) {
        c->state = ST_RUNNING;
        b->running++;
        return send_all(c->fd, b->pub, b->publen);
    }
    if (c->state == ST_RUNNING && memmem(p, n, "message_ack", 11)) {
        b->roundtrips++;
        return send_all(c->fd, b->pub, b->publen);
    }
    return 0;
}

static int subscribe(conn_t *c)
{
    char json[128];
    uint8_t f[160];
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
        if (subscribe(c) < 0)
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

static void on_readable(bench_t *b, conn_t *c)
{
    ssize_t r = recv(c->fd, c->buf + c->len, BUF_SIZE - c->len, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
        (r > 0 && (c->len += (size_t)r, drain(b, c) < 0))) {
        b->failed++;
        close(c->fd);
        c->fd = -1;
    }
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void loop(bench_t *b, int ep, conn_t *conns, double until)
{
    struct epoll_event ev[256];
    while (now_s() < until) {
        int n = epoll_wait(ep, ev, 256, 100);
        for (int i = 0; i < n; i++) {
            conn_t *c = &conns[ev[i].data.u32];
            if (c->fd >= 0)
                on_readable(b, c);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: epoll_client PORT [CONNS] [SECONDS] [HOST]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int nconn = argc > 2 ? atoi(argv[2]) : 1000;
    double secs = argc > 3 ? atof(argv[3]) : 20;
    const char *host = argc > 4 ? argv[4] : "127.0.0.1";
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (nconn <= 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "epoll_client: bad connection count or host\n");
        return 2;
    }
    static bench_t b;
    b.publen =
        ws_frame("{\"action\":\"publish\",\"channel\":\"room:bench\",\"message\":{\"id\":\"m1\","
                 "\"text\":\"Can someone help me with my order?\"}}",
                 b.pub, sizeof(b.pub));
    conn_t *conns = calloc((size_t)nconn, sizeof(*conns));
    int ep = epoll_create1(0);
    if (!conns || ep < 0)
        return 1;
    double t0 = now_s(), cpu0 = cpu_s();
    int opened = 0;
    for (int i = 0; i < nconn && now_s() - t0 < 30; i++) {
        conns[i].id = i;
        conns[i].fd = open_conn(&sa, host, port);
        if (conns[i].fd < 0)
            continue;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        opened++;
    }
    loop(&b, ep, conns, now_s() + secs);
    double cpu = cpu_s() - cpu0, wall = now_s() - t0;
    printf("conns_open=%d running=%d failed=%d roundtrips=%lld wall_s=%.2f cpu_s=%.3f "
           "us_per_rt=%.2f\n",
           opened, b.running, b.failed, b.roundtrips, wall, cpu,
           b.roundtrips ? cpu * 1e6 / (double)b.roundtrips : 0.0);
    for (int i = 0; i < nconn; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    free(conns);
    close(ep);
    return opened == nconn && b.failed == 0 ? 0 : 1;
}
