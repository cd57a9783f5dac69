/* spec_int: what the files of src/spec/ that load and compile a spec share:
 * the raw spec libcyaml fills, the compile context and the helpers every part
 * uses. Private to src/spec/; spec.h is the public API. */
#ifndef WSGATE_SPEC_INT_H
#define WSGATE_SPEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cyaml/cyaml.h>

#include "spec/override.h"
#include "spec/spec.h"
#include "spec/yloc.h"

#define SPEC_MSG_MAX 2048 /* the longest message, before "FILE:LINE: " */

/* ------------------------------------------------------------------ */
/* The spec as libcyaml loads it (schema.c): text where the compilers   */
/* parse further. Allocated by libcyaml; schema_free_raw() frees it.    */

typedef struct raw_expect {
    char *match;
    char *timeout;
    char *fail_if;
    char *latency_from;
    char *unit;
} raw_expect_t;

typedef struct raw_close {
    unsigned code;
} raw_close_t;

/* http: a request step; capture: is read from the yloc tree. */
typedef struct raw_http {
    char *method;
    char *url;
    char **headers;
    unsigned headers_count;
    char *json;
    char *form;
    char *body;
    unsigned expect_status;
    char *timeout;
} raw_http_t;

/* A step's stomp: (one frame). */
typedef struct raw_stomp_step {
    char *subscribe;
    char *send;
    char *id;
    char *ack;
    char *nack_if;
    char *body;
    char **headers;
    unsigned headers_count;
    bool receipt;
    char *timeout;
} raw_stomp_step_t;

/* A scenario's stomp: (the CONNECT frame). */
typedef struct raw_stomp_conn {
    char *login;
    char *passcode;
    char *host;
    char *heartbeat;
} raw_stomp_conn_t;

/* A step's emit: (one Socket.IO event). */
typedef struct raw_emit {
    char *event;
    char *args;
    bool ack;
    char *timeout;
} raw_emit_t;

/* A scenario's socketio: (the Engine.IO path, the namespace connect). */
typedef struct raw_sio_conn {
    char *path;
    char *nsp;
    char *auth;
} raw_sio_conn_t;
/* A step's graphql: (one subscribe message). */
typedef struct raw_graphql_step {
    char *subscribe;
    char *variables;
    char *operation_name;
    char *id;
    char *as;
    char *timeout;
} raw_graphql_step_t;

/* A scenario's graphql: (connection_init, pings). */
typedef struct raw_graphql_conn {
    char *init;
    char *ping_interval;
} raw_graphql_conn_t;

typedef struct raw_step {
    char *name;
    char *send;
    raw_expect_t *expect;
    char *sleep;
    char *pause_reading;
    bool reconnect;
    char *send_binary;
    raw_close_t *close;
    raw_http_t *http;
    raw_stomp_step_t *stomp;
    raw_emit_t *emit;
    raw_graphql_step_t *graphql;
} raw_step_t;

typedef struct raw_task {
    char *name;
    unsigned weight;
    char *pause;
    char *rate;
    char *send;
    raw_expect_t *expect;
    raw_step_t *steps;
    unsigned steps_count;
} raw_task_t;

typedef struct raw_connect {
    char *url;
    char **headers;
    unsigned headers_count;
    char *timeout;
    char *ping_interval;
    char *subprotocol;
    bool *tls_resume; /* NULL = absent (default true) */
    struct raw_reconnect *reconnect;
    char *read_rate;
    char *compression;
    struct raw_deflate *deflate;
} raw_connect_t;

/* connect.deflate: permessage-deflate's parameters. */
typedef struct raw_deflate {
    unsigned client_max_window_bits;
    unsigned server_max_window_bits;
    bool client_no_context_takeover;
    bool server_no_context_takeover;
} raw_deflate_t;

/* connect.reconnect: the automatic reconnect policy. */
typedef struct raw_reconnect {
    unsigned max_attempts;
    char *backoff;
    char *max_backoff;
    char *jitter;
} raw_reconnect_t;

/* A scenario's count: entry (every matching incoming message). */
typedef struct raw_count {
    char *name;
    char *match;
    char *latency_from;
    char *unit;
} raw_count_t;

typedef struct raw_scenario {
    char *name;
    unsigned weight;
    char *protocol;
    raw_stomp_conn_t *stomp;
    raw_sio_conn_t *socketio;
    raw_graphql_conn_t *graphql;
    raw_connect_t *connect;
    raw_step_t *on_start;
    unsigned on_start_count;
    raw_step_t *on_reconnect;
    unsigned on_reconnect_count;
    raw_task_t *tasks;
    unsigned tasks_count;
    raw_count_t *count;
    unsigned count_count;
} raw_scenario_t;

