/* Tests that keep the ways to install wsgate true to each other:
 * - the Dockerfile's runtime stage installs exactly the .deb's Depends
 *   (packaging/runtime-packages.txt, which ./setup.sh package checks against
 *   dpkg-shlibdeps) and Recommends (cmake/packaging.cmake), runs as a
 *   non-root user and has wsgate as its entrypoint;
 * - docs/wsgate.1 lists exactly the commands and options of `wsgate --help`
 *   and of each `wsgate CMD --help`, at the binary's version;
 * - the release workflow builds and attaches the files CPack names, and the
 *   Kubernetes template runs the image it pushes;
 * - ci/install.sh fetches the tarball and .sha256 the release publishes, and
 *   the GitLab template carries the same installer and this version.
 * The Dockerfile cannot be built here (no image registry): these read it.
 *
 * Usage: test_packaging [WSGATE_BINARY]; without it, $WSGATE_BIN, else
 * ../wsgate next to this test's own directory (the CMake build layout). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

#define SET_MAX 48
#define WORD_LEN 48

static const char *g_bin; /* the wsgate binary under test */

/* ---- a small set of words ------------------------------------------------- */

typedef struct wordset {
    char w[SET_MAX][WORD_LEN];
    size_t n;
} wordset_t;

static int set_has(const wordset_t *s, const char *w)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->w[i], w) == 0)
            return 1;
    return 0;
}

static void set_add(wordset_t *s, const char *w, size_t len)
{
    char word[WORD_LEN];
    if (len >= sizeof word) /* cut a longer word (-O3 warns of the truncation otherwise) */
        len = sizeof word - 1;
    snprintf(word, sizeof word, "%.*s", (int)len, w);
    if (!set_has(s, word) && s->n < SET_MAX)
        snprintf(s->w[s->n++], WORD_LEN, "%s", word);
}

/* Fails naming what only a has and what only b has, when they differ. */
static void assert_sets_equal(const wordset_t *a, const char *aname, const wordset_t *b,
                              const char *bname)
{
    char msg[2048] = "";
    size_t len = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!set_has(b, a->w[i]) && len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "\n  %s has %s, %s does not",
                                    aname, a->w[i], bname);
    for (size_t i = 0; i < b->n; i++)
        if (!set_has(a, b->w[i]) && len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "\n  %s has %s, %s does not",
                                    bname, b->w[i], aname);
    if (len)
        fail_msg("%s and %s differ:%s", aname, bname, msg);
}

/* ---- files and the binary ------------------------------------------------- */

static char *src_read(const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", WSGATE_SOURCE_DIR, rel);
    return read_whole(path);
}

/* Output of `BIN ARGS` (caller frees); a failed run fails the test. */
static char *run_capture(const char *args)
{
    char cmd[PATH_MAX + 64];
    assert_null(strchr(g_bin, '\''));
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", g_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    for (int c; (c = fgetc(p)) != EOF;)
        fputc(c, m);
    fclose(m);
    if (pclose(p) != 0)
        fail_msg("%s failed:\n%s", cmd, buf);
    return buf;
}

/* ---- the Dockerfile -------------------------------------------------------- */

typedef struct stage {
    char from[128];   /* "debian:bookworm AS build" */
    char user[64];    /* the last USER, "" when none */
    char entry[128];  /* the ENTRYPOINT's text */
    wordset_t apt;    /* packages of `apt-get install` */
    char runs[4096];  /* every RUN, one per line */
    char copies[512]; /* every COPY, one per line */
} stage_t;

typedef struct dockerfile {
    stage_t st[4];
    size_t n;
} dockerfile_t;

/* Adds the package names after "apt-get install" in cmd (up to && or ;). */
static void add_apt_packages(wordset_t *set, const char *cmd)
{
    for (const char *p = strstr(cmd, "apt-get install"); p; p = strstr(p + 1, "apt-get install")) {
        const char *s = p + strlen("apt-get install");
        for (;;) {
            s += strspn(s, " \t");
            size_t n = strcspn(s, " \t;&|");
            if (!n)
                break;
            if (s[0] != '-')
                set_add(set, s, n);
            s += n;
        }
    }
}

