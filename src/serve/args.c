/* serve_args: the command line of `wsgate serve` (see serve.h). */
#include "serve/serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char serve_usage_text[] =
    "  --host ADDR                 address to listen on (default 127.0.0.1)\n"
    "  --port N                    port, 0 picks a free one (default 8080)\n"
    "  --ack-delay D               delay before every reply to a request: 300ms,\n"
    "                              between(100ms, 300ms) or exponential(200ms)\n"
    "  --broadcasts-before-ack N   send N unrelated pushes before each reply\n"
    "  --push-interval D           notification push period per connection (default 1s)\n"
    "  --quote-rate N              quotes per second per connection (default 10)\n"
    "  --push-delay D              send each notification and quote D after stamping it\n"
    "  --fanout-delay D            relay each chat message and operation D after receipt\n"
    "  --drop-after D              close picked connections D after they open\n"
    "  --drop-fraction F           fraction of connections picked, 0..1 (e.g. 0.1)\n"
    "  --drop-abrupt               cut the TCP connection instead of a 1001 close\n"
    "  --drop-at D                 close every connection D after the start, all at\n"
    "                              once (one opened later: as it opens)\n"
    "  --stall-after D             with --stall-for: stall each connection D after it opens\n"
    "  --stall-for D               hold replies to requests for D, then send them in order\n"
    "  --refuse-auth               answer every login and upgrade with 401\n"
    "  --tls                       wss/https with a new self-signed certificate\n"
    "  --tls-cert-out FILE         write that certificate (PEM) to FILE\n"
    "  --tls-client-ca FILE        require client certificates signed by a CA in FILE\n"
    "  --accept-rate N             upgrade at most N connections a second; the others\n"
    "                              wait, unanswered, in order (a server falling behind)\n"
    "  --threads N                 service threads sharing the port (default 1)\n"
    "  --max-connections N         connections held at once at most (default 65536):\n"
    "                              sizes the open-file limit to N + 1024\n"
    "  --leak-per-message SIZE     test aid: keep SIZE bytes (e.g. 1KB) per received\n"
    "                              message, so memory grows like a real leak\n"
    "  --max-queued SIZE           close a connection (a slow consumer) with more than\n"
    "                              SIZE waiting to be sent to it (default 4MB)\n"
    "  --reuse-port                let other wsgate serve processes share the port\n"
    "                              (SO_REUSEPORT), e.g. past one process's file limit\n"
    "  --deflate                   accept permessage-deflate (compressed messages) when\n"
    "                              a client offers it\n";

const char *serve_usage(void)
{
    return serve_usage_text;
}

