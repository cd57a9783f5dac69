/* Unit tests for src/spec/tmpl.c: each expression, folding, slots, randomness, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "spec/tmpl.h"
#include "helpers.h"

static const char *const var_names[] = { "room", "target" };
static const char *const var_values[] = { "lobby", "ws://127.0.0.1:9001" };
static const char *const slot_names[] = { "token", "session" };

static const tmpl_scope_t scope = {
    .const_names = var_names,
    .const_values = var_values,
    .nconst = 2,
    .slot_names = slot_names,
    .nslots = 2,
};

static tmpl_t *compile_ok(const char *src)
{
    char err[512] = "";
    tmpl_t *t = tmpl_compile(src, &scope, err, sizeof(err));
    if (!t)
        fail_msg("\"%s\" did not compile: %s", src, err);
    return t;
}

/* Compiles src, expecting failure; returns the error text in a static buffer. */
static const char *compile_err(const char *src)
{
    static char err[1024];
    memset(err, 'x', sizeof(err));
    tmpl_t *t = tmpl_compile(src, &scope, err, sizeof(err));
    if (t) {
        tmpl_free(t);
        fail_msg("\"%s\" compiled but should not", src);
    }
    assert_non_null(memchr(err, '\0', sizeof(err)));
    return err;
}

/* Renders t with the given context into a fresh string (caller frees). */
static char *render(const tmpl_t *t, const tmpl_ctx_t *ctx)
{
    sbuf_t out = SBUF_INIT;
    assert_int_equal(tmpl_render(t, ctx, &out), 0);
    assert_non_null(out.data);
    assert_int_equal(strlen(out.data), out.len);
    return out.data;
}

static char *render_seeded(const tmpl_t *t, uint64_t *rng)
{
    tmpl_ctx_t ctx = { .vu_id = 3, .iteration = 9, .rng = rng };
    return render(t, &ctx);
}

static void assert_renders(const char *src, const tmpl_ctx_t *ctx, const char *want)
{
    tmpl_t *t = compile_ok(src);
    char *got = render(t, ctx);
    assert_string_equal(got, want);
    free(got);
    tmpl_free(t);
}

/* ------------------------------------------------------------------ */

static void literals_render_verbatim(void **state)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 1, .rng = &rng };
    assert_renders("hello world", &ctx, "hello world");
    assert_renders("", &ctx, "");
    assert_renders("{\"a\":{\"b\":[1,2]}}", &ctx, "{\"a\":{\"b\":[1,2]}}");
    assert_renders("a } b }} c {", &ctx, "a } b }} c {");
    assert_int_equal(rng, 1); /* literals draw nothing */

    tmpl_t *t = compile_ok("plain");
    assert_true(tmpl_is_constant(t));
    sbuf_t out = SBUF_INIT;
    sbuf_puts(&out, "pre:");
    assert_int_equal(tmpl_render(t, &ctx, &out), 0); /* appends */
    assert_string_equal(out.data, "pre:plain");
    sbuf_free(&out);
    tmpl_free(t);
}

static void vu_id_and_iteration(void **state)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 42, .iteration = 7, .rng = &rng };
    assert_renders("u{{vu.id}}-i{{ vu.iteration }}", &ctx, "u42-i7");
    assert_renders("{{\tvu.id\n}}", &ctx, "42");
    ctx.vu_id = 4294967295u;
    ctx.iteration = 18446744073709551615ull;
    assert_renders("{{vu.id}}/{{vu.iteration}}", &ctx, "4294967295/18446744073709551615");
    /* a hole right before literal braces, as in JSON bodies */
    ctx.vu_id = 5;
    assert_renders("{\"n\":{{vu.id}}}}", &ctx, "{\"n\":5}}");
    tmpl_t *t = compile_ok("x{{vu.id}}");
    assert_false(tmpl_is_constant(t));
    tmpl_free(t);
}