/* Reads instructions (continuations joined, comments dropped) into stages. */
static void parse_dockerfile(dockerfile_t *df, char *text)
{
    memset(df, 0, sizeof *df);
    for (char *s = text; (s = strstr(s, "\\\n"));)
        s[0] = s[1] = ' ';
    stage_t *cur = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line += strspn(line, " \t");
        if (!*line || *line == '#')
            continue;
        char *arg = line + strcspn(line, " \t");
        if (*arg)
            *arg++ = '\0';
        arg += strspn(arg, " \t");
        if (strcmp(line, "FROM") == 0 && df->n < 4) {
            cur = &df->st[df->n++];
            snprintf(cur->from, sizeof cur->from, "%s", arg);
        } else if (!cur) {
            continue;
        } else if (strcmp(line, "USER") == 0) {
            snprintf(cur->user, sizeof cur->user, "%s", arg);
        } else if (strcmp(line, "ENTRYPOINT") == 0) {
            snprintf(cur->entry, sizeof cur->entry, "%s", arg);
        } else if (strcmp(line, "RUN") == 0) {
            add_apt_packages(&cur->apt, arg);
            size_t l = strlen(cur->runs);
            snprintf(cur->runs + l, sizeof cur->runs - l, "%s\n", arg);
        } else if (strcmp(line, "COPY") == 0) {
            size_t l = strlen(cur->copies);
            snprintf(cur->copies + l, sizeof cur->copies - l, "%s\n", arg);
        }
    }
}

/* The package names of packaging/runtime-packages.txt. */
static void runtime_packages(wordset_t *set)
{
    char *text = src_read("packaging/runtime-packages.txt");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (islower((unsigned char)line[0]) || isdigit((unsigned char)line[0]))
            set_add(set, line, strcspn(line, " \t#"));
    free(text);
    assert_true(set->n >= 5);
}

/* The names after `set(NAME` in cmake/packaging.cmake, up to ")". */
static void cmake_list(wordset_t *set, const char *name)
{
    char *text = src_read("cmake/packaging.cmake");
    char key[96];
    snprintf(key, sizeof key, "set(%s ", name);
    const char *p = strstr(text, key);
    if (!p)
        fail_msg("cmake/packaging.cmake does not set %s", name);
    for (p += strlen(key); *p && *p != ')';) {
        p += strspn(p, " \t\n,\"");
        size_t n = strcspn(p, " \t\n,\")");
        if (n)
            set_add(set, p, n);
        p += n;
    }
    free(text);
}

static void load_dockerfile(dockerfile_t *df)
{
    char *text = src_read("Dockerfile");
    parse_dockerfile(df, text);
    free(text);
    assert_int_equal(df->n, 2);
}

static void test_dockerfile_stages(void **state)
{
    dockerfile_t df;
    load_dockerfile(&df);
    const stage_t *build = &df.st[0], *run = &df.st[1];
    assert_string_equal(build->from, "debian:bookworm AS build");
    assert_string_equal(run->from, "debian:bookworm-slim");
    /* The build stage makes the .deb as a release does; the runtime stage
     * installs that .deb (dpkg checks its Depends), not a loose binary. */
    assert_non_null(strstr(build->runs, "./setup.sh package"));
    assert_non_null(strstr(run->copies, "--from=build /tmp/wsgate.deb"));
    assert_non_null(strstr(run->runs, "dpkg -i"));
    assert_string_equal(run->entry, "[\"wsgate\"]");
}

static void test_dockerfile_runs_as_non_root(void **state)
{
    dockerfile_t df;
    load_dockerfile(&df);
    const char *user = df.st[1].user;
    if (!*user)
        fail_msg("Dockerfile: the runtime stage has no USER (it would run as root)");
    size_t n = strcspn(user, ":");
    if ((n == 4 && strncmp(user, "root", 4) == 0) || strspn(user, "0") == n)
        fail_msg("Dockerfile: USER %s is root", user);
    /* Numeric, so Kubernetes' runAsNonRoot can check it. */
    assert_true(strspn(user, "0123456789") == n);
}

/* The image holds the .deb's Depends and Recommends, nothing more. */
static void test_dockerfile_installs_the_debs_dependencies(void **state)
{
    dockerfile_t df;
    load_dockerfile(&df);
    wordset_t want = { .n = 0 };
    runtime_packages(&want);
    cmake_list(&want, "CPACK_DEBIAN_PACKAGE_RECOMMENDS");
    assert_true(set_has(&want, "ca-certificates"));
    assert_sets_equal(&df.st[1].apt, "the Dockerfile's runtime stage", &want,
                      "runtime-packages.txt with the .deb's Recommends");
    for (size_t i = 0; i < df.st[1].apt.n; i++)
        if (strstr(df.st[1].apt.w[i], "-dev"))
            fail_msg("Dockerfile: the runtime stage installs %s", df.st[1].apt.w[i]);
}

/* ---- the man page ----------------------------------------------------------- */

