/* socketio: Engine.IO v4 / Socket.IO v5 packets split and written; see socketio.h. */
#include "engine/proto/socketio.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SIO_MAX_ATTACHMENTS 1000
#define SIO_MAX_ID 1000000000000ull

/* Reads decimal digits at *i into *v (at most max). Returns the number of
 * digits, or -1 when the value passes max. */
static int digits(const char *m, size_t len, size_t *i, uint64_t max, uint64_t *v)
{
    int n = 0;
    *v = 0;
    while (*i < len && m[*i] >= '0' && m[*i] <= '9') {
        *v = *v * 10 + (uint64_t)(m[*i] - '0');
        if (*v > max)
            return -1;
        (*i)++;
        n++;
    }
    return n;
}

/* The Socket.IO part of an Engine.IO message packet, from m[1]. */
static int decode_sio(const char *m, size_t len, sio_packet_t *p, char *err, size_t errlen)
{
    size_t i = 1;
    uint64_t v;
    if (i >= len || m[i] < '0' || m[i] > '6') {
        snprintf(err, errlen, "unknown Socket.IO packet type '%c'", i < len ? m[i] : ' ');
        return -1;
    }
    p->type = m[i++];
    if (p->type == '5' || p->type == '6') {
        int n = digits(m, len, &i, SIO_MAX_ATTACHMENTS, &v);
        if (n <= 0 || i >= len || m[i] != '-') {
            snprintf(err, errlen, "binary packet without a valid attachment count");
            return -1;
        }
        p->attachments = (unsigned)v;
        i++;
    }
    if (i < len && m[i] == '/') {
        const char *comma = memchr(m + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - m) : len;
        p->nsp = m + i;
        p->nsp_len = end - i;
        i = comma ? end + 1 : len;
    }
    int n = digits(m, len, &i, SIO_MAX_ID, &p->id);
    if (n < 0) {
        snprintf(err, errlen, "ack id over %" PRIu64, (uint64_t)SIO_MAX_ID);
        return -1;
    }
    p->has_id = n > 0;
    p->data = m + i;
    p->data_len = len - i;
    return 0;
}

int sio_decode(const char *msg, size_t len, sio_packet_t *p, char *err, size_t errlen)
{
    *p = (sio_packet_t){ .nsp = "/", .nsp_len = 1 };
    err[0] = '\0';
    if (len == 0) {
        snprintf(err, errlen, "empty Engine.IO packet");
        return -1;
    }
    if (msg[0] < '0' || msg[0] > '6') {
        snprintf(err, errlen, "unknown Engine.IO packet type 0x%02x", (unsigned char)msg[0]);
        return -1;
    }
    p->eio = msg[0];
    p->data = msg + 1;
    p->data_len = len - 1;
    return p->eio == '4' ? decode_sio(msg, len, p, err, errlen) : 0;
}

int sio_put_event(sbuf_t *out, const char *nsp, bool has_id, uint64_t id, const char *event,
                  const char *args, size_t args_len)
{
    int rc = sbuf_puts(out, "42");
    if (rc == 0 && strcmp(nsp, "/") != 0)
        rc = sbuf_printf(out, "%s,", nsp);
    if (rc == 0 && has_id)
        rc = sbuf_printf(out, "%" PRIu64, id);
    if (rc == 0)
        rc = sbuf_printf(out, "[%s", event);
    /* the array's elements: between its first '[' and its last ']' */
    const char *open = args ? memchr(args, '[', args_len) : NULL;
    size_t end = args_len;
    while (open && end > 0 && args[end - 1] != ']')
        end--;
    if (open && end > 0 && args + end - 1 > open) {
        const char *in = open + 1;
        size_t n = (size_t)(args + end - 1 - in);
        size_t k = 0;
        while (k < n && (in[k] == ' ' || in[k] == '\t' || in[k] == '\n' || in[k] == '\r'))
            k++;
        if (rc == 0 && k < n)
            rc = sbuf_putc(out, ',') == 0 ? sbuf_append(out, in, n) : -1;
    }
    return rc == 0 ? sbuf_putc(out, ']') : -1;
}
