/* spec: loads a YAML spec (libcyaml for the typed structure, libyaml
 * positions for messages) and compiles it into a plan the engine runs.
 * Everything that can be wrong with a spec is found here, before anything
 * runs: unknown keys, bad durations, templates, predicates, assertions on
 * metrics the spec cannot produce. */
#ifndef WSGATE_SPEC_H
#define WSGATE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result/asrt.h"
#include "spec/pred.h"
#include "spec/tmpl.h"
#include "base/hostrule.h"
#include "base/namepat.h"
#include "base/redact.h"
#include "base/units.h"

/* http.capture entry: one value of the reply into a per-user slot. */
/* Also expect.capture / count capture: PATH of the matched message (json). */
typedef struct spec_capture {
    int slot;     /* index into the scenario's slot_names */
    char *cookie; /* cookie.NAME: the Set-Cookie value of NAME; NULL for json */
    pred_t *json; /* json.PATH: the field of the JSON body (string or number) */
    char *src;    /* "json.access_token", for error samples */
} spec_capture_t;

/* scenario protocol: how frames are read and written (json by default).
 * The engine has one entry for each in its table (src/engine/proto/). */
typedef enum spec_protocol {
    SPEC_PROTO_JSON,           /* a message is a JSON document (today's behaviour) */
    SPEC_PROTO_TEXT,           /* raw text: predicates see {text, json} */
    SPEC_PROTO_STOMP,          /* STOMP 1.2 over WebSocket: {command, headers, body, json} */
    SPEC_PROTO_SOCKETIO,       /* Socket.IO v5 over Engine.IO v4: {event, args} or {ack, args} */
    SPEC_PROTO_GRAPHQL,        /* graphql-transport-ws: {type, id, op, payload, awaited} */
    SPEC_PROTO_GRAPHQL_APOLLO, /* Apollo's graphql-ws (subscriptions-transport-ws): likewise */
} spec_protocol_t;
#define SPEC_PROTO_COUNT 6

/* The name protocol: writes for p ("json", "text", "stomp", "graphql", ...). Static. */
const char *spec_protocol_name(spec_protocol_t p);

/* scenario stomp: the CONNECT frame. Owns all. */
typedef struct spec_stomp_conn {
    tmpl_t *login;         /* stomp.login, NULL: not sent */
    tmpl_t *passcode;      /* stomp.passcode, NULL: not sent */
    tmpl_t *host;          /* stomp.host (the virtual host), "/" by default */
    uint64_t heartbeat_us; /* stomp.heartbeat: both directions; 0 = none */
} spec_stomp_conn_t;

typedef enum spec_stomp_cmd { SPEC_STOMP_SUBSCRIBE, SPEC_STOMP_SEND } spec_stomp_cmd_t;

/* A stomp: step: one SUBSCRIBE or SEND frame. Owns all. */
typedef struct spec_stomp_frame {
    spec_stomp_cmd_t command;
    tmpl_t *destination; /* stomp.subscribe or stomp.send */
    tmpl_t *body;        /* SEND: stomp.body (any byte; content-length is sent), NULL = empty */
    char *id;            /* SUBSCRIBE: stomp.id, "sub-0" by default */
    char *ack;           /* SUBSCRIBE: stomp.ack, "auto" by default */
    pred_t *nack_if;     /* SUBSCRIBE: stomp.nack_if: a MESSAGE matching it gets NACK, not ACK */
    tmpl_t **headers;    /* stomp.headers: extra "name: value" lines */
    size_t nheaders;
    bool receipt; /* stomp.receipt: the step is timed to its RECEIPT */
} spec_stomp_frame_t;

/* scenario socketio: the Engine.IO path and the namespace connect. Owns all. */
typedef struct spec_sio_conn {
    char *path;   /* socketio.path, "/socket.io/" by default: used when the URL has no path */
    char *nsp;    /* socketio.namespace, "/" by default */
    tmpl_t *auth; /* socketio.auth: the CONNECT packet's JSON object, NULL: none */
} spec_sio_conn_t;

/* An emit: step: one EVENT packet. Owns all. */
typedef struct spec_sio_emit {
    char *event;  /* emit.event as a JSON string, quotes included */
    tmpl_t *args; /* emit.args: a JSON array ('[...]'), NULL: no arguments */
    bool ack;     /* emit.ack: an ack id is sent and the step is timed to its ACK */
} spec_sio_emit_t;
/* scenario graphql: connection_init and our pings. Owns all. */
typedef struct spec_graphql_conn {
    tmpl_t *init; /* graphql.init: connection_init's payload (JSON), NULL: none */
    uint64_t
        ping_interval_us; /* graphql.ping_interval: our pings (a pong due by the next); 0 = none */
} spec_graphql_conn_t;

