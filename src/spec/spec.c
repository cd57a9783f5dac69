#include "spec/spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cyaml/cyaml.h>

#include "spec/load.h"
#include "spec/data.h"
#include "base/pem.h"
#include "base/sbuf.h"
#include "spec/yloc.h"
#include "base/suggest.h"

#define SPEC_MAX_BYTES (4u << 20)
#define SPEC_DEFAULT_TIMEOUT_US 10000000ull
#define SPEC_RECONNECT_ATTEMPTS 5u
#define SPEC_RECONNECT_BACKOFF_US 1000000ull
#define SPEC_RECONNECT_MAX_BACKOFF_US 30000000ull
#define SPEC_MSG_MAX 2048
#define SPEC_MAX_FRAMES 32

/* ------------------------------------------------------------------ */
/* The spec as libcyaml loads it: text where spec.c parses further.     */

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

typedef struct raw_step {
    char *name;
    char *send;
    raw_expect_t *expect;
    char *sleep;
    bool reconnect;
    char *send_binary;
    raw_close_t *close;
    raw_http_t *http;
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
    struct raw_reconnect *reconnect;
} raw_connect_t;

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
} raw_spec_t;

/* ------------------------------------------------------------------ */
/* Schema. Field order is the order "allowed keys" are listed in.       */

#define REQ_STR(key, type, member)                                                                 \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, type, member, 0, CYAML_UNLIMITED)
#define OPT_STR(key, type, member)                                                                 \
    CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, 0,         \
                           CYAML_UNLIMITED)
#define OPT_MAP(key, type, member, fields)                                                         \
    CYAML_FIELD_MAPPING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type, member, fields)
#define SEQ(key, flags, type, member, entry, min)                                                  \
    CYAML_FIELD_SEQUENCE(key, CYAML_FLAG_POINTER | (flags), type, member, entry, min,              \
                         CYAML_UNLIMITED)

