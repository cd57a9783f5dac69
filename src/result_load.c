#include "result_load.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUPPORTED_SCHEMA 1

/* Parsing state: the first problem found wins. */
typedef struct loader {
    char *err;
    size_t errlen;
    bool failed;
} loader_t;

__attribute__((format(printf, 2, 3))) static void bad(loader_t *l, const char *fmt, ...)
{
    if (l->failed)
        return;
    l->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
}

static const cJSON *field(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        bad(l, "missing \"%s\" in %s", key, where);
    return v;
}

/* A string or null (NULL); anything else is an error. */
static char *opt_str(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = field(l, o, key, where);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        bad(l, "\"%s\" in %s must be a string", key, where);
        return NULL;
    }
    char *s = strdup(v->valuestring);
    if (!s)
        bad(l, "out of memory");
    return s;
}

static double num(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    const cJSON *v = field(l, o, key, where);
    if (v && !cJSON_IsNumber(v)) {
        bad(l, "\"%s\" in %s must be a number", key, where);
        return 0;
    }
    return v ? v->valuedouble : 0;
}

static uint64_t count(loader_t *l, const cJSON *o, const char *key, const char *where)
{
    double d = num(l, o, key, where);
    if (d < 0) {
        bad(l, "\"%s\" in %s must not be negative", key, where);
        return 0;
    }
    return (uint64_t)d;
}

