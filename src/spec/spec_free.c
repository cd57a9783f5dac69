/* spec_free: frees a compiled plan; see spec.h. */
#include "spec/spec.h"

#include <stdlib.h>

#include "spec/data.h"

/* ------------------------------------------------------------------ */
/* Freeing.                                                             */

static void clear_http(spec_http_t *h)
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

static void tmpl_free_all(tmpl_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i])
            tmpl_free(v[i]);
    free(v);
}

static void clear_stomp_frame(spec_stomp_frame_t *f)
{
    if (!f)
        return;
    if (f->destination)
        tmpl_free(f->destination);
    if (f->body)
        tmpl_free(f->body);
    free(f->id);
    free(f->ack);
    pred_free(f->nack_if);
    tmpl_free_all(f->headers, f->nheaders);
    free(f);
}

static void clear_stomp_conn(spec_stomp_conn_t *sc)
{
    if (!sc)
        return;
    if (sc->login)
        tmpl_free(sc->login);
    if (sc->passcode)
        tmpl_free(sc->passcode);
    if (sc->host)
        tmpl_free(sc->host);
    free(sc);
}

static void clear_sio_emit(spec_sio_emit_t *e)
{
    if (!e)
        return;
    free(e->event);
    if (e->args)
        tmpl_free(e->args);
    free(e);
}

static void clear_sio_conn(spec_sio_conn_t *sc)
{
    if (!sc)
        return;
    free(sc->path);
    free(sc->nsp);
    if (sc->auth)
        tmpl_free(sc->auth);
    free(sc);
}

static void clear_graphql_op(spec_graphql_op_t *g)
{
    if (!g)
        return;
    if (g->query)
        tmpl_free(g->query);
    if (g->variables)
        tmpl_free(g->variables);
    if (g->id)
        tmpl_free(g->id);
    free(g->operation_name);
    free(g->as);
    free(g);
}

static void clear_graphql_conn(spec_graphql_conn_t *gc)
{
    if (!gc)
        return;
    if (gc->init)
        tmpl_free(gc->init);
    free(gc);
}

static void clear_step(spec_step_t *st)
{
    clear_sio_emit(st->emit);
    clear_http(st->http);
    clear_stomp_frame(st->stomp);
    clear_graphql_op(st->graphql);
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

static void clear_task(spec_task_t *t)
{
    for (size_t i = 0; i < t->nsteps; i++)
        clear_step(&t->steps[i]);
    free(t->steps);
    free(t->name);
}

static void clear_scenario(spec_scenario_t *sc)
{
    free(sc->name);
    clear_stomp_conn(sc->stomp);
    clear_sio_conn(sc->socketio);
    clear_graphql_conn(sc->graphql);
    if (sc->url)
        tmpl_free(sc->url);
    for (size_t i = 0; i < sc->nheaders; i++)
        if (sc->headers[i])
            tmpl_free(sc->headers[i]);
    free(sc->headers);
    for (size_t i = 0; i < sc->non_start; i++)
        clear_step(&sc->on_start[i]);
    free(sc->on_start);
    for (size_t i = 0; i < sc->non_reconnect; i++)
        clear_step(&sc->on_reconnect[i]);
    free(sc->on_reconnect);
    for (size_t i = 0; i < sc->ntasks; i++)
        clear_task(&sc->tasks[i]);
    free(sc->tasks);
    for (size_t i = 0; i < sc->ncounts; i++)
        clear_step(&sc->counts[i]);
    free(sc->counts);
    free(sc->subprotocol);
    for (size_t i = 0; i < sc->nslots; i++)
        free(sc->slot_names[i]);
    free(sc->slot_names);
    for (size_t i = 0; i < sc->nmsg_keys; i++)
        free(sc->msg_keys[i]);
    free(sc->msg_keys);
}

void spec_free(spec_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nscenarios; i++)
        clear_scenario(&s->scenarios[i]);
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
    for (size_t i = 0; i < s->nobserve; i++) {
        for (size_t k = 0; k < s->observe[i].nmetrics; k++)
            free(s->observe[i].metrics[k]);
        free(s->observe[i].metrics);
        free(s->observe[i].url);
    }
    free(s->observe);
    free(s->tls.ca_file);
    free(s->tls.client_cert);
    free(s->tls.client_key);
    free(s->target);
    free(s->name);
    free(s->path);
    free(s);
}
