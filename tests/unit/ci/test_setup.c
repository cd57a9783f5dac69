/* Tests that setup.sh builds as the README says: with -Werror (gcc, and
 * clang with its unit tests) only in `test`, the command CI runs; users'
 * builds (`build`, `demo`, `package`) leave WSGATE_WERROR at CMake's OFF,
 * so a newer compiler's new warning cannot break them. These read
 * setup.sh and CMakeLists.txt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

/* The body of shell function name in script (malloc'd), from its "name()
 * {" line to the next line that is "}". Fails the test when absent. */
static char *function_body(const char *script, const char *name)
{
    char head[64];
    snprintf(head, sizeof(head), "\n%s() {\n", name);
    const char *from = strstr(script, head);
    if (!from)
        fail_msg("setup.sh has no function %s", name);
    from += strlen(head);
    const char *to = strstr(from, "\n}\n");
    assert_non_null(to);
    char *body = malloc((size_t)(to - from) + 1);
    assert_non_null(body);
    memcpy(body, from, (size_t)(to - from));
    body[to - from] = '\0';
    return body;
}

static void test_werror_is_off_by_default(void **state)
{
    char *cmake = read_whole(WSGATE_SOURCE_DIR "/CMakeLists.txt");
    const char *opt = strstr(cmake, "option(WSGATE_WERROR ");
    assert_non_null(opt);
    const char *end = strchr(opt, '\n'); /* the option's line ends " OFF)" */
    assert_non_null(end);
    assert_true(end - opt > 5 && strncmp(end - 5, " OFF)", 5) == 0);
    free(cmake);
}

/* build() passes $WERROR, OFF unless `test` turns it on. */
static void test_users_builds_leave_werror_off(void **state)
{
    char *sh = read_whole(WSGATE_SOURCE_DIR "/setup.sh");
    assert_contains(sh, "\nWERROR=OFF\n");
    char *build = function_body(sh, "build");
    assert_contains(build, "-DWSGATE_WERROR=\"$WERROR\"");
    free(build);
    static const char *const users[] = { "cmd_build", "cmd_demo", "cmd_package" };
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        char *body = function_body(sh, users[i]);
        assert_not_contains(body, "WERROR");
        free(body);
    }
    free(sh);
}

/* `test` builds with -Werror before anything else, and builds everything
 * again with clang, whose unit tests it runs. */
static void test_ci_builds_with_gcc_and_clang_with_werror(void **state)
{
    char *sh = read_whole(WSGATE_SOURCE_DIR "/setup.sh");
    char *body = function_body(sh, "cmd_test");
    const char *on = strstr(body, "\n  WERROR=ON\n");
    const char *first = strstr(body, "\n  build ");
    const char *clang = strstr(body, "\n  CC=clang build build-clang\n");
    assert_non_null(on);
    assert_non_null(first);
    assert_non_null(clang);
    assert_true(on < first);
    assert_contains(clang, "ctest --test-dir build-clang -L unit");
    free(body);
    free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_werror_is_off_by_default),
        cmocka_unit_test(test_users_builds_leave_werror_off),
        cmocka_unit_test(test_ci_builds_with_gcc_and_clang_with_werror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
