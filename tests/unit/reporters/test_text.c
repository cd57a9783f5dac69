/* Tests reporters/text.c, the sanitiser of untrusted text: byte sequences
 * in, text out, for the visible style every report uses and the JSON one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reporters/text.h"
#include "helpers.h"

#define FFFD "\xef\xbf\xbd"

static const text_style_t visible = { .ascii = NULL, .show_hidden = true };
static const text_style_t keep = { .ascii = NULL, .show_hidden = false };

/* Renders in[0..len) with max and st into a string the caller frees. */
static char *render(const char *in, size_t len, size_t max, const text_style_t *st)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    text_write_n(f, in, len, max, st);
    assert_int_equal(fclose(f), 0);
    return buf;
}

typedef struct text_case {
    const char *what;
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *visible, *keep;
} text_case_t;

static const text_case_t cases[] = {
    { "plain UTF-8 passes", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80 <a>", 0,
      "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80 <a>",
      "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80 <a>" },
    { "tab, LF, CR pass", "a\tb\nc\rd", 0, "a\tb\nc\rd", "a\tb\nc\rd" },
    { "U+FFFE whole", "abc\xef\xbf\xbe", 0, "abc\\uFFFE", "abc\xef\xbf\xbe" },
    { "U+FFFF whole", "\xef\xbf\xbfz", 0, "\\uFFFFz", "\xef\xbf\xbfz" },
    { "plane 1 noncharacter", "\xf0\x9f\xbf\xbe", 0, "\\u1FFFE", "\xf0\x9f\xbf\xbe" },
    { "U+FDD0", "\xef\xb7\x90", 0, "\\uFDD0", "\xef\xb7\x90" },
    { "lone continuation bytes", "a\x80\xbf\xbe", 0, "a" FFFD FFFD FFFD, "a" FFFD FFFD FFFD },
    { "sequence cut by the end", "a\xe2\x82", 0, "a" FFFD FFFD, "a" FFFD FFFD },
    { "sequence cut by ASCII", "\xf0\x9f\x9az", 0, FFFD FFFD FFFD "z", FFFD FFFD FFFD "z" },
    { "overlong 2-byte /", "\xc0\xaf", 0, FFFD FFFD, FFFD FFFD },
    { "overlong 3-byte", "\xe0\x80\xaf", 0, FFFD FFFD FFFD, FFFD FFFD FFFD },
    { "overlong 4-byte", "\xf0\x80\x80\xaf", 0, FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD },
    { "surrogate", "\xed\xa0\x80", 0, FFFD FFFD FFFD, FFFD FFFD FFFD },
    { "above U+10FFFF", "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD },
    { "never a byte of UTF-8", "\xfe\xff", 0, FFFD FFFD, FFFD FFFD },
    { "NUL inside", "a\0b", 3, "a\\0b", "a\\0b" },
    { "C0 controls and DEL", "\x01\x1b[31m\x7f", 0, "\\u0001\\u001B[31m\\u007F",
      "\x01\x1b[31m\x7f" },
    { "C1 control U+0085",
      "a\xc2\x85"
      "b",
      0, "a\\u0085b",
      "a\xc2\x85"
      "b" },
    { "right-to-left override", "x\xe2\x80\xaey", 0, "x\\u202Ey", "x\xe2\x80\xaey" },
    { "bidi embeddings and isolates", "\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9", 0,
      "\\u202A\\u2066\\u2069", "\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9" },
    { "bidi marks", "\xe2\x80\x8f\xd8\x9c", 0, "\\u200F\\u061C", "\xe2\x80\x8f\xd8\x9c" },
};

static void test_cases(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const text_case_t *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char *v = render(c->in, len, 0, &visible);
        char *k = render(c->in, len, 0, &keep);
        if (strcmp(v, c->visible) != 0 || strcmp(k, c->keep) != 0)
            fail_msg("%s: got \"%s\" / \"%s\"", c->what, v, k);
        free(v);
        free(k);
    }
}

/* The cut keeps whole characters from at most max bytes and says so. */
static void test_cut(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cuts[] = {
        { "ab\xc3\xa9", 3, "ab…" },        /* é does not fit */
        { "ab\xc3\xa9", 4, "ab\xc3\xa9" }, /* exactly fits: no mark */
        { "abc", 3, "abc" },               /* nothing cut */
        { "\xf0\x9f\x9a\x80xy", 5, "\xf0\x9f\x9a\x80x…" },
        { "\xe2\x80\xae\xe2\x80\xae", 4, "\\u202E…" }, /* counted in source bytes */
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char *got = render(cuts[i].in, strlen(cuts[i].in), cuts[i].max, &visible);
        assert_string_equal(got, cuts[i].want);
        free(got);
    }
}

static void test_hidden_edges(void **state)
{
    static const unsigned long hidden[] = { 0x00,   0x1f,   0x7f,   0x80,   0x9f,    0x061c,
                                            0x200e, 0x200f, 0x202a, 0x202e, 0x2066,  0x2069,
                                            0xfdd0, 0xfdef, 0xfffe, 0xffff, 0x1fffe, 0x10ffff };
    static const unsigned long shown[] = { '\t',   '\n',   '\r',    0x20,    0x7e,    0xa0,
                                           0x200d, 0x2029, 0x202f,  0x2065,  0x206a,  0xfdcf,
                                           0xfdf0, 0xfffd, 0x1f680, 0x10000, 0x10fffd };
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (!text_hidden(hidden[i]))
            fail_msg("U+%04lX should be hidden", hidden[i]);
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (text_hidden(shown[i]))
            fail_msg("U+%04lX should be shown", shown[i]);
}

/* Each ASCII character goes through the style's escaping, nothing else. */
static void upper(FILE *out, unsigned char c)
{
    fputc(c >= 'a' && c <= 'z' ? c - 32 : c, out);
}

static void test_ascii_hook_and_clean(void **state)
{
    const text_style_t up = { .ascii = upper, .show_hidden = true };
    char *s = text_clean("ab\xc3\xa9\x01\xe2\x80\xae", 0, &up);
    assert_string_equal(s, "AB\xc3\xa9\\u0001\\u202E");
    free(s);
    s = text_clean(NULL, 0, &up);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_hidden_edges),
        cmocka_unit_test(test_ascii_hook_and_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