static const cyaml_schema_value_t str_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t expect_fields[] = {
    REQ_STR("match", raw_expect_t, match),
    OPT_STR("timeout", raw_expect_t, timeout),
    OPT_STR("fail_if", raw_expect_t, fail_if),
    OPT_STR("latency_from", raw_expect_t, latency_from),
    OPT_STR("unit", raw_expect_t, unit),
    CYAML_FIELD_IGNORE("capture", CYAML_FLAG_OPTIONAL),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t close_fields[] = {
    CYAML_FIELD_UINT("code", CYAML_FLAG_DEFAULT, raw_close_t, code),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t http_fields[] = {
    OPT_STR("method", raw_http_t, method),
    REQ_STR("url", raw_http_t, url),
    SEQ("headers", CYAML_FLAG_OPTIONAL, raw_http_t, headers, &str_entry, 0),
    OPT_STR("json", raw_http_t, json),
    OPT_STR("form", raw_http_t, form),
    OPT_STR("body", raw_http_t, body),
    CYAML_FIELD_UINT("expect_status", CYAML_FLAG_OPTIONAL, raw_http_t, expect_status),
    OPT_STR("timeout", raw_http_t, timeout),
    CYAML_FIELD_IGNORE("capture", CYAML_FLAG_OPTIONAL),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t step_fields[] = {
    OPT_STR("name", raw_step_t, name),
    OPT_STR("send", raw_step_t, send),
    OPT_MAP("expect", raw_step_t, expect, expect_fields),
    OPT_STR("sleep", raw_step_t, sleep),
    CYAML_FIELD_BOOL("reconnect", CYAML_FLAG_OPTIONAL, raw_step_t, reconnect),
    OPT_STR("send_binary", raw_step_t, send_binary),
    OPT_MAP("close", raw_step_t, close, close_fields),
    OPT_MAP("http", raw_step_t, http, http_fields),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t step_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_step_t, step_fields),
};

static const cyaml_schema_field_t task_fields[] = {
    OPT_STR("name", raw_task_t, name),
    CYAML_FIELD_UINT("weight", CYAML_FLAG_OPTIONAL, raw_task_t, weight),
    OPT_STR("pause", raw_task_t, pause),
    OPT_STR("rate", raw_task_t, rate),
    OPT_STR("send", raw_task_t, send),
    OPT_MAP("expect", raw_task_t, expect, expect_fields),
    SEQ("steps", CYAML_FLAG_OPTIONAL, raw_task_t, steps, &step_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t task_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_task_t, task_fields),
};

static const cyaml_schema_field_t reconnect_fields[] = {
    CYAML_FIELD_UINT("max_attempts", CYAML_FLAG_OPTIONAL, raw_reconnect_t, max_attempts),
    OPT_STR("backoff", raw_reconnect_t, backoff),
    OPT_STR("max_backoff", raw_reconnect_t, max_backoff),
    OPT_STR("jitter", raw_reconnect_t, jitter),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t connect_fields[] = {
    REQ_STR("url", raw_connect_t, url),
    SEQ("headers", CYAML_FLAG_OPTIONAL, raw_connect_t, headers, &str_entry, 0),
    OPT_STR("timeout", raw_connect_t, timeout),
    OPT_STR("ping_interval", raw_connect_t, ping_interval),
    OPT_STR("subprotocol", raw_connect_t, subprotocol),
    OPT_MAP("reconnect", raw_connect_t, reconnect, reconnect_fields),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t count_fields[] = {
    REQ_STR("name", raw_count_t, name),
    REQ_STR("match", raw_count_t, match),
    OPT_STR("latency_from", raw_count_t, latency_from),
    OPT_STR("unit", raw_count_t, unit),
    CYAML_FIELD_IGNORE("capture", CYAML_FLAG_OPTIONAL),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t count_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_count_t, count_fields),
};

static const cyaml_schema_field_t scenario_fields[] = {
    REQ_STR("name", raw_scenario_t, name),
    CYAML_FIELD_UINT("weight", CYAML_FLAG_OPTIONAL, raw_scenario_t, weight),
    CYAML_FIELD_MAPPING_PTR("connect", CYAML_FLAG_POINTER, raw_scenario_t, connect, connect_fields),
    SEQ("on_start", CYAML_FLAG_OPTIONAL, raw_scenario_t, on_start, &step_entry, 0),
    SEQ("on_reconnect", CYAML_FLAG_OPTIONAL, raw_scenario_t, on_reconnect, &step_entry, 0),
    SEQ("tasks", CYAML_FLAG_OPTIONAL, raw_scenario_t, tasks, &task_entry, 0),
    SEQ("count", CYAML_FLAG_OPTIONAL, raw_scenario_t, count, &count_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t scenario_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_scenario_t, scenario_fields),
};

static const cyaml_schema_field_t stage_fields[] = {
    REQ_STR("duration", raw_stage_t, duration),
    CYAML_FIELD_UINT("users", CYAML_FLAG_DEFAULT, raw_stage_t, users),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t stage_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_stage_t, stage_fields),
};

static const cyaml_schema_field_t rate_stage_fields[] = {
    REQ_STR("duration", raw_rate_stage_t, duration),
    REQ_STR("rate", raw_rate_stage_t, rate),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t rate_stage_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_rate_stage_t, rate_stage_fields),
};

static const cyaml_schema_field_t session_fields[] = {
    CYAML_FIELD_UINT("iterations", CYAML_FLAG_OPTIONAL, raw_session_t, iterations),
    OPT_STR("duration", raw_session_t, duration),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t arrival_fields[] = {
    OPT_STR("rate", raw_arrival_t, rate),
    OPT_STR("duration", raw_arrival_t, duration),
    SEQ("stages", CYAML_FLAG_OPTIONAL, raw_arrival_t, stages, &rate_stage_entry, 1),
    CYAML_FIELD_UINT("max_users", CYAML_FLAG_OPTIONAL, raw_arrival_t, max_users),
    OPT_MAP("session", raw_arrival_t, session, session_fields),
    OPT_STR("graceful_stop", raw_arrival_t, graceful_stop),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t load_fields[] = {
    CYAML_FIELD_UINT("users", CYAML_FLAG_OPTIONAL, raw_load_t, users),
    OPT_STR("duration", raw_load_t, duration),
    OPT_STR("ramp_up", raw_load_t, ramp_up),
    SEQ("stages", CYAML_FLAG_OPTIONAL, raw_load_t, stages, &stage_entry, 1),
    OPT_MAP("arrival_rate", raw_load_t, arrival_rate, arrival_fields),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t data_fields[] = {
    REQ_STR("file", raw_data_t, file),
    OPT_STR("order", raw_data_t, order),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t tls_fields[] = {
    OPT_STR("ca_file", raw_tls_t, ca_file),
    OPT_STR("client_cert", raw_tls_t, client_cert),
    OPT_STR("client_key", raw_tls_t, client_key),
    CYAML_FIELD_BOOL("insecure_skip_verify", CYAML_FLAG_OPTIONAL, raw_tls_t, insecure_skip_verify),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t spec_fields[] = {
    CYAML_FIELD_UINT("version", CYAML_FLAG_OPTIONAL, raw_spec_t, version),
    REQ_STR("name", raw_spec_t, name),
    OPT_STR("target", raw_spec_t, target),
    CYAML_FIELD_IGNORE("variables", CYAML_FLAG_OPTIONAL),
    OPT_MAP("data", raw_spec_t, data, data_fields),
    OPT_MAP("tls", raw_spec_t, tls, tls_fields),
    CYAML_FIELD_MAPPING_PTR("load", CYAML_FLAG_POINTER, raw_spec_t, load, load_fields),
    SEQ("scenarios", CYAML_FLAG_DEFAULT, raw_spec_t, scenarios, &scenario_entry, 1),
    SEQ("assertions", CYAML_FLAG_OPTIONAL, raw_spec_t, assertions, &str_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t spec_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, raw_spec_t, spec_fields),
};

/* What to write when a key is missing or a list is empty. */
static const struct {
    const char *key;
    const char *example;
} key_examples[] = {
    { "name", "name: my-load-test" },
    { "load", "load: {users: 10, duration: 30s}" },
    { "scenarios", "scenarios: followed by a list item \"- name: ...\" with connect: {url: ...}" },
    { "connect", "connect: {url: \"{{target}}/ws\"}" },
    { "url", "url: \"{{target}}/ws\"" },
    { "match", "match: 'type == \"ack\"'" },
    { "duration", "duration: 30s" },
    { "users", "users: 10" },
    { "stages", "stages: [{duration: 10s, users: 50}]" },
    { "file", "file: users.csv (a CSV file whose first line names the columns)" },
};

/* ------------------------------------------------------------------ */
/* Loading context and errors.                                          */

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
} spec_ctx_t;

/* One backtrace step from libcyaml: a mapping key or a sequence index. */
typedef struct cy_frame {
    char key[64]; /* "" for a sequence entry or a bare mapping */
    long index;   /* sequence entry index, -1 otherwise */
    bool is_seq;
    int line;
} cy_frame_t;

/* libcyaml's error, as captured by cy_log and parsed. */
typedef struct cy_error {
    char msg[256];                      /* first "Load: ..." line, prefix stripped */
    cy_frame_t frames[SPEC_MAX_FRAMES]; /* outermost first */
    size_t nframes;
} cy_error_t;

static int fail_line(spec_ctx_t *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(spec_ctx_t *c, const char *ypath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vfail_line(spec_ctx_t *c, int line, const char *fmt, va_list ap)
{
    char msg[SPEC_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (line > 0)
        snprintf(c->err, c->errlen, "%s:%d: %s", c->file, line, msg);
    else
        snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
    return -1;
}

/* Sets the error to "FILE:LINE: msg" (or "FILE: msg" for line 0). */
static int fail_line(spec_ctx_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_line(c, line, fmt, ap);
    va_end(ap);
    return -1;
}

/* Like fail_line, at the line of a spec path such as "load.ramp_up". */
static int fail_at(spec_ctx_t *c, const char *ypath, const char *fmt, ...)
{
    int line = yloc_line(c->root, ypath);
    va_list ap;
    va_start(ap, fmt);
    vfail_line(c, line > 0 ? line : 1, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(spec_ctx_t *c)
{
    return fail_line(c, 0, "out of memory while loading the spec");
}

/* Messages from other modules promise one line; make sure of it. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

static char *xstrdup(spec_ctx_t *c, const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom(c);
    return p;
}

/* ------------------------------------------------------------------ */
/* Reading the file and the position tree.                              */

/* Reads the whole file; the bytes go to both libyaml and libcyaml. */
static int read_file(spec_ctx_t *c, char **out, size_t *len)
{
    FILE *f = fopen(c->file, "rb");
    if (!f)
        return fail_line(c, 0, "cannot read the spec: %s", strerror(errno));
    sbuf_t b = SBUF_INIT;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > SPEC_MAX_BYTES)
            rc = fail_line(c, 0, "the spec is larger than 4 MiB; split it");
        else if (sbuf_append(&b, chunk, n) < 0)
            rc = oom(c);
    }
    if (rc == 0 && ferror(f))
        rc = fail_line(c, 0, "cannot read the spec: read error");
    if (rc == 0 && !b.data && sbuf_reserve(&b, 0) < 0)
        rc = oom(c);
    fclose(f);
    if (rc < 0) {
        sbuf_free(&b);
        return -1;
    }
    b.data[b.len] = '\0';
    *out = b.data;
    *len = b.len;
    return 0;
}

static const char *kind_name(yloc_kind_t k)
{
    return k == YLOC_MAP ? "mapping" : k == YLOC_SEQ ? "list" : "plain value";
}

static int parse_tree(spec_ctx_t *c, const char *data, size_t len, yloc_node_t **root)
{
    char why[512];
    int line;
    if (yloc_parse(data, len, root, &line, why, sizeof(why)) < 0)
        return fail_line(c, line, "YAML syntax error: %s", why);
    if (!*root)
        return fail_line(c, 1,
                         "the spec is empty; start with name:, target:, load: and "
                         "scenarios:");
    if ((*root)->kind != YLOC_MAP)
        return fail_line(c, (*root)->line,
                         "the spec must be a mapping of keys (name:, "
                         "load:, scenarios:, ...), not a %s",
                         kind_name((*root)->kind));
    return 0;
}

/* ------------------------------------------------------------------ */
/* libcyaml errors -> one line with the right line number.              */

static void cy_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    sbuf_t *log = ctx;
    if (level < CYAML_LOG_ERROR || log->len > 16384)
        return;
    sbuf_vprintf(log, fmt, args);
}

static void parse_frame(cy_error_t *e, const char *ln)
{
    cy_frame_t f = { .index = -1 };
    long idx;
    if (e->nframes == SPEC_MAX_FRAMES)
        return;
    if (sscanf(ln, "  in mapping field '%63[^']' (line: %d", f.key, &f.line) == 2) {
        /* key frame */
    } else if (sscanf(ln, "  in sequence entry '%ld' (line: %d", &idx, &f.line) == 2) {
        f.is_seq = true;
        f.index = idx > 0 ? idx - 1 : 0; /* libcyaml counts the entry in progress */
    } else if (sscanf(ln, "  in mapping (line: %d", &f.line) != 1) {
        return;
    }
    e->frames[e->nframes++] = f;
}

/* Splits the captured log into the message and the backtrace frames. */
static void parse_cy_log(const char *log, cy_error_t *e)
{
    memset(e, 0, sizeof(*e));
    const char *p = log ? log : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        char ln[512];
        snprintf(ln, sizeof(ln), "%.*s", (int)(n < 511 ? n : 511), p);
        if (strncmp(ln, "Load: ", 6) == 0 && strcmp(ln, "Load: Backtrace:") != 0) {
            if (!e->msg[0])
                snprintf(e->msg, sizeof(e->msg), "%.250s", ln + 6);
        } else if (strncmp(ln, "  in ", 5) == 0) {
            parse_frame(e, ln);
        }
        p += n + (p[n] == '\n');
    }
    /* libcyaml prints innermost first; keep outermost first. */
    for (size_t i = 0; i < e->nframes / 2; i++) {
        cy_frame_t t = e->frames[i];
        e->frames[i] = e->frames[e->nframes - 1 - i];
        e->frames[e->nframes - 1 - i] = t;
    }
}

/* Drops the innermost frame when it names a key or entry that is not the
 * place of the error (libcyaml keeps the last key seen in a mapping). */
static void drop_inner_if(cy_error_t *e, bool seq)
{
    if (e->nframes == 0)
        return;
    const cy_frame_t *f = &e->frames[e->nframes - 1];
    if ((seq && f->is_seq) || (!seq && !f->is_seq && f->key[0]))
        e->nframes--;
}

static void frames_path(const cy_error_t *e, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nframes && used < n; i++) {
        const cy_frame_t *f = &e->frames[i];
        int w = 0;
        if (f->is_seq)
            w = snprintf(buf + used, n - used, "[%ld]", f->index);
        else if (f->key[0])
            w = snprintf(buf + used, n - used, "%s%s", used ? "." : "", f->key);
        if (w > 0)
            used += (size_t)w;
    }
}

/* "in scenarios[0].on_start[0]" or "at the top level". */
static void where_text(const char *path, char *buf, size_t n)
{
    if (path[0])
        snprintf(buf, n, "in %s", path);
    else
        snprintf(buf, n, "at the top level");
}

/* Walks the schema along the frames to the mapping they end in. */
static const cyaml_schema_field_t *schema_fields_at(const cy_error_t *e)
{
    const cyaml_schema_value_t *v = &spec_schema;
    for (size_t i = 0; i < e->nframes && v; i++) {
        const cy_frame_t *f = &e->frames[i];
        if (f->is_seq) {
            v = v->type == CYAML_SEQUENCE ? v->sequence.entry : NULL;
            continue;
        }
        if (!f->key[0])
            continue;
        if (v->type != CYAML_MAPPING)
            return NULL;
        const cyaml_schema_field_t *fld = v->mapping.fields;
        while (fld->key && strcmp(fld->key, f->key) != 0)
            fld++;
        v = fld->key ? &fld->value : NULL;
    }
    return v && v->type == CYAML_MAPPING ? v->mapping.fields : NULL;
}

/* A key that one starts with the other (e.g. "expect_type" / "expect")
 * counts as a near miss. */
static size_t key_distance(const char *typed, const char *allowed)
{
    size_t lt = strlen(typed), la = strlen(allowed);
    size_t shorter = lt < la ? lt : la;
    if (shorter >= 3 && strncasecmp(typed, allowed, shorter) == 0)
        return 1;
    return suggest_distance(typed, allowed);
}

/* The allowed key closest to typed, or NULL when none is close. */
static const char *did_you_mean(const char *typed, const cyaml_schema_field_t *fields)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    size_t limit = strlen(typed) / 3 > 2 ? strlen(typed) / 3 : 2;
    for (; fields && fields->key; fields++) {
        size_t d = key_distance(typed, fields->key);
        if (d < bestd) {
            bestd = d;
            best = fields->key;
        }
    }
    return bestd <= limit ? best : NULL;
}

static void allowed_keys(const cyaml_schema_field_t *fields, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (; fields && fields->key && used < n; fields++) {
        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", fields->key);
        if (w > 0)
            used += (size_t)w;
    }
}

/* Line of key in the mapping at path; occurrence 0 is the first. */
static int key_line(const spec_ctx_t *c, const char *path, const char *key, int occurrence)
{
    const yloc_node_t *map = yloc_find(c->root, path);
    for (size_t i = 0; map && map->kind == YLOC_MAP && i < map->nkids; i++)
        if (strcmp(map->kids[i]->key, key) == 0 && occurrence-- == 0)
            return map->kids[i]->key_line;
    return 0;
}

static int line_or(int line, int fallback)
{
    return line > 0 ? line : (fallback > 0 ? fallback : 1);
}

static int cy_unknown_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540], allowed[512];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    const cyaml_schema_field_t *fields = schema_fields_at(e);
    const char *near = did_you_mean(key, fields);
    int line = line_or(key_line(c, path, key, 0), yloc_line(c->root, path));
    if (near)
        return fail_line(c, line, "unknown key \"%s\" %s; did you mean \"%s\"?", key, where, near);
    allowed_keys(fields, allowed, sizeof(allowed));
    return fail_line(c, line, "unknown key \"%s\" %s; allowed here: %s", key, where, allowed);
}

static const char *example_for(const char *key)
{
    for (size_t i = 0; i < sizeof(key_examples) / sizeof(key_examples[0]); i++)
        if (strcmp(key_examples[i].key, key) == 0)
            return key_examples[i].example;
    return NULL;
}

static int cy_missing_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    const char *ex = example_for(key);
    int line = line_or(yloc_line(c->root, path), 1);
    if (ex)
        return fail_line(c, line, "missing key \"%s\" %s; add %s", key, where, ex);
    return fail_line(c, line, "missing key \"%s\" %s; add %s: ...", key, where, key);
}

static int cy_duplicate_key(spec_ctx_t *c, cy_error_t *e, const char *key)
{
    char path[512], where[540];
    drop_inner_if(e, false);
    frames_path(e, path, sizeof(path));
    where_text(path, where, sizeof(where));
    int first = key_line(c, path, key, 0);
    int line = line_or(key_line(c, path, key, 1), yloc_line(c->root, path));
    return fail_line(c, line, "key \"%s\" appears twice %s (first on line %d); keep one", key,
                     where, first);
}

static int cy_bad_number(spec_ctx_t *c, cy_error_t *e, const char *value)
{
    char path[512];
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    return fail_at(c, path, "%s must be a whole number, not \"%s\"; write e.g. %s: %s", path, value,
                   last[0] ? last : "value", strcmp(last, "users") == 0 ? "10" : "1");
}

static const char *cy_type_text(const char *t)
{
    if (strcmp(t, "STRING") == 0)
        return "a text value";
    if (strcmp(t, "SEQUENCE") == 0)
        return "a list";
    if (strcmp(t, "MAPPING") == 0)
        return "a mapping (key: value lines)";
    if (strcmp(t, "UINT") == 0 || strcmp(t, "INT") == 0)
        return "a whole number";
    if (strcmp(t, "SCALAR") == 0)
        return "a plain value";
    if (strcmp(t, "SEQUENCE_START") == 0)
        return "a list";
    if (strcmp(t, "MAPPING_START") == 0)
        return "a mapping";
    return t;
}

static const char *cy_type_hint(const char *want, const char *got)
{
    if (strcmp(want, "STRING") == 0 && strcmp(got, "MAPPING_START") == 0)
        return "put the whole value in quotes (single quotes around JSON, e.g. "
               "send: '{\"a\":1}')";
    if (strcmp(want, "STRING") == 0)
        return "write a single value, in quotes if it contains [ ] { } : or #";
    if (strcmp(want, "SEQUENCE") == 0)
        return "write one entry per line, each starting with \"- \"";
    if (strcmp(want, "MAPPING") == 0)
        return "write indented key: value lines (or {key: value})";
    return "see the spec reference";
}

static int cy_wrong_type(spec_ctx_t *c, cy_error_t *e, const char *want, const char *got)
{
    char path[512];
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    const char *ex = example_for(last);
    if (yloc_is_null(yloc_find(c->root, path)) && path[0])
        return fail_at(c, path, "%s has no value; write %s", path,
                       ex ? ex : cy_type_hint(want, got));
    return fail_at(c, path, "%s must be %s, not %s; %s", path[0] ? path : "the spec",
                   cy_type_text(want), cy_type_text(got), cy_type_hint(want, got));
}

static int cy_too_few(spec_ctx_t *c, cy_error_t *e, unsigned min)
{
    char path[512];
    drop_inner_if(e, true);
    frames_path(e, path, sizeof(path));
    const char *last = e->nframes ? e->frames[e->nframes - 1].key : "";
    const char *ex = example_for(last);
    return fail_at(c, path, "%s needs at least %u entr%s; write %s", path, min,
                   min == 1 ? "y" : "ies", ex ? ex : "one \"- ...\" line per entry");
}

/* Turns libcyaml's captured log into one user-facing line. */
static int cy_translate(spec_ctx_t *c, const char *log)
{
    cy_error_t e;
    char a[256], b[256];
    unsigned n, min;
    parse_cy_log(log, &e);
    if (sscanf(e.msg, "Unexpected key: %255[^\n]", a) == 1)
        return cy_unknown_key(c, &e, a);
    if (sscanf(e.msg, "Missing required mapping field: %255[^\n]", a) == 1)
        return cy_missing_key(c, &e, a);
    if (sscanf(e.msg, "Mapping field already seen: %255[^\n]", a) == 1)
        return cy_duplicate_key(c, &e, a);
    /* "Invalid UINT value: 'x'" (or "uint64_t", depending on the build) */
    if (strncmp(e.msg, "Invalid ", 8) == 0 &&
        sscanf(e.msg, "Invalid %*s value: '%255[^']'", a) == 1)
        return cy_bad_number(c, &e, a);
    if (sscanf(e.msg, "Expecting %255s got event: %255s", a, b) == 2) {
        a[strcspn(a, ",")] = '\0';
        return cy_wrong_type(c, &e, a, b);
    }
    if (sscanf(e.msg, "Insufficient entries (%u of %u min)", &n, &min) == 2)
        return cy_too_few(c, &e, min);
    char path[512];
    frames_path(&e, path, sizeof(path));
    int line = e.nframes ? e.frames[e.nframes - 1].line : 1;
    return fail_line(c, line_or(yloc_line(c->root, path), line), "invalid spec: %s",
                     e.msg[0] ? e.msg : "libcyaml could not load it");
}

static int load_raw(spec_ctx_t *c, const char *data, size_t len, raw_spec_t **raw)
{
    sbuf_t log = SBUF_INIT;
    const cyaml_config_t cfg = {
        .log_fn = cy_log,
        .log_ctx = &log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_DEFAULT,
    };
    cyaml_err_t rc =
        cyaml_load_data((const uint8_t *)data, len, &cfg, &spec_schema, (cyaml_data_t **)raw, NULL);
    int r = 0;
    if (rc == CYAML_ERR_OOM)
        r = oom(c);
    else if (rc != CYAML_OK)
        r = cy_translate(c, log.data);
    sbuf_free(&log);
    return r;
}

static void free_raw(raw_spec_t *raw)
{
    const cyaml_config_t cfg = {
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
    };
    if (raw)
        cyaml_free(&cfg, &spec_schema, raw, 0);
}

/* ------------------------------------------------------------------ */
/* Compiling the raw spec into spec_t.                                  */

static bool has_key(const spec_ctx_t *c, const char *ypath)
{
    return yloc_find(c->root, ypath) != NULL;
}

static int parse_dur(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out)
{
    char why[512];
    if (units_parse_duration(text, out, why, sizeof(why)) == 0)
        return 0;
    return fail_at(c, ypath, "bad duration \"%s\" for %s: %s", text, ypath, why);
}

/* Optional timeout: default 10s, must be more than 0. */
static int parse_timeout(spec_ctx_t *c, const char *ypath, const char *text, uint64_t *out)
{
    *out = SPEC_DEFAULT_TIMEOUT_US;
    if (!text)
        return 0;
    if (parse_dur(c, ypath, text, out) < 0)
        return -1;
    if (*out == 0)
        return fail_at(c, ypath, "%s must be more than 0; write e.g. timeout: 5s", ypath);
    return 0;
}

/* Optional weight: absent means 1; an explicit 0 is an error. */
static int parse_weight(spec_ctx_t *c, const char *base, unsigned raw, unsigned *out)
{
    char ypath[256];
    snprintf(ypath, sizeof(ypath), "%.200s.weight", base);
    *out = has_key(c, ypath) ? raw : 1;
    if (*out == 0)
        return fail_at(c, ypath, "%s must be at least 1; write weight: 1 or leave it out", ypath);
    return 0;
}

static int check_version(spec_ctx_t *c, const raw_spec_t *raw)
{
    if (has_key(c, "version") && raw->version != 1)
        return fail_at(c, "version", "version %u is not supported; write version: 1", raw->version);
    return 0;
}

static bool is_ws_url(const char *s)
{
    return (strncmp(s, "ws://", 5) == 0 && s[5]) || (strncmp(s, "wss://", 6) == 0 && s[6]);
}

/* Picks --target, then $WSGATE_TARGET, then the spec's target. */
static int compile_target(spec_ctx_t *c, const raw_spec_t *raw, const spec_opts_t *opts)
{
    const char *t = opts ? opts->target_override : NULL;
    const char *origin = "--target";
    const char *env = getenv("WSGATE_TARGET");
    if (!t || !*t) {
        t = env;
        origin = "WSGATE_TARGET";
    }
    if (!t || !*t) {
        t = raw->target;
        origin = NULL;
    }
    if (!t || !*t)
        return fail_at(c, raw->target ? "target" : "",
                       "missing target; add target: ws://host:port (or pass --target URL "
                       "or set WSGATE_TARGET)");
    if (strcmp(t, "embedded") != 0 && !is_ws_url(t)) {
        if (origin)
            return fail_line(c, 0,
                             "%s \"%s\" is not a WebSocket URL; write ws://host:port, "
                             "wss://host:port or embedded",
                             origin, t);
        return fail_at(c, "target",
                       "target \"%s\" is not a WebSocket URL; write "
                       "ws://host:port, wss://host:port or embedded",
                       t);
    }
    if (!(c->s->target = xstrdup(c, t)))
        return -1;
    size_t n = strlen(c->s->target);
    while (n > 1 && c->s->target[n - 1] == '/' && c->s->target[n - 2] != '/')
        c->s->target[--n] = '\0';
    return 0;
}

static bool is_ident(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static bool is_reserved_var(const char *s)
{
    static const char *const reserved[] = { "target", "target_http", "vu", "now",
                                            "random", "uuid",        "env" };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(s, reserved[i]) == 0)
            return true;
    return false;
}

static int check_variable(spec_ctx_t *c, const yloc_node_t *vars, size_t i)
{
    const yloc_node_t *v = vars->kids[i];
    if (!is_ident(v->key))
        return fail_line(c, v->key_line,
                         "variable name \"%s\" is not usable in {{ }}; use "
                         "letters, digits and _ (e.g. room_id)",
                         v->key);
    if (is_reserved_var(v->key))
        return fail_line(c, v->key_line,
                         "variable name \"%s\" is reserved; choose "
                         "another name",
                         v->key);
    for (size_t j = 0; j < i; j++)
        if (strcmp(vars->kids[j]->key, v->key) == 0)
            return fail_line(c, v->key_line,
                             "variable \"%s\" is defined twice (first on "
                             "line %d); keep one",
                             v->key, vars->kids[j]->key_line);
    if (v->kind != YLOC_SCALAR)
        return fail_line(c, v->key_line,
                         "variable \"%s\" must be a plain value (text or "
                         "number), not a %s",
                         v->key, kind_name(v->kind));
    return 0;
}

static int add_var(spec_ctx_t *c, const char *name, const char *value)
{
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return oom(c);
    }
    c->var_names[c->nvars] = n;
    c->var_values[c->nvars] = v;
    c->nvars++;
    return 0;
}

