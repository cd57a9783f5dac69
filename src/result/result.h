/* result: a finished run, as every reporter and assertion sees it.
 * Built by the engine after its workers stop, or decoded from a result.json
 * by result_load; never touched by live engine state. */
#ifndef WSGATE_RESULT_H
#define WSGATE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/gen.h"
#include "result/hist.h"
#include "result/ramp.h"
#include "result/observed.h"

typedef enum err_kind {
    ERR_TIMEOUT = 0,
    ERR_REFUSED,
    ERR_RESET,
    ERR_CLOSED,
    ERR_TLS,
    ERR_DNS,
    ERR_HTTP_STATUS,
    ERR_UNEXPECTED_MESSAGE,
    ERR_PROTOCOL,
    ERR_BLOCKED,   /* --allow-hosts/--block-hosts refused the destination: nothing was sent */
    ERR_KEEPALIVE, /* the peer's keep-alive (a Socket.IO ping, a STOMP heart-beat) did not come */
    ERR_OBSERVE,   /* a scrape of an observe: endpoint failed (refused, timeout, status, parse) */
    /* the server closed with one of graphql-transport-ws's codes: each its own kind */
    ERR_CLOSE_4400,
    ERR_CLOSE_4401,
    ERR_CLOSE_4403,
    ERR_CLOSE_4406,
    ERR_CLOSE_4408,
    ERR_CLOSE_4409,
    ERR_CLOSE_4429,
    ERR_CLOSE_4500,
    ERR_KIND_COUNT
} err_kind_t;

/* "timeout", "refused", ... ; NULL for an out-of-range kind. */
const char *err_kind_name(err_kind_t k);
/* Returns the kind for a name, or -1. */
int err_kind_from_name(const char *name);
/* The kind of a close frame with code the server sent: ERR_CLOSE_<code> for
 * a code that has its own kind, else ERR_CLOSED. */
err_kind_t err_kind_of_close(unsigned code);

#define RES_MAX_SAMPLES 3

/* Owns its sample strings. */
typedef struct res_errors {
    uint64_t count;
    char *samples[RES_MAX_SAMPLES];
    unsigned nsamples;
} res_errors_t;

/* Slow consumers (connect.read_rate, pause_reading steps): the bytes such
 * users left unread in the kernel's receive queue, sampled at the end of
 * each pause_reading step and when a read_rate user closes its connection.
 * result.json's slow_consumers (null when !known). */
typedef struct res_slow {
    bool known;            /* the spec has slow readers (or a merged input had) */
    uint64_t samples;      /* pauses ended and read_rate connections closed */
    uint64_t unread_total; /* bytes unread, summed over the samples */
    uint64_t unread_max;   /* the most bytes unread in one sample */
} res_slow_t;

/* Adds b's samples to a: counts summed, max kept. */
static inline void res_slow_merge(res_slow_t *a, const res_slow_t *b)
{
    a->known |= b->known;
    a->samples += b->samples;
    a->unread_total += b->unread_total;
    if (b->unread_max > a->unread_max)
        a->unread_max = b->unread_max;
}

/* One named step ("connect" is always steps[0]). Owns name and latency. */
typedef struct res_step {
    char *name;
    hist_t *latency; /* successful samples only, microseconds */
    uint64_t ok;
    uint64_t failed;
} res_step_t;

/* One assertion's outcome. Owns its strings. */
typedef struct res_assertion {
    char *text; /* as written in the spec */
    bool passed;
    bool has_observed;   /* false when the metric had no samples */
    double observed;     /* in the assertion's own unit (ms, %, /s, count) */
    double threshold;    /* likewise */
    char *observed_text; /* "312.4 ms", "97.50%", "no samples" */
    char *expected_text; /* "< 200 ms" */
} res_assertion_t;

/* One second of the run's time series; second i covers
 * [started_at + i, started_at + i + 1). Owns step_hist and its strings. */
typedef struct res_second {
    uint64_t active; /* open connections at the end of the second */
    uint64_t sent, received;
    uint64_t errors;
    uint64_t errors_by_kind[ERR_KIND_COUNT]; /* errors split by kind (all 0 in
                                                files from before the split) */
    char **step_hist;                        /* [result.nsteps]: hist_encode text of the second's
                                                successful samples (values kept to 1/256), NULL: none */
} res_second_t;

/* Called for second t of a series, in order; sec is valid during the call
 * only. Returns 0 to go on; anything else stops the walk and is returned. */
typedef int (*res_second_fn)(const res_second_t *sec, size_t t, void *ctx);

struct res_spool;

/* One shard's share of a merged result. Owns region. */
typedef struct res_shard {
    unsigned index, total; /* K of N, 1-based */
    char *region;          /* NULL when none */
    uint64_t peak_active;
    uint64_t msgs_sent, msgs_received;
    uint64_t errors;
    uint64_t ok, failed; /* all steps */
    double started_at;
    double ended_at; /* 0 when unknown (files of older versions) */
    double start_late_s;
    bool interrupted; /* this input was stopped by a signal */
    int stop_signal;  /* SIGINT or SIGTERM when interrupted; 0 when unknown */
} res_shard_t;