/* A graphql: step: one subscribe message (a subscription, query or
 * mutation), timed to the operation's first next. Owns all. */
typedef struct spec_graphql_op {
    tmpl_t *query;        /* graphql.subscribe: the document */
    tmpl_t *variables;    /* graphql.variables (a JSON object), NULL: none */
    char *operation_name; /* graphql.operation_name, NULL: none */
    tmpl_t *id;           /* graphql.id: a fixed operation id; NULL: "1", "2", ... per connection */
    char *as;             /* graphql.as, else the step's name: the op field; NULL: none */
    int complete_metric;  /* "<as>.complete": subscribe -> complete; -1 when unnamed */
} spec_graphql_op_t;

/* An HTTP request step (e.g. the login before connecting). Owns all. */
typedef struct spec_http {
    char method[8]; /* GET, POST, PUT, DELETE */
    tmpl_t *url;    /* renders to http://... or https://... */
    tmpl_t **headers;
    size_t nheaders;
    tmpl_t *body;             /* json:, form: or body:; NULL = none */
    const char *content_type; /* static string for json:/form:, NULL for body: */
    bool https;               /* the URL renders to https:// (for user 1) */
    int expect_status;        /* 0: any 2xx */
    uint64_t timeout_us;      /* http.timeout, default 10s */
    spec_capture_t *captures;
    size_t ncaptures;
} spec_http_t;

/* One step: send and/or expect. Owns its templates and predicate. */
typedef struct spec_step {
    char *name;            /* metric name; NULL for an unnamed step */
    int metric;            /* index into spec_t.metric_names, -1 if unnamed */
    tmpl_t *send;          /* NULL: nothing to send */
    unsigned char *binary; /* send_binary hex:/base64: bytes (owned), NULL if none */
    size_t binary_len;
    size_t binary_random; /* send_binary: random(N): N fresh random bytes per send */
    uint16_t close_code;  /* close step: close with this code (1000..4999), 0 = none */
    pred_t *expect;       /* NULL: nothing to wait for */
    char *expect_src;     /* predicate text, for error samples */
    pred_t *fail_if;      /* expect.fail_if: ends the wait as unexpected_message */
    char *fail_if_src;
    uint64_t expect_timeout_us;
    pred_t *latency_from;      /* expect.latency_from: latency = wall now - this field */
    char *latency_from_src;    /* its path text, for error messages */
    uint32_t latency_unit_us;  /* expect.unit: 1000 for ms (default), 1 for us */
    uint64_t sleep_us;         /* sleep step: wait this long, nothing else */
    uint64_t pause_reading_us; /* pause_reading step: stop reading this long (a slow consumer) */
    bool reconnect;            /* reconnect step: close, connect again (latency to the upgrade) */
    spec_http_t *http;         /* an HTTP request step, NULL otherwise */
    /* a stomp: step (send is then "" and the engine frames it); with
     * receipt, expect is command == "RECEIPT" and expect_src "RECEIPT" */
    spec_stomp_frame_t *stomp;
    /* an emit: step (send is then "" and the engine frames it); with ack,
     * expect is the path ack and expect_src "ACK" */
    spec_sio_emit_t *emit;
    /* a graphql: step (send is then "" and the engine frames it); expect
     * is "awaited" (the operation's first next) */
    spec_graphql_op_t *graphql;
    /* expect.capture (or a count entry's capture): fields of the matched
     * message into per-user slots (json set, cookie NULL). */
    spec_capture_t *captures;
    size_t ncaptures;
    int line;
} spec_step_t;

/* connect.reconnect: after an unexpected drop the user waits
 * backoff * 2^(attempt-1), capped at max_backoff, +/- jitter, and connects
 * again, up to max_attempts consecutive failures. max_attempts 0: no policy
 * (the user starts afresh after a fixed 1 s, on_start included). */
typedef struct spec_reconnect {
    unsigned max_attempts;
    uint64_t backoff_us;
    uint64_t max_backoff_us;
    unsigned jitter_pct; /* 0..100: each delay is scaled by 1 +/- up to this */
} spec_reconnect_t;

/* A weighted task: its steps, then its think time. Owns steps. */
typedef struct spec_task {
    char *name;
    unsigned weight; /* >= 1 */
    pause_t pause;   /* think time after the task */
    /* task.rate: a fixed-rate task starts every every_us after the intended
     * start of the previous one (not after its end plus a pause), and its
     * first expect's latency runs from that intended time (vu.c skips
     * starts older than that expect's timeout as missed); 0 = pause. */
    uint64_t every_us;
    spec_step_t *steps;
    size_t nsteps;
} spec_task_t;

/* connect.compression: deflate offers permessage-deflate (RFC 7692) with
 * the parameters of connect.deflate. */