/* "target_http": the target with http:// for ws:// and https:// for wss://,
 * the base of HTTP steps against the same server. */
static int add_target_http(spec_ctx_t *c)
{
    const char *t = c->s->target;
    char buf[2048];
    if (strncmp(t, "wss://", 6) == 0)
        snprintf(buf, sizeof(buf), "https://%.2000s", t + 6);
    else if (strncmp(t, "ws://", 5) == 0)
        snprintf(buf, sizeof(buf), "http://%.2000s", t + 5);
    else
        snprintf(buf, sizeof(buf), "%.2000s", t);
    return add_var(c, "target_http", buf);
}

/* Reads `variables:` from the tree and builds the template scope: every
 * variable plus "target" and "target_http". */
static int compile_variables(spec_ctx_t *c)
{
    const yloc_node_t *vars = yloc_child(c->root, "variables");
    size_t n = 0;
    if (vars && !yloc_is_null(vars)) {
        if (vars->kind != YLOC_MAP)
            return fail_at(c, "variables",
                           "variables must be a mapping of name: value, "
                           "e.g. variables: {room: support-room-42}");
        n = vars->nkids;
    }
    c->var_names = calloc(n + 2, sizeof(char *));
    c->var_values = calloc(n + 2, sizeof(char *));
    if (!c->var_names || !c->var_values)
        return oom(c);
    for (size_t i = 0; i < n; i++) {
        if (check_variable(c, vars, i) < 0 ||
            add_var(c, vars->kids[i]->key, vars->kids[i]->value) < 0)
            return -1;
    }
    if (add_var(c, "target", c->s->target) < 0 || add_target_http(c) < 0)
        return -1;
    c->scope.const_names = (const char *const *)c->var_names;
    c->scope.const_values = (const char *const *)c->var_values;
    c->scope.nconst = c->nvars;
    return 0;
}

/* A path in the spec, relative to the spec file's directory unless
 * absolute. Returns a malloc'd path or NULL (out of memory, reported). */
static char *spec_relative(spec_ctx_t *c, const char *path)
{
    const char *slash = strrchr(c->file, '/');
    sbuf_t b = SBUF_INIT;
    if (path[0] != '/' && slash)
        sbuf_append(&b, c->file, (size_t)(slash - c->file) + 1);
    if (sbuf_puts(&b, path) < 0) {
        sbuf_free(&b);
        oom(c);
        return NULL;
    }
    return b.data;
}

/* data: {file: users.csv, order: sequential|random}: the rows are read
 * now, and their columns join the template scope as data.NAME. */
static int compile_data(spec_ctx_t *c, const raw_data_t *r)
{
    if (!r)
        return 0;
    spec_t *s = c->s;
    if (r->order && strcmp(r->order, "sequential") != 0 && strcmp(r->order, "random") != 0)
        return fail_at(c, "data.order",
                       "data.order \"%s\" is not known; write order: sequential (user k takes "
                       "row k) or order: random",
                       r->order);
    s->data_random = r->order && strcmp(r->order, "random") == 0;
    if (!r->file[0])
        return fail_at(c, "data.file", "data.file is empty; write e.g. file: users.csv");
    if (!(s->data_file = spec_relative(c, r->file)))
        return -1;
    char why[SPEC_MSG_MAX];
    int line = 0;
    s->data = data_load(s->data_file, why, sizeof(why), &line);
    if (!s->data && line > 0) { /* the CSV's own file:line says where */
        snprintf(c->err, c->errlen, "%s", why);
        return -1;
    }
    if (!s->data)
        return fail_at(c, "data.file", "data.file: %s; the path is relative to the spec file", why);
    c->scope.data_columns = data_columns(s->data);
    c->scope.ndata = data_ncolumns(s->data);
    c->scope.data_file = s->data_file;
    return 0;
}

