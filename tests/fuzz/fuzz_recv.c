/* fuzz_recv: hostile server messages through a user's real receive path
 * (vu_lws_callback -> vu_receive -> the protocol's parse -> counts and the
 * awaited step's match, fail_if, captures, latency_from), with no network:
 * tests/unit/engine/fake_lws.c stands in for libwebsockets at link time,
 * as in the engine's unit tests. One user of a one-worker run of a spec
 * compiled once per protocol (json, text, stomp) connects, then receives
 * what the input says.
 *
 * Input: the first byte picks the protocol ('j' json, 't' text, 's' stomp,
 * any other byte modulo 3). The rest are records separated by 0x1e; each
 * record is one WebSocket message, its fragments separated by 0x1f (every
 * fragment but the last non-final). Three records act instead: 0x1d alone
 * lets time pass to the user's next deadline or ping (timeouts, pauses,
 * backoffs, WebSocket pings, STOMP heart-beats); 0x1b alone is a pong;
 * 0x1c then a byte k then bytes: those bytes repeated to k * 8 KiB (up to
 * 2 MiB, over the 1 MiB message limit) as one message in 64 KiB fragments
 * (only the first such record of an input: each costs tens of ms under
 * ASan, and one reaches every path a huge message takes). */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "fake_lws.h"
#include "base/clock.h"
#include "engine/vu.h"
#include "engine/worker.h"
#include "spec/load.h"
#include "spec/spec.h"

#define SEC 1000000ull
#define MAX_RECORDS 256
#define MAX_PUMPS 16

/* Every step kind that waits for the server: expect with fail_if, captures
 * (reused in later sends) and latency_from, and counts with and without
 * captures and latency_from. */
static const char *const specs[] = {
    "version: 1\n"
    "name: fuzz json\n"
    "target: ws://127.0.0.1:9\n"
    "load: {users: 1, duration: 10m}\n"
    "scenarios:\n"
    "  - name: json\n"
    "    connect: {url: \"{{target}}/ws/collaboration?session=s{{vu.id}}\", timeout: 3s, "
    "ping_interval: 1s}\n"
    "    on_start:\n"
    "      - name: join\n"
    "        send: '{\"action\":\"join_document\",\"documentId\":\"doc-1\"}'\n"
    "        expect:\n"
    "          match: 'type == \"document_joined\" && sequence >= 0'\n"
    "          fail_if: 'type == \"error\"'\n"
    "          capture: {last_seq: sequence, doc: documentId}\n"
    "          timeout: 2s\n"
    "    tasks:\n"
    "      - name: edit\n"
    "        pause: 10ms\n"
    "        steps:\n"
    "          - name: apply\n"
    "            send: '{\"action\":\"apply_operation\",\"documentId\":\"{{doc}}\","
    "\"lastSequence\":{{last_seq}},\"ts\":{{now.ms}}}'\n"
    "            expect:\n"
    "              match: 'type == \"operation_applied\" || (type == \"message\" && "
    "message.text contains \"a\" && channel ~ \"^room:[0-9]+$\")'\n"
    "              capture: {last_seq: sequence}\n"
    "              latency_from: operation.sentAtUs\n"
    "              unit: us\n"
    "              timeout: 1s\n"
    "          - name: event\n"
    "            expect:\n"
    "              match: 'type in [\"notification\", \"order_update\"] && topic != \"noise\"'\n"
    "              latency_from: ts\n"
    "              timeout: 1s\n"
    "    count:\n"
    "      - name: server event\n"
    "        match: 'type in [\"notification\", \"order_update\", \"invoice_ready\"]'\n"
    "        latency_from: ts_us\n"
    "        unit: us\n"
    "      - name: acks\n"
    "        match: 'type == \"message_ack\"'\n"
    "        capture: {acked: id}\n"
    "      - name: quotes\n"
    "        match: 'type == \"quote\" && price > 0'\n",

    "version: 1\n"
    "name: fuzz text\n"
    "target: ws://127.0.0.1:9\n"
    "load: {users: 1, duration: 10m}\n"
    "scenarios:\n"
    "  - name: text\n"
    "    protocol: text\n"
    "    connect: {url: \"{{target}}/\"}\n"
    "    on_start:\n"
    "      - name: hello\n"
    "        send: 'hello {{vu.id}}'\n"
    "        expect:\n"
    "          match: 'text ~ \"^pong hello [0-9]+\"'\n"
    "          fail_if: 'text contains \"error\"'\n"
    "          capture: {greeting: text}\n"
    "          timeout: 2s\n"
    "    tasks:\n"
    "      - name: exchange\n"
    "        pause: 10ms\n"
    "        steps:\n"
    "          - name: json\n"
    "            send: '{\"n\": {{n}}, \"after\": \"{{greeting}}\"}'\n"
    "            expect:\n"
    "              match: 'json != null && json.n >= 0'\n"
    "              latency_from: json.ts\n"
    "              capture: {n: json.n}\n"
    "              timeout: 1s\n"
    "    count:\n"
    "      - name: lines\n"
    "        match: 'text ~ \"^[a-z]+ \"'\n"
    "        capture: {word: json.word}\n"
    "        latency_from: json.ts\n",

    "version: 1\n"
    "name: fuzz stomp\n"
    "target: ws://127.0.0.1:9\n"
    "load: {users: 1, duration: 10m}\n"
    "scenarios:\n"
    "  - name: stomp\n"
    "    protocol: stomp\n"
    "    stomp: {login: guest, passcode: guest, host: /, heartbeat: 2s}\n"
    "    connect: {url: \"{{target}}/ws\"}\n"
    "    on_start:\n"
    "      - name: subscribe\n"
    "        stomp: {subscribe: /topic/x, id: s1, receipt: true}\n"
    "    tasks:\n"
    "      - name: roundtrip\n"
    "        pause: 10ms\n"
    "        steps:\n"
    "          - name: send\n"
    "            stomp:\n"
    "              send: /topic/x\n"
    "              headers: [\"content-type: application/json\"]\n"
    "              body: '{\"kind\":\"tick\",\"ts\":{{now.ms}}}'\n"
    "              receipt: true\n"
    "              timeout: 1s\n"
    "          - name: delivered\n"
    "            expect:\n"
    "              match: 'command == \"MESSAGE\" && headers.subscription == \"s1\"'\n"
    "              fail_if: 'command == \"ERROR\"'\n"
    "              capture: {mid: headers.message-id}\n"
    "              latency_from: json.ts\n"
    "              timeout: 1s\n"
    "    count:\n"
    "      - name: fan-out\n"
    "        match: 'command == \"MESSAGE\" && json.kind == \"tick\"'\n"
    "        latency_from: json.ts\n"
    "      - name: bodies\n"
    "        match: 'body contains \"x\"'\n"
    "        capture: {b: body}\n",
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static spec_t *compiled[NSPECS];

static spec_t *compile(const char *yaml)
{
    char dir[] = "/tmp/fuzz_recv.XXXXXX", path[64], err[1024] = "";
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof(path), "%s/spec.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(yaml, f) < 0 || fclose(f) != 0)
        abort();
    spec_t *s = spec_load(path, NULL, err, sizeof(err));
    unlink(path);
    rmdir(dir);
    if (!s) {
        fprintf(stderr, "fuzz_recv: spec did not load: %s\n", err);
        abort();
    }
    return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (size_t i = 0; i < NSPECS; i++)
        compiled[i] = compile(specs[i]);
    return 0;
}

static void tick(struct ev_loop *loop, ev_timer *t, int revents)
{
}

typedef struct drive {
    worker_t w;
    run_ctx_t run;
    target_addr_t addr;
    vu_t vu;
    struct lws *up; /* the wsi the user was told is established */
    unsigned huge;  /* 0x1c records seen in this input */
} drive_t;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, const char *in, size_t len)
{
    return vu_lws_callback(wsi, reason, NULL, (void *)in, len);
}

