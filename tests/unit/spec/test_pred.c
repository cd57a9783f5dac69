/* Unit tests for src/spec/pred.c: operators, paths, logic, missing fields, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "spec/pred.h"
#include "helpers.h"

/* Compiles src and evaluates it against the JSON text msg (NULL: no message). */
static bool match(const char *src, const char *msg)
{
    char err[256] = "";
    pred_t *p = pred_compile(src, err, sizeof(err));
    if (!p)
        fail_msg("'%s' did not compile: %s", src, err);
    cJSON *j = msg ? cJSON_Parse(msg) : NULL;
    if (msg && !j)
        fail_msg("test message is not JSON: %s", msg);
    bool hit = pred_eval(p, j);
    cJSON_Delete(j);
    pred_free(p);
    return hit;
}

/* Compiles src, expecting failure; returns the error text in a static buffer. */
static const char *compile_err(const char *src)
{
    static char err[512];
    memset(err, 'x', sizeof(err));
    pred_t *p = pred_compile(src, err, sizeof(err));
    if (p) {
        pred_free(p);
        fail_msg("'%s' compiled but should not", src);
    }
    assert_non_null(memchr(err, '\0', sizeof(err)));
    return err;
}

/* ------------------------------------------------------------------ */

static void guide_predicates(void **state)
{
    const char *conf = "{\"type\":\"subscription_confirmed\",\"channel\":\"room:lobby\"}";
    assert_true(match("type == \"subscription_confirmed\"", conf));
    assert_false(match("type == \"subscription_confirmed\"", "{\"type\":\"message_ack\"}"));

    const char *in = "type in [\"message_ack\",\"message_delivered\"]";
    assert_true(match(in, "{\"type\":\"message_ack\"}"));
    assert_true(match(in, "{\"type\":\"message_delivered\",\"id\":1}"));
    assert_false(match(in, "{\"type\":\"message\"}"));
    assert_false(match(in, conf));
    assert_true(match("type in [\"message_ack\", \"message_delivered\"]",
                      "{\"type\":\"message_delivered\"}"));

    assert_true(match("op == \"subscribed\"", "{\"op\":\"subscribed\",\"streams\":[]}"));
    assert_false(match("op == \"subscribed\"", "{\"op\":\"subscribe\"}"));
    assert_true(match("type == \"subscribed\"", "{\"type\":\"subscribed\"}"));
}

static void equality_on_strings(void **state)
{
    assert_true(match("a == 'x'", "{\"a\":\"x\"}"));
    assert_false(match("a == \"x\"", "{\"a\":\"xy\"}"));
    assert_false(match("a == \"X\"", "{\"a\":\"x\"}")); /* case-sensitive */
    assert_true(match("a != \"x\"", "{\"a\":\"y\"}"));
    assert_false(match("a != \"x\"", "{\"a\":\"x\"}"));
    assert_true(match("a == \"\"", "{\"a\":\"\"}"));
    assert_true(match("a == \"say \\\"hi\\\"\"", "{\"a\":\"say \\\"hi\\\"\"}"));
    assert_true(match("a == 'it\\'s'", "{\"a\":\"it's\"}"));
    assert_true(match("a == \"l1\\nl2\"", "{\"a\":\"l1\\nl2\"}"));
    /* keys are case-sensitive */
    assert_true(match("A == 1", "{\"a\":2,\"A\":1}"));
    assert_false(match("B", "{\"b\":1}"));
}

static void numbers_and_order(void **state)
{
    const char *m = "{\"n\":42,\"f\":-1.5,\"big\":1e3}";
    assert_true(match("n == 42", m));
    assert_true(match("n == 42.0", m));
    assert_false(match("n == 41", m));
    assert_true(match("n != 41", m));
    assert_true(match("f == -1.5", m));
    assert_true(match("big == 1000", m));
    assert_true(match("n == 4.2e1", m));
    assert_true(match("n < 43", m));
    assert_false(match("n < 42", m));
    assert_true(match("n <= 42", m));
    assert_true(match("n > -1", m));
    assert_false(match("n > 42", m));
    assert_true(match("n >= 42", m));
    assert_true(match("f<0&&f>=-1.5", m));
}

