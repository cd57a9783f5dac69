/* steps: one step of send, expect, sleep, pause_reading, send_binary, close or reconnect; see
 * spec_int.h. */
#include "spec/spec_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* expect: the predicate, fail_if, latency_from and captures.           */

/* expect.fail_if: a message matching it ends the wait as a failure
 * (unexpected_message) instead of waiting for the timeout. */
static int compile_fail_if(spec_ctx_t *c, const char *base, const char *src, spec_step_t *out)
{
    char fpath[256], why[1024];
    snprintf(fpath, sizeof(fpath), "%.200s.expect.fail_if", base);
    if (!(out->fail_if_src = diag_strdup(c, src)))
        return -1;
    out->fail_if = pred_compile_scoped(src, &c->scope, why, sizeof(why));
    if (!out->fail_if)
        return diag_fail_at(c, fpath, "bad predicate in %s: %s", fpath, why);
    return 0;
}

/* expect.latency_from / expect.unit: the step's latency is the wall clock
 * minus a timestamp the server put in the message (push latency). */
int step_latency_from(spec_ctx_t *c, const char *base, const char *from, const char *unit,
                      spec_step_t *out)
{
    char lpath[256], upath[256], why[512];
    snprintf(lpath, sizeof(lpath), "%.200s.latency_from", base);
    snprintf(upath, sizeof(upath), "%.200s.unit", base);
    out->latency_unit_us = 1000;
    if (!from) {
        if (unit)
            return diag_fail_at(c, upath, "%s without latency_from; add latency_from: ts", upath);
        return 0;
    }
    if (unit && strcmp(unit, "us") == 0)
        out->latency_unit_us = 1;
    else if (unit && strcmp(unit, "ms") != 0)
        return diag_fail_at(c, upath, "%s is \"%s\"; write unit: ms or unit: us", upath, unit);
    if (!(out->latency_from_src = diag_strdup(c, from)))
        return -1;
    out->latency_from = pred_path_compile(from, why, sizeof(why));
    if (!out->latency_from)
        return diag_fail_at(c, lpath, "bad field path in %s: %s", lpath, why);
    return 0;
}

/* expect.capture / count capture at cpath: name: PATH of the matched
 * message (the names are slots already, see names_collect_slots). */
int step_captures(spec_ctx_t *c, const char *cpath, spec_step_t *st)
{
    char why[512];
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map) || map->nkids == 0)
        return 0;
    if (!(st->captures = calloc(map->nkids, sizeof(*st->captures))))
        return diag_oom(c);
    for (size_t i = 0; i < map->nkids; i++) {
        const yloc_node_t *kv = map->kids[i];
        spec_capture_t *cap = &st->captures[i];
        cap->slot = names_find_slot(c, kv->key);
        st->ncaptures++;
        if (!(cap->src = diag_strdup(c, kv->value)))
            return -1;
        cap->json = pred_path_compile(kv->value, why, sizeof(why));
        if (!cap->json)
            return diag_fail_line(c, kv->line,
                                  "%s.%s: bad field path \"%.60s\": %s; write e.g. capture: "
                                  "{last_seq: sequence}",
                                  cpath, kv->key, kv->value, why);
    }
    return 0;
}

static int compile_expect(spec_ctx_t *c, const char *base, const raw_expect_t *ex, spec_step_t *out)
{
    char mpath[256], tpath[256], why[1024];
    snprintf(mpath, sizeof(mpath), "%.200s.expect.match", base);
    snprintf(tpath, sizeof(tpath), "%.200s.expect.timeout", base);
    if (!ex->match[0])
        return diag_fail_at(c, mpath, "%s is empty; write e.g. match: 'type == \"ack\"'", mpath);
    if (!(out->expect_src = diag_strdup(c, ex->match)))
        return -1;
    out->expect = pred_compile_scoped(ex->match, &c->scope, why, sizeof(why));
    if (!out->expect)
        return diag_fail_at(c, mpath, "bad predicate in %s: %s", mpath, why);
    if (ex->fail_if && compile_fail_if(c, base, ex->fail_if, out) < 0)
        return -1;
    char epath[256];
    snprintf(epath, sizeof(epath), "%.200s.expect", base);
    if (step_latency_from(c, epath, ex->latency_from, ex->unit, out) < 0)
        return -1;
    snprintf(epath, sizeof(epath), "%.200s.expect.capture", base);
    if (step_captures(c, epath, out) < 0)
        return -1;
    return field_timeout(c, tpath, ex->timeout, &out->expect_timeout_us);
}

