/* serve: the embedded target server (wsgate serve), a libwebsockets server
 * speaking the reference guide's chat protocol on /ws/chat:
 *   - the upgrade needs ?token=... in the query, else it is refused (401);
 *   - {"action":"subscribe","channel":C,...} -> {"type":"subscription_confirmed","channel":C}
 *   - {"action":"publish","channel":C,"message":M} -> {"type":"message_ack","id":M.id}
 *     to the sender (after ack_delay), and {"type":"message","channel":C,"message":M}
 *     to every other subscriber of C;
 *   - anything else -> {"type":"error","reason":"..."}.
 * Also (added by serve.c): {"action":"unsubscribe","channel":C} ->
 * {"type":"unsubscribed","channel":C}; {"action":"ping"} -> {"type":"pong"}.
 * The ack of a message without "id" has no "id". Error reasons: "invalid JSON",
 * "expected a JSON object", "missing action", "unknown action",
 * "missing channel", "missing message". ack_delay applies to acks,
 * confirmations and pongs; errors and broadcasts go at once.
 * Other paths get 404. Limits: a message over 1 MiB closes the connection
 * (1009); a connection with over 4 MiB queued (slow consumer) is closed.
 * It binds 127.0.0.1 by default. */
#ifndef WSGATE_SERVE_H
#define WSGATE_SERVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct serve_opts {
    const char *host;      /* --host, default "127.0.0.1" */
    int port;              /* --port, 0 = pick a free port */
    uint64_t ack_delay_us; /* --ack-delay: delay before every ack/confirm */
} serve_opts_t;

typedef struct server server_t;

/* Starts a server on its own thread. Returns it, with the bound port in
 * *port_out, or NULL with a reason in err. Stop it with serve_stop(). */
server_t *serve_start(const serve_opts_t *opts, int *port_out, char *err, size_t errlen);

/* Stops the thread, closes every connection, frees the server. */
void serve_stop(server_t *s);

/* Runs in the foreground until SIGINT/SIGTERM (wsgate serve). Prints the
 * listening address on stdout. Returns a process exit code. */
int serve_main(const serve_opts_t *opts);

#endif
