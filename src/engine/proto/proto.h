/* proto: the client protocols a scenario speaks over WebSocket (its
 * protocol: key). Each is one proto_t of callbacks in its own file
 * (proto_json.c, proto_text.c, proto_stomp.c, proto_graphql.c) and one entry in proto.c's
 * table; the engine reaches a protocol only through these callbacks.
 * Callbacks run on the user's worker thread; st is the connection's state
 * (state_size bytes, allocated by the engine, reset by open). */
#ifndef WSGATE_PROTO_H
#define WSGATE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/sbuf.h"
#include "spec/spec.h"

/* What a received frame meant besides the object predicates see. */
typedef enum proto_event {
    PROTO_EV_NONE,   /* a message (or a heart-beat): predicates see the object, if any */
    PROTO_EV_OPENED, /* the protocol's handshake is done: the connection is usable */
    PROTO_EV_ERROR,  /* the peer reported an error (why): fails the connect or the awaited step */
    PROTO_EV_BAD,    /* a frame that breaks the protocol (why): a protocol error */
    PROTO_EV_CLOSED, /* the goodbye was answered: the connection may close now */
} proto_event_t;

typedef struct proto_rx {
    proto_event_t event;
    char why[200]; /* PROTO_EV_ERROR, PROTO_EV_BAD: for the error sample */
    /* Set by the caller, empty: one frame the protocol answers this message
     * with (a pong, a namespace connect after an open packet), appended
     * without LWS_PRE; the engine queues it behind the protocol's frames
     * already waiting. NULL: no answer can be sent (fuzzers, tests). */
    sbuf_t *reply;
    /* Set by the caller to -1: a latency the protocol measured (a GraphQL
     * operation's subscribe -> complete) for this metric of the spec. */
    int metric;
    uint64_t latency_us;
    /* Set by the caller: the only top-level fields of a JSON message the
     * scenario reads (spec_scenario_t.msg_keys); protocol json parses just
     * those. keys NULL: every field. */
    char *const *keys;
    size_t nkeys;
} proto_rx_t;

typedef struct proto {
    const char *name; /* as protocol: writes it */
    const char
        *subprotocols; /* Sec-WebSocket-Protocol offered ("a,b"); NULL: connect.subprotocol */
    size_t state_size; /* bytes of per-connection state; 0: none (st is NULL) */
    bool parse_always; /* frames carry protocol events: parse them even when no step waits */
    /* The WebSocket connection is open: resets st and puts the first frame
     * of a handshake into out (after the LWS_PRE bytes there; nothing when
     * the server speaks first). Returns 1 when a handshake is under way (it ends with
     * PROTO_EV_OPENED or PROTO_EV_ERROR), 0 when the connection is usable now, -1 when out of
     * memory. NULL: usable at once. */
    int (*open)(void *st, const spec_scenario_t *sc, const tmpl_ctx_t *ctx, sbuf_t *out);
    /* A received message of len bytes (not NUL-terminated): the object
     * predicates, counts and captures see (the caller frees it with
     * cJSON_Delete), or NULL when there is none; rx->event says what else
     * it meant. */
    cJSON *(*parse)(void *st, const char *msg, size_t len, proto_rx_t *rx);
    /* Appends the frame of step into out (after the LWS_PRE bytes there).
     * Returns 0, or -1 when out of memory. NULL: the step's send template
     * as it renders. */
    int (*frame)(void *st, const spec_step_t *step, const tmpl_ctx_t *ctx, sbuf_t *out);
    /* Keep-alive, first when the handshake is done, then when the delay it
     * returned has passed: puts a heart-beat into out when one is due
     * (out->len grows), and a missed peer heart-beat into missed (else
     * missed[0] is NUL). Returns the next delay in us, 0 for none. NULL:
     * none. */
    uint64_t (*keepalive)(void *st, uint64_t now, sbuf_t *out, char *missed, size_t n);
    /* The user closes a usable connection: puts a goodbye frame into out.
     * Returns 1 when its answer (PROTO_EV_CLOSED) is worth waiting for, 2
     * when it has more frames to send (called again when writable), 0 when
     * nothing was added, -1 when out of memory. NULL: none. */
    int (*close)(void *st, sbuf_t *out);
    /* The request path to ask for, in out (n bytes), given the path and
     * query of the rendered URL (upath, "/" when it has none). Returns 0,
     * or -1 when it does not fit. NULL: upath as is. */
    int (*url_path)(const spec_scenario_t *sc, const char *upath, char *out, size_t n);
} proto_t;

/* The protocol of p; never NULL (json for an unknown value). */
const proto_t *proto_get(spec_protocol_t p);

extern const proto_t proto_json;
extern const proto_t proto_text;
extern const proto_t proto_stomp;
extern const proto_t proto_socketio;
extern const proto_t proto_graphql;
extern const proto_t proto_graphql_apollo;

#endif