/* result.json's "wire": the WebSocket connections' own TCP byte counts,
 * read from the kernel (TCP_INFO) as each closed during the run, beside
 * the message payloads of those same connections (after inflation), and
 * how many connects offered permessage-deflate and had it accepted. */
typedef struct res_wire {
    uint64_t connections;      /* connections measured as they closed */
    uint64_t bytes_sent;       /* tcpi_bytes_acked: every byte the server acknowledged */
    uint64_t bytes_received;   /* tcpi_bytes_received: every byte that came in */
    uint64_t payload_sent;     /* message payloads sent on them, before compression */
    uint64_t payload_received; /* message payloads received on them, after inflation */
    uint64_t deflate_offered;  /* upgrades that offered permessage-deflate */
    uint64_t deflate_accepted; /* upgrades whose server accepted it */
} res_wire_t;

/* Adds b's counts to a. */
void res_wire_add(res_wire_t *a, const res_wire_t *b);

/* Owns every pointer field. */
typedef struct result {
    char *spec_name;
    char *spec_path;
    char *target;
    char *wsgate_version;
    double started_at; /* seconds since the epoch */
    double ended_at;
    /* The time rates divide by: the planned load duration, or (aborted,
     * interrupted, open model) the time the load ran; see result-schema.md. */
    double duration_s;
    double planned_s; /* the spec's planned load duration; 0 when unknown */
    unsigned threads;
    unsigned users_planned; /* peak users of the load shape */
    res_step_t *steps;
    size_t nsteps;
    /* Name of the step the run followed as its main one: the engine's
     * choice from the spec (the first named step of a task, see
     * main_step() in engine.c), shown by the progress line and the HTML
     * latency chart. NULL when unknown (a result.json from before the
     * field); read it through result_main_step(). */
    char *main_step;
    uint64_t msgs_sent, msgs_received;
    uint64_t bytes_sent, bytes_received;
    uint64_t peak_active; /* peak concurrent open connections */
    /* Connect attempts neither ok nor failed: the run ended (or was
     * aborted or interrupted) while the upgrade was pending. connect ok +
     * failed + abandoned = every connect attempt. */
    uint64_t connect_abandoned;
    /* Every connect the run owed: each one started (first connects,
     * reconnect steps, retries, automatic reconnects) plus each planned
     * connect whose time came before the end but that never started
     * (connect_unstarted, also counted in connect_abandoned). connect ok +
     * failed + connect_abandoned == connect_attempts when counts_known. */
    uint64_t connect_attempts;
    uint64_t connect_unstarted;
    bool counts_known;           /* false: a result.json from before connect_attempts */
    uint64_t reconnect_attempts; /* connects made by connect.reconnect policies */
    res_wire_t wire;             /* result.json's "wire" */
    uint64_t tls_handshakes;     /* completed TLS handshakes of wss:// connects */
    uint64_t tls_resumed;        /* of those, resumed sessions (connect.tls_resume) */
    /* The connect ramp's plan vs what happened, and the connect queue
     * (load.max_connecting): result.json's "connect" (result/ramp.h). */
    res_ramp_t ramp;
    res_slow_t slow; /* slow consumers: result.json's slow_consumers */
    res_errors_t errors[ERR_KIND_COUNT];
    res_assertion_t *assertions;
    size_t nassertions;
    /* Every assertion held. Not the verdict: an aborted or interrupted run
     * may have passing assertions; read the verdict with result_verdict(). */
    bool passed;
    /* Stopped early by SIGINT/SIGTERM: partial. In a merge, set when any
     * input was (shards[] says which). */
    bool interrupted;
    int stop_signal;   /* SIGINT or SIGTERM when interrupted; 0 when unknown or a merge */
    bool tls_insecure; /* tls.insecure_skip_verify: server certificates were not checked */

    /* Time series, one entry a second from started_at: in memory (series),
     * or, for a run just ended, on disk in its spool (result/spool.h;
     * series NULL), read one second at a time so that writing a long run's
     * reports takes no more memory than a short one's. nseconds counts
     * either. Walk it with result_series_each. */
    res_second_t *series;
    size_t nseconds;
    struct res_spool *spool;

    /* Provenance. */
    char *spec_hash;  /* SHA-256 of the spec file, hex; NULL when unknown */
    char *git_commit; /* from CI variables; NULL when none */
    char *git_ref;    /* branch or tag from CI variables; NULL when none */

    /* Sharding: this run's slice (index/total 0 when not sharded), or, in a
     * merged result, every shard that went in (nshards > 0). */
    unsigned shard_index, shard_total;
    char *region;        /* --region; NULL when none */
    double start_at;     /* --start-at (epoch s); 0 when none */
    double start_late_s; /* how late the run began after start_at */
    res_shard_t *shards;
    size_t nshards;
    char *missing_shards; /* merge --allow-partial: "2, 4 of 4"; NULL when complete */

    /* Abort on fail: the run stopped early because an assertion could no
     * longer pass. */
    bool aborted;
    double aborted_at_s; /* seconds after started_at */
    char *abort_reason;  /* the assertion and its observed value */

    /* Load model (issue 5): closed (users) or open (arrival rate). The
     * rates and session are the spec's; arrivals count this run's slice
     * (summed by a merge). users_planned is max_users in the open model. */
    bool open_model;
    double rate_min, rate_max;   /* arrivals per second over the stages */
    unsigned session_iterations; /* tasks per session, 0 = until session_s */
    double session_s;            /* session duration, 0 = none */
    uint64_t arrivals_planned;   /* arrivals in the schedule */
    uint64_t arrivals_started;   /* sessions begun */
    uint64_t arrivals_dropped;   /* came when max_users sessions ran */

    /* --baseline: the previous result the deltas and relative assertions
     * compare with (steps, errors and counters only). */
    struct result *baseline;
    char *baseline_path;

    /* --users, --duration, --ramp-up, --var and their variables
     * (result/overrides.h); NULL: the run took everything from its spec. */
    struct res_overrides *overrides;

    /* The load generator's own lag, CPU and memory, and whether it was
     * saturated (result/gen.h). NULL: unknown (a file from before it). */
    res_gen_t *generator;

    /* The spec's observe: the server's metrics scraped during the run
     * (result/observed.h). NULL: the spec observes nothing. */
    res_server_t *server;

    /* Problems with the run's own figures, one sentence each (no final
     * period): counts that do not add up (result/tally.h). A verdict
     * that rests on them is not to be trusted; every report shows them. */
    char **warnings;
    size_t nwarnings;
} result_t;

