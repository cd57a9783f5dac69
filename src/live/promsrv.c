/* promsrv: a one-thread HTTP/1.1 listener that serves the latest metrics text. */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "live/promsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/sbuf.h"

#define REQUEST_MAX 4096 /* request line and headers; the rest is not read */

/* One client connection; fd -1: a free slot. Owns fd and out. */
typedef struct conn {
    int fd;
    char req[REQUEST_MAX]; /* received, not yet answered */
    size_t rlen;
    sbuf_t out; /* the answer being sent */
    size_t sent;
    bool keep;         /* keep the connection after this answer */
    uint64_t deadline; /* monotonic us: closed when reached */
} conn_t;

/* Owns lfd, wake, pending, text and conns. */
struct promsrv {
    int lfd;
    int wake[2]; /* a byte on wake[1] stops the thread */
    pthread_t thread;
    pthread_mutex_t lock; /* guards pending only */
    char *pending;        /* published, not yet taken by the thread */
    size_t pending_len;
    char *text; /* what the thread serves: its own */
    size_t len;
    conn_t conns[PROMSRV_CONNS];
};

static int parse_port(const char *s, int *port)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

int promsrv_parse_addr(const char *s, char *host, size_t hostlen, int *port, char *err,
                       size_t errlen)
{
    const char *colon = strrchr(s, ':');
    const char *h = s, *hend = colon;
    if (*s == '[') { /* [v6]:port */
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "\"%s\": write an IPv6 address as [ADDR]:PORT", s);
            return -1;
        }
        h = s + 1;
        hend = close;
        colon = close + 1;
    } else if (colon && strchr(s, ':') != colon) {
        snprintf(err, errlen, "\"%s\": write an IPv6 address in brackets, as [::1]:9464", s);
        return -1;
    }
    const char *p = colon ? colon + 1 : s;
    if (parse_port(p, port) < 0) {
        snprintf(err, errlen, "\"%s\": expected ADDR:PORT with a port from 0 to 65535", s);
        return -1;
    }
    size_t n = colon ? (size_t)(hend - h) : 0;
    if (n >= hostlen) {
        snprintf(err, errlen, "\"%s\": address too long", s);
        return -1;
    }
    snprintf(host, hostlen, "%.*s", (int)n, h);
    if (n == 0)
        snprintf(host, hostlen, "127.0.0.1");
    return 0;
}

bool promsrv_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* A listening socket on host:*port; -1 with a reason in err. */
static int listen_on(const char *host, int *port, char *err, size_t errlen)
{
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", *port);
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM },
                    *ai = NULL;
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        snprintf(err, errlen, "cannot listen on %s port %s: %s", host, portstr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Takes the latest published text, if any. */
static void take_latest(promsrv_t *s)
{
    pthread_mutex_lock(&s->lock);
    char *text = s->pending;
    size_t len = s->pending_len;
    s->pending = NULL;
    pthread_mutex_unlock(&s->lock);
    if (!text)
        return;
    free(s->text);
    s->text = text;
    s->len = len;
}

static void conn_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    sbuf_free(&c->out);
}

/* Queues one answer on c; body NULL for HEAD. */
static void respond(conn_t *c, const char *status, const char *type, const char *body, size_t len,
                    bool head)
{
    sbuf_truncate(&c->out, 0);
    c->sent = 0;
    int rc = sbuf_printf(&c->out,
                         "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "Connection: %s\r\n\r\n",
                         status, type, len, c->keep ? "keep-alive" : "close");
    if (rc == 0 && !head)
        rc = sbuf_append(&c->out, body, len);
    if (rc < 0) { /* out of memory: the client sees the connection close */
        c->keep = false;
        sbuf_truncate(&c->out, 0);
    }
}

/* True when the head in req (NUL-terminated) asks to keep the connection:
 * HTTP/1.1 without "Connection: close". */
static bool wants_keep_alive(const char *req, size_t head_len)
{
    const char *eol = strstr(req, "\r\n");
    if (!eol || eol - req < 8 || strncmp(eol - 8, "HTTP/1.1", 8) != 0)
        return false;
    for (const char *p = eol + 2; p < req + head_len; p = strstr(p, "\r\n") + 2) {
        if (strncasecmp(p, "connection:", 11) == 0) {
            const char *v = p + 11;
            v += strspn(v, " \t");
            if (strncasecmp(v, "close", 5) == 0)
                return false;
        }
        if (!strstr(p, "\r\n"))
            break;
    }
    return true;
}

/* Answers the request whose head is req[0, head_len): GET or HEAD /metrics
 * (a query string is ignored) with the text of this second. */
static void answer(promsrv_t *s, conn_t *c, const char *req, size_t head_len)
{
    bool get = strncmp(req, "GET ", 4) == 0, head = strncmp(req, "HEAD ", 5) == 0;
    const char *path = req + (get ? 4 : 5);
    size_t plen = strcspn(path, " ?\r\n");
    static const char text_type[] = "text/plain; charset=utf-8";
    c->keep = (get || head) && wants_keep_alive(req, head_len);
    if (!get && !head) {
        static const char msg[] = "only GET /metrics\n";
        respond(c, "405 Method Not Allowed", text_type, msg, sizeof msg - 1, false);
    } else if (plen != 8 || strncmp(path, "/metrics", 8) != 0) {
        static const char msg[] = "wsgate serves its metrics at /metrics\n";
        respond(c, "404 Not Found", text_type, msg, sizeof msg - 1, head);
    } else {
        take_latest(s);
        respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", s->text ? s->text : "",
                s->text ? s->len : 0, head);
    }
}

/* Answers the next complete request head in c's buffer, if there is one
 * (a pipelined one stays for after this answer). A head that does not fit
 * closes the connection. */
