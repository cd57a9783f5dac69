/* serve: the embedded target server (wsgate serve), a libwebsockets server
 * speaking the four protocols of the reference guide. Every message below is
 * one WebSocket text frame holding one JSON object; the exact key order shown
 * is what is sent.
 *
 * Timestamps: "ts" is the server's send time in whole ms since the epoch and
 * "ts_us" the same instant in whole microseconds (push latency to the us).
 *
 * HTTP  POST /api/auth/login and POST /api/v1/auth/login (the guide's path)
 *   body {"username"|"email": U, "password": P} (both non-empty strings)
 *   -> 200 {"access_token":T,"token_type":"bearer","username":U} with header
 *      Set-Cookie: session=T; Path=/; HttpOnly
 *   -> 400 {"error":"..."} for a body that is not that; 405 for another method;
 *   -> 401 {"error":"login refused"} with --refuse-auth. Other paths: 404.
 *   Tokens are "wsg-<16 hex>-<32 hex HMAC>", valid for this server's life.
 *
 * /ws/chat?token=T (any non-empty T; else 401)              WebSocketChatUser
 *   {"action":"subscribe","channel":C,...} -> {"type":"subscription_confirmed","channel":C}
 *   {"action":"unsubscribe","channel":C}   -> {"type":"unsubscribed","channel":C}
 *   {"action":"publish","channel":C,"message":M}
 *       -> {"type":"message_ack","id":M.id,"channel":C} to the sender ("id"
 *          left out when M has none), and
 *          {"type":"message","channel":C,"message":M} to every other subscriber.
 *   {"action":"ping"} -> {"type":"pong"}
 *   anything else -> {"type":"error","reason":R}, R one of "invalid JSON",
 *   "expected a JSON object", "missing action", "unknown action",
 *   "missing channel", "missing message".
 *
 * /ws/notifications and /v1/realtime/notifications     RealtimeNotificationsUser
 *   upgrade needs "Authorization: Bearer T" or "Cookie: session=T" with a T
 *   issued by the login above; else 401.
 *   {"type":"subscribe","topics":[T1,...]} -> {"type":"subscribed","topics":[T1,...]}
 *   {"type":"unsubscribe","topics":[...]}  -> {"type":"unsubscribed","topics":[...]}
 *   {"type":"ping","ts":X}                 -> {"type":"pong","ts":X,"server_ts_us":U}
 *       ("ts" echoes whatever the client sent; left out when it sent none)
 *   every --push-interval, to each connection with topics, one event for its
 *   next topic (round robin):
 *       {"type":K,"topic":T,"id":N,"ts":MS,"ts_us":US}
 *   K is "order_update" for topics ending ".orders", "invoice_ready" for
 *   ".billing", else "notification"; N counts events on the connection from 1.
 *   errors: {"type":"error","reason":R}, R one of "invalid JSON",
 *   "expected a JSON object", "missing type", "unknown type",
 *   "topics must be a non-empty array of strings".
 *
 * /ws/quotes?clientId=...&format=json                        MarketDataUser
 *   {"op":"subscribe","streams":["quotes.SYM",...],"snapshot":true}
 *       -> {"op":"subscribed","streams":[...]}
 *       then, unless "snapshot" is false,
 *          {"type":"snapshot","quotes":[{"stream":S,"symbol":SYM,"bid":B,"ask":A,"last":L},...],
 *           "ts":MS,"ts_us":US}
 *       then --quote-rate quotes per second on the connection, round robin
 *       over its streams:
 *          {"type":"quote","stream":S,"symbol":SYM,"seq":N,"bid":B,"ask":A,"last":L,
 *           "ts":MS,"ts_us":US}
 *       (SYM is S without a leading "quotes."; N counts from 1 per connection)
 *   {"op":"unsubscribe","streams":[...]} -> {"op":"unsubscribed","streams":[...]}
 *   errors: {"type":"error","reason":R}, R one of "invalid JSON",
 *   "expected a JSON object", "missing op", "unknown op",
 *   "streams must be a non-empty array of strings".
 *
 * /ws/collaboration?session=S (any non-empty S; else 401)
 *                                                  ReconnectingCollaborationUser
 *   {"action":"join_document","documentId":D,"presence":P}
 *       -> {"type":"document_joined","documentId":D,"sequence":N,"participants":K}
 *          (N = the document's last sequence number, K counts this connection)
 *   {"action":"apply_operation","documentId":D,"operation":O,"clientTimestamp":X}
 *       -> {"type":"operation_applied","documentId":D,"sequence":N,"clientTimestamp":X}
 *          to the sender (N = the document's next sequence number, from 1),
 *          and {"type":"operation","documentId":D,"sequence":N,"operation":O,
 *          "ts":MS,"ts_us":US} to every other participant of D.
 *   {"action":"resume_session","documentId":D,"lastSequence":L}
 *       -> {"type":"session_resumed","documentId":D,"sequence":N,"lastSequence":L,
 *           "missed":[operation messages with sequence > L],"complete":B}
 *          and joins D. The last 64 operations of each document are kept;
 *          B is false when some missed ones are older than that.
 *   {"action":"leave_document","documentId":D} -> {"type":"document_left","documentId":D}
 *   errors: {"type":"error","reason":R}, R one of "invalid JSON",
 *   "expected a JSON object", "missing action", "unknown action",
 *   "missing documentId", "missing operation", "join the document first".
 *
 * Knobs (serve_opts_t, zero = off/default):
 *   --ack-delay D|between(a,b)|exponential(m): delay before every reply that
 *       answers a request (acks, confirmations, pongs, joins, resumes);
 *       errors, pushes and broadcasts go at once.
 *   --broadcasts-before-ack N: before each such reply, N unrelated messages of
 *       the path's push kind go to the requester first:
 *       chat  {"type":"message","channel":"noise","message":{"id":"noise-K","text":"unrelated"}}
 *       notif {"type":"notification","topic":"noise","id":"noise-K","ts":MS,"ts_us":US}
 *       quote {"type":"quote","stream":"quotes.NOISE","symbol":"NOISE","seq":0,...}
 *             (quotes has no request with a reply but subscribe; the snapshot
 *             follows the "subscribed" reply with the same delay)
 *       collab {"type":"operation","documentId":"noise","sequence":0,"operation":{}}
 *   --push-interval D (default 1s), --quote-rate N (default 10 per second).
 *   --push-delay D: each notification event and each quote is stamped
 *       ("ts", "ts_us") and then sent D later, so its push latency is D plus
 *       the transport (a known delay to check latency_from against).
 *   --fanout-delay D: each chat message and each collaboration operation is
 *       relayed to the other members D after the server got it (operations
 *       are stamped before the delay), so fan-out latency measured from the
 *       sender's clock is D plus the transport.
 *   Subprotocols: /ws/chat accepts the subprotocol "chat.v1" when the client
 *       offers it (Sec-WebSocket-Protocol) and answers with it; an upgrade
 *       offering only subprotocols its path does not accept (every one on the
 *       other paths) is refused with 400.
 *   --drop-after D --drop-fraction F: each new connection is picked with
 *       probability F and closed D after it opened, with close code 1001
 *       ("going away"); with --drop-abrupt the TCP connection is cut without
 *       a close frame instead (the client sees 1006).
 *   --drop-at D: every connection still open D after the server started is
 *       closed then, all at once (1001, or cut with --drop-abrupt); one that
 *       opens later is closed as soon as it opens. Not with --drop-after.
 *   --stall-after A --stall-for D: replies to requests that arrive from A to
 *       A + D after their connection opened all wait until A + D (a server
 *       that stalls for D), then go out in order; pushes are not held.
 *   --refuse-auth: every upgrade and every login gets 401.
 *   --tls: wss/https with a self-signed certificate for localhost and
 *       127.0.0.1 made at start (temporary files, removed once loaded);
 *       --tls-cert-out FILE writes that certificate (PEM) for clients to trust.
 *       --tls-client-ca FILE: every client must present a certificate that
 *       the CAs in FILE (PEM) sign, else the TLS handshake fails.
 *   --accept-rate N: a server that accepts slowly: connections are
 *       accepted at once but read (so upgraded) at most N a second in all
 *       (shared by the threads), in order; the others wait with their
 *       upgrade request unanswered.
 *   --threads N: N service threads, each its own lws context and its own
 *       SO_REUSEPORT socket on the one port (the kernel spreads connections);
 *       chat rooms and documents span all threads. Per connection: a 1 KiB lws rx
 *       buffer plus queued messages (at most 4 MiB, then it is closed).
 *   --max-connections N: serve_main sets the soft open-file limit to N +
 *       SERVE_FD_HEADROOM (default N 65,536), within the hard limit: raised
 *       from the usual 1,024, lowered from a far higher one, since
 *       libwebsockets sizes each context's fd table by it and Debian's 4.1
 *       scans that table on every close and every connect. A connection
 *       whose descriptor lands past it is refused.
 *   --leak-per-message SIZE: a test aid that leaks on purpose: every received
 *       message allocates SIZE bytes, writes them (so resident memory
 *       grows) and keeps them until the server stops.
 * GET /metrics: Prometheus text exposition of the server's own figures:
 *   process_resident_memory_bytes, process_cpu_seconds_total,
 *   wsgate_serve_connections{protocol=P} (open WebSocket connections, P one
 *   of chat notifications quotes collaboration),
 *   wsgate_serve_messages_received_total, wsgate_serve_messages_sent_total,
 *   wsgate_serve_leaked_bytes_total (--leak-per-message),
 *   wsgate_serve_slow_consumer_cuts_total (connections closed as slow
 *   consumers, below).
 * Other paths get 404. Limits: a message over 1 MiB closes the connection
 * (1009); a connection with over 4 MiB queued (--max-queued SIZE; a slow
 * consumer) is closed without a close frame and counted in
 * wsgate_serve_slow_consumer_cuts_total.
 * It binds 127.0.0.1 by default. */
