/* promsrv: a one-thread HTTP listener that serves the latest metrics text. */
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
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"

#define REQUEST_MAX 4096 /* request line and headers; the rest is not read */

/* Owns lfd, wake, pending and text. */
struct promsrv {
    int lfd;
    int wake[2]; /* a byte on wake[1] stops the thread */
    pthread_t thread;
    pthread_mutex_t lock; /* guards pending only */
    char *pending;        /* published, not yet taken by the thread */
    size_t pending_len;
    char *text; /* what the thread serves: its own */
    size_t len;
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

/* Waits for fd to be ready for events until deadline. */
static bool ready(int fd, short events, uint64_t deadline)
{
    uint64_t now = clock_mono_us();
    if (now >= deadline)
        return false;
    struct pollfd p = { .fd = fd, .events = events };
    int rc = poll(&p, 1, (int)((deadline - now + 999) / 1000));
    return rc > 0 && !(p.revents & POLLNVAL);
}

/* Reads the request head into buf (NUL-terminated). Returns its length,
 * or -1 when the client closed or took too long. */
static ssize_t read_request(int c, char *buf, size_t cap, uint64_t deadline)
{
    size_t len = 0;
    buf[0] = '\0';
    while (len + 1 < cap && !strstr(buf, "\r\n\r\n") && !strstr(buf, "\n\n")) {
        if (!ready(c, POLLIN, deadline))
            return -1;
        ssize_t n = recv(c, buf + len, cap - 1 - len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
    }
    return (ssize_t)len;
}

static void send_all(int c, const char *data, size_t len, uint64_t deadline)
{
    size_t done = 0;
    while (done < len && ready(c, POLLOUT, deadline)) {
        ssize_t n = send(c, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno != EINTR && errno != EAGAIN)
            return;
    }
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

static void respond(int c, const char *status, const char *type, const char *body, size_t len,
                    bool head, uint64_t deadline)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, type, len);
    send_all(c, hdr, (size_t)n, deadline);
    if (!head)
        send_all(c, body, len, deadline);
}

/* Answers one request: GET or HEAD /metrics (a query string is ignored). */
static void serve_conn(promsrv_t *s, int c)
{
    char req[REQUEST_MAX];
    uint64_t deadline = clock_mono_us() + PROMSRV_IO_MS * 1000ull;
    if (read_request(c, req, sizeof req, deadline) < 0)
        return;
    bool get = strncmp(req, "GET ", 4) == 0, head = strncmp(req, "HEAD ", 5) == 0;
    const char *path = req + (get ? 4 : 5);
    size_t plen = strcspn(path, " ?\r\n");
    static const char text_type[] = "text/plain; charset=utf-8";
    if (!get && !head) {
        static const char msg[] = "only GET /metrics\n";
        respond(c, "405 Method Not Allowed", text_type, msg, sizeof msg - 1, false, deadline);
    } else if (plen != 8 || strncmp(path, "/metrics", 8) != 0) {
        static const char msg[] = "wsgate serves its metrics at /metrics\n";
        respond(c, "404 Not Found", text_type, msg, sizeof msg - 1, head, deadline);
    } else {
        take_latest(s);
        respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", s->text ? s->text : "",
                s->text ? s->len : 0, head, deadline);
    }
    shutdown(c, SHUT_WR);
}

static void *serve_thread(void *arg)
{
    promsrv_t *s = arg;
    for (;;) {
        struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
                               { .fd = s->wake[0], .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        int c = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0)
            continue;
        serve_conn(s, c);
        close(c);
    }
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
