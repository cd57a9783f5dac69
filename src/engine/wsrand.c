/* wsrand: per-thread random pool behind lws_get_random (frame masks). */
#include "engine/wsrand.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>

/* Each thread's pool: buf[pos..WSRAND_BLOCK) not handed out yet. */
static _Thread_local struct {
    unsigned char buf[WSRAND_BLOCK];
    size_t pos;
    int filled; /* pos is meaningful only once the pool was filled */
} pool;

static _Thread_local uint64_t served; /* per thread: no shared write per mask */
static atomic_uint_fast64_t refills;

static int refill(void)
{
    size_t got = 0;
    while (got < WSRAND_BLOCK) {
        ssize_t n = getrandom(pool.buf + got, WSRAND_BLOCK - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    pool.pos = 0;
    pool.filled = 1;
    atomic_fetch_add_explicit(&refills, 1, memory_order_relaxed);
    return 0;
}

size_t wsrand_bytes(void *out, size_t len)
{
    unsigned char *o = out;
    size_t done = 0;
    while (done < len) {
        if ((!pool.filled || pool.pos == WSRAND_BLOCK) && refill() < 0)
            break;
        size_t n = WSRAND_BLOCK - pool.pos;
        if (n > len - done)
            n = len - done;
        memcpy(o + done, pool.buf + pool.pos, n);
        pool.pos += n;
        done += n;
    }
    served += done;
    return done;
}

uint64_t wsrand_bytes_served(void)
{
    return served;
}

uint64_t wsrand_refills(void)
{
    return atomic_load(&refills);
}

/* Replaces libwebsockets' own (a read(2) of /dev/urandom per call). */
size_t lws_get_random(struct lws_context *context, void *buf, size_t len)
{
    (void)context;
    return wsrand_bytes(buf, len);
}
