/* asrt: assertions parsed, checked against the steps, evaluated on a result. */
#include "result/asrt.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result/hist.h"
#include "result/num.h"
#include "result/observed.h"
#include "base/suggest.h"
#include "base/units.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names -------------------------------------------------------------- */

static const char *const op_names[] = {
    [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=", [OP_EQ] = "==", [OP_NE] = "!=",
};

/* Listed in error messages; any pN with 0 < N <= 100 is accepted too. */
static const char *const agg_names[] = {
    "p50", "p90", "p95",   "p99",      "p99.9", "avg",
    "min", "max", "count", "failures", "rate",  "success_rate",
};

typedef struct named_agg {
    const char *name;
    asrt_agg_t agg;
} named_agg_t;

static const named_agg_t call_aggs[] = {
    { "avg", AGG_AVG },
    { "min", AGG_MIN },
    { "max", AGG_MAX },
    { "count", AGG_COUNT },
    { "failures", AGG_FAILURES },
    { "rate", AGG_RATE },
    { "success_rate", AGG_SUCCESS_RATE },
};

static const named_agg_t step_fields[] = {
    { "success_rate", AGG_SUCCESS_RATE },
    { "count", AGG_COUNT },
    { "failures", AGG_FAILURES },
    { "rate", AGG_RATE },
};
static const char *const step_field_names[] = { "success_rate", "count", "failures", "rate" };

static const named_agg_t message_fields[] = {
    { "sent", AGG_MSGS_SENT },
    { "received", AGG_MSGS_RECEIVED },
};
static const char *const message_field_names[] = { "sent", "received" };

static const named_agg_t connection_fields[] = {
    { "peak", AGG_CONN_PEAK },
    { "abandoned", AGG_CONN_ABANDONED },
    { "reconnect_attempts", AGG_CONN_RECONNECT_ATTEMPTS },
};
static const char *const connection_field_names[] = { "peak", "abandoned", "reconnect_attempts" };

static const named_agg_t arrival_fields[] = {
    { "planned", AGG_ARRIVALS_PLANNED },
    { "started", AGG_ARRIVALS_STARTED },
    { "dropped", AGG_ARRIVALS_DROPPED },
};
static const char *const arrival_field_names[] = { "planned", "started", "dropped" };

static const named_agg_t generator_fields[] = {
    { "saturated", AGG_GEN_SATURATED },
    { "loop_lag_p99", AGG_GEN_LAG_P99 },
    { "loop_lag_max", AGG_GEN_LAG_MAX },
};
static const char *const generator_field_names[] = { "saturated", "loop_lag_p99", "loop_lag_max" };

/* as result.json's slow_consumers names them */
static const named_agg_t slow_fields[] = {
    { "samples", AGG_SLOW_SAMPLES },
    { "unread_bytes_total", AGG_SLOW_UNREAD_TOTAL },
    { "unread_bytes_max", AGG_SLOW_UNREAD_MAX },
};
static const char *const slow_field_names[] = { "samples", "unread_bytes_total",
                                                "unread_bytes_max" };

bool asrt_is_generator(const asrt_t *a)
{
    return a->agg >= AGG_GEN_SATURATED && a->agg <= AGG_GEN_LAG_MAX;
}

bool asrt_is_server(const asrt_t *a)
{
    return a->agg >= AGG_SERVER_MAX && a->agg <= AGG_SERVER_DRIFT;
}

bool asrt_is_arrivals(const asrt_t *a)
{
    return a->agg >= AGG_ARRIVALS_PLANNED && a->agg <= AGG_ARRIVALS_DROPPED;
}

bool asrt_is_slow(const asrt_t *a)
{
    return a->agg >= AGG_SLOW_SAMPLES && a->agg <= AGG_SLOW_UNREAD_MAX;
}

static bool is_step_agg(asrt_agg_t agg)
{
    return agg >= AGG_PERCENTILE && agg <= AGG_SUCCESS_RATE;
}

static bool is_time_agg(asrt_agg_t agg)
{
    return (agg >= AGG_PERCENTILE && agg <= AGG_MAX) || agg == AGG_GEN_LAG_P99 ||
           agg == AGG_GEN_LAG_MAX;
}

/* ---- messages ----------------------------------------------------------- */

/* Appends to the NUL-terminated message in err (truncating when full). */
__attribute__((format(printf, 3, 4))) static void put(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (!err || errlen == 0)
        return;
    size_t used = strnlen(err, errlen - 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define DYM_MAX 64

/* The name closest to word, or NULL when none is close enough to be meant. */
static const char *closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = suggest_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    if (best_d > 1 + len / 4 || best_d >= len)
        return NULL;
    return best;
}

/* 'unknown WHAT "PREFIXword"WHERE; did you mean "PREFIXname"? Known: a, b, c' */
static int unknown_name(char *err, size_t errlen, const char *what, const char *where,
                        const char *prefix, const char *word, const char *const *names, size_t n)
{
    fail(err, errlen, "unknown %s \"%s%s\"%s", what, prefix, word, where);
    const char *guess = closest(word, names, n);
    if (guess)
        put(err, errlen, "; did you mean \"%s%s\"? Known: ", prefix, guess);
    else
        put(err, errlen, "; known: ");
    for (size_t i = 0; i < n; i++)
        put(err, errlen, "%s%s", i ? ", " : "", names[i]);
    if (n == 0)
        put(err, errlen, "(none)");
    return -1;
}

/* ---- parsing helpers ---------------------------------------------------- */

/* A malloc'd copy of s[0..n) without surrounding whitespace, or NULL. */
static char *dup_trim(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static const named_agg_t *find_named(const char *name, const named_agg_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

/* Length of a plain decimal number at s ("200", "99.5", ".5"), or 0. */
static size_t scan_number(const char *s)
{
    size_t i = 0, digits = 0;
    while (isdigit((unsigned char)s[i])) {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) {
            i++;
            digits++;
        }
    }
    return digits ? i : 0;
}

static bool is_op_char(char c)
{
    return c == '<' || c == '>' || c == '=' || c == '!';
}

/* The pieces of one assertion while it is parsed. Owns lhs, rhs, aggname. */
typedef struct parse {
    char *lhs;     /* before the operator, trimmed */
    char *rhs;     /* after it, trimmed */
    char *aggname; /* "p50" as written for the call form, else the whole lhs */
    asrt_op_t op;
} parse_t;

static void parse_free(parse_t *p)
{
    free(p->lhs);
    free(p->rhs);
    free(p->aggname);
}

/* Finds the operator: the last run of < > = ! (thresholds never contain
 * them, step names may), and splits the text around it. */
static int split_op(const char *text, parse_t *p, char *err, size_t errlen)
{
    const char *end = NULL;
    for (const char *q = text; *q; q++)
        if (is_op_char(*q))
            end = q + 1;
    if (!end)
        return fail(err, errlen,
                    "no comparison operator: write one of < <= > >= == !=, "
                    "e.g. \"p99(publish) < 500ms\"");
    const char *start = end - 1;
    while (start > text && is_op_char(start[-1]))
        start--;
    size_t n = (size_t)(end - start);
    int op = -1;
    for (size_t i = 0; i < COUNT_OF(op_names); i++)
        if (strlen(op_names[i]) == n && strncmp(op_names[i], start, n) == 0)
            op = (int)i;
    if (op < 0 && n == 1 && *start == '=')
        return fail(err, errlen,
                    "\"=\" is not a comparison: write \"==\", "
                    "e.g. \"errors.timeout == 0\"");
    if (op < 0 && n == 2 && start[0] == '=' && (start[1] == '<' || start[1] == '>'))
        return fail(err, errlen, "unknown operator \"%.2s\": write \"%c=\"", start, start[1]);
    if (op < 0)
        return fail(err, errlen, "unknown operator \"%.*s\": write one of < <= > >= == !=", (int)n,
                    start);
    p->op = (asrt_op_t)op;
    p->lhs = dup_trim(text, (size_t)(start - text));
    p->rhs = dup_trim(end, strlen(end));
    if (!p->lhs || !p->rhs)
        return fail(err, errlen, "out of memory");
    return 0;
}

/* ---- left-hand side ----------------------------------------------------- */

static int agg_from_name(const char *name, asrt_t *out, char *err, size_t errlen)
{
    const named_agg_t *na = find_named(name, call_aggs, COUNT_OF(call_aggs));
    if (na) {
        out->agg = na->agg;
        return 0;
    }
    size_t n = name[0] == 'p' ? scan_number(name + 1) : 0;
    if (n > 0 && name[1 + n] == '\0') {
        double pct = strtod(name + 1, NULL);
        if (pct <= 0 || pct > 100)
            return fail(err, errlen,
                        "\"%s\" is out of range: a percentile is above 0 and "
                        "at most 100, e.g. p99",
                        name);
        out->agg = AGG_PERCENTILE;
        out->pct = pct;
        return 0;
    }
    return unknown_name(err, errlen, "aggregate", "", "", name, agg_names, COUNT_OF(agg_names));
}

#define SERVER_PREFIX "server."

static const named_agg_t server_aggs[] = {
    { "max", AGG_SERVER_MAX },
    { "last", AGG_SERVER_LAST },
    { "rate", AGG_SERVER_RATE },
    { "drift", AGG_SERVER_DRIFT },
};
static const char *const server_agg_names[] = { "max", "last", "rate", "drift" };

/* AGG(server.SEL): sel runs to the call's closing ")". */
static int parse_server(parse_t *p, const char *sel, asrt_t *out, char *err, size_t errlen)
{
    const named_agg_t *na = find_named(p->aggname, server_aggs, COUNT_OF(server_aggs));
    if (!na)
        return unknown_name(err, errlen, "aggregate", " for a server metric", "", p->aggname,
                            server_agg_names, COUNT_OF(server_agg_names));
    out->agg = na->agg;
    char *raw = dup_trim(sel, strlen(sel) - 1), norm[1024], why[256];
    if (!raw)
        return fail(err, errlen, "out of memory");
    int rc = obs_selector_norm(raw, norm, sizeof(norm), why, sizeof(why));
    free(raw);
    if (rc < 0)
        return fail(err, errlen, "server metric: %s; write e.g. \"%s(server.NAME)\"", why,
                    p->aggname);
    out->metric = strdup(norm);
    return out->metric ? 0 : fail(err, errlen, "out of memory");
}

/* AGG(STEP): the step is everything between the first "(" and the last ")". */
static int parse_call(parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    const char *open = strchr(p->lhs, '(');
    if (!open)
        return fail(err, errlen,
                    "\"%s\" has \")\" without \"(\": write AGG(STEP), "
                    "e.g. \"p99(publish)\"",
                    p->lhs);
    p->aggname = dup_trim(p->lhs, (size_t)(open - p->lhs));
    if (!p->aggname)
        return fail(err, errlen, "out of memory");
    if (!p->aggname[0])
        return fail(err, errlen, "missing aggregate before \"(\": write e.g. \"p99%s\"", open);
    const char *inner = open + 1;
    while (isspace((unsigned char)*inner))
        inner++;
    if (strncmp(inner, SERVER_PREFIX, strlen(SERVER_PREFIX)) == 0)
        return parse_server(p, inner + strlen(SERVER_PREFIX), out, err, errlen);
    if (find_named(p->aggname, server_aggs, COUNT_OF(server_aggs)) &&
        !find_named(p->aggname, call_aggs, COUNT_OF(call_aggs)))
        return fail(err, errlen, "%s() takes a server metric: write \"%s(server.NAME)\"",
                    p->aggname, p->aggname);
    if (agg_from_name(p->aggname, out, err, errlen) < 0)
        return -1;
    out->metric = dup_trim(open + 1, strlen(open + 1) - 1);
    if (!out->metric)
        return fail(err, errlen, "out of memory");
    if (!out->metric[0])
        return fail(err, errlen, "%s() needs a step name, e.g. \"%s(connect)\"", p->aggname,
                    p->aggname);
    return 0;
}

static int parse_field(const char *lhs, const char *field, const named_agg_t *t,
                       const char *const *names, size_t n, asrt_t *out, char *err, size_t errlen)
{
    const named_agg_t *na = find_named(field, t, n);
    if (!na) {
        char where[160];
        snprintf(where, sizeof(where), " in \"%.120s\"", lhs);
        return unknown_name(err, errlen, "field", where, "", field, names, n);
    }
    out->agg = na->agg;
    return 0;
}

/* avg, min, max or pN: written as a field by mistake */
static bool is_latency_name(const char *s)
{
    return strcmp(s, "avg") == 0 || strcmp(s, "min") == 0 || strcmp(s, "max") == 0 ||
           (s[0] == 'p' && isdigit((unsigned char)s[1]));
}

/* STEP.FIELD, errors.KIND, messages.X, connections.peak, slow_consumers.X:
 * split on the last ".". */
static int parse_dotted(parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    const char *dot = strrchr(p->lhs, '.');
    p->aggname = strdup(p->lhs);
    char *group = dup_trim(p->lhs, (size_t)(dot - p->lhs));
    char *field = dup_trim(dot + 1, strlen(dot + 1));
    int rc = -1;
    if (!p->aggname || !group || !field)
        fail(err, errlen, "out of memory");
    else if (!group[0] || !field[0])
        fail(err, errlen,
             "\"%s\" is not a metric: write METRIC.FIELD, "
             "e.g. \"connect.success_rate\"",
             p->lhs);
    else if (strcmp(group, "errors") == 0) {
        out->agg = AGG_ERRORS;
        out->metric = field;
        field = NULL;
        rc = 0;
    } else if (strcmp(group, "messages") == 0)
        rc = parse_field(p->lhs, field, message_fields, message_field_names,
                         COUNT_OF(message_fields), out, err, errlen);
    else if (strcmp(group, "connections") == 0)
        rc = parse_field(p->lhs, field, connection_fields, connection_field_names,
                         COUNT_OF(connection_fields), out, err, errlen);
    else if (strcmp(group, "arrivals") == 0)
        rc = parse_field(p->lhs, field, arrival_fields, arrival_field_names,
                         COUNT_OF(arrival_fields), out, err, errlen);
    else if (strcmp(group, "generator") == 0)
        rc = parse_field(p->lhs, field, generator_fields, generator_field_names,
                         COUNT_OF(generator_fields), out, err, errlen);
    else if (strcmp(group, "slow_consumers") == 0)
        rc = parse_field(p->lhs, field, slow_fields, slow_field_names, COUNT_OF(slow_fields), out,
                         err, errlen);
    else if (is_latency_name(field))
        fail(err, errlen, "latency takes the call form: write \"%s(%s)\" instead of \"%s\"", field,
             group, p->lhs);
    else if ((rc = parse_field(p->lhs, strcmp(field, "failed") == 0 ? "failures" : field,
                               step_fields, step_field_names, COUNT_OF(step_fields), out, err,
                               errlen)) == 0) { /* "failed" as result.json names it */
        out->metric = group;
        group = NULL;
    }
    free(group);
    free(field);
    return rc;
}

static int parse_lhs(parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    size_t n = strlen(p->lhs);
    if (n == 0)
        return fail(err, errlen,
                    "missing metric before \"%s\": write e.g. "
                    "\"p99(publish) < 500ms\"",
                    op_names[p->op]);
    if (p->lhs[n - 1] == ')')
        return parse_call(p, out, err, errlen);
    if (strncmp(p->lhs, SERVER_PREFIX, strlen(SERVER_PREFIX)) == 0)
        return fail(err, errlen,
                    "a server metric takes an aggregate: write max(%s), last(%s), rate(%s) or "
                    "drift(%s)",
                    p->lhs, p->lhs, p->lhs, p->lhs);
    if (strchr(p->lhs, '.'))
        return parse_dotted(p, out, err, errlen);
    return fail(err, errlen,
                "\"%s\" is not a metric: write AGG(STEP) or METRIC.FIELD, "
                "e.g. \"p99(publish) < 500ms\" or \"errors.timeout == 0\"",
                p->lhs);
}

/* ---- right-hand side ---------------------------------------------------- */

/* What a unit-less or mis-unitted threshold should have looked like. */
static void suggest(char *err, size_t errlen, const parse_t *p, size_t numlen, const char *unit)
{
    put(err, errlen, ": write \"%s %s %.*s%s\"", p->lhs, op_names[p->op], (int)numlen, p->rhs,
        unit);
}

static int norm_time(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                     char *err, size_t errlen)
{
    double mult;
    if (strcmp(unit, "us") == 0) {
        mult = 1;
        out->unit = ASRT_UNIT_US;
    } else if (strcmp(unit, "ms") == 0) {
        mult = 1e3;
        out->unit = ASRT_UNIT_MS;
    } else if (strcmp(unit, "s") == 0) {
        mult = 1e6;
        out->unit = ASRT_UNIT_S;
    } else {
        if (unit[0])
            fail(err, errlen, "%s takes a time unit (us, ms or s), not \"%s\"", p->aggname, unit);
        else
            fail(err, errlen, "%s needs a time unit", p->aggname);
        suggest(err, errlen, p, numlen, "ms");
        return -1;
    }
    /* Round to nanoseconds so 1.49ms is exactly 1490us, not 1489.9999... */
    out->threshold = round(v * mult * 1e3) / 1e3;
    return 0;
}

static int norm_percent(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                        char *err, size_t errlen)
{
    if (strcmp(unit, "%") != 0) {
        if (unit[0])
            fail(err, errlen, "%s is a percentage, not \"%s\"", p->aggname, unit);
        else
            fail(err, errlen, "%s needs a percent sign", p->aggname);
        suggest(err, errlen, p, numlen, "%");
        return -1;
    }
    if (v > 100)
        return fail(err, errlen, "%s is at most 100%%, not %.*s%%", p->aggname, (int)numlen,
                    p->rhs);
    out->unit = ASRT_UNIT_PERCENT;
    out->threshold = v;
    return 0;
}

static int norm_rate(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                     char *err, size_t errlen)
{
    if (unit[0] && strcmp(unit, "/s") != 0) {
        fail(err, errlen, "%s is per second, not \"%s\"", p->aggname, unit);
        suggest(err, errlen, p, numlen, "/s");
        return -1;
    }
    out->unit = ASRT_UNIT_PER_S;
    out->threshold = v;
    return 0;
}

static double unit_scale(asrt_unit_t u);

/* drift: a percentage (any size: a series may more than double). */
static int norm_drift(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                      char *err, size_t errlen)
{
    if (strcmp(unit, "%") != 0) {
        fail(err, errlen, "drift is a percentage of the mean, not \"%s\"", unit);
        suggest(err, errlen, p, numlen, "%");
        return -1;
    }
    out->unit = ASRT_UNIT_PERCENT;
    out->threshold = v;
    return 0;
}

static const asrt_unit_t size_unit_of[] = { ASRT_UNIT_BYTE, ASRT_UNIT_KB, ASRT_UNIT_MB,
                                            ASRT_UNIT_GB, ASRT_UNIT_TB };

/* max/last of a server metric, bytes left unread: a plain number or a size (2GB). */
static int norm_size(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                     char *err, size_t errlen)
{
    double mult = 1;
    size_t n = unit[0] ? units_bytes_unit(unit, &mult) : 0;
    if (unit[0] && (n == 0 || unit[n])) {
        fail(err, errlen, "%s takes a plain number or a size (B, KB, MB, GB, TB), not \"%s\"",
             p->aggname, unit);
        suggest(err, errlen, p, numlen, "GB");
        return -1;
    }
    out->unit = ASRT_UNIT_NONE;
    for (size_t i = 0; n && i < COUNT_OF(size_unit_of); i++)
        if (mult == unit_scale(size_unit_of[i]))
            out->unit = size_unit_of[i];
    out->threshold = v * mult;
    return 0;
}

static int norm_count(const parse_t *p, size_t numlen, const char *unit, double v, asrt_t *out,
                      char *err, size_t errlen)
{
    if (unit[0]) {
        fail(err, errlen, "%s is a count and takes no unit, not \"%s\"", p->lhs, unit);
        suggest(err, errlen, p, numlen, "");
        return -1;
    }
    out->unit = ASRT_UNIT_NONE;
    out->threshold = v;
    return 0;
}

/* The unit a relative threshold is shown in when none was written. */
static asrt_unit_t default_unit(asrt_agg_t agg)
{
    if (is_time_agg(agg))
        return ASRT_UNIT_MS;
    if (agg == AGG_SUCCESS_RATE)
        return ASRT_UNIT_PERCENT;
    return agg == AGG_RATE ? ASRT_UNIT_PER_S : ASRT_UNIT_NONE;
}

static int parse_value(const parse_t *p, const char *text, asrt_t *out, char *err, size_t errlen);

/* "baseline", "baseline * 1.10", "baseline + 20ms", "baseline - 1%". */
static int parse_relative(const parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    const char *q = p->rhs + 8;
    while (isspace((unsigned char)*q))
        q++;
    out->relative = true;
    out->factor = 1;
    out->unit = default_unit(out->agg);
    if (!*q)
        return 0;
    char sign = *q++;
    while (isspace((unsigned char)*q))
        q++;
    size_t numlen = scan_number(q);
    if ((sign != '*' && sign != '+' && sign != '-') || numlen == 0)
        return fail(err, errlen,
                    "after \"baseline\" write \"* 1.10\", \"+ 20ms\" or \"- 20ms\", "
                    "not \"%s\"",
                    p->rhs + 8);
    if (sign == '*') {
        if (q[numlen])
            return fail(err, errlen,
                        "\"baseline * F\" takes a plain factor such as 1.10, not \"%s\"", q);
        out->factor = strtod(q, NULL);
        return 0;
    }
    parse_t sub = *p; /* so a unit hint quotes the offset, not "baseline" */
    sub.rhs = (char *)q;
    if (parse_value(&sub, q, out, err, errlen) < 0)
        return -1;
    out->offset = sign == '-' ? -out->threshold : out->threshold;
    out->threshold = 0;
    return 0;
}

/* generator.saturated == false (or != true, == true, != false). */
static int parse_flag(const parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    bool is_true = strcmp(p->rhs, "true") == 0;
    if (!is_true && strcmp(p->rhs, "false") != 0)
        return fail(err, errlen, "%s is true or false, not \"%s\": write \"%s == false\"", p->lhs,
                    p->rhs, p->lhs);
    if (p->op != OP_EQ && p->op != OP_NE)
        return fail(err, errlen, "%s compares with == or !=: write \"%s == false\"", p->lhs,
                    p->lhs);
    out->unit = ASRT_UNIT_NONE;
    out->threshold = is_true ? 1 : 0;
    return 0;
}

static int parse_rhs(const parse_t *p, asrt_t *out, char *err, size_t errlen)
{
    if (out->agg == AGG_GEN_SATURATED)
        return parse_flag(p, out, err, errlen);
    if (!p->rhs[0])
        return fail(err, errlen, "missing threshold after \"%s\": write e.g. \"%s %s 500ms\"",
                    op_names[p->op], p->lhs, op_names[p->op]);
    if (strncmp(p->rhs, "baseline", 8) == 0)
        return parse_relative(p, out, err, errlen);
    return parse_value(p, p->rhs, out, err, errlen);
}

/* A number with the unit the aggregate takes, normalised into threshold. */
static int parse_value(const parse_t *p, const char *text, asrt_t *out, char *err, size_t errlen)
{
    size_t numlen = scan_number(text);
    if (numlen == 0)
        return fail(err, errlen,
                    "threshold \"%s\" is not a non-negative number: write e.g. "
                    "\"200ms\", \"99.5%%\" or \"0\"",
                    text);
    double v = strtod(text, NULL);
    const char *unit = text + numlen;
    while (isspace((unsigned char)*unit))
        unit++;
    if (is_time_agg(out->agg))
        return norm_time(p, numlen, unit, v, out, err, errlen);
    if (out->agg == AGG_SERVER_DRIFT)
        return norm_drift(p, numlen, unit, v, out, err, errlen);
    if (out->agg == AGG_SERVER_MAX || out->agg == AGG_SERVER_LAST ||
        out->agg == AGG_SLOW_UNREAD_TOTAL || out->agg == AGG_SLOW_UNREAD_MAX)
        return norm_size(p, numlen, unit, v, out, err, errlen);
    if (out->agg == AGG_SUCCESS_RATE)
        return norm_percent(p, numlen, unit, v, out, err, errlen);
    if (out->agg == AGG_RATE || out->agg == AGG_SERVER_RATE)
        return norm_rate(p, numlen, unit, v, out, err, errlen);
    return norm_count(p, numlen, unit, v, out, err, errlen);
}

#define ABORT_WORD ", abort_on_fail"

/* Reads ", abort_on_fail [after DURATION]" at the end of text; returns the
 * length of what comes before it (all of text when absent), or -1. */
static long parse_abort_suffix(const char *text, asrt_t *out, char *err, size_t errlen)
{
    const char *at = strstr(text, ABORT_WORD);
    if (!at)
        return (long)strlen(text);
    const char *q = at + strlen(ABORT_WORD);
    while (isspace((unsigned char)*q))
        q++;
    out->abort_on_fail = true;
    if (!*q)
        return at - text;
    if (strncmp(q, "after", 5) != 0 || !isspace((unsigned char)q[5]))
        return fail(err, errlen,
                    "after \"abort_on_fail\" write nothing or \"after 10s\" (a grace period), "
                    "not \"%s\"",
                    q);
    char why[128];
    q += 6;
    while (isspace((unsigned char)*q))
        q++;
    if (units_parse_duration(q, &out->abort_grace_us, why, sizeof(why)) < 0)
        return fail(err, errlen, "abort_on_fail grace: %s", why);
    return at - text;
}

/* Counters only grow: a lower bound (> >= ==) on one fails at the start of
 * every run, so aborting on it would stop healthy runs at once; "== 0" is
 * the upper bound "<= 0" (e.g. "errors.observe == 0, abort_on_fail"). */
static int check_abort_bound(const asrt_t *a, char *err, size_t errlen)
{
    bool counter = a->agg == AGG_COUNT || a->agg == AGG_FAILURES || a->agg == AGG_ERRORS ||
                   a->agg == AGG_MSGS_SENT || a->agg == AGG_MSGS_RECEIVED ||
                   a->agg == AGG_CONN_PEAK || asrt_is_arrivals(a) || a->agg == AGG_CONN_ABANDONED ||
                   a->agg == AGG_CONN_RECONNECT_ATTEMPTS || asrt_is_slow(a);
    if (a->abort_on_fail && asrt_is_server(a))
        return fail(err, errlen,
                    "server.* is judged once the run has ended: drop \"abort_on_fail\"");
    if (a->relative && asrt_is_server(a))
        return fail(err, errlen,
                    "server.* compares with a fixed threshold, not a baseline: write e.g. "
                    "\"drift(server.%s) < 5%%\"",
                    a->metric);
    if (a->abort_on_fail && asrt_is_generator(a))
        return fail(err, errlen,
                    "generator.* is known only once the run has ended: drop \"abort_on_fail\"");
    bool none = a->op == OP_EQ && !a->relative && a->threshold == 0;
    if (!a->abort_on_fail || !counter || a->op == OP_LT || a->op == OP_LE || a->op == OP_NE || none)
        return 0;
    return fail(err, errlen,
                "abort_on_fail needs an upper bound on a counter (<, <= or == 0, e.g. "
                "\"errors.total < 100, abort_on_fail\"): a counter below its lower bound at the "
                "start would stop every run");
}

int asrt_parse(const char *text, asrt_t *out, char *err, size_t errlen)
{
    parse_t p = { 0 };
    char *body = NULL;
    memset(out, 0, sizeof(*out));
    if (err && errlen)
        err[0] = '\0';
    if (!text || strspn(text, " \t\r\n") == strlen(text)) {
        fail(err, errlen, "empty assertion: write e.g. \"p99(publish) < 500ms\"");
        goto fail;
    }
    long body_len = parse_abort_suffix(text, out, err, errlen);
    if (body_len < 0 || !(body = strndup(text, (size_t)body_len))) {
        if (body_len >= 0)
            fail(err, errlen, "out of memory");
        goto fail;
    }
    if (split_op(body, &p, err, errlen) < 0 || parse_lhs(&p, out, err, errlen) < 0)
        goto fail;
    out->op = p.op;
    if (parse_rhs(&p, out, err, errlen) < 0 || check_abort_bound(out, err, errlen) < 0)
        goto fail;
    out->text = strdup(text);
    if (!out->text) {
        fail(err, errlen, "out of memory");
        goto fail;
    }
    parse_free(&p);
    free(body);
    return 0;
fail:
    parse_free(&p);
    free(body);
    asrt_clear(out);
    return -1;
}

void asrt_clear(asrt_t *a)
{
    if (!a)
        return;
    free(a->text);
    free(a->metric);
    memset(a, 0, sizeof(*a));
}

/* ---- check -------------------------------------------------------------- */

static int check_error_kind(const char *kind, char *err, size_t errlen)
{
    if (!kind)
        return fail(err, errlen, "errors.KIND names no kind");
    if (strcmp(kind, "total") == 0 || err_kind_from_name(kind) >= 0)
        return 0;
    const char *names[ERR_KIND_COUNT + 1];
    for (int k = 0; k < ERR_KIND_COUNT; k++)
        names[k] = err_kind_name((err_kind_t)k);
    names[ERR_KIND_COUNT] = "total";
    return unknown_name(err, errlen, "metric", "", "errors.", kind, names, COUNT_OF(names));
}

int asrt_check(const asrt_t *a, const char *const *step_names, size_t nsteps, char *err,
               size_t errlen)
{
    if (a->agg == AGG_ERRORS)
        return check_error_kind(a->metric, err, errlen);
    if (!is_step_agg(a->agg))
        return 0;
    if (!a->metric)
        return fail(err, errlen, "assertion names no step");
    for (size_t i = 0; i < nsteps; i++)
        if (strcmp(step_names[i], a->metric) == 0)
            return 0;
    return unknown_name(err, errlen, "metric", "", "", a->metric, step_names, nsteps);
}

/* ---- eval --------------------------------------------------------------- */

/* The observed value in normalised units, or why there is none. */
typedef struct observed {
    double value;
    const char *none; /* non-NULL when there is no value */
} observed_t;

static observed_t observe_latency(const asrt_t *a, const res_step_t *s)
{
    observed_t o = { 0, NULL };
    if (!s->latency || hist_count(s->latency) == 0) {
        o.none = "no samples";
        return o;
    }
    switch (a->agg) {
    case AGG_PERCENTILE:
        o.value = (double)hist_percentile(s->latency, a->pct);
        break;
    case AGG_AVG:
        o.value = hist_mean(s->latency);
        break;
    case AGG_MIN:
        o.value = (double)hist_min(s->latency);
        break;
    default:
        o.value = (double)hist_max(s->latency);
        break;
    }
    return o;
}

static observed_t observe_step(const asrt_t *a, const result_t *r)
{
    observed_t o = { 0, NULL };
    int i = result_find_step(r, a->metric);
    if (i < 0) {
        o.none = "no such step";
        return o;
    }
    const res_step_t *s = &r->steps[i];
    uint64_t attempts = s->ok + s->failed;
    if (is_time_agg(a->agg))
        return observe_latency(a, s);
    if (a->agg == AGG_COUNT)
        o.value = (double)s->ok;
    else if (a->agg == AGG_FAILURES)
        o.value = (double)s->failed;
    else if (a->agg == AGG_RATE && r->duration_s > 0)
        o.value = (double)s->ok / r->duration_s;
    else if (a->agg == AGG_RATE)
        o.none = "no run duration";
    else if (attempts > 0)
        o.value = 100.0 * (double)s->ok / (double)attempts;
    else
        o.none = "no attempts";
    return o;
}

/* The generator's figures in normalised units (1/0, microseconds). */
static observed_t observe_generator(const asrt_t *a, const result_t *r)
{
    observed_t o = { 0, NULL };
    const res_gen_t *g = r->generator;
    if (!g)
        o.none = "unknown (no generator figures)";
    else if (a->agg == AGG_GEN_SATURATED)
        o.value = g->saturated ? 1 : 0;
    else
        o.value = (a->agg == AGG_GEN_LAG_P99 ? g->loop_lag_p99_ms : g->loop_lag_max_ms) * 1e3;
    return o;
}

/* A server series' aggregate; drift in percent. */
static observed_t observe_server(const asrt_t *a, const result_t *r)
{
    observed_t o = { 0, NULL };
    const res_server_t *srv = r->server;
    const res_obs_series_t *s = obs_find(srv, a->metric);
    int rc;
    if (!s) {
        o.none = srv ? "not observed" : "no server metrics in the result";
        return o;
    }
    if (a->agg == AGG_SERVER_MAX)
        rc = obs_max(s, &o.value, &o.none);
    else if (a->agg == AGG_SERVER_LAST)
        rc = obs_last(s, &o.value, &o.none);
    else if (a->agg == AGG_SERVER_RATE)
        rc = obs_rate(s, srv->window_start_s, srv->window_end_s, &o.value, &o.none);
    else
        rc = obs_drift(s, srv->window_start_s, srv->window_end_s, &o.value, &o.none);
    if (rc == 0 && a->agg == AGG_SERVER_DRIFT)
        o.value *= 100;
    return o;
}

/* result.json's slow_consumers; a run still going has samples before its
 * result knows the spec had slow readers. */
static observed_t observe_slow(const asrt_t *a, const result_t *r)
{
    observed_t o = { 0, NULL };
    const res_slow_t *s = &r->slow;
    if (!s->known && s->samples == 0)
        o.none = "no slow consumers in the result";
    else
        o.value = (double)(a->agg == AGG_SLOW_SAMPLES        ? s->samples
                           : a->agg == AGG_SLOW_UNREAD_TOTAL ? s->unread_total
                                                             : s->unread_max);
    return o;
}

static observed_t observe(const asrt_t *a, const result_t *r)
{
    observed_t o = { 0, NULL };
    if (asrt_is_server(a))
        return observe_server(a, r);
    if (is_step_agg(a->agg))
        return observe_step(a, r);
    if (asrt_is_generator(a))
        return observe_generator(a, r);
    if (asrt_is_slow(a))
        return observe_slow(a, r);
    if (a->agg == AGG_MSGS_SENT) {
        o.value = (double)r->msgs_sent;
    } else if (a->agg == AGG_MSGS_RECEIVED) {
        o.value = (double)r->msgs_received;
    } else if (a->agg == AGG_CONN_PEAK) {
        o.value = (double)r->peak_active;
    } else if (asrt_is_arrivals(a)) {
        o.value = (double)(a->agg == AGG_ARRIVALS_PLANNED   ? r->arrivals_planned
                           : a->agg == AGG_ARRIVALS_STARTED ? r->arrivals_started
                                                            : r->arrivals_dropped);
    } else if (a->agg == AGG_CONN_ABANDONED) {
        o.value = (double)r->connect_abandoned;
    } else if (a->agg == AGG_CONN_RECONNECT_ATTEMPTS) {
        o.value = (double)r->reconnect_attempts;
    } else if (a->metric && strcmp(a->metric, "total") == 0) {
        o.value = (double)result_error_total(r);
    } else {
        int k = err_kind_from_name(a->metric);
        if (k >= 0)
            o.value = (double)r->errors[k].count;
        else
            o.none = "unknown error kind";
    }
    return o;
}

static bool op_holds(asrt_op_t op, double x, double t)
{
    switch (op) {
    case OP_LT:
        return x < t;
    case OP_LE:
        return x <= t;
    case OP_GT:
        return x > t;
    case OP_GE:
        return x >= t;
    case OP_EQ:
        return x == t;
    case OP_NE:
        return x != t;
    }
    return false;
}

static double unit_scale(asrt_unit_t u)
{
    switch (u) {
    case ASRT_UNIT_MS:
        return 1e3;
    case ASRT_UNIT_S:
        return 1e6;
    case ASRT_UNIT_KB:
        return 1024.0;
    case ASRT_UNIT_MB:
        return 1048576.0;
    case ASRT_UNIT_GB:
        return 1073741824.0;
    case ASRT_UNIT_TB:
        return 1099511627776.0;
    default:
        return 1;
    }
}

/* A size unit's suffix (B KB MB GB TB), NULL for any other unit. */
static const char *size_suffix(asrt_unit_t u)
{
    switch (u) {
    case ASRT_UNIT_BYTE:
        return " B";
    case ASRT_UNIT_KB:
        return " KB";
    case ASRT_UNIT_MB:
        return " MB";
    case ASRT_UNIT_GB:
        return " GB";
    case ASRT_UNIT_TB:
        return " TB";
    default:
        return NULL;
    }
}

/* The fewest decimals (at least min_dec) that read back as exactly v. */
static void fmt_exact(double v, int min_dec, char *buf, size_t n)
{
    for (int d = min_dec; d <= 10; d++) {
        snprintf(buf, n, "%.*f", d, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, n, "%.17g", v);
}

/* The value of a text fmt_value wrote, in normalised units. */
static double read_back(const char *s, asrt_unit_t u)
{
    if (u == ASRT_UNIT_US || u == ASRT_UNIT_MS || u == ASRT_UNIT_S)
        return num_latency_parse(s);
    char digits[64];
    size_t o = 0;
    for (; *s && o + 1 < sizeof digits; s++)
        if (*s != ',')
            digits[o++] = *s;
    digits[o] = '\0';
    return strtod(digits, NULL) * (size_suffix(u) ? unit_scale(u) : 1);
}

/* v (normalised: us, %, /s, count) as every report prints it (result/num.h),
 * with extra more digits than the reports' usual. */
static void fmt_value(double v, asrt_unit_t u, int extra, char *buf, size_t n)
{
    const char *size = size_suffix(u);
    if (size) { /* in the unit the assertion was written in */
        double x = v / unit_scale(u);
        snprintf(buf, n, "%.*f%s", x == floor(x) && !extra ? 0 : 2 + extra, x, size);
        return;
    }
    switch (u) {
    case ASRT_UNIT_US:
    case ASRT_UNIT_MS:
    case ASRT_UNIT_S:
        num_latency_sig(v, 3 + extra, buf, n);
        return;
    case ASRT_UNIT_PERCENT:
        snprintf(buf, n, "%.*f%%", 2 + extra, v);
        return;
    case ASRT_UNIT_PER_S:
        if (extra == 0)
            num_rate(v, buf, n);
        else
            snprintf(buf, n, "%.*f/s", 2 + extra, v);
        return;
    default:
        break;
    }
    if (v == floor(v) && v >= 0 && v < 1e19)
        num_count((uint64_t)v, buf, n);
    else
        snprintf(buf, n, "%.*f", extra, v);
}

/* Formats v, adding digits while the rounded text would compare with t
 * differently from v itself (so "200 ms" never appears to fail "< 200 ms"). */
static void fmt_observed(double v, asrt_unit_t u, asrt_op_t op, double t, char *buf, size_t n)
{
    bool truth = op_holds(op, v, t);
    for (int extra = 0; extra <= 6; extra++) {
        fmt_value(v, u, extra, buf, n);
        if (op_holds(op, read_back(buf, u), t) == truth)
            return;
    }
}

/* The threshold t (normalised) in the reports' units: exact when written
 * in the spec, rounded as the reports round when it comes from a baseline. */
static void fmt_threshold(double t, asrt_unit_t u, bool relative, char *buf, size_t n)
{
    char num[48], unit_buf[8];
    const char *size = size_suffix(u);
    if (size) {
        fmt_exact(t / unit_scale(u), 0, num, sizeof num);
        snprintf(buf, n, "%s%s", num, size);
        return;
    }
    switch (u) {
    case ASRT_UNIT_US:
    case ASRT_UNIT_MS:
    case ASRT_UNIT_S:
        num_latency(t, buf, n);
        if (!relative) { /* the unit the reports pick, the digits written */
            const char *unit = strchr(buf, ' ');
            unit = unit ? unit : " us";
            double unit_us = strcmp(unit, " s") == 0 ? 1e6 : strcmp(unit, " ms") == 0 ? 1e3 : 1;
            fmt_exact(t / unit_us, 0, num, sizeof num);
            snprintf(unit_buf, sizeof unit_buf, "%s", unit);
            snprintf(buf, n, "%s%s", num, unit_buf);
        }
        return;
    case ASRT_UNIT_PERCENT:
        if (relative)
            snprintf(num, sizeof num, "%.2f", t);
        else
            fmt_exact(t, 2, num, sizeof num);
        snprintf(buf, n, "%s%%", num);
        return;
    case ASRT_UNIT_PER_S:
        if (relative)
            snprintf(num, sizeof num, "%.2f", t);
        else
            fmt_exact(t, 0, num, sizeof num);
        snprintf(buf, n, "%s/s", num);
        return;
    default:
        break;
    }
    if (relative)
        t = round(t);
    if (t == floor(t) && t >= 0 && t < 1e19)
        num_count((uint64_t)t, buf, n);
    else
        fmt_exact(t, 0, buf, n);
}

int asrt_check_baseline(const asrt_t *a, const result_t *baseline, char *err, size_t errlen)
{
    if (!a->relative)
        return 0;
    if (!baseline)
        return fail(err, errlen, "compares with a baseline: pass --baseline RESULT.json");
    observed_t b = observe(a, baseline);
    if (!b.none)
        return 0;
    if (a->metric && result_find_step(baseline, a->metric) < 0 && is_step_agg(a->agg))
        return fail(err, errlen, "the baseline has no step \"%s\" (it ran another spec?)",
                    a->metric);
    return fail(err, errlen, "the baseline has no value to compare with (%s)", b.none);
}

/* The threshold in normalised units; for a relative assertion, from the
 * baseline (why says why there is none). */
static double threshold_of(const asrt_t *a, const result_t *r, const char **why)
{
    *why = NULL;
    if (!a->relative)
        return a->threshold;
    if (!r->baseline) {
        *why = "no baseline";
        return 0;
    }
    observed_t b = observe(a, r->baseline);
    if (b.none) {
        *why = "baseline has no samples";
        return 0;
    }
    return b.value * a->factor + a->offset;
}

int asrt_eval(const asrt_t *a, const result_t *r, res_assertion_t *out)
{
    char obuf[64], tbuf[64], ebuf[112];
    observed_t o = observe(a, r);
    double scale = unit_scale(a->unit);
    const char *no_base;
    double threshold = threshold_of(a, r, &no_base);

    memset(out, 0, sizeof(*out));
    out->has_observed = o.none == NULL;
    out->passed = out->has_observed && !no_base && op_holds(a->op, o.value, threshold);
    out->observed = out->has_observed ? o.value / scale : 0;
    out->threshold = threshold / scale;

    /* a relative threshold is rounded for display; the verdict used the exact value */
    fmt_threshold(threshold, a->unit, a->relative, tbuf, sizeof(tbuf));
    if (no_base)
        snprintf(ebuf, sizeof(ebuf), "%s baseline (%s)", op_names[a->op], no_base);
    else
        snprintf(ebuf, sizeof(ebuf), "%s %s%s", op_names[a->op], tbuf,
                 a->relative ? " (baseline)" : "");
    if (out->has_observed)
        fmt_observed(o.value, a->unit, a->op, threshold, obuf, sizeof(obuf));
    else
        snprintf(obuf, sizeof(obuf), "%s", o.none);
    if (a->agg == AGG_GEN_SATURATED) { /* a flag reads true or false */
        if (out->has_observed)
            snprintf(obuf, sizeof(obuf), "%s", out->observed ? "true" : "false");
        snprintf(ebuf, sizeof(ebuf), "%s %s", op_names[a->op], a->threshold ? "true" : "false");
    }

    out->text = strdup(a->text ? a->text : "");
    out->observed_text = strdup(obuf);
    out->expected_text = strdup(ebuf);
    if (!out->text || !out->observed_text || !out->expected_text)
        goto fail;
    return 0;
fail:
    free(out->text);
    free(out->observed_text);
    free(out->expected_text);
    out->text = out->observed_text = out->expected_text = NULL;
    return -1;
}
