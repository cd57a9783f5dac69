/* promsrv: the small HTTP listener of --metrics-listen. One thread serves
 * GET /metrics from the latest text handed to it (promsrv_publish), one
 * connection at a time, each closed after its answer and given at most
 * PROMSRV_IO_MS to send its request and take the answer. The run's threads
 * never wait for it: publishing swaps a pointer under a mutex. */
#ifndef WSGATE_PROMSRV_H
#define WSGATE_PROMSRV_H

#include <stdbool.h>
#include <stddef.h>

#define PROMSRV_IO_MS 2000

typedef struct promsrv promsrv_t;

/* Splits "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (host 127.0.0.1)
 * into host and port (0: pick a free one). Returns 0, or -1 with a reason
 * in err. */
int promsrv_parse_addr(const char *s, char *host, size_t hostlen, int *port, char *err,
                       size_t errlen);

/* True when host is an IPv4 address in 127.0.0.0/8 or ::1 ("localhost"
 * too). */
bool promsrv_is_loopback(const char *host);

/* Listens on host:*port (*port 0: a free port, written back) and starts
 * serving an empty text. Returns the server, or NULL with a reason in err;
 * stop it with promsrv_stop. */
promsrv_t *promsrv_start(const char *host, int *port, char *err, size_t errlen);

/* Serves text (len bytes, malloc'd; the server takes it) from now on. */
void promsrv_publish(promsrv_t *s, char *text, size_t len);

/* Stops the thread, closes the socket and frees s; NULL is a no-op. */
void promsrv_stop(promsrv_t *s);

#endif