static void bools_and_null(void **state)
{
    const char *m = "{\"t\":true,\"f\":false,\"z\":null,\"zero\":0,\"s\":\"\"}";
    assert_true(match("t == true", m));
    assert_false(match("t == false", m));
    assert_true(match("f == false", m));
    assert_true(match("f != true", m));
    assert_true(match("z == null", m));
    assert_false(match("t == null", m));
    assert_true(match("t != null", m));
    assert_false(match("zero == false", m)); /* 0 is a number, not false */
    assert_false(match("s == null", m));
}

static void bare_path_tests_presence(void **state)
{
    const char *m = "{\"t\":true,\"f\":false,\"z\":null,\"zero\":0,\"s\":\"\",\"o\":{}}";
    assert_true(match("t", m));
    assert_false(match("f", m));
    assert_false(match("z", m));
    assert_true(match("zero", m));
    assert_true(match("s", m));
    assert_true(match("o", m));
    assert_false(match("missing", m));
    assert_true(match("!missing", m));
    assert_true(match("t && zero", m));
}

static void in_lists_mix_types(void **state)
{
    const char *l = "v in [1, \"1\", true, null]";
    assert_true(match(l, "{\"v\":1}"));
    assert_true(match(l, "{\"v\":\"1\"}"));
    assert_true(match(l, "{\"v\":true}"));
    assert_true(match(l, "{\"v\":null}"));
    assert_false(match(l, "{\"v\":false}"));
    assert_false(match(l, "{\"v\":2}"));
    assert_false(match(l, "{\"w\":1}"));
    assert_true(match("v in ['only']", "{\"v\":\"only\"}"));
    assert_true(match("!(v in [1, 2])", "{\"v\":3}"));
}

static void nested_paths_and_indices(void **state)
{
    const char *m = "{\"data\":{\"items\":[{\"id\":\"a\"},{\"id\":\"b\",\"tags\":[\"x\",\"y\"]}],"
                    "\"meta\":{\"user-id\":7}},\"list\":[[1,2],[3]]}";
    assert_true(match("data.items[0].id == \"a\"", m));
    assert_true(match("data.items[1].id == \"b\"", m));
    assert_true(match("data.items[ 1 ].tags[1] == \"y\"", m));
    assert_false(match("data.items[2].id == \"c\"", m));
    assert_true(match("data.items[2].id != \"c\"", m)); /* missing: != holds */
    assert_true(match("data.meta.user-id == 7", m));
    assert_true(match("list[0][1] == 2", m));
    assert_true(match("list[1][0] >= 3", m));
    assert_false(match("list[1][1]", m));
    /* a key step on an array and an index step on an object find nothing */
    assert_false(match("data.items.id == \"a\"", m));
    assert_false(match("data[0] == 1", m));
    assert_true(match("data.items[0]", m));
}

static void logic_and_precedence(void **state)
{
    const char *m = "{\"a\":1,\"b\":2,\"c\":3}";
    assert_true(match("a == 1 && b == 2", m));
    assert_false(match("a == 1 && b == 3", m));
    assert_true(match("a == 9 || b == 2", m));
    assert_false(match("a == 9 || b == 9", m));
    assert_true(match("!(a == 9)", m));
    assert_false(match("!a", m));
    assert_true(match("!!a", m));
    assert_true(match("! a == 9", m)); /* ! binds to the comparison */
    /* && binds tighter than ||: true || (false && false) */
    assert_true(match("a == 1 || b == 9 && c == 9", m));
    assert_false(match("(a == 1 || b == 9) && c == 9", m));
    /* (false && x) || true */
    assert_true(match("a == 9 && b == 2 || c == 3", m));
    assert_false(match("a == 9 && (b == 2 || c == 3)", m));
    assert_true(match("((a == 1)) && ((b == 2 || c == 0))", m));
    assert_true(match("a==1&&!(b==1||c==1)", m));
}

