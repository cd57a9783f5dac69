/* Tests that the bench/ scripts leave nothing behind: each script that
 * makes a /tmp/wsgate-* directory removes it in its exit action (or keeps
 * it with KEEP=1, bench/lib.sh's work_cleanup), and each script that
 * starts a process in the background stops it from an exit trap. These
 * read the scripts. */
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
#define WSGATE_SOURCE_DIR "."
#endif

#define BENCH WSGATE_SOURCE_DIR "/bench"

/* A malloc'd copy of s[0..n). */
static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    assert_non_null(p);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The body of the shell function name (one line "name() { ...; }" or
 * "name() {" to a line "}"), malloc'd, or NULL when there is none. */
static char *function_body(const char *sh, const char *name)
{
    char head[64];
    snprintf(head, sizeof head, "%s() {", name);
    const char *from = strstr(sh, head);
    if (!from || (from != sh && from[-1] != '\n'))
        return NULL;
    from += strlen(head);
    const char *eol = strchr(from, '\n');
    if (!eol)
        return NULL;
    if (eol > from && eol[-1] == '}') /* one line */
        return dup_n(from, (size_t)(eol - from - 1));
    const char *to = strstr(from, "\n}\n");
    return to ? dup_n(from, (size_t)(to - from)) : NULL;
}

/* What the script runs on exit (malloc'd), or NULL: the text of
 * `trap '...' EXIT`, or cleanup()'s body when `trap cleanup EXIT` (or
 * peers/rabbitmq.sh, whose trap calls cleanup) sets it. */
static char *exit_action(const char *sh)
{
    if (strstr(sh, "\ntrap cleanup EXIT\n") || strstr(sh, "peers/rabbitmq.sh"))
        return function_body(sh, "cleanup");
    const char *t = strstr(sh, "\ntrap '");
    if (!t)
        return NULL;
    t += strlen("\ntrap '");
    const char *end = strstr(t, "' EXIT\n");
    return end ? dup_n(t, (size_t)(end - t)) : NULL;
}

/* Whether a line of sh ends with " &" (a process left running). */
static bool starts_background(const char *sh)
{
    for (const char *p = strstr(sh, " &\n"); p; p = strstr(p + 1, " &\n"))
        if (p[-1] != '&') /* not "&&" */
            return true;
    return false;
}

static void check_script(const char *name, const char *sh, int *checked)
{
    char *action = exit_action(sh);
    bool temp = strstr(sh, "mktemp -d") != NULL;
    if ((temp || starts_background(sh)) && !action)
        fail_msg("bench/%s starts processes or makes a directory but has no exit trap", name);
    if (temp && !strstr(action, "work_cleanup") && !strstr(action, "rm -rf \"$WORK\""))
        fail_msg("bench/%s: its exit action does not remove $WORK: %s", name, action);
    if (temp && strstr(action, "work_cleanup") && !strstr(sh, "lib.sh"))
        fail_msg("bench/%s calls work_cleanup without sourcing bench/lib.sh", name);
    *checked += temp;
    free(action);
}

static void test_scripts_clean_up(void **state)
{
    DIR *d = opendir(BENCH);
    assert_non_null(d);
    int scripts = 0, checked = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".sh") != 0 || strcmp(e->d_name, "lib.sh") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", BENCH, e->d_name);
        char *sh = read_whole(path);
        check_script(e->d_name, sh, &checked);
        free(sh);
        scripts++;
    }
    closedir(d);
    /* the checks saw the scripts (not vacuous) */
    assert_true(scripts >= 20);
    assert_true(checked >= 15);
}

/* work_cleanup removes $WORK unless KEEP is set. */
static void test_work_cleanup(void **state)
{
    char *lib = read_whole(BENCH "/lib.sh");
    char *body = function_body(lib, "work_cleanup");
    assert_non_null(body);
    assert_contains(body, "rm -rf \"$WORK\"");
    assert_contains(body, "KEEP");
    free(body);
    free(lib);
}

/* The checker itself: a script whose trap only stops its server fails. */
static void test_checker_catches_leftovers(void **state)
{
    const char *leaky = "WORK=$(mktemp -d /tmp/wsgate-x.XXXXXX)\n"
                        "trap 'kill $SRV 2>/dev/null || true' EXIT\n";
    char *action = exit_action(leaky);
    assert_string_equal(action, "kill $SRV 2>/dev/null || true");
    free(action);
    const char *fn = "x=1\ncleanup() {\n  kill 1\n  work_cleanup\n}\ntrap cleanup EXIT\n";
    action = exit_action(fn);
    assert_string_equal(action, "\n  kill 1\n  work_cleanup");
    free(action);
    assert_null(exit_action("sleep 1 &\n"));
    assert_true(starts_background("sleep 1 &\n"));
    assert_false(starts_background("a && \\\n b\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts_clean_up),
        cmocka_unit_test(test_work_cleanup),
        cmocka_unit_test(test_checker_catches_leftovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