typedef struct raw_stage {
    char *duration;
    unsigned users;
} raw_stage_t;

typedef struct raw_rate_stage {
    char *duration;
    char *rate;
} raw_rate_stage_t;

typedef struct raw_session {
    unsigned iterations;
    char *duration;
} raw_session_t;

/* load.arrival_rate: the open model. */
typedef struct raw_arrival {
    char *rate;
    char *duration;
    raw_rate_stage_t *stages;
    unsigned stages_count;
    unsigned max_users;
    raw_session_t *session;
    char *graceful_stop;
} raw_arrival_t;

typedef struct raw_load {
    unsigned users;
    char *duration;
    char *ramp_up;
    raw_stage_t *stages;
    unsigned stages_count;
    raw_arrival_t *arrival_rate;
    unsigned max_connecting;
} raw_load_t;

/* data: the CSV rows for {{data.COLUMN}}. */
typedef struct raw_data {
    char *file;
    char *order;
} raw_data_t;

/* tls: options for every wss:// connect and https:// http step. */
typedef struct raw_tls {
    char *ca_file;
    char *client_cert;
    char *client_key;
    bool insecure_skip_verify;
} raw_tls_t;

/* observe: one Prometheus endpoint of the system under test. */
typedef struct raw_observe {
    char *prometheus;
    char *interval;
    char **metrics;
    unsigned metrics_count;
} raw_observe_t;

typedef struct raw_spec {
    unsigned version;
    char *name;
    char *target;
    raw_data_t *data;
    raw_tls_t *tls;
    raw_load_t *load;
    raw_scenario_t *scenarios;
    unsigned scenarios_count;
    char **assertions;
    unsigned assertions_count;
    raw_observe_t *observe;
    unsigned observe_count;
} raw_spec_t;

/* ------------------------------------------------------------------ */
/* The compile context: where errors go and what the parts share.       */

/* Lives on spec_load's stack for one load. file, root and err are borrowed;
 * s is the plan being built (spec_load hands it out or frees it); the
 * metric lines and variables are owned and freed when the load ends; scope
 * borrows the variables, and a scenario's slot names while it compiles. */
typedef struct spec_ctx {
    const char *file;
    const yloc_node_t *root;
    char *err;
    size_t errlen;
    spec_t *s;
    int *metric_lines; /* line of each metric name, parallel */
    char **var_names;  /* spec variables, then "target" */
    char **var_values;
    size_t nvars;
    tmpl_scope_t scope;
    const spec_guard_t *guard;   /* spec_opts_t's; NULL: none */
    const spec_overrides_t *ovr; /* spec_opts_t's overrides; NULL: none */
    spec_protocol_t protocol;    /* of the scenario being compiled */
} spec_ctx_t;

/* ---- diag.c: errors for the user ---- */

/* Sets c->err to "FILE:LINE: msg" (or "FILE: msg" for line 0). Returns -1,
 * so a caller can write return diag_fail_line(...). */