static void missing_fields_and_type_mismatch(void **state)
{
    const char *m = "{\"type\":\"ack\",\"n\":5}";
    assert_false(match("nope == \"ack\"", m));
    assert_true(match("nope != \"ack\"", m));
    assert_false(match("nope == null", m));
    assert_false(match("nope < 10", m));
    assert_false(match("nope >= 0", m));
    assert_false(match("nope in [\"ack\"]", m));
    /* strings only equal strings, numbers only numbers */
    assert_false(match("n == \"5\"", m));
    assert_true(match("n != \"5\"", m));
    assert_false(match("type == 5", m));
    assert_false(match("type > 0", m));
    assert_false(match("type < 0", m));
    assert_false(match("n == true", m));
}

static void non_object_messages_match_nothing(void **state)
{
    assert_false(match("type == \"ack\"", NULL));
    assert_false(match("!missing", NULL));
    assert_false(match("missing != 1", NULL));
    assert_false(match("!missing", "[{\"type\":\"ack\"}]"));
    assert_false(match("missing != 1", "\"text\""));
    assert_false(match("missing != 1", "42"));
    pred_t *p = pred_compile("a", NULL, 0);
    assert_non_null(p);
    assert_false(pred_eval(p, NULL));
    pred_free(p);
    assert_false(pred_eval(NULL, NULL));
    pred_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Errors.                                                              */

static void error_missing_operand(void **state)
{
    assert_string_equal(compile_err("type == "),
                        "column 9: expected a quoted string, number, true, false or null, "
                        "found end of input");
    assert_string_equal(compile_err("op == x"),
                        "column 7: expected a quoted string, number, true, false or null, "
                        "found \"x\"");
    assert_string_equal(compile_err("a == 1 &&"),
                        "column 10: expected a field name, \"!\" or \"(\", found end of input");
    assert_string_equal(compile_err(""),
                        "column 1: expected a field name, \"!\" or \"(\", found end of input");
    assert_contains(compile_err("|| a"), "column 1: expected a field name");
    assert_contains(compile_err("!"), "column 2: expected a field name");
    assert_contains(compile_err("type in []"),
                    "column 10: expected a quoted string, number, true, false or null");
}

static void error_unterminated_string(void **state)
{
    assert_string_equal(compile_err("type == \"ack"),
                        "column 9: unterminated string; close it with \"");
    assert_string_equal(compile_err("type in ['a', 'b]"),
                        "column 15: unterminated string; close it with '");
}

static void error_trailing_junk(void **state)
{
    assert_string_equal(compile_err("type == \"a\" foo"),
                        "column 13: expected &&, || or the end of the predicate, found \"foo\"");
    assert_string_equal(compile_err("a == 1)"),
                        "column 7: expected &&, || or the end of the predicate, found \")\"");
    assert_string_equal(
        compile_err("type \"a\""),
        "column 6: expected == != < <= > >= in contains or ~, found the string \"a\"");
    assert_string_equal(compile_err("type = \"a\""),
                        "column 6: expected == != < <= > >= in contains or ~, found \"=\"");
    assert_contains(compile_err("(a == 1"), "column 8: expected \")\", && or ||");
    assert_string_equal(compile_err("a & b"),
                        "column 3: expected == != < <= > >= in contains or ~, found \"&\"");
}

static void error_other_shapes(void **state)
{
    assert_contains(compile_err("type in \"a\""), "column 9: expected \"[\" after in");
    assert_contains(compile_err("type in [\"a\" \"b\"]"), "column 14: expected \",\" or \"]\"");
    assert_contains(compile_err("type < \"a\""),
                    "column 8: < <= > >= compare numbers; put a number here");
    assert_contains(compile_err("n > true"), "compare numbers");
    assert_contains(compile_err("items[x] == 1"), "column 7: expected an array index");
    assert_contains(compile_err("items[-1] == 1"), "column 7: expected an array index");
    assert_contains(compile_err("items[0 == 1"), "expected \"]\"");
    assert_contains(compile_err("items[99999999999] == 1"), "array index is too large");
    assert_contains(compile_err("a. == 1"), "column 3: expected a field name after \".\"");
    assert_string_equal(compile_err("n == 12abc"), "column 6: malformed number \"12abc\"");
    assert_contains(compile_err("n == 1.2.3"), "malformed number");
    assert_contains(compile_err("n == -"), "column 6: expected a quoted string, number");
    assert_contains(compile_err("7 == n"), "column 1: expected a field name");
}

static void error_depth_is_bounded(void **state)
{
    char src[400];
    memset(src, '(', 200);
    strcpy(src + 200, "a");
    assert_contains(compile_err(src), "nested too deeply");
    memset(src, '!', 300);
    strcpy(src + 300, "a");
    assert_contains(compile_err(src), "nested too deeply");
    /* 60 levels are fine */
    memset(src, '(', 60);
    strcpy(src + 60, "a");
    memset(src + 61, ')', 60);
    src[121] = '\0';
    assert_true(match(src, "{\"a\":1}"));
}

static void error_fits_small_buffer(void **state)
{
    char err[12];
    assert_null(pred_compile("type == ", err, sizeof(err)));
    assert_string_equal(err, "column 9: e");
    assert_null(pred_compile("type == ", NULL, 0));
}

/* A template hole would compile as a literal that never matches. */
static void error_on_template_holes(void **state)
{
    char err[256];
    assert_null(pred_compile("channel == \"room:{{room}}\"", err, sizeof(err)));
    assert_contains(err, "column 18: predicates are not templates");
    pred_t *p = pred_compile("text == \"{ {not a hole} }\"", err, sizeof(err));
    assert_non_null(p);
    pred_free(p);
}

/* ------------------------------------------------------------------ */
/* Field paths read as numbers (expect.latency_from).                   */

static void path_reads_numbers(void **state)
{
    char err[256];
    pred_t *ts = pred_path_compile("message.sentAt", err, sizeof(err));
    assert_non_null(ts);
    cJSON *m = cJSON_Parse("{\"message\":{\"sentAt\":1700000000123,\"s\":\"7\"},\"a\":[5]}");
    double v = 0;
    assert_true(pred_path_number(ts, m, &v));
    assert_true(v == 1700000000123.0);
    pred_free(ts);
    pred_t *idx = pred_path_compile("a[0]", err, sizeof(err));
    assert_true(pred_path_number(idx, m, &v));
    assert_true(v == 5.0);
    pred_free(idx);
    pred_t *str = pred_path_compile("message.s", err, sizeof(err));
    assert_false(pred_path_number(str, m, &v)); /* a string is not a timestamp */
    pred_free(str);
    pred_t *missing = pred_path_compile("ts", err, sizeof(err));
    assert_false(pred_path_number(missing, m, &v));
    assert_false(pred_path_number(missing, NULL, &v));
    pred_free(missing);
    cJSON_Delete(m);
}

static void path_rejects_predicates(void **state)
{
    char err[256];
    assert_null(pred_path_compile("ts > 5", err, sizeof(err)));
    assert_contains(err, "one field path");
    assert_null(pred_path_compile("a && b", err, sizeof(err)));
    assert_contains(err, "one field path");
    assert_null(pred_path_compile("ts.", err, sizeof(err)));
    assert_contains(err, "column");
    pred_t *p = pred_compile("ts == 1", NULL, 0);
    double v;
    cJSON *m = cJSON_Parse("{\"ts\":1}");
    assert_false(pred_path_number(p, m, &v)); /* only bare paths read values */
    cJSON_Delete(m);
    pred_free(p);
}

/* Builds "a == 1 OP a == 1 OP ..." with n terms (malloc'd). */
static char *chain(const char *op, size_t n)
{
    const char *term = "a == 1";
    size_t tl = strlen(term), ol = strlen(op);
    char *s = malloc(n * (tl + ol + 2) + 1), *w = s;
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        if (i) {
            *w++ = ' ';
            memcpy(w, op, ol);
            w += ol;
            *w++ = ' ';
        }
        memcpy(w, term, tl);
        w += tl;
    }
    *w = '\0';
    return s;
}

