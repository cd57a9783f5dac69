/* Unit tests for src/engine/proto/proto_json.c: a message parsed for the
 * fields a scenario reads (rx.keys) holds only those, and each of them,
 * and whether the message is JSON at all, is what a whole cJSON parse
 * gives, for valid, invalid and unusual messages alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/proto/proto.h"
#include "helpers.h"

static char *const quote_keys[] = { "type", "symbol", "ts_us" };
static char *const chat_keys[] = { "type", "message", "missing" };

static cJSON *parse_for(const char *msg, size_t len, char *const *keys, size_t nkeys)
{
    proto_rx_t rx = { .event = PROTO_EV_NONE, .metric = -1, .keys = keys, .nkeys = nkeys };
    return proto_json.parse(NULL, msg, len, &rx);
}

/* The value of key in o as JSON text (malloc'd), or NULL. */
static char *field_text(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return v ? cJSON_PrintUnformatted(v) : NULL;
}

/* Parsed for keys, msg is JSON exactly when a whole parse says so, and
 * each key reads the same value. */
static void check_same(const char *msg, size_t len, char *const *keys, size_t nkeys)
{
    cJSON *whole = cJSON_ParseWithLength(msg, len);
    cJSON *part = parse_for(msg, len, keys, nkeys);
    if ((whole == NULL) != (part == NULL))
        fail_msg("%.*s: whole parse %s, keyed parse %s", (int)len, msg, whole ? "ok" : "NULL",
                 part ? "ok" : "NULL");
    assert_int_equal(cJSON_IsObject(whole), cJSON_IsObject(part));
    for (size_t i = 0; i < nkeys; i++) {
        char *a = field_text(whole, keys[i]), *b = field_text(part, keys[i]);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
            fail_msg("%.*s: field %s: whole %s, keyed %s", (int)len, msg, keys[i], a ? a : "(none)",
                     b ? b : "(none)");
        free(a);
        free(b);
    }
    cJSON_Delete(whole);
    cJSON_Delete(part);
}

/* Only the wanted fields are built: a quote keeps 3 of its 9. */
static void keeps_only_wanted_fields(void **state)
{
    const char *q = "{\"type\":\"quote\",\"stream\":\"quotes.NYSE:IBM\",\"symbol\":\"NYSE:IBM\","
                    "\"seq\":12,\"bid\":181.5,\"ask\":181.52,\"last\":181.51,\"ts\":1733470000000,"
                    "\"ts_us\":1733470000000123}";
    cJSON *o = parse_for(q, strlen(q), quote_keys, 3);
    assert_non_null(o);
    assert_int_equal(cJSON_GetArraySize(o), 3);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "type")->valuestring, "quote");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "symbol")->valuestring, "NYSE:IBM");
    assert_true(cJSON_GetObjectItemCaseSensitive(o, "ts_us")->valuedouble == 1733470000000123.0);
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "bid"));
    cJSON_Delete(o);
    check_same(q, strlen(q), quote_keys, 3);
    /* without keys, every field */
    proto_rx_t rx = { .event = PROTO_EV_NONE, .metric = -1 };
    o = proto_json.parse(NULL, q, strlen(q), &rx);
    assert_int_equal(cJSON_GetArraySize(o), 9);
    cJSON_Delete(o);
}

static void agrees_with_a_whole_parse(void **state)
{
    static const char *msgs[] = {
        "{\"type\":\"message\",\"message\":{\"id\":\"m\",\"sentAtUs\":5,\"a\":[1,{\"b\":null}]}}",
        "{\"x\":{\"y\":[true,false,null,-0.5e+3,\"s\\\"q\\\\\\/\\b\\f\\n\\r\\t\"]},\"type\":\"t\"}",
        "{\"type\":\"first\",\"type\":\"second\"}",
        "  {\"type\" : \"spaced\" ,\n\t\"message\":\r\n{} }  trailing words",
        "{}",
        "{\"type\":\"a\",}",
        "{\"type\":\"a\"",
        "{\"type\":\"a\" \"b\":1}",
        "{\"x\":tru,\"type\":\"a\"}",
        "{\"x\":01,\"type\":\"a\"}",
        "{\"type\":01}",
        "{\"x\":1.,\"type\":\"a\"}",
        "{\"x\":-,\"type\":\"a\"}",
        "{\"x\":+1,\"type\":\"a\"}",
        "{\"ty\\u0070e\":\"escaped key\"}",
        "{\"type\":\"caf\\u00e9\"}",
        "{\"x\":\"\\u00e9\",\"type\":\"u\"}",
        "{\"x\":\"\\ud800\",\"type\":\"lone surrogate\"}",
        "{\"x\":\"\\q\",\"type\":\"bad escape\"}",
        "{\"x\":\"tab\there\",\"type\":\"raw control\"}",
        ("{\"x\":123456789012345678901234567890123456789012345678901234567890123456789,"
         "\"type\":\"long number\"}"),
        "{\"x\"\f:1,\"type\":\"form feed\"}",
        "[{\"type\":\"array\"}]",
        "\"type\"",
        "not json",
        "",
        "   ",
        "{\"message\":\"a string, not an object\",\"type\":3}",
        "{\"missing\":null,\"type\":true}",
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        check_same(msgs[i], strlen(msgs[i]), chat_keys, 3);
    /* the length bounds the message: what follows is not read */
    check_same("{\"type\":\"a\"}\0{", 14, chat_keys, 3);
    check_same("{\"type\":\"cut\"}", 10, chat_keys, 3);
    check_same("{\"type\":\"a\",\"x\":\"\0\"}", 20, chat_keys, 3);
}

/* Nesting: a skipped value 40 deep is skipped, 100 deep goes to cJSON
 * whole; cJSON refuses more than 1000, and so does the keyed parse. */
static void deep_nesting(void **state)
{
    size_t depths[] = { 40, 100, 1001 };
    for (size_t d = 0; d < 3; d++) {
        size_t n = depths[d];
        char *m = malloc(2 * n + 64);
        assert_non_null(m);
        size_t len = (size_t)sprintf(m, "{\"type\":\"deep\",\"x\":");
        for (size_t i = 0; i < n; i++)
            m[len++] = '[';
        for (size_t i = 0; i < n; i++)
            m[len++] = ']';
        len += (size_t)sprintf(m + len, "}");
        check_same(m, len, chat_keys, 3);
        free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_only_wanted_fields),
        cmocka_unit_test(agrees_with_a_whole_parse),
        cmocka_unit_test(deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