/* One tls: file: resolved against the spec's directory and checked. */
static int tls_file(spec_ctx_t *c, const char *key, const char *path, char **out)
{
    char ypath[64];
    snprintf(ypath, sizeof(ypath), "tls.%s", key);
    if (!path[0])
        return fail_at(c, ypath, "%s is empty; write a path to a PEM file, e.g. %s: ca.pem", ypath,
                       key);
    if (!(*out = spec_relative(c, path)))
        return -1;
    char why[SPEC_MSG_MAX];
    if (strcmp(key, "client_key") != 0 && pem_check_certs(*out, why, sizeof(why)) < 0)
        return fail_at(c, ypath, "%s: %s; the path is relative to the spec file", ypath, why);
    return 0;
}

/* tls: {ca_file, client_cert, client_key, insecure_skip_verify}. */
static int compile_tls(spec_ctx_t *c, const raw_tls_t *r)
{
    if (!r)
        return 0;
    spec_tls_t *t = &c->s->tls;
    if (r->insecure_skip_verify && r->ca_file)
        return fail_at(c, "tls.insecure_skip_verify",
                       "tls.insecure_skip_verify: true skips the check that tls.ca_file is for; "
                       "keep one of them");
    if (!r->client_cert != !r->client_key)
        return fail_at(c, r->client_cert ? "tls.client_cert" : "tls.client_key",
                       "tls.client_cert and tls.client_key go together; give both (PEM files)");
    t->insecure = r->insecure_skip_verify;
    if ((r->ca_file && tls_file(c, "ca_file", r->ca_file, &t->ca_file) < 0) ||
        (r->client_cert && (tls_file(c, "client_cert", r->client_cert, &t->client_cert) < 0 ||
                            tls_file(c, "client_key", r->client_key, &t->client_key) < 0)))
        return -1;
    char why[SPEC_MSG_MAX];
    if (t->client_cert && pem_check_key(t->client_cert, t->client_key, why, sizeof(why)) < 0)
        return fail_at(c, "tls.client_key", "tls.client_key: %s", why);
    return 0;
}

static int load_stages(spec_ctx_t *c, const raw_load_t *l)
{
    spec_t *s = c->s;
    s->stages = calloc(l->stages_count, sizeof(*s->stages));
    if (!s->stages)
        return oom(c);
    s->nstages = l->stages_count;
    for (unsigned i = 0; i < l->stages_count; i++) {
        char ypath[64];
        snprintf(ypath, sizeof(ypath), "load.stages[%u].duration", i);
        if (parse_dur(c, ypath, l->stages[i].duration, &s->stages[i].duration_us) < 0)
            return -1;
        s->stages[i].users = l->stages[i].users;
    }
    return 0;
}

/* users + duration (+ ramp_up) -> a ramp stage and a hold stage. */
static int load_simple(spec_ctx_t *c, const raw_load_t *l)
{
    uint64_t dur, ramp = 0;
    if (l->users == 0)
        return fail_at(c, "load.users", "load.users must be at least 1; write e.g. users: 10");
    if (parse_dur(c, "load.duration", l->duration, &dur) < 0)
        return -1;
    if (l->ramp_up && parse_dur(c, "load.ramp_up", l->ramp_up, &ramp) < 0)
        return -1;
    if (ramp >= dur)
        return fail_at(c, l->ramp_up ? "load.ramp_up" : "load.duration",
                       "load.ramp_up (%s) must be shorter than load.duration (%s), which "
                       "includes the ramp; raise duration or lower ramp_up",
                       l->ramp_up ? l->ramp_up : "0s", l->duration);
    c->s->stages = calloc(2, sizeof(spec_stage_t));
    if (!c->s->stages)
        return oom(c);
    c->s->nstages = 2;
    c->s->stages[0] = (spec_stage_t){ ramp, l->users };
    c->s->stages[1] = (spec_stage_t){ dur - ramp, l->users };
    return 0;
}

static int parse_rate(spec_ctx_t *c, const char *ypath, const char *text, double *out)
{
    char why[256];
    if (units_parse_rate(text, out, why, sizeof(why)) == 0)
        return 0;
    return fail_at(c, ypath, "bad rate for %s: %s", ypath, why);
}

/* arrival_rate: {rate, duration} -> a jump to rate and a hold. */
static int open_constant(spec_ctx_t *c, const raw_arrival_t *a, spec_open_t *o)
{
    double rate;
    uint64_t dur;
    if (!a->rate || !a->duration)
        return fail_at(c, "load.arrival_rate",
                       "load.arrival_rate needs %s; write arrival_rate: {rate: 50/s, duration: "
                       "60s, max_users: 500} or arrival_rate: {stages: [{duration: 10s, rate: "
                       "50/s}], max_users: 500}",
                       a->rate       ? "duration"
                       : a->duration ? "rate"
                                     : "rate and duration (or stages)");
    if (parse_rate(c, "load.arrival_rate.rate", a->rate, &rate) < 0 ||
        parse_dur(c, "load.arrival_rate.duration", a->duration, &dur) < 0)
        return -1;
    if (rate <= 0)
        return fail_at(c, "load.arrival_rate.rate",
                       "load.arrival_rate.rate must be more than 0; write e.g. rate: 10/s");
    if (!(o->stages = calloc(2, sizeof(*o->stages))))
        return oom(c);
    o->nstages = 2;
    o->stages[0] = (spec_arrival_stage_t){ 0, rate };
    o->stages[1] = (spec_arrival_stage_t){ dur, rate };
    return 0;
}

/* arrival_rate: {stages: [...]}: linear ramps of the rate, from 0. */
static int open_stages(spec_ctx_t *c, const raw_arrival_t *a, spec_open_t *o)
{
    if (a->rate || a->duration)
        return fail_at(c, "load.arrival_rate.stages",
                       "load.arrival_rate has both stages and rate/duration; use either stages "
                       "or rate + duration");
    if (!(o->stages = calloc(a->stages_count, sizeof(*o->stages))))
        return oom(c);
    o->nstages = a->stages_count;
    for (unsigned i = 0; i < a->stages_count; i++) {
        char dpath[80], rpath[80];
        snprintf(dpath, sizeof(dpath), "load.arrival_rate.stages[%u].duration", i);
        snprintf(rpath, sizeof(rpath), "load.arrival_rate.stages[%u].rate", i);
        if (parse_dur(c, dpath, a->stages[i].duration, &o->stages[i].duration_us) < 0 ||
            parse_rate(c, rpath, a->stages[i].rate, &o->stages[i].rate_per_s) < 0)
            return -1;
    }
    return 0;
}

/* session: how an arrival's session ends; default one task. */
static int open_session(spec_ctx_t *c, const raw_session_t *ss, spec_open_t *o)
{
    o->iterations = 1;
    if (!ss)
        return 0;
    bool iters = has_key(c, "load.arrival_rate.session.iterations");
    if (iters && ss->iterations == 0)
        return fail_at(c, "load.arrival_rate.session.iterations",
                       "session.iterations must be at least 1; leave it out to end sessions by "
                       "session.duration only");
    if (ss->duration) {
        if (parse_dur(c, "load.arrival_rate.session.duration", ss->duration, &o->session_us) < 0)
            return -1;
        if (o->session_us == 0)
            return fail_at(c, "load.arrival_rate.session.duration",
                           "session.duration must be more than 0; write e.g. duration: 30s");
    }
    o->iterations = iters ? ss->iterations : ss->duration ? 0 : 1;
    return 0;
}

static int load_open(spec_ctx_t *c, const raw_arrival_t *a)
{
    spec_open_t *o = &c->s->open;
    c->s->open_model = true;
    if ((a->stages_count ? open_stages(c, a, o) : open_constant(c, a, o)) < 0 ||
        open_session(c, a->session, o) < 0)
        return -1;
    if (!has_key(c, "load.arrival_rate.max_users") || a->max_users == 0)
        return fail_at(c, "load.arrival_rate",
                       "load.arrival_rate needs max_users of 1 or more, the most sessions at "
                       "once (an arrival beyond it is dropped and counted in arrivals.dropped); "
                       "write e.g. max_users: 500");
    o->max_users = a->max_users;
    o->graceful_stop_us = 30000000ull;
    if (a->graceful_stop &&
        parse_dur(c, "load.arrival_rate.graceful_stop", a->graceful_stop, &o->graceful_stop_us) < 0)
        return -1;
    o->rate_min = o->rate_max = o->stages[0].rate_per_s;
    for (size_t i = 0; i < o->nstages; i++) {
        c->s->duration_us += o->stages[i].duration_us;
        if (o->stages[i].rate_per_s < o->rate_min)
            o->rate_min = o->stages[i].rate_per_s;
        if (o->stages[i].rate_per_s > o->rate_max)
            o->rate_max = o->stages[i].rate_per_s;
    }
    c->s->peak_users = o->max_users;
    if (c->s->duration_us == 0)
        return fail_at(c, "load.arrival_rate", "the arrivals last 0s; give a duration such as 60s");
    uint64_t total = load_arrivals_total(c->s);
    if (total == 0)
        return fail_at(c, "load.arrival_rate",
                       "the arrival rate gives no arrival at all; raise rate or duration "
                       "(e.g. rate: 10/s, duration: 30s)");
    if (total > UINT32_MAX) /* arrival k is session id k (32 bits) */
        return fail_at(c, "load.arrival_rate",
                       "the arrivals add up to %llu, more than the %lu a run can number; "
                       "lower rate or duration (e.g. rate: 1000/s, duration: 1h)",
                       (unsigned long long)total, (unsigned long)UINT32_MAX);
    return 0;
}

static int load_choose(spec_ctx_t *c, const raw_load_t *l)
{
    bool users = has_key(c, "load.users"), dur = l->duration != NULL;
    if (l->arrival_rate) {
        if (users || dur || l->ramp_up || l->stages_count)
            return fail_at(c, "load.arrival_rate",
                           "load has both arrival_rate (open model) and users/duration/"
                           "ramp_up/stages (closed model); keep one of them");
        return load_open(c, l->arrival_rate);
    }
    if (l->stages_count > 0) {
        if (users || dur || l->ramp_up)
            return fail_at(c, "load.stages",
                           "load has both stages and users/duration/"
                           "ramp_up; use either stages or users + "
                           "duration (+ ramp_up)");
        return load_stages(c, l);
    }
    if (!users || !dur)
        return fail_at(c, "load",
                       "load needs %s; write load: {users: 10, duration: 30s} "
                       "or load: {stages: [{duration: 10s, users: 10}]}",
                       !users && !dur ? "users and duration (or stages)"
                       : !users       ? "users"
                                      : "duration");
    return load_simple(c, l);
}

static int compile_load(spec_ctx_t *c, const raw_load_t *l)
{
    if (load_choose(c, l) < 0)
        return -1;
    spec_t *s = c->s;
    if (s->open_model)
        return 0;
    for (size_t i = 0; i < s->nstages; i++) {
        s->duration_us += s->stages[i].duration_us;
        if (s->stages[i].users > s->peak_users)
            s->peak_users = s->stages[i].users;
    }
    if (s->peak_users == 0)
        return fail_at(c, "load",
                       "the load never has any users; give a stage users: 1 "
                       "or more");
    if (s->duration_us == 0)
        return fail_at(c, "load", "the load lasts 0s; give a stage a duration such as 30s");
    return 0;
}