/* 200,000 terms (a 1.4 MB predicate): compiling, evaluating and freeing
 * once overflowed the stack (one recursion level per term). */
static void long_chains_do_not_recurse_per_term(void **state)
{
    (void)state;
    const char *ops[] = { "&&", "||" };
    cJSON *hit = cJSON_Parse("{\"a\":1}"), *miss = cJSON_Parse("{\"a\":2}");
    for (size_t i = 0; i < 2; i++) {
        char *src = chain(ops[i], 200000), err[128] = "";
        pred_t *p = pred_compile(src, err, sizeof(err));
        assert_non_null(p);
        assert_true(pred_eval(p, hit));
        assert_false(pred_eval(p, miss));
        pred_free(p);
        free(src);
    }
    cJSON_Delete(hit);
    cJSON_Delete(miss);
}

/* A chain keeps its meaning: && binds tighter than ||, each chain is one
 * node, and an operand that fails to parse fails the whole chain. */
static void chains_mix_and_fail_cleanly(void **state)
{
    (void)state;
    assert_true(match("a == 1 && b == 2 && c == 3 || d == 4", "{\"d\":4}"));
    assert_false(match("a == 1 && b == 2 && c == 3 || d == 4", "{\"a\":1,\"b\":2}"));
    assert_true(match("a == 1 && b == 2 && c == 3 || d == 4", "{\"a\":1,\"b\":2,\"c\":3}"));
    assert_true(match("!(a || b || c) && d", "{\"d\":1}"));
    char err[128] = "";
    assert_null(pred_compile("a && b && && c", err, sizeof(err)));
    assert_non_null(strstr(err, "column 11"));
    assert_null(pred_compile("a || b || c == 'x", err, sizeof(err)));
    assert_non_null(strstr(err, "unterminated string"));
}

