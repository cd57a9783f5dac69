/* Unit tests for src/spec/data.c: RFC 4180 parsing, errors with lines, row picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/data.h"
#include "helpers.h"

static data_t *parse_ok(const char *text)
{
    char err[512] = "";
    data_t *d = data_parse(text, strlen(text), "users.csv", err, sizeof(err));
    if (!d)
        fail_msg("did not parse: %s", err);
    return d;
}

static const char *parse_err(const char *text, size_t len)
{
    static char err[512];
    memset(err, 'x', sizeof(err));
    data_t *d = data_parse(text, len, "users.csv", err, sizeof(err));
    if (d) {
        data_free(d);
        fail_msg("\"%s\" parsed but should not", text);
    }
    assert_non_null(memchr(err, '\0', sizeof(err)));
    assert_null(strchr(err, '\n'));
    return err;
}

static void assert_row(const data_t *d, size_t row, const char *a, const char *b)
{
    const char *const *r = data_row(d, row);
    assert_string_equal(r[0], a);
    assert_string_equal(r[1], b);
}

static void test_plain(void **state)
{
    (void)state;
    data_t *d = parse_ok("username,password\nalice,pw1\nbob,pw2\n");
    assert_int_equal(data_ncolumns(d), 2);
    assert_int_equal(data_nrows(d), 2);
    assert_string_equal(data_columns(d)[0], "username");
    assert_string_equal(data_columns(d)[1], "password");
    assert_int_equal(data_column(d, "password"), 1);
    assert_int_equal(data_column(d, "nope"), -1);
    assert_row(d, 0, "alice", "pw1");
    assert_row(d, 1, "bob", "pw2");
    data_free(d);
}

/* Commas, doubled quotes and line breaks inside quotes; empty fields. */
static void test_quoting(void **state)
{
    (void)state;
    data_t *d = parse_ok("a,b\n"
                         "\"x,y\",\"say \"\"hi\"\"\"\n"
                         "\"two\nlines\",\n"
                         ",\"\"\n"
                         "q\"uote,\"\"\"\"");
    assert_int_equal(data_nrows(d), 4);
    assert_row(d, 0, "x,y", "say \"hi\"");
    assert_row(d, 1, "two\nlines", "");
    assert_row(d, 2, "", "");
    assert_row(d, 3, "q\"uote", "\""); /* a quote inside an unquoted field is kept */
    data_free(d);
}

/* CRLF, a UTF-8 BOM, a missing final line end and blank lines. */
static void test_crlf_bom_blank(void **state)
{
    (void)state;
    data_t *d = parse_ok("\xEF\xBB\xBFuser,pass\r\n\r\nal\xC3\xA9,\"p\r\nw\"\r\n\nbob,x");
    assert_string_equal(data_columns(d)[0], "user"); /* the BOM is not part of the name */
    assert_int_equal(data_nrows(d), 2);
    assert_row(d, 0, "al\xC3\xA9", "p\r\nw");
    assert_row(d, 1, "bob", "x");
    data_free(d);
    d = parse_ok("one\r\nv1\rv2\r");
    assert_int_equal(data_nrows(d), 2);
    assert_string_equal(data_row(d, 1)[0], "v2");
    data_free(d);
}

static void test_errors(void **state)
{
    (void)state;
    const char *e = parse_err("", 0);
    assert_contains(e, "users.csv:1: the file is empty");
    e = parse_err("\xEF\xBB\xBF\r\n\n", 5);
    assert_contains(e, "users.csv:1: the file is empty");
    e = parse_err("username,password\n", 18);
    assert_contains(e, "users.csv:1: the file has a header but no rows");

    const char *t = "username,password\nalice,pw1\nbob,pw,2\n";
    e = parse_err(t, strlen(t));
    assert_contains(e, "users.csv:3: row has 3 fields but the header has 2 (username, password)");
    assert_contains(e, "quote a field that contains a comma");
    t = "username,password\nalice\n";
    assert_contains(parse_err(t, strlen(t)), "users.csv:2: row has 1 field but");

    /* the line where the quote opened, counting lines inside quotes */
    t = "u,p\n\"a\nb\",x\n\"open,y\nz\n";
    e = parse_err(t, strlen(t));
    assert_contains(e, "users.csv:4: the quote opened on this line is never closed");
    t = "u,p\n\"a\"b,c\n";
    assert_contains(parse_err(t, strlen(t)), "users.csv:2: text after a closing quote");

    t = "user name,pw\na,b\n";
    assert_contains(parse_err(t, strlen(t)),
                    "users.csv:1: column name \"user name\" cannot be used as {{data.NAME}}");
    t = "u,,p\na,b,c\n";
    assert_contains(parse_err(t, strlen(t)), "column name \"\" cannot be used");
    t = "u,p,u\na,b,c\n";
    assert_contains(parse_err(t, strlen(t)), "users.csv:1: column \"u\" appears twice");
    assert_contains(parse_err("u\na\nb\0c\n", 8), "users.csv:3: the file has a NUL byte");
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/wsgate-test-data-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "username,password\nalice,pw1\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    char err[512];
    int line = -1;
    data_t *d = data_load(path, err, sizeof(err), &line);
    assert_non_null(d);
    assert_row(d, 0, "alice", "pw1");
    data_free(d);
    unlink(path);
    assert_null(data_load(path, err, sizeof(err), &line));
    assert_contains(err, "cannot read /tmp/wsgate-test-data-");
    assert_contains(err, "No such file");
    assert_int_equal(line, 0);
}

/* One byte over the bound is refused before parsing. */
static void test_too_large(void **state)
{
    (void)state;
    size_t n = DATA_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    char err[256];
    assert_null(data_parse(big, n, "big.csv", err, sizeof(err)));
    assert_contains(err, "big.csv is larger than 64 MiB");
    free(big);
}

static void test_pick_sequential(void **state)
{
    (void)state;
    for (uint64_t u = 0; u < 20; u++)
        assert_int_equal(data_pick(7, false, 99, u), u % 7);
    assert_int_equal(data_pick(1, true, 5, 12345), 0);
}

/* Random picks: each pass over the rows is a permutation, passes differ,
 * the seed decides (same seed same rows, another seed other rows). */
static void test_pick_random(void **state)
{
    (void)state;
    const size_t sizes[] = { 2, 3, 5, 8, 13, 100, 1000 };
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        unsigned char *seen = calloc(n, 1);
        assert_non_null(seen);
        for (uint64_t pass = 0; pass < 3; pass++) {
            memset(seen, 0, n);
            for (uint64_t i = 0; i < n; i++) {
                size_t r = data_pick(n, true, 42, pass * n + i);
                assert_true(r < n);
                assert_false(seen[r]);
                seen[r] = 1;
                assert_int_equal(r, data_pick(n, true, 42, pass * n + i));
            }
        }
        free(seen);
    }
    size_t same_order = 0, same_seed = 0, same_pass = 0;
    for (uint64_t u = 0; u < 1000; u++) {
        same_order += data_pick(1000, true, 42, u) == u;
        same_seed += data_pick(1000, true, 42, u) == data_pick(1000, true, 43, u);
        same_pass += data_pick(1000, true, 42, u) == data_pick(1000, true, 42, u + 1000);
    }
    assert_true(same_order < 20); /* about 1 expected for a shuffle */
    assert_true(same_seed < 20);
    assert_true(same_pass < 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),           cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_crlf_bom_blank),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_load_file),       cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_pick_sequential), cmocka_unit_test(test_pick_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