/* ------------------------------------------------------------------ */
/* send_binary and close.                                               */

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int b64_digit(char ch)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = ch ? strchr(abc, ch) : NULL;
    return p ? (int)(p - abc) : -1;
}

/* "hex:0a ff" (spaces allowed) -> bytes. Returns the length or -1. */
static long decode_hex(const char *src, unsigned char *out)
{
    long n = 0;
    int hi = -1;
    for (; *src; src++) {
        if (*src == ' ')
            continue;
        int d = hex_digit(*src);
        if (d < 0)
            return -1;
        if (hi < 0) {
            hi = d;
        } else {
            out[n++] = (unsigned char)(hi << 4 | d);
            hi = -1;
        }
    }
    return hi < 0 ? n : -1;
}

/* Standard base64 with optional '=' padding -> bytes, or -1. */
static long decode_b64(const char *src, unsigned char *out)
{
    long n = 0;
    unsigned acc = 0, bits = 0;
    for (; *src && *src != '='; src++) {
        int d = b64_digit(*src);
        if (d < 0)
            return -1;
        acc = (acc << 6 | (unsigned)d) & 0xffffff;
        if ((bits += 6) >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    for (; *src == '='; src++)
        ;
    return *src ? -1 : n;
}

#define SPEC_MAX_BINARY (1u << 20)

/* send_binary: hex:..., base64:... or random(N). */
static int compile_binary(spec_ctx_t *c, const char *ypath, const char *src, spec_step_t *out)
{
    char bpath[256];
    snprintf(bpath, sizeof(bpath), "%.200s.send_binary", ypath);
    size_t digits = strncmp(src, "random(", 7) == 0 ? strspn(src + 7, "0123456789") : 0;
    if (digits > 0 && strcmp(src + 7 + digits, ")") == 0) {
        unsigned long n = digits > 8 ? ULONG_MAX : strtoul(src + 7, NULL, 10);
        if (n == 0 || n > SPEC_MAX_BINARY)
            return diag_fail_at(c, bpath, "%s %s must be 1 to 1048576 bytes", bpath, src);
        out->binary_random = n;
        return 0;
    }
    bool hex = strncmp(src, "hex:", 4) == 0, b64 = strncmp(src, "base64:", 7) == 0;
    if (!hex && !b64)
        return diag_fail_at(c, bpath,
                            "%s \"%.60s\" is not hex:..., base64:... or random(N); write e.g. "
                            "send_binary: \"hex:0a0b0c\"",
                            bpath, src);
    const char *data = src + (hex ? 4 : 7);
    if (strlen(data) > 2 * SPEC_MAX_BINARY)
        return diag_fail_at(c, bpath, "%s is over 1 MiB", bpath);
    if (!(out->binary = malloc(strlen(data) + 1)))
        return diag_oom(c);
    long len = hex ? decode_hex(data, out->binary) : decode_b64(data, out->binary);
    if (len <= 0)
        return diag_fail_at(c, bpath, "%s: bad %s data \"%.60s\"", bpath, hex ? "hex" : "base64",
                            data);
    out->binary_len = (size_t)len;
    return 0;
}

/* close: {code: N}: closes the connection with that status code. */
static int compile_close(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.close.code", ypath);
    if (st->send || st->send_binary || st->expect || st->sleep || st->reconnect)
        return diag_fail_at(
            c, ypath, "%s has close beside other actions; make the close a step of its own", ypath);
    if (st->close->code < 1000 || st->close->code > 4999 || st->close->code == 1005 ||
        st->close->code == 1006 || st->close->code == 1015)
        return diag_fail_at(c, cpath,
                            "%s %u is not a code a client may send; write e.g. close: {code: 1000}",
                            cpath, st->close->code);
    out->close_code = (uint16_t)st->close->code;
    return st->name && (!(out->name = diag_strdup(c, st->name)) ||
                        names_step_metric(c, st->name, ypath, &out->metric) < 0)
               ? -1
               : 0;
}

/* pause_reading: D: the user stops reading for D (its receive queue and
 * the server's send queue fill up), then reads again. */
static int compile_pause_reading(spec_ctx_t *c, const char *ypath, const raw_step_t *st,
                                 spec_step_t *out)
{
    char ppath[256];
    snprintf(ppath, sizeof(ppath), "%.200s.pause_reading", ypath);
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (st->send || st->send_binary || st->expect || st->sleep || st->reconnect || st->close ||
        st->http || st->stomp || st->emit || st->graphql)
        return diag_fail_at(c, ypath,
                            "%s has pause_reading beside other actions; make the pause_reading "
                            "a step of its own",
                            ypath);
    if (field_duration(c, ppath, st->pause_reading, &out->pause_reading_us) < 0)
        return -1;
    if (out->pause_reading_us == 0)
        return diag_fail_at(c, ppath, "%s must be more than 0; write e.g. pause_reading: 10s",
                            ppath);
    return st->name && (!(out->name = diag_strdup(c, st->name)) ||
                        names_step_metric(c, st->name, ypath, &out->metric) < 0)
               ? -1
               : 0;
}

/* ------------------------------------------------------------------ */
/* A whole step.                                                        */

/* One step: its metric, template and predicate. ypath names it. */
int step_compile_send_expect(spec_ctx_t *c, const char *ypath, const char *name, const char *send,
                             const raw_expect_t *expect, const char *sleep, spec_step_t *out)
{
    char spath[256];
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (out->reconnect) {
        if (send || expect || sleep)
            return diag_fail_at(c, ypath,
                                "%s has reconnect beside send/expect/sleep; make the reconnect a "
                                "step of its own",
                                ypath);
        return name && (!(out->name = diag_strdup(c, name)) ||
                        names_step_metric(c, name, ypath, &out->metric) < 0)
                   ? -1
                   : 0;
    }
    if (sleep && (send || expect))
        return diag_fail_at(
            c, ypath, "%s has sleep beside send/expect; make the sleep a step of its own", ypath);
    if (sleep) {
        snprintf(spath, sizeof(spath), "%.200s.sleep", ypath);
        if (field_duration(c, spath, sleep, &out->sleep_us) < 0)
            return -1;
        if (out->sleep_us == 0)
            return diag_fail_at(c, spath, "%s must be more than 0; write e.g. sleep: 500ms", spath);
    } else if (!send && !expect) {
        return diag_fail_at(c, ypath,
                            "%s has neither send nor expect; add send: '...' and/or "
                            "expect: {match: '...'}",
                            ypath);
    }
    if (name && (!(out->name = diag_strdup(c, name)) ||
                 names_step_metric(c, name, ypath, &out->metric) < 0))
        return -1;
    snprintf(spath, sizeof(spath), "%.200s.send", ypath);
    if (send && field_tmpl_bytes(c, spath, send, &out->send) < 0)
        return -1;
    return expect ? compile_expect(c, ypath, expect, out) : 0;
}

/* A step of a steps: list, on_start: or on_reconnect: the actions
 * step_compile_send_expect does not take (close, send_binary, http), then
 * step_compile_send_expect. */
int step_compile(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    out->reconnect = st->reconnect;
    if (st->pause_reading)
        return compile_pause_reading(c, ypath, st, out);
    if (st->stomp)
        return stomp_compile_step(c, ypath, st, out);
    if (st->emit)
        return sio_compile_step(c, ypath, st, out);
    if (st->graphql)
        return graphql_compile_step(c, ypath, st, out);
    if (st->http)
        return http_step_compile(c, ypath, st, out);
    if (st->close) {
        out->metric = -1;
        out->line = yloc_line(c->root, ypath);
        return compile_close(c, ypath, st, out);
    }
    if (!st->send_binary)
        return step_compile_send_expect(c, ypath, st->name, st->send, st->expect, st->sleep, out);
    if (st->send || st->sleep || st->reconnect)
        return diag_fail_at(c, ypath, "%s has send_binary beside send, sleep or reconnect", ypath);
    if (compile_binary(c, ypath, st->send_binary, out) < 0)
        return -1;
    return step_compile_send_expect(c, ypath, st->name, "", st->expect, NULL, out);
}