/* Literals with escapes keep their text once the string is measured first. */
static void long_lists_and_escapes(void **state)
{
    (void)state;
    assert_true(match("s == 'a\\'b'", "{\"s\":\"a'b\"}"));
    assert_true(match("s in ['x', \"y\\\"z\", 'w']", "{\"s\":\"y\\\"z\"}"));
    /* 20,000 literals and 20,000 path segments compile and match */
    size_t n = 20000;
    char *src = malloc(n * 8 + 16), *w = src;
    assert_non_null(src);
    w += sprintf(w, "v in [");
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%s%zu", i ? "," : "", i);
    strcpy(w, "]");
    assert_true(match(src, "{\"v\":19999}"));
    assert_false(match(src, "{\"v\":20000}"));
    w = src;
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%sk", i ? "." : "");
    char err[128] = "";
    pred_t *p = pred_path_compile(src, err, sizeof(err));
    assert_non_null(p);
    pred_free(p);
    free(src);
}

/* contains: a substring of a string field, or an element of an array. */
static void contains_strings_and_arrays(void **state)
{
    (void)state;
    const char *m = "{\"text\":\"hello world\",\"tags\":[\"a\",2,true],\"n\":5,"
                    "\"message\":{\"text\":\"oh hi there\"}}";
    assert_true(match("text contains \"lo wo\"", m));
    assert_true(match("text contains \"\"", m));
    assert_false(match("text contains \"worlds\"", m));
    assert_true(match("message.text contains \"hi\"", m));
    assert_true(match("tags contains \"a\"", m));
    assert_true(match("tags contains 2", m));
    assert_true(match("tags contains true", m));
    assert_false(match("tags contains \"b\"", m));
    assert_false(match("n contains \"5\"", m)); /* not a string or an array */
    assert_false(match("missing contains \"x\"", m));
    assert_true(match("!(text contains \"bye\") && text contains \"hello\"", m));
    assert_false(match("text contains 5", m)); /* a number is no substring */
    /* "contains" is a keyword only after a path; a field may be called so */
    assert_true(match("contains == 1", "{\"contains\":1}"));
    assert_contains(compile_err("text contains"), "expected a quoted string");
}