/* Plays libwebsockets between messages: the user's connection comes up,
 * its writeable requests are served, and a connection it asked to close
 * (or that failed a write) is closed. */
static void pump(drive_t *d)
{
    for (int i = 0; i < MAX_PUMPS; i++) {
        struct lws *wsi = d->vu.wsi;
        if (!wsi)
            return;
        if (d->up != wsi) {
            d->up = wsi;
            callback(wsi, LWS_CALLBACK_CLIENT_ESTABLISHED, NULL, 0);
            continue;
        }
        if (wsi->killed) {
            callback(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL, 0);
            continue;
        }
        if (!wsi->writable)
            return;
        wsi->writable = 0;
        if (callback(wsi, LWS_CALLBACK_CLIENT_WRITEABLE, NULL, 0) != 0)
            callback(wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL, 0);
    }
}

/* Time passes to the user's deadline or its ping timer's, whichever is
 * first. */
static void time_passes(drive_t *d)
{
    uint32_t id, ping_id;
    uint64_t due, ping_due;
    bool wake = timerq_peek(d->w.tq, &id, &due);
    bool ping = timerq_peek(d->w.ping_tq, &ping_id, &ping_due);
    if (ping && (!wake || ping_due < due)) {
        timerq_cancel(d->w.ping_tq, ping_id);
        vu_ping_due(&d->vu, ping_due);
    } else if (wake) {
        timerq_cancel(d->w.tq, id);
        vu_wake(&d->vu, due);
    }
}

/* One message of len bytes in fragments of at most frag bytes, or cut at
 * each 0x1f when frag is 0. */
static void deliver(drive_t *d, const char *msg, size_t len, size_t frag)
{
    while (d->vu.wsi) {
        struct lws *wsi = d->vu.wsi;
        const char *cut = frag ? NULL : memchr(msg, 0x1f, len);
        size_t n = frag ? (len < frag ? len : frag) : cut ? (size_t)(cut - msg) : len;
        bool last = frag ? n == len : !cut;
        wsi->nonfinal = !last;
        callback(wsi, LWS_CALLBACK_CLIENT_RECEIVE, msg, n);
        if (last)
            return;
        msg += frag ? n : n + 1;
        len -= frag ? n : n + 1;
    }
}