static void now_is_wall_clock(void **state)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .rng = &rng };
    tmpl_t *t = compile_ok("{{now.s}} {{now.ms}} {{now.us}}");
    assert_false(tmpl_is_constant(t));
    uint64_t before = wall_us();
    char *got = render(t, &ctx);
    uint64_t after = wall_us();
    char *end;
    unsigned long long s = strtoull(got, &end, 10);
    unsigned long long ms = strtoull(end, &end, 10);
    unsigned long long us = strtoull(end, &end, 10);
    assert_int_equal(*end, '\0');
    assert_in_range(s, before / 1000000, after / 1000000);
    assert_in_range(ms, before / 1000, after / 1000);
    assert_in_range(us, before, after);
    free(got);
    tmpl_free(t);
}

static void constants_are_folded(void **state)
{
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .vu_id = 2, .rng = &rng };
    tmpl_t *t = compile_ok("{{target}}/chat/{{ room }}?x=1");
    assert_true(tmpl_is_constant(t));
    char *got = render(t, &ctx);
    assert_string_equal(got, "ws://127.0.0.1:9001/chat/lobby?x=1");
    free(got);
    tmpl_free(t);

    setenv("WSGATE_TMPL_TEST_TOKEN", "s3cret", 1);
    t = compile_ok("Authorization: Bearer {{env.WSGATE_TMPL_TEST_TOKEN}}");
    setenv("WSGATE_TMPL_TEST_TOKEN", "changed", 1); /* read once, at compile time */
    assert_true(tmpl_is_constant(t));
    got = render(t, &ctx);
    assert_string_equal(got, "Authorization: Bearer s3cret");
    free(got);
    tmpl_free(t);
    unsetenv("WSGATE_TMPL_TEST_TOKEN");

    t = compile_ok("{{room}}-{{vu.id}}");
    assert_false(tmpl_is_constant(t));
    got = render(t, &ctx);
    assert_string_equal(got, "lobby-2");
    free(got);
    tmpl_free(t);
    assert_true(tmpl_is_constant(NULL));
}

static void slots_render_runtime_values(void **state)
{
    uint64_t rng = 1;
    const char *values[] = { "abc", NULL };
    tmpl_ctx_t ctx = { .rng = &rng, .slots = values };
    tmpl_t *t = compile_ok("t={{token}}&s={{ session }}&r={{room}}");
    assert_false(tmpl_is_constant(t));
    char *got = render(t, &ctx);
    assert_string_equal(got, "t=abc&s=&r=lobby");
    free(got);
    values[0] = "v2";
    values[1] = "sess";
    got = render(t, &ctx);
    assert_string_equal(got, "t=v2&s=sess&r=lobby");
    free(got);
    ctx.slots = NULL;
    got = render(t, &ctx);
    assert_string_equal(got, "t=&s=&r=lobby");
    free(got);
    tmpl_free(t);
}

static void slot_shadows_constant_of_same_name(void **state)
{
    const char *const names[] = { "token" };
    const char *const defaults[] = { "default" };
    const tmpl_scope_t sc = { .const_names = names,
                              .const_values = defaults,
                              .nconst = 1,
                              .slot_names = names,
                              .nslots = 1 };
    char err[256];
    tmpl_t *t = tmpl_compile("{{token}}", &sc, err, sizeof(err));
    assert_non_null(t);
    const char *values[] = { "captured" };
    uint64_t rng = 1;
    tmpl_ctx_t ctx = { .rng = &rng, .slots = values };
    char *got = render(t, &ctx);
    assert_string_equal(got, "captured");
    free(got);
    tmpl_free(t);
}

static void same_seed_same_output(void **state)
{
    tmpl_t *t = compile_ok("{{random.int(1, 1000000)}} {{random.string(16)}} "
                           "{{random.choice(\"a\", \"b\", \"c\", \"d\")}} {{uuid}}");
    assert_false(tmpl_is_constant(t));
    uint64_t r1 = 12345, r2 = 12345, r3 = 999;
    char *a = render_seeded(t, &r1);
    char *b = render_seeded(t, &r2);
    char *c = render_seeded(t, &r3);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(r1, r2);
    assert_int_not_equal(r1, 12345);  /* the generator advanced */
    char *a2 = render_seeded(t, &r1); /* next draw differs */
    assert_string_not_equal(a, a2);
    free(a);
    free(a2);
    free(b);
    free(c);
    tmpl_free(t);
}