/* ~: a POSIX extended regex, compiled once when the predicate compiles. */
static void regex_match(void **state)
{
    (void)state;
    assert_true(match("text ~ \"^pong\"", "{\"text\":\"pong 12\"}"));
    assert_false(match("text ~ \"^pong\"", "{\"text\":\"ping pong\"}"));
    assert_true(match("text~'[0-9]+$'", "{\"text\":\"pong 12\"}"));
    assert_true(match("a ~ \"^(x|y){2}$\" && b == 1", "{\"a\":\"xy\",\"b\":1}"));
    assert_false(match("a ~ \"x\"", "{\"a\":1}"));     /* numbers never match */
    assert_false(match("a ~ \"x\"", "{\"b\":\"x\"}")); /* missing field */
    assert_contains(compile_err("text ~ \"(\""), "column 8: bad regular expression");
    assert_contains(compile_err("text ~ 12"), "~ takes a regular expression in quotes");
    assert_contains(compile_err("text = \"x\""), "== != < <= > >= in contains or ~");
}

/* Strings of a scoped predicate are templates: folded when they render
 * the same for everyone, else rendered for the user evaluating them. */
static const char *const tnames[] = { "room" }, *const tvalues[] = { "r1" };
static const char *const tslots[] = { "op_id" };
static const tmpl_scope_t tscope = {
    .const_names = tnames, .const_values = tvalues, .nconst = 1, .slot_names = tslots, .nslots = 1
};

static bool user_match(const char *src, const char *msg, const tmpl_ctx_t *ctx)
{
    char err[256] = "";
    pred_t *p = pred_compile_scoped(src, &tscope, err, sizeof(err));
    if (!p)
        fail_msg("'%s' did not compile: %s", src, err);
    cJSON *j = cJSON_Parse(msg);
    bool hit = pred_eval_for(p, j, ctx);
    cJSON_Delete(j);
    pred_free(p);
    return hit;
}

static void templates_render_per_user(void **state)
{
    (void)state;
    const char *op[] = { "op-7" };
    tmpl_ctx_t u3 = { .vu_id = 3, .slots = op };
    assert_true(user_match("id == \"{{op_id}}\"", "{\"id\":\"op-7\"}", &u3));
    assert_false(user_match("id == \"{{op_id}}\"", "{\"id\":\"op-8\"}", &u3));
    assert_false(user_match("id == \"{{op_id}}\"", "{\"id\":\"op-7\"}", NULL));
    assert_true(user_match("id != \"{{ op_id }}\"", "{\"id\":\"op-8\"}", &u3));
    assert_true(user_match("to == 'u{{vu.id}}' && room == \"{{room}}\"",
                           "{\"to\":\"u3\",\"room\":\"r1\"}", &u3));
    assert_false(user_match("to == 'u{{vu.id}}'", "{\"to\":\"u4\"}", &u3));
    assert_true(user_match("to in ['x', 'u{{vu.id}}']", "{\"to\":\"u3\"}", &u3));
    assert_true(user_match("text contains '<{{vu.id}}>'", "{\"text\":\"hi <3> there\"}", &u3));
    assert_true(user_match("tags contains '{{op_id}}'", "{\"tags\":[\"a\",\"op-7\"]}", &u3));
    /* a constant template is folded: no user needed */
    assert_true(user_match("room == \"{{room}}\"", "{\"room\":\"r1\"}", NULL));
}

/* pred_eval_in renders into the caller's buffer and keeps it: one buffer
 * serves evaluation after evaluation, for users with different values. */