#ifndef WSGATE_SERVE_H
#define WSGATE_SERVE_H

#include "base/units.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct serve_opts {
    const char *host;               /* --host, default "127.0.0.1" */
    int port;                       /* --port, 0 = pick a free port */
    uint64_t ack_delay_us;          /* --ack-delay DURATION: delay before every ack/confirm */
    pause_t ack_delay_dist;         /* --ack-delay between(..)/exponential(..); overrides */
    uint64_t push_interval_us;      /* --push-interval, 0 = 1s */
    unsigned quote_rate;            /* --quote-rate per second per connection, 0 = 10 */
    uint64_t drop_after_us;         /* --drop-after */
    double drop_fraction;           /* --drop-fraction 0..1, 0 = never drop */
    bool drop_abrupt;               /* --drop-abrupt: cut TCP instead of a 1001 close */
    bool refuse_auth;               /* --refuse-auth */
    unsigned broadcasts_before_ack; /* --broadcasts-before-ack */
    bool tls;                       /* --tls */
    const char *tls_cert_out;       /* --tls-cert-out FILE */
    const char *tls_client_ca;      /* --tls-client-ca FILE: require client certificates */
    unsigned threads;               /* --threads, 0 = 1 */
    bool reuse_port;                /* --reuse-port: processes share the port */
    uint64_t stall_after_us;  /* --stall-after D: a stall starts D after each connection opens */
    uint64_t stall_for_us;    /* --stall-for D: and lasts D; 0 = no stall */
    uint64_t push_delay_us;   /* --push-delay: stamp a push, send it this much later */
    uint64_t fanout_delay_us; /* --fanout-delay: relay a broadcast this much later */
    unsigned accept_rate;     /* --accept-rate N: take on at most N connections a second; 0 = any */
    size_t leak_per_message;  /* --leak-per-message SIZE: keep SIZE bytes per message (test aid) */
    size_t max_queued;        /* --max-queued SIZE: cut a connection with more queued; 0 = 4 MiB */
    bool deflate;             /* --deflate: accept permessage-deflate (RFC 7692) */
    uint64_t drop_at_us;      /* --drop-at D: close every connection D after the start; 0 = never */
    unsigned max_connections; /* --max-connections N: sizes serve_main's open-file limit; 0 = */
                              /* SERVE_DEFAULT_MAX_CONNECTIONS */
} serve_opts_t;