/* A whole decimal number in [lo, hi]. */
static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_fraction(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

/* --ack-delay: a constant duration, or a distribution. */
static int parse_ack_delay(const char *val, serve_opts_t *o, char *err, size_t errlen)
{
    char why[160];
    if (!val) {
        snprintf(err, errlen, "--ack-delay needs a duration such as 300ms");
        return -1;
    }
    if (strchr(val, '(')) {
        if (units_parse_pause(val, &o->ack_delay_dist, why, sizeof(why)) == 0)
            return 0;
    } else if (units_parse_duration(val, &o->ack_delay_us, why, sizeof(why)) == 0) {
        o->ack_delay_dist.kind = PAUSE_NONE;
        return 0;
    }
    snprintf(err, errlen, "--ack-delay \"%s\": %s", val, why);
    return -1;
}

static int parse_duration_opt(const char *name, const char *val, uint64_t *out, char *err,
                              size_t errlen)
{
    char why[160];
    if (!val) {
        snprintf(err, errlen, "%s needs a duration such as 500ms", name);
        return -1;
    }
    if (units_parse_duration(val, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s \"%s\": %s", name, val, why);
        return -1;
    }
    return 0;
}

/* --leak-per-message SIZE: at most 1 MiB a message. */
static int parse_leak(const char *val, serve_opts_t *o, char *err, size_t errlen)
{
    char why[160];
    double v;
    if (!val || units_parse_bytes(val, &v, why, sizeof(why)) < 0 || v > 1048576.0) {
        snprintf(err, errlen, "--leak-per-message needs a size from 0 to 1MB, such as 1KB");
        return -1;
    }
    o->leak_per_message = (size_t)v;
    return 0;
}

/* --max-queued SIZE: from 4 KiB to 1 GiB. */
static int parse_max_queued(const char *val, serve_opts_t *o, char *err, size_t errlen)
{
    char why[160];
    double v;
    if (!val || units_parse_bytes(val, &v, why, sizeof(why)) < 0 || v < 4096.0 ||
        v > 1073741824.0) {
        snprintf(err, errlen, "--max-queued needs a size from 4KB to 1GB, such as 256KB");
        return -1;
    }
    o->max_queued = (size_t)v;
    return 0;
}

/* Options that take no value; returns 1 when name was one. */
static int parse_flag(const char *name, serve_opts_t *o)
{
    if (strcmp(name, "--refuse-auth") == 0)
        o->refuse_auth = true;
    else if (strcmp(name, "--tls") == 0)
        o->tls = true;
    else if (strcmp(name, "--drop-abrupt") == 0)
        o->drop_abrupt = true;
    else if (strcmp(name, "--reuse-port") == 0)
        o->reuse_port = true;
    else if (strcmp(name, "--deflate") == 0)
        o->deflate = true;
    else
        return 0;
    return 1;
}

static int number_error(const char *name, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s needs %s", name, what);
    return -1;
}

/* One option with a value; returns 0, or -1 with a reason. */
static int parse_valued(const char *name, const char *val, serve_opts_t *o, char *err,
                        size_t errlen)
{
    unsigned long n;
    if (strcmp(name, "--host") == 0) {
        if (!val || !*val)
            return number_error(name, "an address such as 127.0.0.1", err, errlen);
        o->host = val;
    } else if (strcmp(name, "--port") == 0) {
        if (parse_ulong(val, 0, 65535, &n) < 0)
            return number_error(name, "a port number from 0 to 65535", err, errlen);
        o->port = (int)n;
    } else if (strcmp(name, "--ack-delay") == 0) {
        return parse_ack_delay(val, o, err, errlen);
    } else if (strcmp(name, "--stall-after") == 0 || strcmp(name, "--stall-for") == 0) {
        return parse_duration_opt(name, val, name[8] == 'a' ? &o->stall_after_us : &o->stall_for_us,
                                  err, errlen);
    } else if (strcmp(name, "--push-interval") == 0 || strcmp(name, "--drop-after") == 0) {
        uint64_t *dst = name[2] == 'p' ? &o->push_interval_us : &o->drop_after_us;
        if (parse_duration_opt(name, val, dst, err, errlen) < 0)
            return -1;
        if (dst == &o->push_interval_us && *dst < 1000)
            return number_error(name, "at least 1ms", err, errlen);
    } else if (strcmp(name, "--drop-at") == 0) {
        if (parse_duration_opt(name, val, &o->drop_at_us, err, errlen) < 0)
            return -1;
        if (o->drop_at_us < 1000)
            return number_error(name, "at least 1ms", err, errlen);
    } else if (strcmp(name, "--max-connections") == 0) {
        if (parse_ulong(val, 1, 1000000, &n) < 0)
            return number_error(name, "a whole number of connections, 1 to 1000000", err, errlen);
        o->max_connections = (unsigned)n;
    } else if (strcmp(name, "--push-delay") == 0) {
        return parse_duration_opt(name, val, &o->push_delay_us, err, errlen);
    } else if (strcmp(name, "--fanout-delay") == 0) {
        return parse_duration_opt(name, val, &o->fanout_delay_us, err, errlen);
    } else if (strcmp(name, "--quote-rate") == 0) {
        if (parse_ulong(val, 1, 100000, &n) < 0)
            return number_error(name, "a whole number of quotes per second, 1 to 100000", err,
                                errlen);
        o->quote_rate = (unsigned)n;
    } else if (strcmp(name, "--drop-fraction") == 0) {
        if (parse_fraction(val, &o->drop_fraction) < 0)
            return number_error(name, "a fraction from 0 to 1, such as 0.1", err, errlen);
    } else if (strcmp(name, "--broadcasts-before-ack") == 0) {
        if (parse_ulong(val, 0, 1000, &n) < 0)
            return number_error(name, "a whole number from 0 to 1000", err, errlen);
        o->broadcasts_before_ack = (unsigned)n;
    } else if (strcmp(name, "--accept-rate") == 0) {
        if (parse_ulong(val, 1, 1000000, &n) < 0)
            return number_error(name, "a whole number of connections per second, 1 to 1000000", err,
                                errlen);
        o->accept_rate = (unsigned)n;
    } else if (strcmp(name, "--threads") == 0) {
        if (parse_ulong(val, 1, 256, &n) < 0)
            return number_error(name, "a whole number from 1 to 256", err, errlen);
        o->threads = (unsigned)n;
    } else if (strcmp(name, "--leak-per-message") == 0) {
        return parse_leak(val, o, err, errlen);
    } else if (strcmp(name, "--max-queued") == 0) {
        return parse_max_queued(val, o, err, errlen);
    } else if (strcmp(name, "--tls-cert-out") == 0 || strcmp(name, "--tls-client-ca") == 0) {
        if (!val || !*val)
            return number_error(name, "a file name", err, errlen);
        if (strcmp(name, "--tls-cert-out") == 0)
            o->tls_cert_out = val;
        else
            o->tls_client_ca = val;
    } else {
        snprintf(err, errlen, "unknown serve option \"%s\"", name);
        return -1;
    }
    return 0;
}

int serve_parse_args(int argc, char **argv, serve_opts_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 8080;
    for (int i = 0; i < argc; i++) {
        if (parse_flag(argv[i], o))
            continue;
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (parse_valued(argv[i], val, o, err, errlen) < 0)
            return -1;
        i++;
    }
    if (o->stall_after_us && !o->stall_for_us) {
        snprintf(err, errlen, "--stall-after needs --stall-for D, how long the stall lasts");
        return -1;
    }
    if (o->drop_at_us && o->drop_after_us) {
        snprintf(err, errlen, "--drop-at and --drop-after: give one of them");
        return -1;
    }
    if ((o->tls_cert_out || o->tls_client_ca) && !o->tls) {
        snprintf(err, errlen, "%s needs --tls",
                 o->tls_cert_out ? "--tls-cert-out" : "--tls-client-ca");
        return -1;
    }
    return 0;
}
