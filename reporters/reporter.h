/* reporter: one output format. Each format is one file in reporters/ that
 * defines one reporter_t; adding a format is one file plus one line in
 * reporters_all (report.c). Reporters read a finished result only. */
#ifndef WSGATE_REPORTER_H
#define WSGATE_REPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result/result.h"

typedef struct reporter {
    const char *name; /* "json", "junit", "md", "html", "csv", "gitlab-load-performance" */
    /* File name in --out DIR; NULL: written on request only (`report
     * --format NAME`), never into --out DIR. */
    const char *filename;
    /* Writes the whole report to out. Returns 0, or -1 with a reason in err.
     * Must not print. */
    int (*write)(const result_t *r, FILE *out, char *err, size_t errlen);
} reporter_t;

extern const reporter_t reporter_json;
extern const reporter_t reporter_junit;
extern const reporter_t reporter_markdown;
extern const reporter_t reporter_html;
extern const reporter_t reporter_csv;
extern const reporter_t reporter_gitlab;

/* NULL-terminated list of every reporter. */
extern const reporter_t *const reporters_all[];

/* Finds a reporter by name, or NULL. */
const reporter_t *reporter_find(const char *name);

/* Creates dir (and its parents) and proves a file can be written in it, so
 * a run finds an unusable --out before its load, not after. Returns 0, or
 * -1 with a reason in err. Leaves no file behind. */
int report_prepare_dir(const char *dir, char *err, size_t errlen);

/* Writes every reporter's file (those with a filename) into dir (created if missing). Each file is
 * written to a temporary name and renamed, so a failed run leaves no
 * half-written report. Returns 0, or -1 with a reason in err. */
int report_write_all(const result_t *r, const char *dir, char *err, size_t errlen);

/* Ends a reporter's write: flushes out and checks it for errors. Returns 0,
 * or -1 with "write failed: REASON" in err. The reporter sets errno to 0
 * before it starts writing, so a stale errno is not given as the reason. */
int reporter_flush(FILE *out, char *err, size_t errlen);

struct cJSON;

/* Writes root as indented JSON and a newline to out, then reporter_flush.
 * Takes root (NULL: out of memory while building it) and frees it. Returns
 * 0, or -1 with a reason in err. */
int reporter_write_json(struct cJSON *root, FILE *out, char *err, size_t errlen);

/* A shard as every report names it: "K/N", or "#K" for a merge input that
 * was no --shard run (total 0). */
void reporter_shard_name(unsigned index, unsigned total, char *buf, size_t n);

/* How far a run that did not finish got, for the reports to write after
 * "interrupted" or "aborted" (the word is theirs): " after 12.3 s of 60 s"
 * (" by SIGINT after ..." with with_signal), the planned duration left out
 * when unknown; for a merge, which inputs were interrupted: ": shard 2/4
 * after 12.3 s of 60 s, shard 3/4 ...". Empty for a run that finished
 * (verdict pass or fail). Always NUL-terminated, cut to n bytes. */
void reporter_stop_detail(const result_t *r, bool with_signal, char *buf, size_t n);

/* Successful operations of step i per second of the run's load
 * (ok / duration_s, as the assertion rate(STEP) reads it); -1 when the
 * duration is unknown. */
double reporter_step_rate(const result_t *r, size_t i);

/* What every report calls the baseline: its commit (first 12 characters)
 * and ref from its result.json run metadata, "abc123def456 (main)";
 * "run of 2024-05-01 12:00 UTC" when it has neither; its file name as the
 * last resort. Empty without a baseline. */
void reporter_baseline_name(const result_t *r, char *buf, size_t n);

/* What every report says of permessage-deflate when a scenario offered it
 * (wire.deflate_offered > 0): "accepted on 40 of 40 connects; received
 * 27,186 B on the wire for 93,777 B of messages (3.4x); sent ..." Returns
 * false, buf empty, when nothing offered it. */
bool reporter_compression(const result_t *r, char *buf, size_t n);

/* What every report says of slow consumers when the spec has any
 * (slow.known): "250,880 B left unread in 2 samples (pauses ended, slow
 * readers closed), at most 128,000 B in one". Returns false, buf empty,
 * otherwise. */
bool reporter_slow_consumers(const result_t *r, char *buf, size_t n);

/* A statistic of a step, as the step tables show it. */
typedef enum rep_stat {
    REP_RATE, /* reporter_step_rate */
    REP_AVG,
    REP_P50,
    REP_P90,
    REP_P95,
    REP_P99,
    REP_MAX,
} rep_stat_t;

/* Statistic st of step i formatted by result/num.h ("4.10 ms", "12.3/s"),
 * "–" when the step has no successful sample (or, for the rate, no known
 * duration). With with_delta and a baseline: the change against the
 * baseline's step of the same name (num_delta: "🔴 4.10 ms (was 3.60 ms,
 * +13.9% worse)"), "4.10 ms (new)" when the baseline has no such step,
 * "4.10 ms (was –)" when its step has no value. */
void reporter_step_cell(const result_t *r, size_t i, rep_stat_t st, bool with_delta, char *buf,
                        size_t n);

/* Index of the step assertion a is about, read from its text ("p99(NAME)
 * ...", "NAME.success_rate ..."; the longest step name that fits), or -1
 * for one about no step (errors, messages, connections, generator). */
int reporter_assertion_step(const result_t *r, const res_assertion_t *a);

/* Seconds step i ran: from the first to the end of the last second of
 * r->series in which it had a successful sample; 0 when it had none. */
double reporter_step_seconds(const result_t *r, size_t i);

/* "1 thread", "2 threads": n and the word, plural unless n is 1. */
void reporter_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len);

/* Writes the short stdout summary (verdict, steps, assertions). */
void report_print_summary(const result_t *r, FILE *out);

#endif