static bool is_reserved_metric(const char *name)
{
    static const char *const reserved[] = { "connect",     "ws.ping",  "errors",    "messages",
                                            "connections", "arrivals", "reconnects" };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

static int push_metric(spec_ctx_t *c, const char *name, int line)
{
    spec_t *s = c->s;
    char **names = realloc(s->metric_names, (s->nmetrics + 1) * sizeof(*names));
    if (!names)
        return oom(c);
    s->metric_names = names;
    int *lines = realloc(c->metric_lines, (s->nmetrics + 1) * sizeof(*lines));
    if (!lines)
        return oom(c);
    c->metric_lines = lines;
    if (!(names[s->nmetrics] = xstrdup(c, name)))
        return -1;
    lines[s->nmetrics] = line;
    s->nmetrics++;
    return 0;
}

/* Registers a named step as a metric; names are unique in the spec. */
static int add_step_metric(spec_ctx_t *c, const char *name, const char *ypath, int *metric)
{
    char npath[256];
    snprintf(npath, sizeof(npath), "%.200s.name", ypath);
    int line = yloc_line(c->root, npath);
    if (!name[0])
        return fail_at(c, npath, "%s is empty; give the step a name or leave name: out", npath);
    if (is_reserved_metric(name))
        return fail_at(c, npath,
                       "step name \"%s\" is reserved for a built-in metric; "
                       "choose another name",
                       name);
    for (size_t i = 1; i < c->s->nmetrics; i++)
        if (strcmp(c->s->metric_names[i], name) == 0)
            return fail_at(c, npath,
                           "duplicate step name \"%s\" (also on line %d); give "
                           "each step its own name",
                           name, c->metric_lines[i]);
    *metric = (int)c->s->nmetrics;
    return push_metric(c, name, line);
}

static int compile_tmpl(spec_ctx_t *c, const char *ypath, const char *src, tmpl_t **out)
{
    char why[1024];
    *out = tmpl_compile(src, &c->scope, why, sizeof(why));
    if (!*out)
        return fail_at(c, ypath, "bad template in %s: %s", ypath, why);
    return 0;
}

/* expect.fail_if: a message matching it ends the wait as a failure
 * (unexpected_message) instead of waiting for the timeout. */
static int compile_fail_if(spec_ctx_t *c, const char *base, const char *src, spec_step_t *out)
{
    char fpath[256], why[1024];
    snprintf(fpath, sizeof(fpath), "%.200s.expect.fail_if", base);
    if (!(out->fail_if_src = xstrdup(c, src)))
        return -1;
    out->fail_if = pred_compile(src, why, sizeof(why));
    if (!out->fail_if)
        return fail_at(c, fpath, "bad predicate in %s: %s", fpath, why);
    return 0;
}

/* expect.latency_from / expect.unit: the step's latency is the wall clock
 * minus a timestamp the server put in the message (push latency). */
static int compile_latency_from(spec_ctx_t *c, const char *base, const char *from, const char *unit,
                                spec_step_t *out)
{
    char lpath[256], upath[256], why[512];
    snprintf(lpath, sizeof(lpath), "%.200s.latency_from", base);
    snprintf(upath, sizeof(upath), "%.200s.unit", base);
    out->latency_unit_us = 1000;
    if (!from) {
        if (unit)
            return fail_at(c, upath, "%s without latency_from; add latency_from: ts", upath);
        return 0;
    }
    if (unit && strcmp(unit, "us") == 0)
        out->latency_unit_us = 1;
    else if (unit && strcmp(unit, "ms") != 0)
        return fail_at(c, upath, "%s is \"%s\"; write unit: ms or unit: us", upath, unit);
    if (!(out->latency_from_src = xstrdup(c, from)))
        return -1;
    out->latency_from = pred_path_compile(from, why, sizeof(why));
    if (!out->latency_from)
        return fail_at(c, lpath, "bad field path in %s: %s", lpath, why);
    return 0;
}

static int compile_msg_captures(spec_ctx_t *c, const char *cpath, spec_step_t *st);

static int compile_expect(spec_ctx_t *c, const char *base, const raw_expect_t *ex, spec_step_t *out)
{
    char mpath[256], tpath[256], why[1024];
    snprintf(mpath, sizeof(mpath), "%.200s.expect.match", base);
    snprintf(tpath, sizeof(tpath), "%.200s.expect.timeout", base);
    if (!ex->match[0])
        return fail_at(c, mpath, "%s is empty; write e.g. match: 'type == \"ack\"'", mpath);
    if (!(out->expect_src = xstrdup(c, ex->match)))
        return -1;
    out->expect = pred_compile(ex->match, why, sizeof(why));
    if (!out->expect)
        return fail_at(c, mpath, "bad predicate in %s: %s", mpath, why);
    if (ex->fail_if && compile_fail_if(c, base, ex->fail_if, out) < 0)
        return -1;
    char epath[256];
    snprintf(epath, sizeof(epath), "%.200s.expect", base);
    if (compile_latency_from(c, epath, ex->latency_from, ex->unit, out) < 0)
        return -1;
    snprintf(epath, sizeof(epath), "%.200s.expect.capture", base);
    if (compile_msg_captures(c, epath, out) < 0)
        return -1;
    return parse_timeout(c, tpath, ex->timeout, &out->expect_timeout_us);
}

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
    unsigned long n;
    char tail;
    snprintf(bpath, sizeof(bpath), "%.200s.send_binary", ypath);
    int used = 0;
    if (sscanf(src, "random(%lu%c%n", &n, &tail, &used) == 2 && tail == ')' && !src[used] &&
        !strchr(src, '-')) {
        if (n == 0 || n > SPEC_MAX_BINARY)
            return fail_at(c, bpath, "%s random(%lu) must be 1 to 1048576 bytes", bpath, n);
        out->binary_random = n;
        return 0;
    }
    bool hex = strncmp(src, "hex:", 4) == 0, b64 = strncmp(src, "base64:", 7) == 0;
    if (!hex && !b64)
        return fail_at(c, bpath,
                       "%s \"%.60s\" is not hex:..., base64:... or random(N); write e.g. "
                       "send_binary: \"hex:0a0b0c\"",
                       bpath, src);
    const char *data = src + (hex ? 4 : 7);
    if (strlen(data) > 2 * SPEC_MAX_BINARY)
        return fail_at(c, bpath, "%s is over 1 MiB", bpath);
    if (!(out->binary = malloc(strlen(data) + 1)))
        return oom(c);
    long len = hex ? decode_hex(data, out->binary) : decode_b64(data, out->binary);
    if (len <= 0)
        return fail_at(c, bpath, "%s: bad %s data \"%.60s\"", bpath, hex ? "hex" : "base64", data);
    out->binary_len = (size_t)len;
    return 0;
}

/* close: {code: N}: closes the connection with that status code. */
static int compile_close(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.close.code", ypath);
    if (st->send || st->send_binary || st->expect || st->sleep || st->reconnect)
        return fail_at(
            c, ypath, "%s has close beside other actions; make the close a step of its own", ypath);
    if (st->close->code < 1000 || st->close->code > 4999 || st->close->code == 1005 ||
        st->close->code == 1006 || st->close->code == 1015)
        return fail_at(c, cpath,
                       "%s %u is not a code a client may send; write e.g. close: {code: 1000}",
                       cpath, st->close->code);
    out->close_code = (uint16_t)st->close->code;
    return st->name && (!(out->name = xstrdup(c, st->name)) ||
                        add_step_metric(c, st->name, ypath, &out->metric) < 0)
               ? -1
               : 0;
}

/* ---- http steps ---- */

static bool is_header(const char *h);

static bool is_http_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]) ||
           strncmp(s, "{{", 2) == 0;
}

static int compile_http_method(spec_ctx_t *c, const char *ypath, const char *m, spec_http_t *h)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
    char mpath[256];
    snprintf(mpath, sizeof(mpath), "%.200s.http.method", ypath);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!m || strcasecmp(m, methods[i]) == 0) {
            snprintf(h->method, sizeof(h->method), "%s", m ? methods[i] : "GET");
            return 0;
        }
    }
    return fail_at(c, mpath, "%s \"%.40s\" is not GET, POST, PUT, PATCH or DELETE", mpath, m);
}

static int compile_http_headers(spec_ctx_t *c, const char *ypath, const raw_http_t *r,
                                spec_http_t *h)
{
    if (r->headers_count == 0)
        return 0;
    if (!(h->headers = calloc(r->headers_count, sizeof(*h->headers))))
        return oom(c);
    h->nheaders = r->headers_count;
    for (unsigned i = 0; i < r->headers_count; i++) {
        char hpath[256];
        snprintf(hpath, sizeof(hpath), "%.200s.http.headers[%u]", ypath, i);
        if (!is_header(r->headers[i]))
            return fail_at(c, hpath,
                           "header \"%.60s\" is not \"Name: value\"; write e.g. "
                           "\"Accept: application/json\"",
                           r->headers[i]);
        if (compile_tmpl(c, hpath, r->headers[i], &h->headers[i]) < 0)
            return -1;
    }
    return 0;
}

/* json:, form: or body: (at most one) -> the body template and its type. */
static int compile_http_body(spec_ctx_t *c, const char *ypath, const raw_http_t *r, spec_http_t *h)
{
    char bpath[256];
    const char *src = r->json ? r->json : r->form ? r->form : r->body;
    const char *key = r->json ? "json" : r->form ? "form" : "body";
    if (!src)
        return 0;
    if ((r->json != NULL) + (r->form != NULL) + (r->body != NULL) > 1)
        return fail_at(c, ypath, "%s.http has more than one of json, form and body; keep one",
                       ypath);
    snprintf(bpath, sizeof(bpath), "%.200s.http.%s", ypath, key);
    h->content_type = r->json   ? "application/json"
                      : r->form ? "application/x-www-form-urlencoded"
                                : NULL;
    return compile_tmpl(c, bpath, src, &h->body);
}

/* One capture value: json.PATH or cookie.NAME. */
static int compile_capture(spec_ctx_t *c, const char *cpath, const yloc_node_t *kv,
                           spec_capture_t *cap)
{
    char why[512];
    const char *v = kv->kind == YLOC_SCALAR ? kv->value : "";
    if (!(cap->src = xstrdup(c, v)))
        return -1;
    if (strncmp(v, "json.", 5) == 0 && v[5]) {
        cap->json = pred_path_compile(v + 5, why, sizeof(why));
        if (!cap->json)
            return fail_line(c, kv->line, "%s.%s: bad field path \"%s\": %s", cpath, kv->key, v + 5,
                             why);
        return 0;
    }
    if (strncmp(v, "cookie.", 7) == 0 && v[7] && !strpbrk(v + 7, " ;=,")) {
        cap->cookie = xstrdup(c, v + 7);
        return cap->cookie ? 0 : -1;
    }
    return fail_line(c, kv->line,
                     "%s.%s \"%.60s\" is not json.FIELD or cookie.NAME; write e.g. "
                     "capture: {access_token: json.access_token}",
                     cpath, kv->key, v);
}

static int find_slot(const spec_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->scope.nslots; i++)
        if (strcmp(c->scope.slot_names[i], name) == 0)
            return (int)i;
    return -1;
}