#define SERVE_DEFAULT_MAX_CONNECTIONS 65536u
#define SERVE_FD_HEADROOM 1024u /* open files beside the connections (listeners, timers, ...) */

typedef struct server server_t;

/* Starts a server on its own thread(s). Returns it, with the bound port in
 * *port_out, or NULL with a reason in err. Stop it with serve_stop(). */
server_t *serve_start(const serve_opts_t *opts, int *port_out, char *err, size_t errlen);

/* Stops the threads, closes every connection, frees the server. */
void serve_stop(server_t *s);

/* Runs in the foreground until SIGINT/SIGTERM (wsgate serve). Sets the
 * soft open-file limit to --max-connections + SERVE_FD_HEADROOM (within the
 * hard limit) first. Prints the listening address on
 * stdout. Returns a process exit code. */
int serve_main(const serve_opts_t *opts);

/* Parses the options of `wsgate serve` (argv excludes "serve") into *o,
 * starting from the defaults (host 127.0.0.1, port 8080). Strings in *o
 * point into argv. Returns 0, or -1 with a one-line reason in err. */
int serve_parse_args(int argc, char **argv, serve_opts_t *o, char *err, size_t errlen);

/* The option help lines of `wsgate serve`, each ending in a newline. */
const char *serve_usage(void);

#endif
