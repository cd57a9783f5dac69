/* wsrand: random bytes for libwebsockets from a per-thread pool.
 *
 * libwebsockets asks for 4 fresh random bytes for the mask of every frame a
 * client sends and, on Debian's build, reads each from /dev/urandom: one
 * read(2) per frame. wsrand.c defines lws_get_random() itself, so the
 * library's calls (they go through its PLT) land here and are served from
 * WSRAND_BLOCK bytes of getrandom(2) at a time. The bytes are the kernel's
 * CSPRNG output either way, each handed out once.
 *
 * wsrand.c must be linked into the executable itself (not only a static
 * library nobody references), or the library keeps its own definition. */
#ifndef WSGATE_WSRAND_H
#define WSGATE_WSRAND_H

#include <stddef.h>
#include <stdint.h>

#define WSRAND_BLOCK 512

/* Fills out with len random bytes. Returns len, or fewer when getrandom(2)
 * fails (then errno says why). Thread-safe: each thread has its own pool. */
size_t wsrand_bytes(void *out, size_t len);

/* Counters for tests: bytes handed out to the calling thread, and
 * getrandom refills in the whole process. */
uint64_t wsrand_bytes_served(void);
uint64_t wsrand_refills(void);

#endif