static void random_int_stays_in_bounds(void **state)
{
    tmpl_t *t = compile_ok("{{random.int(-3, 3)}}");
    uint64_t rng = 7;
    int seen[7] = { 0 };
    for (int i = 0; i < 2000; i++) {
        char *got = render_seeded(t, &rng);
        char *end;
        long v = strtol(got, &end, 10);
        assert_int_equal(*end, '\0');
        assert_in_range(v + 3, 0, 6);
        seen[v + 3]++;
        free(got);
    }
    for (int i = 0; i < 7; i++)
        assert_true(seen[i] > 150); /* about 285 each */
    tmpl_free(t);

    t = compile_ok("{{random.int(5, 5)}}|{{ random.int( 0 ,0 ) }}");
    char *got = render_seeded(t, &rng);
    assert_string_equal(got, "5|0");
    free(got);
    tmpl_free(t);

    /* the full int64 range must not overflow */
    t = compile_ok("{{random.int(-9223372036854775808, 9223372036854775807)}}");
    got = render_seeded(t, &rng);
    assert_true(strlen(got) > 0);
    free(got);
    tmpl_free(t);
}

static void random_string_length_and_alphabet(void **state)
{
    uint64_t rng = 3;
    tmpl_t *t = compile_ok("<{{random.string(12)}}>");
    for (int i = 0; i < 50; i++) {
        char *got = render_seeded(t, &rng);
        assert_int_equal(strlen(got), 14);
        assert_int_equal(got[0], '<');
        assert_int_equal(got[13], '>');
        for (int j = 1; j < 13; j++)
            assert_true(islower((unsigned char)got[j]) || isdigit((unsigned char)got[j]));
        free(got);
    }
    tmpl_free(t);
    t = compile_ok("{{random.string(4096)}}");
    char *got = render_seeded(t, &rng);
    assert_int_equal(strlen(got), 4096);
    free(got);
    tmpl_free(t);
}

static void random_choice_picks_each_option(void **state)
{
    tmpl_t *t = compile_ok("{{random.choice(\"Can someone help?\", 'single', \"q\\\"uote\", "
                           "\"has }} inside\")}}");
    const char *opts[] = { "Can someone help?", "single", "q\"uote", "has }} inside" };
    int seen[4] = { 0 };
    uint64_t rng = 11;
    for (int i = 0; i < 400; i++) {
        char *got = render_seeded(t, &rng);
        int k = -1;
        for (int j = 0; j < 4; j++)
            if (strcmp(got, opts[j]) == 0)
                k = j;
        if (k < 0)
            fail_msg("unexpected choice \"%s\"", got);
        seen[k]++;
        free(got);
    }
    for (int j = 0; j < 4; j++)
        assert_true(seen[j] > 50);
    tmpl_free(t);
}

static void assert_uuid_v4(const char *s)
{
    assert_int_equal(strlen(s), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(s[i], '-');
        else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            fail_msg("bad uuid \"%s\" at %d", s, i);
    }
    assert_int_equal(s[14], '4');
    assert_non_null(strchr("89ab", s[19]));
}

static void uuid_is_version_4(void **state)
{
    tmpl_t *t = compile_ok("{{uuid}}");
    uint64_t rng = 5;
    char *prev = NULL;
    for (int i = 0; i < 200; i++) {
        char *got = render_seeded(t, &rng);
        assert_uuid_v4(got);
        if (prev)
            assert_string_not_equal(prev, got);
        free(prev);
        prev = got;
    }
    free(prev);
    tmpl_free(t);
}

