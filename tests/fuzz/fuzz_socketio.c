/* fuzz_socketio: feeds any bytes to one protocol socketio connection as a
 * hostile server would: split at 0x1e into WebSocket messages (an open
 * packet, pings, events, acks, binary attachments, garbage after a packet),
 * then whole, then cut at every tenth byte (a packet split across
 * messages); an emit with an ack waits meanwhile. Malformed packets must be
 * counted protocol errors, never crashes or leaks. */
#include "fuzz.h"

#include "engine/proto/proto.h"
#include "engine/proto/socketio.h"

static void feed(const proto_t *p, void *st, const char *msg, size_t len)
{
    sbuf_t reply = SBUF_INIT;
    proto_rx_t rx = { .reply = &reply };
    cJSON_Delete(p->parse(st, msg, len, &rx));
    sbuf_free(&reply);
    rx = (proto_rx_t){ .reply = NULL }; /* no answer possible (as the engine allows) */
    cJSON_Delete(p->parse(st, msg, len, &rx));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    static spec_sio_conn_t sio = { .path = "/socket.io/", .nsp = "/" };
    static spec_sio_emit_t em = { .event = "\"chat\"", .ack = true };
    spec_scenario_t sc = { .protocol = SPEC_PROTO_SOCKETIO, .socketio = &sio };
    spec_step_t step = { .emit = &em };
    const proto_t *p = proto_get(SPEC_PROTO_SOCKETIO);
    void *st = calloc(1, p->state_size);
    tmpl_ctx_t ctx = { .vu_id = 1 };
    sbuf_t out = SBUF_INIT;
    char missed[200];
    if (!st)
        abort();
    p->open(st, &sc, &ctx, &out);
    p->frame(st, &step, &ctx, &out);
    for (size_t at = 0; at <= size;) {
        const char *rs = memchr(d + at, 0x1e, size - at);
        size_t end = rs ? (size_t)(rs - d) : size;
        feed(p, st, d + at, end - at);
        at = end + 1;
    }
    p->keepalive(st, 0, &out, missed, sizeof(missed));
    feed(p, st, d, size);
    for (size_t cut = 0; cut < size && cut < 4096; cut += 10)
        feed(p, st, d, cut);
    sbuf_truncate(&out, 0);
    sio_put_event(&out, "/x", true, 7, "\"e\"", d, size);
    sbuf_free(&out);
    free(st);
    return 0;
}