static void templates_render_into_scratch(void **state)
{
    (void)state;
    char err[256] = "";
    pred_t *p = pred_compile_scoped("to == 'u{{vu.id}}'", &tscope, err, sizeof(err));
    assert_non_null(p);
    cJSON *j = cJSON_Parse("{\"to\":\"u3\"}");
    sbuf_t scratch = SBUF_INIT;
    tmpl_ctx_t u3 = { .vu_id = 3 }, u12 = { .vu_id = 12 };
    assert_true(pred_eval_in(p, j, &u3, &scratch));
    assert_non_null(scratch.data);
    assert_string_equal(scratch.data, "u3");
    char *kept = scratch.data;
    assert_false(pred_eval_in(p, j, &u12, &scratch));
    assert_string_equal(scratch.data, "u12");
    assert_ptr_equal(scratch.data, kept); /* no new buffer for a short value */
    assert_true(pred_eval_in(p, j, &u3, &scratch));
    sbuf_free(&scratch);
    cJSON_Delete(j);
    pred_free(p);
}

static void template_errors(void **state)
{
    (void)state;
    char err[256];
    struct {
        const char *src, *want;
    } bad[] = {
        { "t == \"{{now.ms}}\"", "column 6: now.*, random.* and uuid change on every message" },
        { "t == \"{{uuid}}\"", "change on every message" },
        { "t ~ \"^{{vu.id}}\"", "column 5: a regular expression is compiled once" },
        { "t == \"{{nope}}\"", "bad template in string: unknown variable \"nope\"" },
        { "t == \"{{vu.id\"", "bad template in string" },
        /* a failed literal inside a list: nothing leaks (the ASan pass checks) */
        { "t in [\"a\", \"{{vu.id\"]", "bad template in string" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(pred_compile_scoped(bad[i].src, &tscope, err, sizeof(err)));
        assert_contains(err, bad[i].want);
    }
}

static void add_key(const char *key, void *arg)
{
    char *out = arg;
    strcat(out, key);
    strcat(out, ",");
}

/* pred_root_keys: the first field of every path, in order, repeats included. */
static void root_keys(void **state)
{
    char err[256] = "", keys[256] = "";
    pred_t *p = pred_compile("type == \"a\" && !(data.items[0].id > 1) || kind in [1, 2] || "
                             "text contains \"x\" || type ~ \"^b\" || flag",
                             err, sizeof(err));
    assert_non_null(p);
    pred_root_keys(p, add_key, keys);
    assert_string_equal(keys, "type,data,kind,text,type,flag,");
    pred_free(p);
    keys[0] = '\0';
    pred_root_keys(NULL, add_key, keys);
    assert_string_equal(keys, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guide_predicates),
        cmocka_unit_test(root_keys),
        cmocka_unit_test(templates_render_per_user),
        cmocka_unit_test(templates_render_into_scratch),
        cmocka_unit_test(template_errors),
        cmocka_unit_test(equality_on_strings),
        cmocka_unit_test(numbers_and_order),
        cmocka_unit_test(bools_and_null),
        cmocka_unit_test(bare_path_tests_presence),
        cmocka_unit_test(in_lists_mix_types),
        cmocka_unit_test(nested_paths_and_indices),
        cmocka_unit_test(logic_and_precedence),
        cmocka_unit_test(missing_fields_and_type_mismatch),
        cmocka_unit_test(non_object_messages_match_nothing),
        cmocka_unit_test(error_missing_operand),
        cmocka_unit_test(error_unterminated_string),
        cmocka_unit_test(error_trailing_junk),
        cmocka_unit_test(error_other_shapes),
        cmocka_unit_test(error_depth_is_bounded),
        cmocka_unit_test(error_fits_small_buffer),
        cmocka_unit_test(error_on_template_holes),
        cmocka_unit_test(path_reads_numbers),
        cmocka_unit_test(path_rejects_predicates),
        cmocka_unit_test(long_chains_do_not_recurse_per_term),
        cmocka_unit_test(chains_mix_and_fail_cleanly),
        cmocka_unit_test(long_lists_and_escapes),
        cmocka_unit_test(contains_strings_and_arrays),
        cmocka_unit_test(regex_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