/* The publish message from specs/chat.yaml renders to valid JSON. */
static void guide_publish_message_is_json(void **state)
{
    tmpl_t *t = compile_ok(
        "{\"action\":\"publish\",\"channel\":\"room:{{room}}\",\"message\":{\"id\":"
        "\"{{random.string(12)}}\",\"senderId\":\"user-{{vu.id}}\",\"text\":"
        "\"{{random.choice(\"Can someone help me with my order?\", \"I need an update on "
        "ticket #5821\")}}\",\"sentAt\":{{now.ms}}}}");
    uint64_t rng = 42;
    char *got = render_seeded(t, &rng);
    cJSON *j = cJSON_Parse(got);
    if (!j)
        fail_msg("not JSON: %s", got);
    assert_string_equal(cJSON_GetObjectItem(j, "channel")->valuestring, "room:lobby");
    cJSON *m = cJSON_GetObjectItem(j, "message");
    assert_string_equal(cJSON_GetObjectItem(m, "senderId")->valuestring, "user-3");
    assert_int_equal(strlen(cJSON_GetObjectItem(m, "id")->valuestring), 12);
    assert_true(cJSON_GetObjectItem(m, "sentAt")->valuedouble > 1.6e12);
    cJSON_Delete(j);
    free(got);
    tmpl_free(t);
}

/* ------------------------------------------------------------------ */
/* Errors.                                                              */

static void unknown_variable_lists_known_names(void **state)
{
    const char *e = compile_err("room:{{rom}}");
    assert_contains(e, "unknown variable \"rom\" in template");
    assert_contains(e, "did you mean \"room\"?");
    assert_contains(e, "known: room, target, token, session, vu.id, vu.iteration, now.ms");
    assert_contains(e, "uuid");
    assert_contains(e, "env.NAME");

    e = compile_err("{{vu.idd}}");
    assert_contains(e, "did you mean \"vu.id\"?");
    e = compile_err("{{zzzzzzzz}}");
    assert_contains(e, "unknown variable \"zzzzzzzz\"");
    assert_not_contains(e, "did you mean");

    setenv("WSGATE_TMPL_BARE", "1", 1);
    e = compile_err("{{WSGATE_TMPL_BARE}}");
    assert_contains(e, "did you mean \"env.WSGATE_TMPL_BARE\"?");
    unsetenv("WSGATE_TMPL_BARE");
}

static void missing_env_var(void **state)
{
    unsetenv("WSGATE_TMPL_NOT_SET");
    const char *e = compile_err("Bearer {{env.WSGATE_TMPL_NOT_SET}}");
    assert_string_equal(e, "environment variable \"WSGATE_TMPL_NOT_SET\" is not set; "
                           "export it before running");
    e = compile_err("{{env.}}");
    assert_contains(e, "needs a variable name");
}

static void bad_function_calls(void **state)
{
    assert_contains(compile_err("{{random.int(5, 1)}}"),
                    "random.int(5, 1): the first bound is above the second; write "
                    "random.int(1, 5)");
    assert_contains(compile_err("{{random.int(5)}}"), "random.int takes two integers");
    assert_contains(compile_err("{{random.int(1, 2, 3)}}"), "random.int takes two integers");
    assert_contains(compile_err("{{random.int(\"a\", 2)}}"), "random.int takes two integers");
    assert_contains(compile_err("{{random.int(a)}}"),
                    "unexpected \"a\" at column 14 in template; expected an integer");
    assert_contains(compile_err("{{random.int(1.5, 2)}}"),
                    "\"1.5\" at column 14 in template is not an integer");
    assert_contains(compile_err("{{random.int(1, 99999999999999999999)}}"), "too large");
    assert_contains(compile_err("{{random.string(0)}}"),
                    "random.string(0): the length must be between 1 and 4096");
    assert_contains(compile_err("{{random.string(4097)}}"), "between 1 and 4096");
    assert_contains(compile_err("{{random.string(-1)}}"), "between 1 and 4096");
    assert_contains(compile_err("{{random.string()}}"), "random.string takes one integer");
    assert_contains(compile_err("{{random.choice()}}"), "at least one quoted string");
    assert_contains(compile_err("{{random.choice(\"a\", 2)}}"), "argument 2 is a number");
    assert_contains(compile_err("{{random.int}}"), "random.int needs arguments");
    const char *e = compile_err("{{random.strng(3)}}");
    assert_contains(e, "unknown function \"random.strng\"");
    assert_contains(e, "did you mean \"random.string\"?");
    assert_contains(compile_err("{{vu.id(1)}}"), "unknown function \"vu.id\"");
}

