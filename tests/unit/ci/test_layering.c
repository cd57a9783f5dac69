/* Tests that the tree keeps its architecture (docs/architecture.md): a file
 * includes project headers only from its own folder or a folder below it
 * (base <- result <- spec <- engine <- live, serve <- cli; reporters read result and
 * base), every .c file opens with a comment saying what it is, and no code
 * reads cJSON's process-wide error pointer (docs/architecture.md, "Threads
 * and shared libraries"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#ifndef WSGATE_SOURCE_DIR
#error "WSGATE_SOURCE_DIR must be defined"
#endif

/* Each folder and the folders it may include (besides itself). */
static const struct {
    const char *dir;    /* relative to the source root */
    const char *folder; /* as includes name it */
    const char *may_use;
} layers[] = {
    { "src/base", "base", "" },
    { "src/result", "result", "base" },
    { "src/spec", "spec", "base result" },
    { "src/engine", "engine", "base result spec" },
    { "src/engine/proto", "engine", "base result spec" },
    { "src/live", "live", "base result spec engine" },
    { "src/serve", "serve", "base" },
    { "reporters", "reporters", "base result" },
    { "src/cli", "cli", "base result spec engine live serve reporters" },
};

/* True when the word w (up to its end or a space) is in the list. */
static bool listed(const char *list, const char *w, size_t n)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, w, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

/* Appends to bad every include of text that names a folder the layer may
 * not use. */
static void check_includes(const char *path, const char *text, size_t layer, char *bad,
                           size_t badlen)
{
    for (const char *p = strstr(text, "#include \""); p; p = strstr(p + 1, "#include \"")) {
        const char *name = p + strlen("#include \"");
        size_t n = strcspn(name, "/\"");
        if (name[n] != '/' ||
            (strlen(layers[layer].folder) == n && strncmp(name, layers[layer].folder, n) == 0))
            continue;
        if (!listed(layers[layer].may_use, name, n)) {
            size_t used = strlen(bad);
            snprintf(bad + used, badlen - used, "%s includes %.*s/\n", path, (int)n, name);
        }
    }
}

static bool is_source(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

/* Runs fn over every .c and .h file of each layer. */
static size_t each_file(void (*fn)(const char *path, const char *text, size_t layer, char *bad,
                                   size_t badlen),
                        char *bad, size_t badlen)
{
    size_t files = 0;
    for (size_t l = 0; l < sizeof(layers) / sizeof(layers[0]); l++) {
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/%s", WSGATE_SOURCE_DIR, layers[l].dir);
        DIR *d = opendir(dir);
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));) {
            if (!is_source(e->d_name))
                continue;
            char path[2048];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            char *text = read_whole(path);
            fn(path, text, l, bad, badlen);
            free(text);
            files++;
        }
        closedir(d);
    }
    return files;
}

static void includes_point_down(void **state)
{
    (void)state;
    char bad[8192] = "";
    assert_true(each_file(check_includes, bad, sizeof(bad)) > 50);
    if (bad[0])
        fail_msg("includes that point up the layers:\n%s", bad);
}

static void check_opening(const char *path, const char *text, size_t layer, char *bad,
                          size_t badlen)
{
    (void)layer;
    size_t n = strlen(path);
    if (path[n - 1] == 'c' && strncmp(text, "/* ", 3) != 0) {
        size_t used = strlen(bad);
        snprintf(bad + used, badlen - used, "%s\n", path);
    }
}

static void every_c_file_says_what_it_is(void **state)
{
    (void)state;
    char bad[8192] = "";
    each_file(check_opening, bad, sizeof(bad));
    if (bad[0])
        fail_msg("files that do not open with a one-line comment:\n%s", bad);
}

/* cJSON writes a global error pointer on every parse, from every worker
 * thread: nothing may read it (a parse that needs where it stopped passes
 * return_parse_end and reads its own pointer). */
static void check_cjson_global(const char *path, const char *text, size_t layer, char *bad,
                               size_t badlen)
{
    (void)layer;
    if (strstr(text, "cJSON_GetErrorPtr")) {
        size_t used = strlen(bad);
        snprintf(bad + used, badlen - used, "%s\n", path);
    }
}

static void no_cjson_error_global(void **state)
{
    (void)state;
    char bad[8192] = "";
    each_file(check_cjson_global, bad, sizeof(bad));
    if (bad[0])
        fail_msg("files that read cJSON_GetErrorPtr(), which every thread's parse writes: pass "
                 "return_parse_end to cJSON_ParseWithOpts or cJSON_ParseWithLengthOpts "
                 "instead:\n%s",
                 bad);
    check_cjson_global("z.c", "const char *e = cJSON_GetErrorPtr();", 0, bad, sizeof(bad));
    assert_string_equal(bad, "z.c\n");
}

/* The checker itself: an upward include is found, a downward one is not. */
static void checker_finds_an_upward_include(void **state)
{
    (void)state;
    char bad[256] = "";
    check_includes("x.c", "#include \"result/hist.h\"\n#include \"base/sbuf.h\"\n", 2, bad,
                   sizeof(bad));
    assert_string_equal(bad, "");
    check_includes("y.c", "#include \"engine/vu.h\"\n#include <stdio.h>\n", 1, bad, sizeof(bad));
    assert_string_equal(bad, "y.c includes engine/\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checker_finds_an_upward_include),
        cmocka_unit_test(includes_point_down),
        cmocka_unit_test(every_c_file_says_what_it_is),
        cmocka_unit_test(no_cjson_error_global),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