int diag_fail_line(spec_ctx_t *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like diag_fail_line, at the line of a spec path such as "load.ramp_up"
 * (line 1 when the path is not in the file). Returns -1. */
int diag_fail_at(spec_ctx_t *c, const char *ypath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports running out of memory. Returns -1. */
int diag_oom(spec_ctx_t *c);

/* strdup that reports running out of memory. Returns the copy (the caller
 * frees it) or NULL with c->err set. */
char *diag_strdup(spec_ctx_t *c, const char *s);

/* "mapping", "list" or "plain value", for messages. Static string. */
const char *diag_kind_name(yloc_kind_t k);

/* Turns the error log libcyaml wrote while loading (log may be NULL) into
 * one line in c->err with the spec's line number. Returns -1. */
int diag_cyaml(spec_ctx_t *c, const char *log);

/* ---- schema.c: the libcyaml schema ---- */

/* The schema of a whole spec; diag.c walks it for the keys allowed. */
extern const cyaml_schema_value_t schema_spec;

/* Loads the len bytes of data with libcyaml into *raw. Returns 0, or -1 with
 * c->err set (*raw may then be partly filled). Free *raw with
 * schema_free_raw() either way. */
int schema_load_raw(spec_ctx_t *c, const char *data, size_t len, raw_spec_t **raw);

/* Frees what schema_load_raw() loaded; NULL is fine. */
void schema_free_raw(raw_spec_t *raw);

/* ---- scalar.c: numbers and true/false, read exactly ---- */

/* Checks every whole-number and true/false key of the schema in the tree
 * c->root before libcyaml reads them (libcyaml takes "1e3" as 1 and "yes"
 * or "truex" as true): numbers are decimal digits, 0 to UINT_MAX, without
 * sign, separators or leading zeros; booleans are true or false. Returns 0
 * or -1 with c->err set, saying what to write. */
int scalar_check_all(spec_ctx_t *c);

/* Reads text as a whole number from 0 to UINT_MAX written the one way
 * (decimal digits, no sign, separators or leading zeros) into *out.
 * Returns 0, or -1 with msg saying what is wrong and what to write:
 * "\"+5\" has a sign; write WRITE5", write being how the value is given
 * ("users: ", "--users ") and ex an example value. */
int scalar_whole(const char *text, const char *write, const char *ex, unsigned *out, char *msg,
                 size_t n);

/* ---- field.c: readers of single values ---- */

/* True when the spec has the key at ypath, even with an empty value. */
bool field_present(const spec_ctx_t *c, const char *ypath);

/* Reads a duration such as "30s" into *out (microseconds). Returns 0, or -1
 * with c->err naming ypath. */
int field_duration(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out);

/* An optional timeout: 10s when text is NULL, else more than 0. Returns 0 or
 * -1 with c->err set. */
int field_timeout(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out);

/* The weight of base ("scenarios[0]"): 1 when absent; an explicit 0 or
 * more than 1000000 is an error. Returns 0 or -1 with c->err set. */
int field_weight(spec_ctx_t *c, const char *base, unsigned raw, unsigned *out);

/* Compiles the template src at ypath against c->scope into *out (the caller
 * frees it with tmpl_free). A value holding a NUL byte (a URL, a header) is
 * an error: it could not be sent whole. Returns 0 or -1 with c->err set. */
int field_tmpl(spec_ctx_t *c, const char *ypath, const char *src, tmpl_t **out);

/* Like field_tmpl for a message body, which carries any byte: the value at
 * ypath is compiled whole, NUL bytes included (src, libcyaml's copy, ends
 * at the first). Returns 0 or -1 with c->err set. */
int field_tmpl_bytes(spec_ctx_t *c, const char *ypath, const char *src, tmpl_t **out);

/* ws://HOST or wss://HOST. */
bool field_is_ws_url(const char *s);

/* Checks the URL template t at ypath when it renders the same for every
 * user (tmpl_is_constant): a ws:// or wss:// URL when websocket, else an
 * http:// or https:// one, with a host and a port of 1-65535 (base/url).
 * A URL on `target: embedded` is left to the run. Returns 0 or -1 with
 * c->err set. */
int field_url(spec_ctx_t *c, const char *ypath, const tmpl_t *t, bool websocket);

/* "Name: value" with a token name, as HTTP wants it. */
bool field_is_header(const char *h);

/* Usable in {{ }}: a letter or _, then letters, digits and _. */
bool field_is_ident(const char *s);

/* A name the templates define themselves (target, vu, env, ...). */
bool field_is_reserved_var(const char *s);

/* ---- settings.c: target, variables, data, tls ---- */

/* Picks --target, then $WSGATE_TARGET, then the spec's target, into
 * c->s->target. Returns 0 or -1 with c->err set. */
int settings_target(spec_ctx_t *c, const raw_spec_t *raw, const spec_opts_t *opts);

/* Reads variables: and builds c->scope from them plus "target" and
 * "target_http" (needs c->s->target). Returns 0 or -1 with c->err set. */
int settings_variables(spec_ctx_t *c);

/* data: reads the CSV rows into c->s and adds their columns to c->scope;
 * r may be NULL. Returns 0 or -1 with c->err set. */
int settings_data(spec_ctx_t *c, const raw_data_t *r);

/* tls: resolves and checks the PEM files into c->s->tls; r may be NULL.
 * Returns 0 or -1 with c->err set. */
int settings_tls(spec_ctx_t *c, const raw_tls_t *r);

/* ---- observe.c: the server's metrics to scrape ---- */

/* Compiles observe: into c->s->observe (needs the template scope).
 * Returns 0 or -1 with c->err set. */
int observe_compile(spec_ctx_t *c, const raw_spec_t *raw);

/* Checks a server.* assertion's metric against the observed selectors.
 * Returns 0 or -1 with a reason in why. */
int observe_check_assertion(const spec_t *s, const asrt_t *a, char *why, size_t whylen);

/* ---- shape.c: the load shape ---- */

/* load: the closed model (users, stages) or the open one (arrival_rate)
 * into c->s, with its duration and peak users. Returns 0 or -1 with c->err
 * set. */
int shape_compile(spec_ctx_t *c, const raw_load_t *l);

/* ---- names.c: metric names and capture slots ---- */

/* Appends name (declared on line, 0 for built-ins) to c->s->metric_names.
 * Returns 0 or -1 with c->err set. */
int names_push_metric(spec_ctx_t *c, const char *name, int line);

/* Registers the step at ypath, called name, as a metric and sets *metric
 * to its index; names are unique and not reserved. Returns 0 or -1. */
int names_step_metric(spec_ctx_t *c, const char *name, const char *ypath, int *metric);

/* Index of the slot called name in c->scope, or -1. */
int names_find_slot(const spec_ctx_t *c, const char *name);

/* Collects the capture names of scenario base (raw r) into out->slot_names
 * and points c->scope at them. Returns 0 or -1 with c->err set. */
int names_collect_slots(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                        spec_scenario_t *out);

/* ---- steps.c: one step ---- */

/* A step of a steps: list, on_start: or on_reconnect: (any action) at ypath
 * into *out, which the caller zeroed and frees. Returns 0 or -1. */
int step_compile(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out);

/* A step of send/expect/sleep (or reconnect, when out->reconnect is set):
 * its metric, template and predicate. Returns 0 or -1 with c->err set. */
int step_compile_send_expect(spec_ctx_t *c, const char *ypath, const char *name, const char *send,
                             const raw_expect_t *expect, const char *sleep, spec_step_t *out);

/* latency_from: and unit: under base into out. Returns 0 or -1. */
int step_latency_from(spec_ctx_t *c, const char *base, const char *from, const char *unit,
                      spec_step_t *out);

/* The capture map at cpath (name: PATH of the matched message) into
 * st->captures. Returns 0 or -1 with c->err set. */
int step_captures(spec_ctx_t *c, const char *cpath, spec_step_t *st);

/* ---- http_step.c: an http: step ---- */

/* The http: step at ypath into *out (out->http is allocated and owned by
 * out). Returns 0 or -1 with c->err set. */
int http_step_compile(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out);

/* ---- guard.c: the guard rails of spec_guard_t ---- */

/* Refuses a URL known at load time (the target, a constant connect or
 * http URL) that --allow-hosts/--block-hosts refuse by its host alone.
 * origin names a flag or variable the URL came from (the error then has no
 * line), NULL: the spec at ypath. Returns 0 or -1 with c->err set. */
int spec_guard_url(spec_ctx_t *c, const char *ypath, const char *origin, const char *host,
                   int port);

/* Refuses a plan over --max-users, --max-duration or --max-rate (the
 * whole spec, whatever share a shard runs). Returns 0 or -1. */
int spec_guard_limits(spec_ctx_t *c);
/* ---- deflate.c: connect.compression and connect.deflate ---- */

/* connect.compression (r->compression, may be NULL) and connect.deflate of
 * the scenario at base into out->deflate. Returns 0 or -1 with c->err set. */
int deflate_compile(spec_ctx_t *c, const char *base, const raw_connect_t *r, spec_scenario_t *out);

/* ---- stomp.c: protocol stomp's keys ---- */

/* The scenario's stomp: at base ("scenarios[0]"; r may be NULL) into
 * out->stomp, and checks connect against it. Returns 0 or -1 with c->err
 * set. */
int stomp_compile_conn(spec_ctx_t *c, const char *base, const raw_stomp_conn_t *r,
                       spec_scenario_t *out);

/* The stomp: step at ypath into *out (a SUBSCRIBE or SEND frame, its metric,
 * its receipt or expect). Returns 0 or -1 with c->err set. */
int stomp_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out);

/* ---- graphql.c: protocol graphql's keys ---- */

/* The scenario's graphql: at base (r may be NULL) into out->graphql.
 * Returns 0 or -1 with c->err set. */
int graphql_compile_conn(spec_ctx_t *c, const char *base, const raw_graphql_conn_t *r,
                         spec_scenario_t *out);

/* The graphql: step at ypath into *out (its subscribe message, its metrics
 * and its wait for the first next). Returns 0 or -1 with c->err set. */
int graphql_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out);

/* ---- scenario.c: scenarios ---- */

/* Every scenario of raw into c->s->scenarios. Returns 0 or -1 with c->err
 * set. */
int scenario_compile_all(spec_ctx_t *c, const raw_spec_t *raw);

/* ---- socketio.c: protocol socketio's keys ---- */

/* The scenario's socketio: at base (r may be NULL) into out->socketio.
 * Returns 0 or -1 with c->err set. */
int sio_compile_conn(spec_ctx_t *c, const char *base, const raw_sio_conn_t *r,
                     spec_scenario_t *out);

/* The emit: step at ypath into *out (an EVENT packet, its metric, ack: its
 * wait). Returns 0 or -1 with c->err set. */
int sio_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out);

#endif