/* What a finished run or merge amounts to: its exit status and the first
 * thing every report says. */
typedef enum res_verdict {
    RES_VERDICT_PASS = 0,    /* every assertion held: exit 0 */
    RES_VERDICT_FAIL,        /* an assertion did not hold: exit 1 */
    RES_VERDICT_ABORTED,     /* an abort_on_fail assertion stopped the run: exit 1 */
    RES_VERDICT_INTERRUPTED, /* SIGINT/SIGTERM stopped it (a merge: any input): 130/143,
                                merge 1 */
    RES_VERDICT_COUNT
} res_verdict_t;

/* The one rule for the verdict: interrupted (the run never finished, so
 * nothing it measured is a verdict) before aborted before the assertions
 * (r->passed). */
res_verdict_t result_verdict(const result_t *r);
/* "pass", "fail", "aborted", "interrupted" (result.json's verdict); NULL
 * for an out-of-range value. */
const char *result_verdict_name(res_verdict_t v);
/* Returns the verdict for a name, or -1. */
int result_verdict_from_name(const char *name);
/* "SIGINT" or "SIGTERM"; NULL for any other number (0: none). */
const char *result_signal_name(int sig);
/* Returns SIGINT or SIGTERM for its name, or 0. */
int result_signal_from_name(const char *name);
/* Wall seconds the run took (ended_at - started_at), or duration_s when
 * either time is unknown. */
double result_elapsed_s(const result_t *r);

/* Adds src's count to dst and copies src's samples that dst lacks while
 * there is room. Returns 0, or -1 on allocation failure. */
int res_errors_add(res_errors_t *dst, const res_errors_t *src);

/* Index of the step named name, or -1. */
int result_find_step(const result_t *r, const char *name);
uint64_t result_error_total(const result_t *r);
/* Number of assertions that did not hold (0 when there are none). */
size_t result_failed_assertions(const result_t *r);
/* Index into r->steps of the run's main step: the step named r->main_step.
 * When that is NULL or names no step (results from before the field), the
 * rule a result alone allows: the step after connect with the most
 * successful samples (the first of equals; on_start steps come first but run
 * once per user, the steady-state exchange repeats), else connect. Returns 0
 * (connect) also when r has no steps; check r->nsteps before indexing. */
size_t result_main_step(const result_t *r);
/* Latency histogram of step i in second sec, decoded; NULL when none.
 * The caller frees it with hist_free(). */
hist_t *result_second_hist(const result_t *r, size_t sec, size_t step);
/* Latency histogram of step i in the second s (of a result of nsteps
 * steps), decoded; NULL when none or malformed. The caller frees it. */
hist_t *res_second_hist(const res_second_t *s, size_t nsteps, size_t step);
/* Calls fn for each second of r's series in order, from memory or read one
 * at a time from its spool. Returns 0, fn's first non-zero return, or -1
 * when the spool cannot be read back. Not reentrant for one spool: fn must
 * not walk the same result's series. */
int result_series_each(const result_t *r, res_second_fn fn, void *ctx);
/* Relative change in percent of percentile pct of step i against the step
 * of the same name in r->baseline. Returns false (no delta) when there is
 * no baseline, the baseline lacks the step or either side has no samples. */
bool result_delta_pct(const result_t *r, size_t i, double pct, double *delta);
/* Frees everything the result owns and zeroes it. */
void result_clear(result_t *r);

#endif