static int compile_captures(spec_ctx_t *c, const char *ypath, spec_http_t *h)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.http.capture", ypath);
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map) || map->nkids == 0)
        return 0;
    if (!(h->captures = calloc(map->nkids, sizeof(*h->captures))))
        return oom(c);
    for (size_t i = 0; i < map->nkids; i++) {
        h->captures[i].slot = find_slot(c, map->kids[i]->key);
        h->ncaptures++;
        if (compile_capture(c, cpath, map->kids[i], &h->captures[i]) < 0)
            return -1;
    }
    return 0;
}

/* expect.capture / count capture at cpath: name: PATH of the matched
 * message (the names are slots already, see collect_slots). */
static int compile_msg_captures(spec_ctx_t *c, const char *cpath, spec_step_t *st)
{
    char why[512];
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map) || map->nkids == 0)
        return 0;
    if (!(st->captures = calloc(map->nkids, sizeof(*st->captures))))
        return oom(c);
    for (size_t i = 0; i < map->nkids; i++) {
        const yloc_node_t *kv = map->kids[i];
        spec_capture_t *cap = &st->captures[i];
        cap->slot = find_slot(c, kv->key);
        st->ncaptures++;
        if (!(cap->src = xstrdup(c, kv->value)))
            return -1;
        cap->json = pred_path_compile(kv->value, why, sizeof(why));
        if (!cap->json)
            return fail_line(c, kv->line,
                             "%s.%s: bad field path \"%.60s\": %s; write e.g. capture: "
                             "{last_seq: sequence}",
                             cpath, kv->key, kv->value, why);
    }
    return 0;
}

/* Renders the URL for user 1 (no captures yet): https or not. */
static bool renders_https(const tmpl_t *url)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng };
    sbuf_t out = SBUF_INIT;
    bool tls =
        tmpl_render(url, &ctx, &out) == 0 && out.data && strncmp(out.data, "https://", 8) == 0;
    sbuf_free(&out);
    return tls;
}

static int compile_http_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st,
                             spec_step_t *out)
{
    char upath[256], tpath[256];
    const raw_http_t *r = st->http;
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (st->send || st->send_binary || st->expect || st->sleep || st->reconnect || st->close)
        return fail_at(c, ypath,
                       "%s has http beside other actions; make the http request a step of its own",
                       ypath);
    if (st->name && (!(out->name = xstrdup(c, st->name)) ||
                     add_step_metric(c, st->name, ypath, &out->metric) < 0))
        return -1;
    if (!(out->http = calloc(1, sizeof(*out->http))))
        return oom(c);
    spec_http_t *h = out->http;
    snprintf(upath, sizeof(upath), "%.200s.http.url", ypath);
    snprintf(tpath, sizeof(tpath), "%.200s.http.timeout", ypath);
    if (compile_http_method(c, ypath, r->method, h) < 0)
        return -1;
    if (!is_http_url(r->url))
        return fail_at(c, upath,
                       "%s \"%.80s\" must start with http://, https:// or {{target_http}}; "
                       "write e.g. url: \"{{target_http}}/api/auth/login\"",
                       upath, r->url);
    if (compile_tmpl(c, upath, r->url, &h->url) < 0 || compile_http_headers(c, ypath, r, h) < 0 ||
        compile_http_body(c, ypath, r, h) < 0 ||
        parse_timeout(c, tpath, r->timeout, &h->timeout_us) < 0)
        return -1;
    snprintf(tpath, sizeof(tpath), "%.200s.http.expect_status", ypath);
    if (has_key(c, tpath) && (r->expect_status < 100 || r->expect_status > 599))
        return fail_at(c, tpath, "%s %u is not an HTTP status; write e.g. expect_status: 200",
                       tpath, r->expect_status);
    h->expect_status = (int)r->expect_status;
    h->https = renders_https(h->url);
    return compile_captures(c, ypath, h);
}

/* A step of a steps: list or on_start: the actions compile_step does not
 * take (close, send_binary, http), then compile_step. */
static int compile_step(spec_ctx_t *c, const char *ypath, const char *name, const char *send,
                        const raw_expect_t *expect, const char *sleep, spec_step_t *out);

static int compile_full_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st,
                             spec_step_t *out)
{
    out->reconnect = st->reconnect;
    if (st->http)
        return compile_http_step(c, ypath, st, out);
    if (st->close) {
        out->metric = -1;
        out->line = yloc_line(c->root, ypath);
        return compile_close(c, ypath, st, out);
    }
    if (!st->send_binary)
        return compile_step(c, ypath, st->name, st->send, st->expect, st->sleep, out);
    if (st->send || st->sleep || st->reconnect)
        return fail_at(c, ypath, "%s has send_binary beside send, sleep or reconnect", ypath);
    if (compile_binary(c, ypath, st->send_binary, out) < 0)
        return -1;
    return compile_step(c, ypath, st->name, "", st->expect, NULL, out);
}

/* One step: its metric, template and predicate. ypath names it. */
static int compile_step(spec_ctx_t *c, const char *ypath, const char *name, const char *send,
                        const raw_expect_t *expect, const char *sleep, spec_step_t *out)
{
    char spath[256];
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (out->reconnect) {
        if (send || expect || sleep)
            return fail_at(c, ypath,
                           "%s has reconnect beside send/expect/sleep; make the reconnect a "
                           "step of its own",
                           ypath);
        return name && (!(out->name = xstrdup(c, name)) ||
                        add_step_metric(c, name, ypath, &out->metric) < 0)
                   ? -1
                   : 0;
    }
    if (sleep && (send || expect))
        return fail_at(c, ypath,
                       "%s has sleep beside send/expect; make the sleep a step of its own", ypath);
    if (sleep) {
        snprintf(spath, sizeof(spath), "%.200s.sleep", ypath);
        if (parse_dur(c, spath, sleep, &out->sleep_us) < 0)
            return -1;
        if (out->sleep_us == 0)
            return fail_at(c, spath, "%s must be more than 0; write e.g. sleep: 500ms", spath);
    } else if (!send && !expect) {
        return fail_at(c, ypath,
                       "%s has neither send nor expect; add send: '...' and/or "
                       "expect: {match: '...'}",
                       ypath);
    }
    if (name &&
        (!(out->name = xstrdup(c, name)) || add_step_metric(c, name, ypath, &out->metric) < 0))
        return -1;
    snprintf(spath, sizeof(spath), "%.200s.send", ypath);
    if (send && compile_tmpl(c, spath, send, &out->send) < 0)
        return -1;
    return expect ? compile_expect(c, ypath, expect, out) : 0;
}

/* A task written as steps: [...]: its steps run in order, then the pause. */
static int compile_task_steps(spec_ctx_t *c, const char *ypath, const raw_task_t *r,
                              spec_task_t *out)
{
    if (r->send || r->expect)
        return fail_at(c, ypath,
                       "%s has both send/expect and steps; move send/expect into steps: [...]",
                       ypath);
    out->steps = calloc(r->steps_count, sizeof(*out->steps));
    if (!out->steps)
        return oom(c);
    out->nsteps = r->steps_count;
    for (unsigned i = 0; i < r->steps_count; i++) {
        char spath[256];
        const raw_step_t *st = &r->steps[i];
        snprintf(spath, sizeof(spath), "%.200s.steps[%u]", ypath, i);
        if (compile_full_step(c, spath, st, &out->steps[i]) < 0)
            return -1;
    }
    return 0;
}

#define TASK_EVERY_MAX_US 1e15 /* the longest duration units.c accepts */

/* task.rate: a fixed schedule instead of a pause. */
static int compile_task_rate(spec_ctx_t *c, const char *ypath, const raw_task_t *r,
                             spec_task_t *out)
{
    char rpath[256], why[256];
    double per_s;
    snprintf(rpath, sizeof(rpath), "%.200s.rate", ypath);
    if (r->pause)
        return fail_at(c, rpath,
                       "%s has both rate and pause; a fixed-rate task starts every 1/rate "
                       "whatever its replies take: keep rate (e.g. rate: 10/s) or pause",
                       ypath);
    if (units_parse_rate(r->rate, &per_s, why, sizeof(why)) < 0)
        return fail_at(c, rpath, "bad rate for %s: %s", rpath, why);
    if (per_s <= 0)
        return fail_at(c, rpath, "%s must be more than 0; write e.g. rate: 10/s", rpath);
    double every = 1e6 / per_s;
    if (every < 1.0)
        return fail_at(c, rpath, "%s \"%s\" is over 1000000/s per user; write e.g. rate: 100/s",
                       rpath, r->rate);
    if (every > TASK_EVERY_MAX_US) /* also keeps the cast below in range */
        return fail_at(c, rpath,
                       "%s \"%s\" starts the task less than once in 31 years (the longest "
                       "duration); write e.g. rate: 1/h",
                       rpath, r->rate);
    out->every_us = (uint64_t)(every + 0.5);
    return 0;
}

static int compile_task(spec_ctx_t *c, const char *ypath, const raw_task_t *r, spec_task_t *out)
{
    char ppath[256], why[512];
    if (r->name && !(out->name = xstrdup(c, r->name)))
        return -1;
    if (parse_weight(c, ypath, r->weight, &out->weight) < 0)
        return -1;
    snprintf(ppath, sizeof(ppath), "%.200s.pause", ypath);
    if (r->pause && units_parse_pause(r->pause, &out->pause, why, sizeof(why)) < 0)
        return fail_at(c, ppath, "bad pause \"%s\" in %s: %s", r->pause, ppath, why);
    if (r->rate && compile_task_rate(c, ypath, r, out) < 0)
        return -1;
    if (r->steps_count)
        return compile_task_steps(c, ypath, r, out);
    out->steps = calloc(1, sizeof(*out->steps));
    if (!out->steps)
        return oom(c);
    out->nsteps = 1;
    return compile_step(c, ypath, r->name, r->send, r->expect, NULL, &out->steps[0]);
}

/* "Name: value" with a token name, as HTTP wants it. */
static bool is_header(const char *h)
{
    size_t n = strspn(h, "!#$%&'*+-.^_`|~0123456789"
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    return n > 0 && h[n] == ':';
}

static int compile_headers(spec_ctx_t *c, const char *base, const raw_connect_t *r,
                           spec_scenario_t *out)
{
    if (r->headers_count == 0)
        return 0;
    out->headers = calloc(r->headers_count, sizeof(*out->headers));
    if (!out->headers)
        return oom(c);
    out->nheaders = r->headers_count;
    for (unsigned i = 0; i < r->headers_count; i++) {
        char hpath[256];
        snprintf(hpath, sizeof(hpath), "%.200s.connect.headers[%u]", base, i);
        if (!is_header(r->headers[i]))
            return fail_at(c, hpath,
                           "header \"%s\" is not \"Name: value\"; write e.g. "
                           "\"X-Client-Version: web-2.14.0\"",
                           r->headers[i]);
        if (compile_tmpl(c, hpath, r->headers[i], &out->headers[i]) < 0)
            return -1;
    }
    return 0;
}

/* connect.subprotocol: one token for Sec-WebSocket-Protocol. */
static int compile_subprotocol(spec_ctx_t *c, const char *base, const char *name,
                               spec_scenario_t *out)
{
    char ppath[256];
    snprintf(ppath, sizeof(ppath), "%.200s.connect.subprotocol", base);
    bool ok = name[0] != '\0' && strlen(name) < 64;
    for (const char *p = name; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p);
    if (!ok)
        return fail_at(c, ppath,
                       "%s \"%.60s\" is not one protocol token; write e.g. subprotocol: "
                       "graphql-ws",
                       ppath, name);
    out->subprotocol = xstrdup(c, name);
    return out->subprotocol ? 0 : -1;
}

/* connect.reconnect.jitter: "N%" with 0 <= N <= 100. */
static int parse_jitter(spec_ctx_t *c, const char *jpath, const char *text, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || !isdigit((unsigned char)text[0]) || strcmp(end, "%") != 0 || v > 100)
        return fail_at(c, jpath,
                       "%s \"%.40s\" is not a percentage from 0%% to 100%%; write e.g. "
                       "jitter: 50%%",
                       jpath, text);
    *out = (unsigned)v;
    return 0;
}