typedef struct spec_deflate {
    bool on; /* connect.compression: deflate */
    unsigned
        client_max_window_bits; /* connect.deflate.client_max_window_bits 8-15; 0: offered bare */
    unsigned server_max_window_bits; /* connect.deflate.server_max_window_bits 8-15; 0: not asked */
    bool client_no_context_takeover; /* connect.deflate.client_no_context_takeover */
    bool server_no_context_takeover; /* connect.deflate.server_no_context_takeover */
} spec_deflate_t;

/* Owns everything. */
typedef struct spec_scenario {
    char *name;
    unsigned weight;  /* share of users, >= 1 */
    tmpl_t *url;      /* connect.url */
    tmpl_t **headers; /* connect.headers, each "Name: value" */
    size_t nheaders;
    uint64_t connect_timeout_us;  /* connect.timeout, default 10s */
    uint64_t ping_interval_us;    /* connect.ping_interval: WebSocket pings; 0 = none */
    char *subprotocol;            /* connect.subprotocol (Sec-WebSocket-Protocol), NULL = none */
    spec_deflate_t deflate;       /* connect.compression and connect.deflate */
    bool tls_resume;              /* connect.tls_resume: resume TLS sessions, default true */
    spec_protocol_t protocol;     /* protocol: json (default), text or stomp */
    spec_stomp_conn_t *stomp;     /* stomp: (protocol stomp only, always set then) */
    spec_sio_conn_t *socketio;    /* socketio: (protocol socketio only, always set then) */
    spec_graphql_conn_t *graphql; /* graphql: (protocols graphql*, always set then) */
    spec_reconnect_t reconnect;   /* connect.reconnect */
    uint64_t read_rate;           /* connect.read_rate: bytes a second read at most; 0 = no limit */
    spec_step_t *on_start;
    size_t non_start;
    spec_step_t *on_reconnect; /* run after an automatic reconnect, then the tasks */
    size_t non_reconnect;
    spec_task_t *tasks;
    size_t ntasks;
    unsigned task_weight_sum;
    /* count: named receive-only steps (expect, latency_from) matched against
     * every incoming message at any time; each is a metric. */
    spec_step_t *counts;
    size_t ncounts;
    /* http.capture names of all steps: per-user template slots. */
    char **slot_names;
    size_t nslots;
    size_t npre_connect; /* leading on_start steps that are http: run before connecting */
    /* The top-level message fields that the scenario's predicates,
     * latency_from paths and captures read, each once (owned): a received
     * JSON message is parsed only that far. */
    char **msg_keys;
    size_t nmsg_keys;
} spec_scenario_t;

/* Closed-model stage: move linearly from the previous stage's users (0 at
 * the start) to users over duration_us. Duration 0 jumps. */
typedef struct spec_stage {
    uint64_t duration_us;
    unsigned users;
} spec_stage_t;

/* Open-model stage: the arrival rate moves linearly from the previous
 * stage's rate (0 at the start) to rate_per_s over duration_us. Duration 0
 * jumps. */
typedef struct spec_arrival_stage {
    uint64_t duration_us;
    double rate_per_s;
} spec_arrival_stage_t;

/* load.arrival_rate: the open model. Each arrival is a new session
 * (connect, on_start, tasks) that ends after iterations tasks or after
 * duration_us, whichever comes first; arrivals beyond max_users concurrent
 * sessions are dropped and counted. */
typedef struct spec_open {
    spec_arrival_stage_t *stages; /* owned */
    size_t nstages;
    unsigned max_users;        /* arrival_rate.max_users (>= 1) */
    unsigned iterations;       /* session.iterations; 0 = no limit (default 1) */
    uint64_t session_us;       /* session.duration; 0 = no limit */
    uint64_t graceful_stop_us; /* sessions in flight may run this long after the last arrival */
    double rate_min, rate_max; /* over all stages, for reports */
} spec_open_t;
/* tls: for every wss:// connect, https:// http step and https:// observe:
 * scrape of the run. Paths
 * are resolved against the spec's directory; NULL when not given. Owns all. */
typedef struct spec_tls {
    char *ca_file;     /* tls.ca_file: trusted CAs in addition to the system's */
    char *client_cert; /* tls.client_cert and client_key: sent when asked */
    char *client_key;
    bool insecure; /* tls.insecure_skip_verify: accept any server certificate */
} spec_tls_t;

#define SPEC_MAX_CONNECTING 1000000u /* load.max_connecting at most */
/* observe: one Prometheus text endpoint of the system under test, scraped
 * during the run (engine/observe.c). Owns all. */
