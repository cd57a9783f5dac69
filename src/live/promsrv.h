/* promsrv: the small HTTP/1.1 listener of --metrics-listen. One thread
 * serves GET /metrics from the latest text handed to it (promsrv_publish,
 * once per closed second): every scrape in that second gets the same bytes,
 * nothing is rendered per request. Up to PROMSRV_CONNS connections at once,
 * kept alive between scrapes (HTTP/1.1 unless "Connection: close"; 1.0
 * closes) for up to PROMSRV_IDLE_MS idle; a request has PROMSRV_IO_MS to
 * arrive and its answer as long to be taken. When every slot is busy, the
 * connection nearest its deadline gives way to a new one. The run's threads
 * never wait for it: publishing swaps a pointer under a mutex that only
 * the monitoring thread and this one take. */
#ifndef WSGATE_PROMSRV_H
#define WSGATE_PROMSRV_H

#include <stdbool.h>
#include <stddef.h>

#define PROMSRV_IO_MS 2000
#define PROMSRV_IDLE_MS 300000 /* Prometheus keeps its connection for 5 minutes */
#define PROMSRV_CONNS 16

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