/* connect.reconnect: {max_attempts, backoff, max_backoff, jitter}. */
static int compile_reconnect(spec_ctx_t *c, const char *base, const raw_reconnect_t *r,
                             spec_reconnect_t *out)
{
    char kpath[320], rpath[256];
    snprintf(rpath, sizeof(rpath), "%.200s.connect.reconnect", base);
    snprintf(kpath, sizeof(kpath), "%s.max_attempts", rpath);
    out->max_attempts = has_key(c, kpath) ? r->max_attempts : SPEC_RECONNECT_ATTEMPTS;
    if (out->max_attempts == 0 || out->max_attempts > 1000)
        return fail_at(c, kpath,
                       "%s is %u; write a number from 1 to 1000, e.g. max_attempts: 5 (or leave "
                       "reconnect: out for no automatic reconnects)",
                       kpath, out->max_attempts);
    snprintf(kpath, sizeof(kpath), "%s.backoff", rpath);
    out->backoff_us = SPEC_RECONNECT_BACKOFF_US;
    if (r->backoff && parse_dur(c, kpath, r->backoff, &out->backoff_us) < 0)
        return -1;
    if (out->backoff_us == 0)
        return fail_at(c, kpath, "%s must be more than 0; write e.g. backoff: 200ms", kpath);
    snprintf(kpath, sizeof(kpath), "%s.max_backoff", rpath);
    out->max_backoff_us = SPEC_RECONNECT_MAX_BACKOFF_US > out->backoff_us
                              ? SPEC_RECONNECT_MAX_BACKOFF_US
                              : out->backoff_us;
    if (r->max_backoff && parse_dur(c, kpath, r->max_backoff, &out->max_backoff_us) < 0)
        return -1;
    if (out->max_backoff_us < out->backoff_us)
        return fail_at(c, kpath, "%s %s is below backoff %s; write max_backoff: %s or more", kpath,
                       r->max_backoff, r->backoff ? r->backoff : "1s",
                       r->backoff ? r->backoff : "1s");
    snprintf(kpath, sizeof(kpath), "%s.jitter", rpath);
    return r->jitter ? parse_jitter(c, kpath, r->jitter, &out->jitter_pct) : 0;
}

static int compile_connect(spec_ctx_t *c, const char *base, const raw_connect_t *r,
                           spec_scenario_t *out)
{
    char upath[256], tpath[256];
    snprintf(upath, sizeof(upath), "%.200s.connect.url", base);
    snprintf(tpath, sizeof(tpath), "%.200s.connect.timeout", base);
    if (strncmp(r->url, "{{", 2) != 0 && !is_ws_url(r->url))
        return fail_at(c, upath,
                       "%s \"%s\" must start with ws://, wss:// or {{target}}; "
                       "write e.g. url: \"{{target}}/ws\"",
                       upath, r->url);
    if (compile_tmpl(c, upath, r->url, &out->url) < 0 || compile_headers(c, base, r, out) < 0)
        return -1;
    if (r->subprotocol && compile_subprotocol(c, base, r->subprotocol, out) < 0)
        return -1;
    if (r->ping_interval) {
        char ppath[256];
        snprintf(ppath, sizeof(ppath), "%.200s.connect.ping_interval", base);
        if (parse_timeout(c, ppath, r->ping_interval, &out->ping_interval_us) < 0)
            return -1;
    }
    if (r->reconnect && compile_reconnect(c, base, r->reconnect, &out->reconnect) < 0)
        return -1;
    return parse_timeout(c, tpath, r->timeout, &out->connect_timeout_us);
}

static int compile_on_start(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                            spec_scenario_t *out)
{
    if (r->on_start_count == 0)
        return 0;
    out->on_start = calloc(r->on_start_count, sizeof(*out->on_start));
    if (!out->on_start)
        return oom(c);
    out->non_start = r->on_start_count;
    for (unsigned i = 0; i < r->on_start_count; i++) {
        char ypath[256];
        const raw_step_t *st = &r->on_start[i];
        snprintf(ypath, sizeof(ypath), "%.200s.on_start[%u]", base, i);
        if (st->reconnect)
            return fail_at(c, ypath, "%s: reconnect belongs in a task's steps, not on_start",
                           ypath);
        if (compile_full_step(c, ypath, st, &out->on_start[i]) < 0)
            return -1;
    }
    return 0;
}

/* on_reconnect: steps run after an automatic reconnect, before the tasks
 * resume; only with connect.reconnect. */
static int compile_on_reconnect(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                                spec_scenario_t *out)
{
    char ypath[256];
    snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect", base);
    if (has_key(c, ypath) && !out->reconnect.max_attempts)
        return fail_at(c, ypath,
                       "%s runs only after automatic reconnects; add connect.reconnect: "
                       "{max_attempts: 5, backoff: 200ms}",
                       ypath);
    if (r->on_reconnect_count == 0)
        return 0;
    out->on_reconnect = calloc(r->on_reconnect_count, sizeof(*out->on_reconnect));
    if (!out->on_reconnect)
        return oom(c);
    out->non_reconnect = r->on_reconnect_count;
    for (unsigned i = 0; i < r->on_reconnect_count; i++) {
        const raw_step_t *st = &r->on_reconnect[i];
        snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect[%u]", base, i);
        if (st->reconnect)
            return fail_at(c, ypath, "%s: reconnect belongs in a task's steps, not on_reconnect",
                           ypath);
        if (compile_full_step(c, ypath, st, &out->on_reconnect[i]) < 0)
            return -1;
    }
    return 0;
}

static int compile_tasks(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                         spec_scenario_t *out)
{
    if (r->tasks_count == 0)
        return 0;
    out->tasks = calloc(r->tasks_count, sizeof(*out->tasks));
    if (!out->tasks)
        return oom(c);
    out->ntasks = r->tasks_count;
    for (unsigned i = 0; i < r->tasks_count; i++) {
        char ypath[256];
        snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u]", base, i);
        if (compile_task(c, ypath, &r->tasks[i], &out->tasks[i]) < 0)
            return -1;
        out->task_weight_sum += out->tasks[i].weight;
    }
    return 0;
}

/* count: entries are named receive-only steps that see every message. */
static int compile_count(spec_ctx_t *c, const char *base, const raw_count_t *r, spec_step_t *out)
{
    char mpath[256], why[1024];
    snprintf(mpath, sizeof(mpath), "%.200s.match", base);
    out->metric = -1;
    out->line = yloc_line(c->root, base);
    if (!(out->name = xstrdup(c, r->name)) || add_step_metric(c, r->name, base, &out->metric) < 0)
        return -1;
    if (!(out->expect_src = xstrdup(c, r->match)))
        return -1;
    out->expect = pred_compile(r->match, why, sizeof(why));
    if (!out->expect)
        return fail_at(c, mpath, "bad predicate in %s: %s", mpath, why);
    snprintf(mpath, sizeof(mpath), "%.200s.capture", base);
    if (compile_msg_captures(c, mpath, out) < 0)
        return -1;
    return compile_latency_from(c, base, r->latency_from, r->unit, out);
}

static int compile_counts(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                          spec_scenario_t *out)
{
    if (r->count_count == 0)
        return 0;
    out->counts = calloc(r->count_count, sizeof(*out->counts));
    if (!out->counts)
        return oom(c);
    out->ncounts = r->count_count;
    for (unsigned i = 0; i < r->count_count; i++) {
        char ypath[256];
        snprintf(ypath, sizeof(ypath), "%.200s.count[%u]", base, i);
        if (compile_count(c, ypath, &r->count[i], &out->counts[i]) < 0)
            return -1;
    }
    return 0;
}

static int compile_scenario_body(spec_ctx_t *c, unsigned i, const raw_scenario_t *r,
                                 spec_scenario_t *out);

/* A capture name must be usable in {{ }} and mean one thing. what is the
 * kind of value the capture takes, for messages. */
static int check_slot_name(spec_ctx_t *c, const yloc_node_t *kv, const char *what)
{
    if (!is_ident(kv->key) || is_reserved_var(kv->key))
        return fail_line(c, kv->key_line,
                         "capture name \"%s\" is not usable in {{ }} or is reserved; use "
                         "letters, digits and _ (e.g. access_token)",
                         kv->key);
    for (size_t i = 0; i + 2 < c->nvars; i++) /* the last two are target, target_http */
        if (strcmp(c->var_names[i], kv->key) == 0)
            return fail_line(c, kv->key_line,
                             "capture name \"%s\" is also a variable; rename one of them", kv->key);
    if (kv->kind != YLOC_SCALAR)
        return fail_line(c, kv->key_line, "capture %s must be %s, not a %s", kv->key, what,
                         kind_name(kv->kind));
    return 0;
}

/* Adds the names of the capture map at cpath to the scenario's slots. */
static int add_slots_at(spec_ctx_t *c, const char *cpath, bool http, spec_scenario_t *sc)
{
    const char *what = http ? "json.FIELD or cookie.NAME" : "a field path of the message";
    const yloc_node_t *map = yloc_find(c->root, cpath);
    if (!map || yloc_is_null(map))
        return 0;
    if (map->kind != YLOC_MAP)
        return fail_at(c, cpath, "%s must be a mapping of name: %s, e.g. capture: %s", cpath, what,
                       http ? "{access_token: json.access_token}" : "{last_seq: sequence}");
    for (size_t i = 0; i < map->nkids; i++) {
        const char *name = map->kids[i]->key;
        bool seen = false;
        if (check_slot_name(c, map->kids[i], what) < 0)
            return -1;
        for (size_t j = 0; j < sc->nslots && !seen; j++)
            seen = strcmp(sc->slot_names[j], name) == 0;
        if (seen)
            continue;
        char **names = realloc(sc->slot_names, (sc->nslots + 1) * sizeof(*names));
        if (!names)
            return oom(c);
        sc->slot_names = names;
        if (!(names[sc->nslots] = xstrdup(c, name)))
            return -1;
        sc->nslots++;
    }
    return 0;
}

/* The http.capture and expect.capture names of the step at ypath. */
static int add_slots_of(spec_ctx_t *c, const char *ypath, spec_scenario_t *sc)
{
    char cpath[256];
    snprintf(cpath, sizeof(cpath), "%.200s.http.capture", ypath);
    if (add_slots_at(c, cpath, true, sc) < 0)
        return -1;
    snprintf(cpath, sizeof(cpath), "%.200s.expect.capture", ypath);
    return add_slots_at(c, cpath, false, sc);
}

/* Every http.capture name of the scenario becomes a per-user slot, known
 * to all its templates (connect.url and headers included). */