typedef struct cmdflags {
    char cmd[WORD_LEN]; /* "run", ...; "" for `wsgate --version | --help` */
    wordset_t flags;
} cmdflags_t;

typedef struct cmdtable {
    cmdflags_t c[12];
    size_t n;
} cmdtable_t;

static cmdflags_t *table_cmd(cmdtable_t *t, const char *cmd)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->c[i].cmd, cmd) == 0)
            return &t->c[i];
    assert_true(t->n < 12);
    cmdflags_t *c = &t->c[t->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->cmd, sizeof c->cmd, "%s", cmd);
    return c;
}

static int flag_char(int c)
{
    return islower(c) || isdigit(c) || c == '-';
}

/* Adds every "--name" of the n bytes at s. */
static void add_flags(wordset_t *set, const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] != '-' || s[i + 1] != '-' || !islower((unsigned char)s[i + 2]) ||
            (i > 0 && flag_char((unsigned char)s[i - 1])))
            continue;
        size_t len = 2;
        while (i + len < n && flag_char((unsigned char)s[i + len]))
            len++;
        set_add(set, s + i, len);
        i += len;
    }
}

/* "wsgate WORD" at s: WORD into cmd ("" for a --flag); the rest after it. */
static const char *command_word(const char *s, char *cmd, size_t n)
{
    s += strspn(s, " \t");
    size_t len = s[0] == '-' ? 0 : strspn(s, "abcdefghijklmnopqrstuvwxyz");
    snprintf(cmd, n, "%.*s", (int)len, s);
    return s + len;
}

/* The synopsis of `wsgate --help` ("usage: wsgate CMD ..." lines and their
 * "[--flag]" continuations), up to a "(" remark. */
static void help_synopsis(cmdtable_t *t, char *help)
{
    cmdflags_t *cur = NULL;
    for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
        char *s = line + strspn(line, " ");
        if (strncmp(s, "usage: ", 7) == 0)
            s += 7;
        char cmd[WORD_LEN];
        if (strncmp(s, "wsgate ", 7) == 0) {
            s = (char *)command_word(s + 7, cmd, sizeof cmd);
            cur = table_cmd(t, cmd);
        } else if (!cur || s[0] != '[') {
            cur = NULL;
            continue;
        }
        add_flags(&cur->flags, s, strcspn(s, "("));
    }
}