static void next_request(promsrv_t *s, conn_t *c, uint64_t now)
{
    c->req[c->rlen] = '\0';
    char *crlf = strstr(c->req, "\r\n\r\n"), *lf = strstr(c->req, "\n\n"); /* bare LF too */
    if (!crlf && !lf) {
        if (c->rlen + 1 >= sizeof c->req)
            conn_close(c);
        return;
    }
    size_t head_len =
        lf && (!crlf || lf < crlf) ? (size_t)(lf + 2 - c->req) : (size_t)(crlf + 4 - c->req);
    answer(s, c, c->req, head_len);
    memmove(c->req, c->req + head_len, c->rlen - head_len);
    c->rlen -= head_len;
    c->deadline = now + PROMSRV_IO_MS * 1000ull;
    if (c->out.len == 0)
        conn_close(c);
}

static void on_readable(promsrv_t *s, conn_t *c, uint64_t now)
{
    ssize_t n = recv(c->fd, c->req + c->rlen, sizeof c->req - 1 - c->rlen, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    if (c->rlen == 0) /* a request has begun: it has PROMSRV_IO_MS to arrive */
        c->deadline = now + PROMSRV_IO_MS * 1000ull;
    c->rlen += (size_t)n;
    next_request(s, c, now);
}

static void on_writable(promsrv_t *s, conn_t *c, uint64_t now)
{
    ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->sent += (size_t)n;
    if (c->sent < c->out.len)
        return;
    sbuf_truncate(&c->out, 0);
    if (!c->keep) {
        shutdown(c->fd, SHUT_WR);
        conn_close(c);
        return;
    }
    c->deadline = now + PROMSRV_IDLE_MS * 1000ull;
    if (c->rlen)
        next_request(s, c, now);
}

/* A free slot for a new connection: when all are taken, the one closest
 * to its deadline gives way. */
static conn_t *free_slot(promsrv_t *s)
{
    conn_t *victim = &s->conns[0];
    for (size_t i = 0; i < PROMSRV_CONNS; i++) {
        if (s->conns[i].fd < 0)
            return &s->conns[i];
        if (s->conns[i].deadline < victim->deadline)
            victim = &s->conns[i];
    }
    conn_close(victim);
    return victim;
}

static void on_accept(promsrv_t *s, uint64_t now)
{
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    conn_t *c = free_slot(s);
    *c = (conn_t){ .fd = fd, .deadline = now + PROMSRV_IDLE_MS * 1000ull };
}

/* The poll timeout in ms until the nearest deadline; -1: none. */
static int poll_timeout(const promsrv_t *s, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < PROMSRV_CONNS; i++)
        if (s->conns[i].fd >= 0 && s->conns[i].deadline < next)
            next = s->conns[i].deadline;
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

/* One round: waits for the listener, the wake pipe or a connection, and
 * serves what is ready. Returns false when woken to stop. */
static bool serve_round(promsrv_t *s)
{
    struct pollfd p[2 + PROMSRV_CONNS];
    p[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
    p[1] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
    for (size_t i = 0; i < PROMSRV_CONNS; i++) {
        conn_t *c = &s->conns[i];
        p[2 + i] = (struct pollfd){ .fd = c->fd, .events = c->out.len ? POLLOUT : POLLIN };
    }
    int rc = poll(p, 2 + PROMSRV_CONNS, poll_timeout(s, clock_mono_us()));
    if (rc < 0)
        return errno == EINTR;
    if (p[1].revents)
        return false;
    uint64_t now = clock_mono_us();
    for (size_t i = 0; i < PROMSRV_CONNS; i++) {
        conn_t *c = &s->conns[i];
        short ev = p[2 + i].revents;
        if (c->fd < 0 || c->fd != p[2 + i].fd)
            continue;
        if (ev & POLLOUT)
            on_writable(s, c, now);
        else if (ev & (POLLIN | POLLHUP | POLLERR))
            on_readable(s, c, now);
        if (c->fd >= 0 && now >= c->deadline) /* idle too long, or too slow */
            conn_close(c);
    }
    if (p[0].revents & POLLIN)
        on_accept(s, now);
    return true;
}

static void *serve_thread(void *arg)
{
    promsrv_t *s = arg;
    while (serve_round(s))
        ;
    for (size_t i = 0; i < PROMSRV_CONNS; i++)
        conn_close(&s->conns[i]);
    return NULL;
}

/* Starts the thread with every signal blocked: they are the main
 * thread's to handle. */
static int start_thread(promsrv_t *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&s->thread, NULL, serve_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

promsrv_t *promsrv_start(const char *host, int *port, char *err, size_t errlen)
{
    promsrv_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->wake[0] = s->wake[1] = -1;
    for (size_t i = 0; i < PROMSRV_CONNS; i++)
        s->conns[i].fd = -1;
    if ((s->lfd = listen_on(host, port, err, errlen)) < 0)
        goto fail;
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&s->lock, NULL);
    int e = start_thread(s);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(e));
        pthread_mutex_destroy(&s->lock);
        goto fail;
    }
    return s;
fail:
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->wake[0] >= 0) {
        close(s->wake[0]);
        close(s->wake[1]);
    }
    free(s);
    return NULL;
}

void promsrv_publish(promsrv_t *s, char *text, size_t len)
{
    pthread_mutex_lock(&s->lock);
    char *old = s->pending;
    s->pending = text;
    s->pending_len = len;
    pthread_mutex_unlock(&s->lock);
    free(old);
}

void promsrv_stop(promsrv_t *s)
{
    if (!s)
        return;
    ssize_t n;
    do
        n = write(s->wake[1], "x", 1);
    while (n < 0 && errno == EINTR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->lock);
    free(s->pending);
    free(s->text);
    free(s);
}
