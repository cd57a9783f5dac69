/* socketio: Engine.IO v4 and Socket.IO v5 packets as bytes
 * (https://socket.io/docs/v4/engine-io-protocol/, .../socket-io-protocol/):
 * one received WebSocket message split into its parts, and an EVENT packet
 * written. Pure functions: the fuzz target (tests/fuzz/fuzz_socketio.c)
 * calls them. */
#ifndef WSGATE_SOCKETIO_H
#define WSGATE_SOCKETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"

/* One received message, borrowed from it. */
typedef struct sio_packet {
    char eio;             /* Engine.IO type: '0' open .. '6' noop */
    char type;            /* eio '4': the Socket.IO type '0' connect .. '6' binary ack */
    unsigned attachments; /* types '5' and '6': binary messages that follow */
    const char *nsp;      /* the namespace, "/" when the packet names none */
    size_t nsp_len;
    bool has_id; /* the packet carries an ack id */
    uint64_t id;
    const char *data; /* the JSON payload (eio '0', '4'), maybe empty */
    size_t data_len;
} sio_packet_t;

/* Splits msg (len bytes) into *p. Returns 0, or -1 with the reason in err
 * (empty message, unknown type, bad attachment count or ack id). The JSON
 * payload is not parsed here. */
int sio_decode(const char *msg, size_t len, sio_packet_t *p, char *err, size_t errlen);

/* Appends the packet 42<nsp,><id>[event,args...]: event is a JSON string
 * (quotes included), args a JSON array as text (NULL or "[]": none), nsp
 * left out when "/", id only when has_id. Returns 0, or -1 when out of
 * memory. */
int sio_put_event(sbuf_t *out, const char *nsp, bool has_id, uint64_t id, const char *event,
                  const char *args, size_t args_len);

#endif