/* Man page text with roff's "\-" as "-" and "\&" dropped (caller frees). */
static char *man_text(void)
{
    char *t = src_read("docs/wsgate.1");
    char *o = t;
    for (const char *s = t; *s; s++) {
        if (s[0] == '\\' && (s[1] == '-' || s[1] == '&')) {
            if (s[1] == '-')
                *o++ = '-';
            s++;
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return t;
}

/* The man page's SYNOPSIS (".B wsgate CMD" up to ".br") and its sections
 * (.SS "wsgate CMD ..." up to the next .SS or .SH), per command. */
static void man_commands(cmdtable_t *synopsis, cmdtable_t *sections, char *man)
{
    cmdflags_t *cur = NULL;
    int in_synopsis = 0;
    for (char *line = strtok(man, "\n"); line; line = strtok(NULL, "\n")) {
        char cmd[WORD_LEN];
        if (strncmp(line, ".SH", 3) == 0) {
            in_synopsis = strstr(line, "SYNOPSIS") != NULL;
            cur = NULL;
        } else if (strncmp(line, ".SS", 3) == 0) {
            const char *s = strstr(line, "\"wsgate ");
            cur = s ? table_cmd(sections, (command_word(s + 8, cmd, sizeof cmd), cmd)) : NULL;
            if (cur)
                add_flags(&cur->flags, s, strlen(s));
        } else if (in_synopsis && strncmp(line, ".B wsgate", 9) == 0) {
            cur = table_cmd(synopsis, (command_word(line + 9, cmd, sizeof cmd), cmd));
        } else if (in_synopsis && strncmp(line, ".br", 3) == 0) {
            cur = NULL;
        } else if (cur) {
            add_flags(&cur->flags, line, strlen(line));
        }
    }
}

typedef struct helps {
    cmdtable_t synopsis; /* from `wsgate --help` */
    cmdtable_t full;     /* from each `wsgate CMD --help` */
    cmdtable_t man_synopsis;
    cmdtable_t man_sections;
} helps_t;

static void load_helps(helps_t *h)
{
    memset(h, 0, sizeof *h);
    char *help = run_capture("--help");
    help_synopsis(&h->synopsis, help);
    free(help);
    for (size_t i = 0; i < h->synopsis.n; i++) {
        const char *cmd = h->synopsis.c[i].cmd;
        cmdflags_t *f = table_cmd(&h->full, cmd);
        if (!*cmd) { /* wsgate --version | --help */
            f->flags = h->synopsis.c[i].flags;
            continue;
        }
        char args[WORD_LEN + 8];
        snprintf(args, sizeof args, "%s --help", cmd);
        char *text = run_capture(args);
        add_flags(&f->flags, text, strlen(text));
        free(text);
    }
    char *man = man_text();
    man_commands(&h->man_synopsis, &h->man_sections, man);
    free(man);
}

static void assert_tables_equal(const cmdtable_t *help, const char *hname, cmdtable_t *man,
                                const char *mname)
{
    wordset_t hc = { .n = 0 }, mc = { .n = 0 };
    for (size_t i = 0; i < help->n; i++)
        set_add(&hc, help->c[i].cmd[0] ? help->c[i].cmd : "(--version|--help)", WORD_LEN);
    for (size_t i = 0; i < man->n; i++)
        set_add(&mc, man->c[i].cmd[0] ? man->c[i].cmd : "(--version|--help)", WORD_LEN);
    assert_sets_equal(&hc, hname, &mc, mname);
    for (size_t i = 0; i < help->n; i++) {
        char a[128], b[128];
        snprintf(a, sizeof a, "%s for `wsgate %s`", hname, help->c[i].cmd);
        snprintf(b, sizeof b, "%s for `wsgate %s`", mname, help->c[i].cmd);
        assert_sets_equal(&help->c[i].flags, a, &table_cmd(man, help->c[i].cmd)->flags, b);
    }
}

static void test_man_page_lists_every_command_and_option(void **state)
{
    helps_t h;
    load_helps(&h);
    /* Not vacuous: the parsers found the commands and their flags. */
    assert_true(h.synopsis.n >= 6);
    assert_true(table_cmd(&h.full, "serve")->flags.n >= 15);
    assert_true(set_has(&table_cmd(&h.full, "run")->flags, "--start-at"));
    assert_tables_equal(&h.synopsis, "wsgate --help's usage", &h.man_synopsis,
                        "the man page's SYNOPSIS");
    assert_tables_equal(&h.full, "wsgate CMD --help", &h.man_sections,
                        "the man page's COMMANDS section");
}

static void test_man_page_version_is_the_binarys(void **state)
{
    char *version = run_capture("--version"); /* "wsgate 0.1.0\n" */
    version[strcspn(version, "\n")] = '\0';
    char *man = src_read("docs/wsgate.1");
    char want[96];
    snprintf(want, sizeof want, "\"%s\"", version);
    if (!strstr(man, want))
        fail_msg("docs/wsgate.1: .TH should name %s (wsgate --version)", want);
    free(man);
    free(version);
}

/* ---- release workflow and Kubernetes image ------------------------------- */

/* The release attaches the files CPack writes and builds the Dockerfile. */
static void test_release_workflow_builds_the_packages(void **state)
{
    char *wf = src_read("ci/github/workflows/release.yml");
    char *cpack = src_read("cmake/packaging.cmake");
    assert_non_null(strstr(cpack, "CPACK_DEBIAN_FILE_NAME wsgate_${PROJECT_VERSION}_amd64.deb"));
    assert_non_null(
        strstr(cpack, "CPACK_PACKAGE_FILE_NAME wsgate-${PROJECT_VERSION}-linux-x86_64)"));
    static const char *const needed[] = {
        "tags:",
        "./setup.sh package",
        "dist/wsgate_*_amd64.deb",
        "dist/wsgate-*-linux-x86_64.tar.gz",
        "file: Dockerfile",
        "ghcr.io/",
    };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!strstr(wf, needed[i]))
            fail_msg("ci/github/workflows/release.yml does not have %s", needed[i]);
    free(wf);
    free(cpack);
}

/* Every image of the Kubernetes template is the released one, this version. */
static void test_k8s_runs_the_released_image(void **state)
{
    char *version = run_capture("--version");
    version[strcspn(version, "\n")] = '\0';
    char want[96];
    snprintf(want, sizeof want, "image: ghcr.io/OWNER/wsgate:%s\n", version + strlen("wsgate "));
    char *k8s = src_read("ci/k8s/indexed-job.yaml");
    size_t images = 0;
    for (const char *p = strstr(k8s, "image:"); p; p = strstr(p + 1, "image:")) {
        if (p > k8s && p[-1] != ' ')
            continue;
        images++;
        if (strncmp(p, want, strlen(want)) != 0)
            fail_msg("ci/k8s/indexed-job.yaml: %.60s, want %s", p, want);
    }
    assert_true(images >= 2);
    free(k8s);
    free(version);
}

/* ---- installing the release tarball (ci/install.sh) ---------------------- */

/* The text of the shell function `wsgate_install() {` ... `}` in text,
 * each line with up to indent leading spaces removed (caller frees). */
static char *install_function(const char *text, const char *file, size_t indent)
{
    const char *start = strstr(text, "wsgate_install() {\n");
    if (!start)
        fail_msg("%s has no wsgate_install() function", file);
    char end_mark[32];
    snprintf(end_mark, sizeof end_mark, "\n%*s}\n", (int)indent, "");
    const char *end = strstr(start, end_mark);
    if (!end)
        fail_msg("%s: wsgate_install() has no closing brace", file);
    end += 1 + indent + 2;
    char *out = malloc((size_t)(end - start) + 1);
    assert_non_null(out);
    size_t n = 0;
    for (const char *p = start; p < end;) {
        size_t skip = 0;
        while (skip < indent && p + skip < end && p[skip] == ' ')
            skip++;
        p += skip;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);
        memcpy(out + n, p, len);
        n += len;
        p += len;
    }
    out[n] = '\0';
    return out;
}

