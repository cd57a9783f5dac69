/* schema: the libcyaml schema of a spec and the raw load through it; see spec_int.h. */
#include "spec/spec_int.h"

#include <stdarg.h>

#include "base/sbuf.h"

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

static const cyaml_schema_field_t stomp_step_fields[] = {
    OPT_STR("subscribe", raw_stomp_step_t, subscribe),
    OPT_STR("send", raw_stomp_step_t, send),
    OPT_STR("id", raw_stomp_step_t, id),
    OPT_STR("ack", raw_stomp_step_t, ack),
    OPT_STR("nack_if", raw_stomp_step_t, nack_if),
    OPT_STR("body", raw_stomp_step_t, body),
    SEQ("headers", CYAML_FLAG_OPTIONAL, raw_stomp_step_t, headers, &str_entry, 0),
    CYAML_FIELD_BOOL("receipt", CYAML_FLAG_OPTIONAL, raw_stomp_step_t, receipt),
    OPT_STR("timeout", raw_stomp_step_t, timeout),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t stomp_conn_fields[] = {
    OPT_STR("login", raw_stomp_conn_t, login),
    OPT_STR("passcode", raw_stomp_conn_t, passcode),
    OPT_STR("host", raw_stomp_conn_t, host),
    OPT_STR("heartbeat", raw_stomp_conn_t, heartbeat),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t emit_fields[] = {
    REQ_STR("event", raw_emit_t, event),
    OPT_STR("args", raw_emit_t, args),
    CYAML_FIELD_BOOL("ack", CYAML_FLAG_OPTIONAL, raw_emit_t, ack),
    OPT_STR("timeout", raw_emit_t, timeout),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t sio_conn_fields[] = {
    OPT_STR("path", raw_sio_conn_t, path),
    OPT_STR("namespace", raw_sio_conn_t, nsp),
    OPT_STR("auth", raw_sio_conn_t, auth),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t graphql_step_fields[] = {
    OPT_STR("subscribe", raw_graphql_step_t, subscribe),
    OPT_STR("variables", raw_graphql_step_t, variables),
    OPT_STR("operation_name", raw_graphql_step_t, operation_name),
    OPT_STR("id", raw_graphql_step_t, id),
    OPT_STR("as", raw_graphql_step_t, as),
    OPT_STR("timeout", raw_graphql_step_t, timeout),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t graphql_conn_fields[] = {
    OPT_STR("init", raw_graphql_conn_t, init),
    OPT_STR("ping_interval", raw_graphql_conn_t, ping_interval),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t step_fields[] = {
    OPT_STR("name", raw_step_t, name),
    OPT_STR("send", raw_step_t, send),
    OPT_MAP("expect", raw_step_t, expect, expect_fields),
    OPT_STR("sleep", raw_step_t, sleep),
    OPT_STR("pause_reading", raw_step_t, pause_reading),
    CYAML_FIELD_BOOL("reconnect", CYAML_FLAG_OPTIONAL, raw_step_t, reconnect),
    OPT_STR("send_binary", raw_step_t, send_binary),
    OPT_MAP("close", raw_step_t, close, close_fields),
    OPT_MAP("http", raw_step_t, http, http_fields),
    OPT_MAP("stomp", raw_step_t, stomp, stomp_step_fields),
    OPT_MAP("emit", raw_step_t, emit, emit_fields),
    OPT_MAP("graphql", raw_step_t, graphql, graphql_step_fields),
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

static const cyaml_schema_field_t deflate_fields[] = {
    CYAML_FIELD_UINT("client_max_window_bits", CYAML_FLAG_OPTIONAL, raw_deflate_t,
                     client_max_window_bits),
    CYAML_FIELD_UINT("server_max_window_bits", CYAML_FLAG_OPTIONAL, raw_deflate_t,
                     server_max_window_bits),
    CYAML_FIELD_BOOL("client_no_context_takeover", CYAML_FLAG_OPTIONAL, raw_deflate_t,
                     client_no_context_takeover),
    CYAML_FIELD_BOOL("server_no_context_takeover", CYAML_FLAG_OPTIONAL, raw_deflate_t,
                     server_no_context_takeover),
    CYAML_FIELD_END,
};

static const cyaml_schema_field_t connect_fields[] = {
    REQ_STR("url", raw_connect_t, url),
    SEQ("headers", CYAML_FLAG_OPTIONAL, raw_connect_t, headers, &str_entry, 0),
    OPT_STR("timeout", raw_connect_t, timeout),
    OPT_STR("ping_interval", raw_connect_t, ping_interval),
    OPT_STR("subprotocol", raw_connect_t, subprotocol),
    CYAML_FIELD_BOOL_PTR("tls_resume", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, raw_connect_t,
                         tls_resume),
    OPT_MAP("reconnect", raw_connect_t, reconnect, reconnect_fields),
    OPT_STR("read_rate", raw_connect_t, read_rate),
    OPT_STR("compression", raw_connect_t, compression),
    OPT_MAP("deflate", raw_connect_t, deflate, deflate_fields),
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
    OPT_STR("protocol", raw_scenario_t, protocol),
    OPT_MAP("stomp", raw_scenario_t, stomp, stomp_conn_fields),
    OPT_MAP("socketio", raw_scenario_t, socketio, sio_conn_fields),
    OPT_MAP("graphql", raw_scenario_t, graphql, graphql_conn_fields),
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
    CYAML_FIELD_UINT("max_connecting", CYAML_FLAG_OPTIONAL, raw_load_t, max_connecting),
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

static const cyaml_schema_field_t observe_fields[] = {
    REQ_STR("prometheus", raw_observe_t, prometheus),
    OPT_STR("interval", raw_observe_t, interval),
    SEQ("metrics", CYAML_FLAG_DEFAULT, raw_observe_t, metrics, &str_entry, 1),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t observe_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, raw_observe_t, observe_fields),
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
    SEQ("observe", CYAML_FLAG_OPTIONAL, raw_spec_t, observe, &observe_entry, 0),
    CYAML_FIELD_END,
};

const cyaml_schema_value_t schema_spec = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, raw_spec_t, spec_fields),
};

/* ------------------------------------------------------------------ */
/* Loading through the schema.                                          */

/* Keeps libcyaml's error lines (up to about 16 KiB) for diag_cyaml. fmt is
 * libcyaml's own printf format, as its log callback type says. */
__attribute__((format(printf, 3, 0))) static void collect_log(cyaml_log_t level, void *ctx,
                                                              const char *fmt, va_list args)
{
    sbuf_t *log = ctx;
    if (level < CYAML_LOG_ERROR || log->len > 16384)
        return;
    sbuf_vprintf(log, fmt, args);
}

int schema_load_raw(spec_ctx_t *c, const char *data, size_t len, raw_spec_t **raw)
{
    sbuf_t log = SBUF_INIT;
    const cyaml_config_t cfg = {
        .log_fn = collect_log,
        .log_ctx = &log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_DEFAULT,
    };
    cyaml_err_t rc =
        cyaml_load_data((const uint8_t *)data, len, &cfg, &schema_spec, (cyaml_data_t **)raw, NULL);
    int r = 0;
    if (rc == CYAML_ERR_OOM)
        r = diag_oom(c);
    else if (rc != CYAML_OK)
        r = diag_cyaml(c, log.data);
    sbuf_free(&log);
    return r;
}

void schema_free_raw(raw_spec_t *raw)
{
    const cyaml_config_t cfg = {
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
    };
    if (raw)
        cyaml_free(&cfg, &schema_spec, raw, 0);
}