static void syntax_errors(void **state)
{
    assert_string_equal(compile_err("abc {{vu.id"), "\"{{\" at column 5 has no closing \"}}\"");
    assert_string_equal(compile_err("{{vu.id}"), "\"{{\" at column 1 has no closing \"}}\"");
    assert_contains(compile_err("x {{ }}"), "empty {{ }} at column 3");
    assert_contains(compile_err("{{vu.id x}}"), "unexpected \"x\" at column 9 in template");
    assert_contains(compile_err("{{1abc}}"), "unexpected \"1\" at column 3");
    assert_contains(compile_err("{{random.choice(\"a)}}"),
                    "string starting at column 17 in template has no closing \"");
    assert_contains(compile_err("{{random.int(1 2)}}"), "expected \",\" or \")\"");
}

static void error_fits_small_buffer(void **state)
{
    char err[16];
    assert_null(tmpl_compile("{{nope}}", &scope, err, sizeof(err)));
    assert_int_equal(strlen(err), 15);
    assert_null(tmpl_compile("{{nope}}", &scope, NULL, 0));
    /* no scope at all: only built-ins are known */
    tmpl_t *t = tmpl_compile("{{vu.id}}", NULL, err, sizeof(err));
    assert_non_null(t);
    tmpl_free(t);
}

/* data.COLUMN: the user's CSV row by column, checked at compile time. */
static void data_columns_render_the_row(void **state)
{
    (void)state;
    static const char *const cols[] = { "username", "password" };
    tmpl_scope_t ds = scope;
    ds.data_columns = cols;
    ds.ndata = 2;
    ds.data_file = "users.csv";
    char err[512];
    tmpl_t *t = tmpl_compile(
        "{\"u\":\"{{ data.username }}\",\"p\":\"{{data.password}}\",\"r\":\"{{room}}\"}", &ds, err,
        sizeof(err));
    assert_non_null(t);
    assert_false(tmpl_is_constant(t));
    static const char *const row[] = { "alice", "pw,1" };
    tmpl_ctx_t ctx = { .vu_id = 1, .data_row = row };
    char *got = render(t, &ctx);
    assert_string_equal(got, "{\"u\":\"alice\",\"p\":\"pw,1\",\"r\":\"lobby\"}");
    free(got);
    tmpl_ctx_t none = { .vu_id = 1 };
    got = render(t, &none);
    assert_string_equal(got, "{\"u\":\"\",\"p\":\"\",\"r\":\"lobby\"}");
    free(got);
    tmpl_free(t);

    assert_null(tmpl_compile("{{data.usernme}}", &ds, err, sizeof(err)));
    assert_contains(err, "unknown column \"usernme\" in data.usernme; did you mean \"username\"? "
                         "users.csv has the columns: data.username, data.password");
    assert_null(tmpl_compile("{{data.email}}", &ds, err, sizeof(err)));
    assert_contains(err, "unknown column \"email\"");
    assert_not_contains(err, "did you mean");
    /* no data file declared */
    assert_contains(compile_err("{{data.username}}"),
                    "data.username: the spec has no data file; add data: {file: users.csv}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literals_render_verbatim),
        cmocka_unit_test(vu_id_and_iteration),
        cmocka_unit_test(now_is_wall_clock),
        cmocka_unit_test(constants_are_folded),
        cmocka_unit_test(slots_render_runtime_values),
        cmocka_unit_test(slot_shadows_constant_of_same_name),
        cmocka_unit_test(same_seed_same_output),
        cmocka_unit_test(random_int_stays_in_bounds),
        cmocka_unit_test(random_string_length_and_alphabet),
        cmocka_unit_test(random_choice_picks_each_option),
        cmocka_unit_test(uuid_is_version_4),
        cmocka_unit_test(guide_publish_message_is_json),
        cmocka_unit_test(unknown_variable_lists_known_names),
        cmocka_unit_test(missing_env_var),
        cmocka_unit_test(bad_function_calls),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(error_fits_small_buffer),
        cmocka_unit_test(data_columns_render_the_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