/* "2024-05-01T12:00:00.250Z" -> seconds since the epoch; null -> 0. */
static double iso_time(loader_t *l, const cJSON *o, const char *key)
{
    const cJSON *v = field(l, o, key, "the result");
    if (!v || cJSON_IsNull(v))
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0, used = 0;
    if (!cJSON_IsString(v) ||
        sscanf(v->valuestring, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
        v->valuestring[used] != '\0') {
        bad(l, "\"%s\" must be a time like 2024-05-01T12:00:00.250Z", key);
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long total_ms = (long long)timegm(&tm) * 1000 + ms;
    return (double)total_ms / 1000.0;
}

static void load_run(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *spec = field(l, root, "spec", "the result");
    if (spec) {
        r->spec_name = opt_str(l, spec, "name", "spec");
        r->spec_path = opt_str(l, spec, "path", "spec");
    }
    r->wsgate_version = opt_str(l, root, "wsgate_version", "the result");
    r->target = opt_str(l, root, "target", "the result");
    r->started_at = iso_time(l, root, "started_at");
    r->ended_at = iso_time(l, root, "ended_at");
    r->duration_s = num(l, root, "duration_s", "the result");
    r->threads = (unsigned)count(l, root, "threads", "the result");
    r->users_planned = (unsigned)count(l, root, "users_planned", "the result");
    const cJSON *verdict = field(l, root, "verdict", "the result");
    r->passed = verdict && cJSON_IsString(verdict) && strcmp(verdict->valuestring, "pass") == 0;
    const cJSON *intr = cJSON_GetObjectItemCaseSensitive(root, "interrupted");
    r->interrupted = cJSON_IsTrue(intr);
}

static void load_step(loader_t *l, const cJSON *o, res_step_t *s, size_t i)
{
    char where[32], why[160];
    snprintf(where, sizeof(where), "steps[%zu]", i);
    s->name = opt_str(l, o, "name", where);
    s->ok = count(l, o, "ok", where);
    s->failed = count(l, o, "failed", where);
    const cJSON *h = field(l, o, "histogram", where);
    if (!h || !cJSON_IsString(h)) {
        bad(l, "\"histogram\" in %s must be an encoded string", where);
        return;
    }
    s->latency = hist_decode(h->valuestring, why, sizeof(why));
    if (!s->latency)
        bad(l, "%s: %s", where, why);
}

static void load_steps(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *steps = field(l, root, "steps", "the result");
    if (!steps || !cJSON_IsArray(steps)) {
        bad(l, "\"steps\" must be an array");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(steps);
    r->steps = calloc(n ? n : 1, sizeof(res_step_t));
    if (!r->steps) {
        bad(l, "out of memory");
        return;
    }
    r->nsteps = n;
    size_t i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, steps) load_step(l, s, &r->steps[i], i), i++;
}

static void load_traffic(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *m = field(l, root, "messages", "the result");
    const cJSON *c = field(l, root, "connections", "the result");
    if (!m || !c)
        return;
    r->msgs_sent = count(l, m, "sent", "messages");
    r->msgs_received = count(l, m, "received", "messages");
    r->bytes_sent = count(l, m, "bytes_sent", "messages");
    r->bytes_received = count(l, m, "bytes_received", "messages");
    r->peak_active = count(l, c, "peak", "connections");
}

static void load_errors(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *errors = field(l, root, "errors", "the result");
    for (int k = 0; errors && k < ERR_KIND_COUNT; k++) {
        const char *name = err_kind_name((err_kind_t)k);
        const cJSON *e = field(l, errors, name, "errors");
        if (!e)
            return;
        r->errors[k].count = count(l, e, "count", name);
        const cJSON *samples = field(l, e, "samples", name), *s;
        cJSON_ArrayForEach(s, samples)
        {
            if (r->errors[k].nsamples < RES_MAX_SAMPLES && cJSON_IsString(s))
                r->errors[k].samples[r->errors[k].nsamples++] = strdup(s->valuestring);
        }
    }
}

static void load_assertion(loader_t *l, const cJSON *o, res_assertion_t *a, size_t i)
{
    char where[32];
    snprintf(where, sizeof(where), "assertions[%zu]", i);
    a->text = opt_str(l, o, "text", where);
    a->passed = cJSON_IsTrue(field(l, o, "passed", where));
    const cJSON *obs = field(l, o, "observed", where);
    a->has_observed = cJSON_IsNumber(obs);
    a->observed = a->has_observed ? obs->valuedouble : 0;
    a->threshold = num(l, o, "threshold", where);
    a->observed_text = opt_str(l, o, "observed_text", where);
    a->expected_text = opt_str(l, o, "expected_text", where);
}

static void load_assertions(loader_t *l, const cJSON *root, result_t *r)
{
    const cJSON *arr = field(l, root, "assertions", "the result");
    if (!arr || !cJSON_IsArray(arr)) {
        bad(l, "\"assertions\" must be an array");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    r->assertions = calloc(n ? n : 1, sizeof(res_assertion_t));
    if (!r->assertions) {
        bad(l, "out of memory");
        return;
    }
    r->nassertions = n;
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) load_assertion(l, a, &r->assertions[i], i), i++;
}

int result_from_json(const char *text, result_t *r, char *err, size_t errlen)
{
    loader_t l = { err, errlen, false };
    memset(r, 0, sizeof(*r));
    cJSON *root = cJSON_Parse(text);
    if (!root || !cJSON_IsObject(root)) {
        bad(&l, "not a JSON object (is this a wsgate result.json?)");
    } else {
        double schema = num(&l, root, "schema_version", "the result");
        if (!l.failed && schema != SUPPORTED_SCHEMA)
            bad(&l, "schema_version %g is not supported; this wsgate reads %d", schema,
                SUPPORTED_SCHEMA);
        load_run(&l, root, r);
        load_steps(&l, root, r);
        load_traffic(&l, root, r);
        load_errors(&l, root, r);
        load_assertions(&l, root, r);
    }
    cJSON_Delete(root);
    if (l.failed)
        result_clear(r);
    return l.failed ? -1 : 0;
}

static char *read_all(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *grown = realloc(buf, cap *= 2);
        if (!grown) {
            free(buf);
            buf = NULL;
        } else {
            buf = grown;
        }
    }
    bool ok = buf && !ferror(f);
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s: cannot read the file", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int result_load_file(const char *path, result_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    char *text = read_all(path, err, errlen);
    if (!text)
        return -1;
    char why[400];
    int rc = result_from_json(text, r, why, sizeof(why));
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    free(text);
    return rc;
}