/* 0x1c k bytes...: the bytes repeated to k * 8 KiB, in 64 KiB fragments. */
static void deliver_huge(drive_t *d, const uint8_t *rec, size_t len)
{
    size_t total = (size_t)(len > 1 ? rec[1] : 1) * 8192;
    const uint8_t *unit = len > 2 ? rec + 2 : (const uint8_t *)"x";
    size_t ulen = len > 2 ? len - 2 : 1;
    char *big = malloc(total + ulen);
    if (!big)
        abort();
    memcpy(big, unit, ulen);
    for (size_t have = ulen; have < total; have *= 2) /* doubling copies */
        memcpy(big + have, big, have < total - have ? have : total - have);
    deliver(d, big, total, 65536);
    free(big);
}

static void record(drive_t *d, const uint8_t *rec, size_t len)
{
    if (len == 1 && rec[0] == 0x1d)
        time_passes(d);
    else if (len == 1 && rec[0] == 0x1b && d->vu.wsi)
        callback(d->vu.wsi, LWS_CALLBACK_CLIENT_RECEIVE_PONG, NULL, 0);
    else if (len >= 1 && rec[0] == 0x1c) {
        if (!d->huge++)
            deliver_huge(d, rec, len);
    } else
        deliver(d, (const char *)rec, len, 0);
    pump(d);
}

/* Empties the counts, samples and histograms a previous input left (the
 * worker is made once per spec: a fresh one costs megabytes of
 * histograms per input). Seconds are only closed by the worker's tick,
 * which never runs here. */
static void metrics_clear(metrics_t *m, uint64_t t0)
{
    for (size_t i = 0; i < m->nsteps; i++) {
        if (m->cur_used[i]) {
            hist_reset(m->lat[i]);
            hist_reset(m->cur[i]);
        }
        m->cur_used[i] = false;
        m->ok[i] = m->failed[i] = 0;
    }
    m->sent = m->received = m->bytes_sent = m->bytes_received = 0;
    m->connect_abandoned = m->reconnect_attempts = 0;
    for (int k = 0; k < ERR_KIND_COUNT; k++) {
        for (unsigned i = 0; i < m->errors[k].nsamples; i++)
            free(m->errors[k].samples[i]);
        memset(&m->errors[k], 0, sizeof(m->errors[k]));
    }
    m->t0_us = t0;
    m->cur_sec = m->snap_sent = m->snap_received = m->snap_errors = 0;
}

/* A run of spec whose time 0 is a second ago (the user's start is due). */
static void run_init(drive_t *d, const spec_t *spec)
{
    memset(&d->run, 0, sizeof(d->run));
    d->run.spec = spec;
    d->run.addrs = &d->addr;
    d->run.t0 = clock_mono_us() - SEC;
    d->run.end = d->run.t0 + spec->duration_us;
    d->run.hard_end = d->run.end + 5 * SEC;
    d->run.id_stride = 1;
    d->run.seed = 42;
    d->run.nworkers = 1;
    d->run.max_sessions = 1;
}

static void drive_start(drive_t *d, const spec_t *spec)
{
    fake_lws_reset();
    if (!d->w.m) { /* the first input of this spec */
        snprintf(d->addr.host, sizeof(d->addr.host), "127.0.0.1");
        snprintf(d->addr.numeric, sizeof(d->addr.numeric), "127.0.0.1");
        run_init(d, spec);
        if (worker_init(&d->w, &d->run, 0, 1, false, tick, vu_lws_settle) < 0)
            abort();
        d->w.vus = &d->vu;
    }
    run_init(d, spec);
    d->w.done = d->w.narmed = d->w.nawaiting = 0;
    d->w.ending = d->w.kill_queued = d->w.idle_closed = false;
    metrics_clear(d->w.m, d->run.t0);
    d->up = NULL;
    d->huge = 0;
    vu_init(&d->vu, &d->w, 0, 0, d->run.seed);
    time_passes(d); /* the user connects */
    pump(d);
}

/* The run ends; the user's connection closes and its timers go. */
static void drive_stop(drive_t *d)
{
    vu_end(&d->vu, clock_mono_us());
    pump(d);
    if (d->vu.wsi)
        callback(d->vu.wsi, LWS_CALLBACK_CLIENT_CLOSED, NULL, 0);
    vu_release(&d->vu);
    timerq_cancel(d->w.tq, 0);
    timerq_cancel(d->w.ping_tq, 0);
}

static drive_t drives[NSPECS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t which = data[0] == 'j' ? 0 : data[0] == 't' ? 1 : data[0] == 's' ? 2 : data[0] % NSPECS;
    drive_t *d = &drives[which];
    drive_start(d, compiled[which]);
    const uint8_t *p = data + 1, *end = data + size;
    for (int n = 0; n < MAX_RECORDS && p <= end; n++) {
        const uint8_t *rs = memchr(p, 0x1e, (size_t)(end - p));
        const uint8_t *stop = rs ? rs : end;
        record(d, p, (size_t)(stop - p));
        if (!rs)
            break;
        p = rs + 1;
    }
    drive_stop(d);
    return 0;
}
