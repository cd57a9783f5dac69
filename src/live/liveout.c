/* liveout: a line writer for --live that never stalls the run. */
#include "live/liveout.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/sbuf.h"

/* Owns fd when own, and pending. */
struct liveout {
    int fd;
    bool own;        /* opened here: closed by liveout_close */
    int saved_flags; /* stdout's file status flags to restore; -1: none */
    sbuf_t pending;  /* the part of a line the reader has not taken yet */
    uint64_t lost;
    char why[160]; /* the first loss */
};

/* A pipe, FIFO or socket is written without blocking: a reader that does
 * not read must not stop the run. Stdout's flags are restored at close,
 * since its open file may be shared with the calling shell. */
static void make_nonblocking(liveout_t *o)
{
    struct stat st;
    if (fstat(o->fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return;
    int flags = fcntl(o->fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK))
        return;
    if (fcntl(o->fd, F_SETFL, flags | O_NONBLOCK) == 0 && !o->own)
        o->saved_flags = flags;
}

liveout_t *liveout_open(const char *path, char *err, size_t errlen)
{
    liveout_t *o = calloc(1, sizeof(*o));
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->saved_flags = -1;
    if (strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
    } else {
        o->own = true;
        o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (o->fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(o);
            return NULL;
        }
    }
    make_nonblocking(o);
    return o;
}

static void note_loss(liveout_t *o, const char *why)
{
    if (o->lost++ == 0)
        snprintf(o->why, sizeof o->why, "%s", why);
}

/* Writes what the file takes now of data; *done is how much it took.
 * Returns 0 when it took all, 1 when the reader is not keeping up, -1 on
 * an error (noted). */
static int put(liveout_t *o, const char *data, size_t len, size_t *done)
{
    *done = 0;
    while (*done < len) {
        ssize_t n = write(o->fd, data + *done, len - *done);
        if (n > 0) {
            *done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        } else {
            char why[128];
            snprintf(why, sizeof why, "write: %s", n < 0 ? strerror(errno) : "wrote nothing");
            note_loss(o, why);
            return -1;
        }
    }
    return 0;
}

/* Writes more of the line a reader took in part. Returns 0 when none is
 * left, 1 when some still is, -1 on an error (the rest is dropped). */
static int flush_pending(liveout_t *o)
{
    if (!o->pending.len)
        return 0;
    size_t done;
    int rc = put(o, o->pending.data, o->pending.len, &done);
    if (rc < 0)
        done = o->pending.len;
    memmove(o->pending.data, o->pending.data + done, o->pending.len - done);
    sbuf_truncate(&o->pending, o->pending.len - done);
    return rc;
}

/* Writes line after any pending part; what a slow reader did not take of
 * it is kept. Returns 0 when it all went, 1 when some is pending, -1 when
 * the line is lost (noted). */
static int put_line(liveout_t *o, const char *line, size_t len)
{
    if (flush_pending(o) > 0) {
        note_loss(o, "the reader does not keep up");
        return -1;
    }
    size_t done;
    int rc = put(o, line, len, &done);
    if (rc <= 0)
        return rc;
    if (done == 0) {
        note_loss(o, "the reader does not keep up");
        return -1;
    }
    if (sbuf_append(&o->pending, line + done, len - done) < 0) {
        note_loss(o, "out of memory");
        return -1;
    }
    return 1;
}

void liveout_write(liveout_t *o, const char *line, size_t len)
{
    put_line(o, line, len);
}

/* Waits until the file may take more, at most until deadline (monotonic
 * us). Returns false when the time is up. */
static bool wait_writable(const liveout_t *o, uint64_t deadline)
{
    uint64_t now = clock_mono_us();
    if (now >= deadline)
        return false;
    struct pollfd p = { .fd = o->fd, .events = POLLOUT };
    return poll(&p, 1, (int)((deadline - now + 999) / 1000)) > 0;
}

/* Finishes the pending part by deadline, or drops it (noted). */
static bool drain_by(liveout_t *o, uint64_t deadline)
{
    int rc;
    while ((rc = flush_pending(o)) > 0 && wait_writable(o, deadline))
        ;
    if (rc <= 0)
        return true;
    note_loss(o, "the reader does not keep up");
    sbuf_truncate(&o->pending, 0);
    return false;
}

void liveout_write_last(liveout_t *o, const char *line, size_t len, int timeout_ms)
{
    uint64_t deadline = clock_mono_us() + (uint64_t)timeout_ms * 1000u;
    if (!drain_by(o, deadline))
        return;
    size_t done;
    int rc = put(o, line, len, &done);
    while (rc > 0 && wait_writable(o, deadline)) {
        size_t more;
        rc = put(o, line + done, len - done, &more);
        done += more;
    }
    if (rc > 0)
        note_loss(o, "the reader does not keep up");
}

uint64_t liveout_lost(const liveout_t *o, const char **why)
{
    *why = o->why;
    return o->lost;
}

void liveout_close(liveout_t *o)
{
    if (!o)
        return;
    if (o->pending.len) /* only after liveout_write: liveout_write_last drains */
        note_loss(o, "the reader does not keep up");
    if (o->saved_flags >= 0)
        fcntl(o->fd, F_SETFL, o->saved_flags);
    if (o->own)
        close(o->fd);
    sbuf_free(&o->pending);
    free(o);
}