typedef struct spec_observe {
    char *url;            /* observe[].prometheus rendered: http(s)://HOST[:PORT]/PATH */
    uint64_t interval_us; /* observe[].interval, default 5s */
    char **metrics;       /* observe[].metrics, each NAME or NAME{label="value",...},
                             normalised (result/observed.h obs_selector_norm) */
    size_t nmetrics;
    int line;
} spec_observe_t;

/* The compiled plan. Owns everything. */
typedef struct spec {
    char *path; /* file it came from */
    char *name;
    char *target; /* after --target / WSGATE_TARGET override */
    spec_stage_t *stages;
    size_t nstages;
    uint64_t duration_us;    /* sum of stage durations (open model: of arrival stages) */
    unsigned peak_users;     /* max users over all stages (open model: max_users) */
    unsigned max_connecting; /* load.max_connecting: connects in flight at most, all workers; 0 =
                                unset */
    bool open_model;         /* load.arrival_rate: stages is empty, open holds the shape */
    spec_open_t open;
    spec_scenario_t *scenarios;
    size_t nscenarios;
    unsigned scenario_weight_sum;
    char **metric_names; /* [0] = "connect", then named steps in order */
    size_t nmetrics;
    int ping_metric; /* index of "ws.ping" in metric_names, -1 when no scenario pings */
    /* index of "reconnects" (automatic reconnects: latency from the drop to
     * the new upgrade, failed = users that gave up), -1 when no policy */
    int reconnect_metric;
    /* some scenario reads slowly (connect.read_rate) or has a
     * pause_reading step: the result has slow_consumers */
    bool slow_readers;
    asrt_t *assertions;
    size_t nassertions;
    struct data *data; /* data.file's rows (data.h), NULL without data: */
    char *data_file;   /* its path, relative to the working directory */
    bool data_random;  /* data.order: random (else sequential) */
    spec_tls_t tls;
    spec_observe_t *observe; /* observe: */
    size_t nobserve;
    /* --allow-hosts/--block-hosts, borrowed from spec_opts_t's guard (NULL:
     * any destination): the engine checks every connection against it. */
    const hostguard_t *hosts;
} spec_t;

/* Guard rails for a spec someone else wrote (a pull request can change
 * it): where load may go, which environment variables it may read, how
 * much load it may ask for. The cli fills it from its flags and variables;
 * each *_from names the flag or variable that set the limit, for messages.
 * Borrowed: hosts and secrets must outlive the plans loaded with it. */
typedef struct spec_guard {
    const hostguard_t *hosts;   /* NULL: any destination */
    const namepat_t *env_allow; /* names {{env.NAME}} may read; NULL: NAMEPAT_DEFAULT_ENV */
    const char *env_allow_from; /* "--allow-env" or "WSGATE_ALLOW_ENV"; NULL: the default */
    redact_secrets_t *secrets;  /* gets every value env.NAME read; NULL: none kept */
    unsigned max_users;         /* peak users (open model: max_users); 0: no limit */
    const char *max_users_from;
    uint64_t max_duration_us; /* the whole run (open model: with graceful_stop); 0: no limit */
    const char *max_duration_from;
    double max_rate; /* per second: arrival rate, and fixed task rates x users; 0: no limit */
    const char *max_rate_from;
} spec_guard_t;

/* Options that change how a spec compiles. Borrowed. */
typedef struct spec_opts {
    const char *target_override; /* --target, else $WSGATE_TARGET, else spec */
    const spec_guard_t *guard;   /* NULL: no limits, the default env patterns */
    /* --users, --duration, --ramp-up, --var (spec/override.h); NULL: none */
    const struct spec_overrides *overrides;
} spec_opts_t;

/* Loads and compiles path. Returns a plan the caller frees with spec_free(),
 * or NULL with exactly one line in err of the form
 *   "specs/chat.yaml:14: unknown key \"expect_type\"; did you mean \"expect\"?"
 * (file:line: what is wrong; what to write instead). */
spec_t *spec_load(const char *path, const spec_opts_t *opts, char *err, size_t errlen);

/* True when some http step's URL is https:// (the workers' lws contexts
 * then need TLS even when every scenario connects with ws://). */
bool spec_http_uses_tls(const spec_t *s);
/* True when some step is an http: request (each user may then hold a
 * second connection while it runs). */
bool spec_uses_http(const spec_t *s);

/* True when a scenario has connect.compression: deflate (the engine then
 * gives its contexts the permessage-deflate extension). */
bool spec_uses_deflate(const spec_t *s);

/* Writes d's Sec-WebSocket-Extensions offer ("permessage-deflate;
 * client_max_window_bits...") into buf (n bytes). Returns its length, 0
 * when d is off, or -1 when buf is too small. */
int spec_deflate_offer(const spec_deflate_t *d, char *buf, size_t n);

void spec_free(spec_t *s);

#endif