/* The GitLab template runs the same installer as the action. */
static void test_gitlab_template_carries_the_installer(void **state)
{
    char *sh = src_read("ci/install.sh");
    char *gl = src_read("ci/gitlab/wsgate.gitlab-ci.yml");
    char *a = install_function(sh, "ci/install.sh", 0);
    char *b = install_function(gl, "ci/gitlab/wsgate.gitlab-ci.yml", 6);
    if (strcmp(a, b) != 0)
        fail_msg("wsgate_install() differs between ci/install.sh and "
                 "ci/gitlab/wsgate.gitlab-ci.yml; copy the script's into the template");
    assert_true(strlen(a) > 500);
    assert_contains(gl, "bin=$(wsgate_install)");
    free(a);
    free(b);
    free(sh);
    free(gl);
}

/* The installer fetches what the release workflow attaches, where it
 * attaches it: CPack's tarball name, its .sha256, the v-tag's release. */
static void test_installer_fetches_what_the_release_publishes(void **state)
{
    char *sh = src_read("ci/install.sh");
    char *wf = src_read("ci/github/workflows/release.yml");
    char *action = src_read("ci/github/action.yml");
    assert_contains(sh, "name=wsgate-$v-linux-x86_64\n");
    assert_contains(sh, "\"$base/$name.tar.gz\"");
    assert_contains(sh, "\"$base/$name.tar.gz.sha256\"");
    assert_contains(sh, "base=https://github.com/$WSGATE_REPO/releases/download/v$v\n");
    assert_contains(wf, "tags: [\"v*\"]");
    assert_contains(wf, "for f in wsgate_*_amd64.deb wsgate-*-linux-x86_64.tar.gz; do");
    assert_contains(wf, "sha256sum \"$f\" > \"$f.sha256\"");
    assert_contains(wf, "dist/*.sha256");
    /* the action runs it from its own checkout (ci/github/../install.sh) */
    assert_contains(action, "sh \"$GITHUB_ACTION_PATH/../install.sh\"");
    assert_contains(action, "WSGATE_VERSION: ${{ steps.how.outputs.version }}");
    free(sh);
    free(wf);
    free(action);
}

/* The GitLab template installs the release of the commit it comes from. */
static void test_gitlab_template_installs_this_version(void **state)
{
    char *version = run_capture("--version");
    version[strcspn(version, "\n")] = '\0';
    char want[96];
    snprintf(want, sizeof want, "WSGATE_VERSION: \"%s\"\n", version + strlen("wsgate "));
    char *gl = src_read("ci/gitlab/wsgate.gitlab-ci.yml");
    assert_contains(gl, want);
    free(gl);
    free(version);
}

int main(int argc, char **argv)
{
    g_bin = wsgate_bin(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dockerfile_stages),
        cmocka_unit_test(test_dockerfile_runs_as_non_root),
        cmocka_unit_test(test_dockerfile_installs_the_debs_dependencies),
        cmocka_unit_test(test_man_page_lists_every_command_and_option),
        cmocka_unit_test(test_man_page_version_is_the_binarys),
        cmocka_unit_test(test_release_workflow_builds_the_packages),
        cmocka_unit_test(test_k8s_runs_the_released_image),
        cmocka_unit_test(test_gitlab_template_carries_the_installer),
        cmocka_unit_test(test_installer_fetches_what_the_release_publishes),
        cmocka_unit_test(test_gitlab_template_installs_this_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