static int collect_slots(spec_ctx_t *c, const char *base, const raw_scenario_t *r,
                         spec_scenario_t *out)
{
    char ypath[256];
    for (unsigned i = 0; i < r->on_start_count; i++) {
        snprintf(ypath, sizeof(ypath), "%.200s.on_start[%u]", base, i);
        if (add_slots_of(c, ypath, out) < 0)
            return -1;
    }
    for (unsigned i = 0; i < r->on_reconnect_count; i++) {
        snprintf(ypath, sizeof(ypath), "%.200s.on_reconnect[%u]", base, i);
        if (add_slots_of(c, ypath, out) < 0)
            return -1;
    }
    for (unsigned t = 0; t < r->tasks_count; t++) {
        snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u]", base, t);
        if (add_slots_of(c, ypath, out) < 0) /* the send:/expect: form */
            return -1;
        for (unsigned i = 0; i < r->tasks[t].steps_count; i++) {
            snprintf(ypath, sizeof(ypath), "%.200s.tasks[%u].steps[%u]", base, t, i);
            if (add_slots_of(c, ypath, out) < 0)
                return -1;
        }
    }
    for (unsigned i = 0; i < r->count_count; i++) {
        char cpath[256];
        snprintf(cpath, sizeof(cpath), "%.200s.count[%u].capture", base, i);
        if (add_slots_at(c, cpath, false, out) < 0)
            return -1;
    }
    c->scope.slot_names = (const char *const *)out->slot_names;
    c->scope.nslots = out->nslots;
    return 0;
}

static int compile_scenario(spec_ctx_t *c, unsigned i, const raw_scenario_t *r,
                            spec_scenario_t *out)
{
    int rc = compile_scenario_body(c, i, r, out);
    c->scope.slot_names = NULL;
    c->scope.nslots = 0;
    return rc;
}

static int compile_scenario_body(spec_ctx_t *c, unsigned i, const raw_scenario_t *r,
                                 spec_scenario_t *out)
{
    char base[64];
    snprintf(base, sizeof(base), "scenarios[%u]", i);
    if (!r->name[0])
        return fail_at(c, base, "%s.name is empty; write e.g. name: chatter", base);
    if (!(out->name = xstrdup(c, r->name)))
        return -1;
    if (parse_weight(c, base, r->weight, &out->weight) < 0 || collect_slots(c, base, r, out) < 0 ||
        compile_connect(c, base, r->connect, out) < 0 || compile_on_start(c, base, r, out) < 0 ||
        compile_on_reconnect(c, base, r, out) < 0 || compile_tasks(c, base, r, out) < 0 ||
        compile_counts(c, base, r, out) < 0)
        return -1;
    while (out->npre_connect < out->non_start && out->on_start[out->npre_connect].http)
        out->npre_connect++;
    c->s->scenario_weight_sum += out->weight;
    return 0;
}

static int compile_scenarios(spec_ctx_t *c, const raw_spec_t *raw)
{
    spec_t *s = c->s;
    s->scenarios = calloc(raw->scenarios_count, sizeof(*s->scenarios));
    if (!s->scenarios)
        return oom(c);
    s->nscenarios = raw->scenarios_count;
    for (unsigned i = 0; i < raw->scenarios_count; i++)
        if (compile_scenario(c, i, &raw->scenarios[i], &s->scenarios[i]) < 0)
            return -1;
    return 0;
}

/* Protocol-level pings, when any scenario sends them, are the "ws.ping"
 * metric (round trip of a WebSocket ping frame to its pong). */
static int add_ping_metric(spec_ctx_t *c)
{
    c->s->ping_metric = -1;
    for (size_t i = 0; i < c->s->nscenarios; i++) {
        if (c->s->scenarios[i].ping_interval_us) {
            c->s->ping_metric = (int)c->s->nmetrics;
            return push_metric(c, "ws.ping", 0);
        }
    }
    return 0;
}

/* Automatic reconnects, when any scenario has a policy, are the
 * "reconnects" metric. */
static int add_reconnect_metric(spec_ctx_t *c)
{
    c->s->reconnect_metric = -1;
    for (size_t i = 0; i < c->s->nscenarios; i++) {
        if (c->s->scenarios[i].reconnect.max_attempts) {
            c->s->reconnect_metric = (int)c->s->nmetrics;
            return push_metric(c, "reconnects", 0);
        }
    }
    return 0;
}

static int compile_assertions(spec_ctx_t *c, const raw_spec_t *raw)
{
    spec_t *s = c->s;
    if (raw->assertions_count == 0)
        return 0;
    s->assertions = calloc(raw->assertions_count, sizeof(*s->assertions));
    if (!s->assertions)
        return oom(c);
    for (unsigned i = 0; i < raw->assertions_count; i++) {
        char ypath[64], why[1024];
        const char *text = raw->assertions[i];
        snprintf(ypath, sizeof(ypath), "assertions[%u]", i);
        if (asrt_parse(text, &s->assertions[i], why, sizeof(why)) < 0)
            return fail_at(c, ypath, "bad assertion \"%s\": %s", text, why);
        s->nassertions++;
        s->assertions[i].line = yloc_line(c->root, ypath);
        if (asrt_check(&s->assertions[i], (const char *const *)s->metric_names, s->nmetrics, why,
                       sizeof(why)) < 0)
            return fail_at(c, ypath, "assertion \"%s\": %s", text, why);
        if (asrt_is_arrivals(&s->assertions[i]) && !s->open_model)
            return fail_at(c, ypath,
                           "assertion \"%s\": arrivals.* counts open-model arrivals; use it with "
                           "load: {arrival_rate: {rate: 10/s, duration: 30s, max_users: 100}}, or "
                           "assert on connections.peak for users",
                           text);
    }
    return 0;
}

static spec_t *compile(spec_ctx_t *c, const raw_spec_t *raw, const spec_opts_t *opts)
{
    spec_t *s = calloc(1, sizeof(*s));
    if (!s) {
        oom(c);
        return NULL;
    }
    c->s = s;
    if (check_version(c, raw) < 0)
        goto fail;
    if (!raw->name[0]) {
        fail_at(c, "name", "name is empty; write e.g. name: my-load-test");
        goto fail;
    }
    if (!(s->path = xstrdup(c, c->file)) || !(s->name = xstrdup(c, raw->name)))
        goto fail;
    if (compile_target(c, raw, opts) < 0 || compile_variables(c) < 0 ||
        compile_data(c, raw->data) < 0 || compile_tls(c, raw->tls) < 0 ||
        compile_load(c, raw->load) < 0 || push_metric(c, "connect", 0) < 0 ||
        compile_scenarios(c, raw) < 0 || add_ping_metric(c) < 0 || add_reconnect_metric(c) < 0 ||
        compile_assertions(c, raw) < 0)
        goto fail;
    return s;
fail:
    spec_free(s);
    c->s = NULL;
    return NULL;
}

static void ctx_clear(spec_ctx_t *c)
{
    for (size_t i = 0; i < c->nvars; i++) {
        free(c->var_names[i]);
        free(c->var_values[i]);
    }
    free(c->var_names);
    free(c->var_values);
    free(c->metric_lines);
}

spec_t *spec_load(const char *path, const spec_opts_t *opts, char *err, size_t errlen)
{
    char dummy[1];
    spec_ctx_t c = { .file = path, .err = err, .errlen = errlen };
    char *data = NULL;
    size_t len = 0;
    yloc_node_t *root = NULL;
    raw_spec_t *raw = NULL;
    spec_t *s = NULL;

    if (!err || errlen == 0) {
        c.err = dummy;
        c.errlen = sizeof(dummy);
    }
    c.err[0] = '\0';
    if (read_file(&c, &data, &len) < 0 || parse_tree(&c, data, len, &root) < 0)
        goto out;
    c.root = root;
    if (load_raw(&c, data, len, &raw) < 0)
        goto out;
    s = compile(&c, raw, opts);
out:
    free_raw(raw);
    yloc_free(root);
    free(data);
    ctx_clear(&c);
    one_line(c.err);
    return s;
}

/* ------------------------------------------------------------------ */
/* Freeing.                                                             */

static void http_clear(spec_http_t *h)
{
    if (!h)
        return;
    if (h->url)
        tmpl_free(h->url);
    for (size_t i = 0; i < h->nheaders; i++)
        if (h->headers[i])
            tmpl_free(h->headers[i]);
    free(h->headers);
    if (h->body)
        tmpl_free(h->body);
    for (size_t i = 0; i < h->ncaptures; i++) {
        free(h->captures[i].cookie);
        pred_free(h->captures[i].json);
        free(h->captures[i].src);
    }
    free(h->captures);
    free(h);
}

static void step_clear(spec_step_t *st)
{
    http_clear(st->http);
    free(st->name);
    if (st->send)
        tmpl_free(st->send);
    if (st->expect)
        pred_free(st->expect);
    free(st->expect_src);
    if (st->latency_from)
        pred_free(st->latency_from);
    free(st->latency_from_src);
    free(st->binary);
    pred_free(st->fail_if);
    free(st->fail_if_src);
    for (size_t i = 0; i < st->ncaptures; i++) {
        pred_free(st->captures[i].json);
        free(st->captures[i].src);
    }
    free(st->captures);
}

static void task_clear(spec_task_t *t)
{
    for (size_t i = 0; i < t->nsteps; i++)
        step_clear(&t->steps[i]);
    free(t->steps);
    free(t->name);
}

static void scenario_clear(spec_scenario_t *sc)
{
    free(sc->name);
    if (sc->url)
        tmpl_free(sc->url);
    for (size_t i = 0; i < sc->nheaders; i++)
        if (sc->headers[i])
            tmpl_free(sc->headers[i]);
    free(sc->headers);
    for (size_t i = 0; i < sc->non_start; i++)
        step_clear(&sc->on_start[i]);
    free(sc->on_start);
    for (size_t i = 0; i < sc->non_reconnect; i++)
        step_clear(&sc->on_reconnect[i]);
    free(sc->on_reconnect);
    for (size_t i = 0; i < sc->ntasks; i++)
        task_clear(&sc->tasks[i]);
    free(sc->tasks);
    for (size_t i = 0; i < sc->ncounts; i++)
        step_clear(&sc->counts[i]);
    free(sc->counts);
    free(sc->subprotocol);
    for (size_t i = 0; i < sc->nslots; i++)
        free(sc->slot_names[i]);
    free(sc->slot_names);
}

static bool steps_use_tls(const spec_step_t *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (steps[i].http && steps[i].http->https)
            return true;
    return false;
}

bool spec_http_uses_tls(const spec_t *s)
{
    for (size_t i = 0; i < s->nscenarios; i++) {
        const spec_scenario_t *sc = &s->scenarios[i];
        if (steps_use_tls(sc->on_start, sc->non_start) ||
            steps_use_tls(sc->on_reconnect, sc->non_reconnect))
            return true;
        for (size_t t = 0; t < sc->ntasks; t++)
            if (steps_use_tls(sc->tasks[t].steps, sc->tasks[t].nsteps))
                return true;
    }
    return false;
}

void spec_free(spec_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nscenarios; i++)
        scenario_clear(&s->scenarios[i]);
    free(s->scenarios);
    for (size_t i = 0; i < s->nmetrics; i++)
        free(s->metric_names[i]);
    free(s->metric_names);
    for (size_t i = 0; i < s->nassertions; i++)
        asrt_clear(&s->assertions[i]);
    free(s->assertions);
    free(s->stages);
    free(s->open.stages);
    data_free(s->data);
    free(s->data_file);
    free(s->tls.ca_file);
    free(s->tls.client_cert);
    free(s->tls.client_key);
    free(s->target);
    free(s->name);
    free(s->path);
    free(s);
}
