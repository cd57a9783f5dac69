/* graphql: the keys of protocols graphql and graphql-apollo (connection_init, graphql: steps). */
#include "spec/spec_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A template that renders JSON text: when it holds no {{...}}, it must
 * parse as JSON of the given type now (else the server closes with 4400). */
static int json_tmpl(spec_ctx_t *c, const char *kpath, const char *src, bool object, tmpl_t **out)
{
    if (field_tmpl(c, kpath, src, out) < 0)
        return -1;
    if (!tmpl_is_constant(*out))
        return 0;
    cJSON *j = cJSON_Parse(src);
    bool ok = j && (!object || cJSON_IsObject(j));
    cJSON_Delete(j);
    if (!ok)
        return diag_fail_at(c, kpath, "%s is not a JSON object; write e.g. '{\"n\": 3}'", kpath);
    return 0;
}

int graphql_compile_conn(spec_ctx_t *c, const char *base, const raw_graphql_conn_t *r,
                         spec_scenario_t *out)
{
    char kpath[256];
    if (!(out->graphql = calloc(1, sizeof(*out->graphql))))
        return diag_oom(c);
    if (!r)
        return 0;
    snprintf(kpath, sizeof(kpath), "%.200s.graphql.init", base);
    if (r->init && json_tmpl(c, kpath, r->init, true, &out->graphql->init) < 0)
        return -1;
    snprintf(kpath, sizeof(kpath), "%.200s.graphql.ping_interval", base);
    if (r->ping_interval &&
        field_duration(c, kpath, r->ping_interval, &out->graphql->ping_interval_us) < 0)
        return -1;
    if (out->graphql->ping_interval_us && out->protocol == SPEC_PROTO_GRAPHQL_APOLLO)
        return diag_fail_at(c, kpath,
                            "%s: graphql-apollo has no client pings (the server sends ka); "
                            "remove ping_interval",
                            kpath);
    if (out->graphql->ping_interval_us && out->graphql->ping_interval_us < 10000)
        return diag_fail_at(c, kpath, "%s must be at least 10ms (or 0 for none); write e.g. 10s",
                            kpath);
    if (out->graphql->ping_interval_us && out->ping_interval_us)
        return diag_fail_at(c, kpath,
                            "%s and connect.ping_interval both keep the connection alive; keep "
                            "one (graphql pings are the protocol's own)",
                            kpath);
    return 0;
}

/* The step's metric name: graphql.as, else name: (both only when equal). */
static int op_name(spec_ctx_t *c, const char *spath, const raw_step_t *st, const char **name)
{
    const char *as = st->graphql->as;
    *name = as ? as : st->name;
    if (as && st->name && strcmp(as, st->name) != 0)
        return diag_fail_at(c, spath,
                            "%s.as \"%.40s\" and the step's name \"%.40s\" differ; keep one "
                            "(as: names the step's metric)",
                            spath, as, st->name);
    if (as && !field_is_ident(as))
        return diag_fail_at(c, spath, "%s.as \"%.40s\" is not a name; write e.g. as: msgs", spath,
                            as);
    return 0;
}

/* subscribe, variables, operation_name and id into g. */
static int compile_op(spec_ctx_t *c, const char *spath, const raw_graphql_step_t *r,
                      spec_graphql_op_t *g)
{
    char kpath[300];
    snprintf(kpath, sizeof(kpath), "%s.subscribe", spath);
    if (!r->subscribe || !r->subscribe[0])
        return diag_fail_at(c, spath,
                            "%s needs subscribe: (the document of a subscription, query or "
                            "mutation); write e.g. graphql: {subscribe: 'subscription { "
                            "messages { text } }'}",
                            spath);
    if (field_tmpl(c, kpath, r->subscribe, &g->query) < 0)
        return -1;
    snprintf(kpath, sizeof(kpath), "%s.variables", spath);
    if (r->variables && json_tmpl(c, kpath, r->variables, true, &g->variables) < 0)
        return -1;
    snprintf(kpath, sizeof(kpath), "%s.operation_name", spath);
    if (r->operation_name && !field_is_ident(r->operation_name))
        return diag_fail_at(c, kpath, "%s \"%.40s\" is not a GraphQL name; write e.g. OnMessage",
                            kpath, r->operation_name);
    if (r->operation_name && !(g->operation_name = diag_strdup(c, r->operation_name)))
        return -1;
    snprintf(kpath, sizeof(kpath), "%s.id", spath);
    if (r->id && !r->id[0])
        return diag_fail_at(c, kpath, "%s is empty; leave id: out for ids 1, 2, ... per connection",
                            kpath);
    return r->id ? field_tmpl(c, kpath, r->id, &g->id) : 0;
}

/* The step waits for its operation's first next (graphql.timeout, 10s). */
static int compile_wait(spec_ctx_t *c, const char *spath, const raw_step_t *st, spec_step_t *out)
{
    char tpath[300], why[256];
    if (st->expect)
        return diag_fail_at(c, spath,
                            "%s is timed to the operation's first next; put the expect in a "
                            "step of its own (match: 'op == \"NAME\"')",
                            spath);
    if (!(out->expect_src = diag_strdup(c, "the operation's first next")))
        return -1;
    if (!(out->expect = pred_compile("awaited", why, sizeof(why))))
        return diag_oom(c);
    out->latency_unit_us = 1000;
    snprintf(tpath, sizeof(tpath), "%s.timeout", spath);
    return field_timeout(c, tpath, st->graphql->timeout, &out->expect_timeout_us);
}

int graphql_compile_step(spec_ctx_t *c, const char *ypath, const raw_step_t *st, spec_step_t *out)
{
    char spath[256], cname[160];
    const char *name;
    snprintf(spath, sizeof(spath), "%.200s.graphql", ypath);
    out->metric = -1;
    out->line = yloc_line(c->root, ypath);
    if (c->protocol != SPEC_PROTO_GRAPHQL && c->protocol != SPEC_PROTO_GRAPHQL_APOLLO)
        return diag_fail_at(
            c, spath, "%s is a GraphQL operation; add protocol: graphql to the scenario", spath);
    if (st->send || st->send_binary || st->sleep || st->close || st->http || st->reconnect ||
        st->stomp || st->emit)
        return diag_fail_at(c, ypath,
                            "%s has graphql beside send, send_binary, sleep, close, http, "
                            "reconnect, stomp or emit; make the operation a step of its own",
                            ypath);
    if (op_name(c, spath, st, &name) < 0)
        return -1;
    if (!(out->graphql = calloc(1, sizeof(*out->graphql))))
        return diag_oom(c);
    spec_graphql_op_t *g = out->graphql;
    g->complete_metric = -1;
    if (compile_op(c, spath, st->graphql, g) < 0 ||
        step_compile_send_expect(c, ypath, name, "", NULL, NULL, out) < 0 ||
        compile_wait(c, spath, st, out) < 0)
        return -1;
    if (!name)
        return 0;
    if (!(g->as = diag_strdup(c, name)))
        return -1;
    snprintf(cname, sizeof(cname), "%.140s.complete", name);
    return names_step_metric(c, cname, ypath, &g->complete_metric);
}
