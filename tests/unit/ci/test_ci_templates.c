/* Tests that keep ci/ and docs/ci.md true: every YAML file parses, every
 * `wsgate CMD ... --flag` they contain uses a flag that `wsgate --help`
 * (or `wsgate serve --help`) lists for that command, and the parts that must
 * agree do (the action's inputs, the indexed Job's shard total, the GitLab
 * jobs' extends/needs, paths that must exist).
 *
 * Usage: test_ci_templates [WSGATE_BINARY]; without it, $WSGATE_BIN, else
 * ../wsgate next to this test's own directory (the CMake build layout). */
#define _GNU_SOURCE /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "helpers.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

#define MAX_CMDS 12
#define MAX_FLAGS 40
#define FLAG_LEN 32
#define MAX_FILES 32
#define MAX_DOCS 8

static const char *g_bin; /* the wsgate binary under test */

/* ---- usage: the flags wsgate really has --------------------------------- */

typedef struct flagset {
    char cmd[FLAG_LEN]; /* "run", ...; "" for global flags (--help) */
    char flags[MAX_FLAGS][FLAG_LEN];
    size_t n;
} flagset_t;

typedef struct usage {
    flagset_t cmds[MAX_CMDS];
    size_t n;
} usage_t;

static usage_t g_usage;

static flagset_t *usage_cmd(usage_t *u, const char *cmd)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->cmds[i].cmd, cmd) == 0)
            return &u->cmds[i];
    if (u->n == MAX_CMDS)
        return NULL;
    flagset_t *f = &u->cmds[u->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->cmd, sizeof f->cmd, "%s", cmd);
    return f;
}

static int has_flag(const flagset_t *f, const char *flag)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->flags[i], flag) == 0)
            return 1;
    return 0;
}

static int flag_char(int c)
{
    return islower(c) || isdigit(c) || c == '-';
}

/* Length of the flag "--name" at s (0 when s is not one). */
static size_t flag_at(const char *s)
{
    if (s[0] != '-' || s[1] != '-' || !islower((unsigned char)s[2]))
        return 0;
    size_t n = 2;
    while (flag_char((unsigned char)s[n]))
        n++;
    return n;
}

/* Adds every --flag of line to f. */
static void add_flags(flagset_t *f, const char *line)
{
    for (const char *p = line; *p; p++) {
        size_t n = (p == line || !flag_char((unsigned char)p[-1])) ? flag_at(p) : 0;
        if (!n)
            continue;
        char flag[FLAG_LEN];
        snprintf(flag, sizeof flag, "%.*s", (int)n, p);
        if (!has_flag(f, flag) && f->n < MAX_FLAGS)
            snprintf(f->flags[f->n++], FLAG_LEN, "%s", flag);
        p += n - 1;
    }
}

/* Reads the synopsis of `wsgate --help`: "usage: wsgate CMD [--flag ...]"
 * and "       wsgate CMD ..." lines, and their "[--flag]" continuations. */
static void parse_synopsis(usage_t *u, char *help)
{
    flagset_t *cur = NULL;
    for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
        char *s = line + strspn(line, " \t");
        if (strncmp(s, "usage: ", 7) == 0)
            s += 7;
        if (strncmp(s, "wsgate ", 7) == 0) {
            char cmd[FLAG_LEN] = "";
            s += 7;
            if (!(s[0] == '-' && s[1] == '-'))
                sscanf(s, "%31[a-z]", cmd);
            cur = usage_cmd(u, cmd);
            add_flags(cur, s);
        } else if (cur && s[0] == '[') {
            add_flags(cur, s);
        } else {
            cur = NULL;
        }
    }
}

/* Output of `BIN ARGS` (malloc'd), or NULL. */
static char *run_capture(const char *args)
{
    char cmd[PATH_MAX + 64];
    if (strchr(g_bin, '\''))
        return NULL;
    int w = snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", g_bin, args);
    FILE *p = w > 0 && (size_t)w < sizeof cmd ? popen(cmd, "r") : NULL;
    if (!p)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while (m && (c = fgetc(p)) != EOF)
        fputc(c, m);
    if (m)
        fclose(m);
    int rc = pclose(p);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int load_usage(usage_t *u)
{
    char *help = run_capture("--help");
    char *serve = run_capture("serve --help");
    if (!help || !serve) {
        fprintf(stderr, "cannot run %s --help / serve --help\n", g_bin);
        free(help);
        free(serve);
        return -1;
    }
    memset(u, 0, sizeof *u);
    parse_synopsis(u, help);
    add_flags(usage_cmd(u, "serve"), serve);
    free(help);
    free(serve);
    return 0;
}

/* ---- problems: collected, then reported all at once ---------------------- */

typedef struct problems {
    char text[8192];
    size_t len;
    size_t n;
} problems_t;

__attribute__((format(printf, 2, 3))) static void problem(problems_t *pr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (pr->len < sizeof pr->text) {
        int w = vsnprintf(pr->text + pr->len, sizeof pr->text - pr->len, fmt, ap);
        pr->len += w > 0 ? (size_t)w : 0;
        if (pr->len < sizeof pr->text - 1) {
            pr->text[pr->len++] = '\n';
            pr->text[pr->len] = '\0';
        }
    }
    va_end(ap);
    pr->n++;
}

static void assert_no_problems(const problems_t *pr)
{
    if (pr->n)
        fail_msg("%zu problem(s):\n%s", pr->n, pr->text);
}

/* ---- the scanner: `wsgate CMD ... --flag` in any text -------------------- */

/* Where a shell command line ends: an unescaped newline, a backtick (Markdown
 * code span), ; & | ) or a " #" comment. */
static size_t command_extent(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == '\n') {
            i++;
            continue;
        }
        if (strchr("\n`;&|)", s[i]) || (s[i] == '#' && i > 0 && isspace((unsigned char)s[i - 1])))
            break;
    }
    return i;
}

/* Checks each --flag in the n bytes at s against cmd's flags. */
static void check_flags(const char *s, size_t n, const char *cmd, const char *where, problems_t *pr)
{
    const flagset_t *f = usage_cmd(&g_usage, cmd);
    for (size_t i = 0; i < n; i++) {
        size_t len = (i == 0 || !flag_char((unsigned char)s[i - 1])) ? flag_at(s + i) : 0;
        if (!len || i + len > n)
            continue;
        char flag[FLAG_LEN];
        snprintf(flag, sizeof flag, "%.*s", (int)len, s + i);
        if (!has_flag(f, flag))
            problem(pr, "%s: `wsgate %s` has no flag %s (see wsgate --help)", where,
                    *cmd ? cmd : "", flag);
        i += len - 1;
    }
}

static int word_boundary_before(const char *text, const char *p)
{
    if (p == text)
        return 1;
    int c = (unsigned char)p[-1];
    return !(isalnum(c) || c == '_' || c == '-' || c == '.');
}

static int is_command(const char *word)
{
    for (size_t i = 0; i < g_usage.n; i++)
        if (g_usage.cmds[i].cmd[0] && strcmp(g_usage.cmds[i].cmd, word) == 0)
            return 1;
    return 0;
}

/* Checks every `wsgate CMD ...` in text and returns how many there were.
 * shell: text is a script, where `wsgate WORD` must name a real command. */
static size_t check_text(const char *text, const char *where, int shell, problems_t *pr)
{
    size_t found = 0;
    for (const char *p = strstr(text, "wsgate"); p; p = strstr(p + 1, "wsgate")) {
        const char *s = p + 6;
        if (!word_boundary_before(text, p) || (*s != ' ' && *s != '\t'))
            continue;
        s += strspn(s, " \t");
        char word[FLAG_LEN] = "";
        if (s[0] == '-' && s[1] == '-') {
            check_flags(s, command_extent(s), "", where, pr);
            found++;
            continue;
        }
        if (sscanf(s, "%31[a-z]", word) != 1 || isalnum((unsigned char)s[strlen(word)]))
            continue;
        if (!is_command(word)) {
            if (shell && (s[strlen(word)] == ' ' || s[strlen(word)] == '\n' || !s[strlen(word)]))
                problem(pr, "%s: `wsgate %s` is not a wsgate command", where, word);
            continue;
        }
        s += strlen(word);
        check_flags(s, command_extent(s), word, where, pr);
        found++;
    }
    return found;
}

/* ---- files -------------------------------------------------------------- */

/* WSGATE_SOURCE_DIR/rel into path; -1 when it does not fit. */
static int src_path(char *path, size_t n, const char *rel)
{
    int w = snprintf(path, n, "%s/%s", WSGATE_SOURCE_DIR, rel);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int path_exists(const char *rel)
{
    char path[PATH_MAX];
    struct stat st;
    return src_path(path, sizeof path, rel) == 0 && stat(path, &st) == 0;
}

typedef struct yfile {
    char rel[256]; /* "ci/github/action.yml" */
    char *text;
    yaml_document_t docs[MAX_DOCS];
    size_t ndocs;
} yfile_t;

static yfile_t g_files[MAX_FILES];
static size_t g_nfiles;
static problems_t g_parse_errors; /* filled by setup */

static int is_yaml_name(const char *path)
{
    size_t n = strlen(path);
    return (n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(path + n - 5, ".yaml") == 0);
}

static int collect_yaml(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type != FTW_F || !is_yaml_name(path))
        return 0;
    if (g_nfiles == MAX_FILES)
        return 1;
    yfile_t *y = &g_files[g_nfiles++];
    snprintf(y->rel, sizeof y->rel, "%s", path + strlen(WSGATE_SOURCE_DIR) + 1);
    return 0;
}

/* Parses every document of y->text; returns 0, or -1 with the reason. */
static int parse_yaml(yfile_t *y, char *why, size_t whylen)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return -1;
    yaml_parser_set_input_string(&p, (const unsigned char *)y->text, strlen(y->text));
    int rc = 0;
    for (;;) {
        yaml_document_t d;
        if (!yaml_parser_load(&p, &d)) {
            snprintf(why, whylen, "%.300s:%zu:%zu: %.150s", y->rel, p.problem_mark.line + 1,
                     p.problem_mark.column + 1, p.problem ? p.problem : "parse error");
            rc = -1;
            break;
        }
        if (!yaml_document_get_root_node(&d)) {
            yaml_document_delete(&d);
            break;
        }
        if (y->ndocs == MAX_DOCS) {
            yaml_document_delete(&d);
            snprintf(why, whylen, "%.300s: more than %d documents", y->rel, MAX_DOCS);
            rc = -1;
            break;
        }
        y->docs[y->ndocs++] = d;
    }
    yaml_parser_delete(&p);
    return rc;
}

static yfile_t *find_file(const char *rel)
{
    for (size_t i = 0; i < g_nfiles; i++)
        if (strcmp(g_files[i].rel, rel) == 0 && g_files[i].ndocs > 0)
            return &g_files[i];
    fail_msg("%s is missing (or is not valid YAML)", rel);
    return NULL;
}

/* ---- YAML tree helpers --------------------------------------------------- */

static const char *yscalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *ymap_get(yaml_document_t *d, const yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yscalar(yaml_document_get_node(d, p->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

/* Follows a NULL-terminated list of keys from n. */
static yaml_node_t *yget(yaml_document_t *d, yaml_node_t *n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (const char *k = va_arg(ap, const char *); n && k; k = va_arg(ap, const char *))
        n = ymap_get(d, n, k);
    va_end(ap);
    return n;
}

static size_t yseq_len(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SEQUENCE_NODE)
        return 0;
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *yseq_at(yaml_document_t *d, const yaml_node_t *n, size_t i)
{
    return i < yseq_len(n) ? yaml_document_get_node(d, n->data.sequence.items.start[i]) : NULL;
}

/* ---- walking every scalar of a document ---------------------------------- */

typedef struct walk {
    const char *file;
    problems_t *pr;
    size_t commands; /* wsgate invocations seen */
} walk_t;

static int key_is(const char *key, const char *const *set)
{
    for (; key && *set; set++)
        if (strcmp(key, *set) == 0)
            return 1;
    return 0;
}

/* Values that hold only flags for one command (no "wsgate CMD" before). */
static const char *args_command(const char *key, int in_seq)
{
    static const char *const run_keys[] = { "WSGATE_ARGS", NULL };
    if (key && strcmp(key, "args") == 0 && !in_seq)
        return "run"; /* the action's `with: args:` */
    if (key_is(key, run_keys))
        return "run";
    if (key && strcmp(key, "WSGATE_MERGE_ARGS") == 0)
        return "merge";
    return NULL;
}

static void check_path_value(walk_t *w, const char *key, const char *v)
{
    static const char *const spec_keys[] = { "spec", "WSGATE_SPEC", NULL };
    if (key_is(key, spec_keys) && v[0] != '/' && !strchr(v, '$') && !path_exists(v))
        problem(w->pr, "%s: %s: %s does not exist in the repository", w->file, key, v);
    if (key && strcmp(key, "uses") == 0 && strncmp(v, "./", 2) == 0) {
        char rel[PATH_MAX];
        int n = snprintf(rel, sizeof rel, "%s/action.yml", v + 2);
        if (n < 0 || (size_t)n >= sizeof rel || !path_exists(rel))
            problem(w->pr, "%s: uses: %s has no action.yml", w->file, v);
    }
}

static void check_scalar(walk_t *w, const char *key, int in_seq, const char *v)
{
    static const char *const shell_keys[] = {
        "run", "script", "before_script", "after_script", "args", "command", NULL
    };
    char where[320];
    snprintf(where, sizeof where, "%s (%s)", w->file, key ? key : "value");
    w->commands += check_text(v, where, key_is(key, shell_keys), w->pr);
    const char *cmd = args_command(key, in_seq);
    if (cmd)
        check_flags(v, strlen(v), cmd, where, w->pr);
    check_path_value(w, key, v);
}

static void walk_node(walk_t *w, yaml_document_t *d, yaml_node_t *n, const char *key, int in_seq,
                      int depth)
{
    if (!n || depth > 64)
        return;
    if (n->type == YAML_SCALAR_NODE) {
        check_scalar(w, key, in_seq, yscalar(n));
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (size_t i = 0; i < yseq_len(n); i++)
            walk_node(w, d, yseq_at(d, n, i), key, 1, depth + 1);
    } else if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const char *k = yscalar(yaml_document_get_node(d, p->key));
            walk_node(w, d, yaml_document_get_node(d, p->value), k, 0, depth + 1);
        }
    }
}

/* ---- setup -------------------------------------------------------------- */

static int setup(void **state)
{
    if (load_usage(&g_usage) < 0)
        return -1;
    char root[PATH_MAX];
    if (src_path(root, sizeof root, "ci") < 0 || nftw(root, collect_yaml, 8, FTW_PHYS) != 0) {
        fprintf(stderr, "cannot list %s\n", root);
        return -1;
    }
    for (size_t i = 0; i < g_nfiles; i++) {
        char path[PATH_MAX];
        char why[512] = "";
        if (src_path(path, sizeof path, g_files[i].rel) < 0 || !(g_files[i].text = read_file(path)))
            return -1;
        if (parse_yaml(&g_files[i], why, sizeof why) < 0)
            problem(&g_parse_errors, "invalid YAML: %s", why);
    }
    return 0;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < g_nfiles; i++) {
        for (size_t k = 0; k < g_files[i].ndocs; k++)
            yaml_document_delete(&g_files[i].docs[k]);
        free(g_files[i].text);
    }
    return 0;
}

/* ---- tests: the usage parser and the scanner ----------------------------- */

static void test_usage_lists_the_commands_the_templates_use(void **state)
{
    assert_true(has_flag(usage_cmd(&g_usage, "run"), "--out"));
    assert_true(has_flag(usage_cmd(&g_usage, "run"), "--shard"));
    assert_true(has_flag(usage_cmd(&g_usage, "run"), "--start-at"));
    assert_true(has_flag(usage_cmd(&g_usage, "run"), "--baseline"));
    assert_true(has_flag(usage_cmd(&g_usage, "merge"), "--allow-partial"));
    assert_true(has_flag(usage_cmd(&g_usage, "merge"), "--out"));
    assert_false(has_flag(usage_cmd(&g_usage, "merge"), "--shard"));
    assert_true(has_flag(usage_cmd(&g_usage, "report"), "--format"));
    assert_true(has_flag(usage_cmd(&g_usage, "serve"), "--port"));
    assert_true(has_flag(usage_cmd(&g_usage, ""), "--version"));
    assert_true(is_command("validate"));
}

typedef struct scan_case {
    const char *text;
    int shell;
    size_t commands;
    const char *problem; /* NULL: none; else a word the message has */
} scan_case_t;

static const scan_case_t scan_cases[] = {
    { "wsgate run s.yaml --out d --shard 1/2", 1, 1, NULL },
    { "wsgate run s.yaml --out d --bogus-flag", 1, 1, "--bogus-flag" },
    { "wsgate merge a.json --shard 1/2", 1, 1, "--shard" },
    { "wsgate run s.yaml \\\n  --nope", 1, 1, "--nope" },
    { "wsgate run s.yaml --out d\necho --nope", 1, 1, NULL },
    { "x=`wsgate report r.json --format md` --nope", 0, 1, NULL },
    { "./build/wsgate run s.yaml ${B:+--baselin \"$B\"}", 1, 1, "--baselin" },
    { "wsgate frobnicate s.yaml", 1, 0, "frobnicate" },
    { "the wsgate spec runs", 0, 0, NULL },
    { "wsgate --verbose", 1, 1, "--verbose" },
    { "wsgate-out/shard-1 wsgate's run", 1, 0, NULL },
    { "wsgate serve --port 0 --tls", 1, 1, NULL },
};

/* A template using a flag wsgate does not have would be caught. */
static void test_scanner_catches_unknown_flags(void **state)
{
    for (size_t i = 0; i < sizeof scan_cases / sizeof scan_cases[0]; i++) {
        const scan_case_t *c = &scan_cases[i];
        problems_t pr = { .len = 0 };
        size_t n = check_text(c->text, "case", c->shell, &pr);
        if (n != c->commands)
            fail_msg("\"%s\": %zu commands, want %zu", c->text, n, c->commands);
        if (!c->problem && pr.n)
            fail_msg("\"%s\": unexpected problem %s", c->text, pr.text);
        if (c->problem && (pr.n != 1 || !strstr(pr.text, c->problem)))
            fail_msg("\"%s\": want one problem naming %s, got %zu: %s", c->text, c->problem, pr.n,
                     pr.text);
    }
}

/* ---- tests: the templates ------------------------------------------------ */

static void test_every_yaml_file_parses(void **state)
{
    static const char *const expected[] = {
        "ci/github/action.yml",
        "ci/github/workflows/pr-baseline.yml",
        "ci/github/workflows/sharded.yml",
        "ci/github/workflows/release.yml",
        "ci/gitlab/wsgate.gitlab-ci.yml",
        "ci/gitlab/sharded.gitlab-ci.yml",
        "ci/k8s/indexed-job.yaml",
    };
    assert_no_problems(&g_parse_errors);
    for (size_t i = 0; i < g_nfiles; i++)
        assert_true(g_files[i].ndocs >= 1);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        find_file(expected[i]);
    assert_int_equal(find_file("ci/k8s/indexed-job.yaml")->ndocs, 3);
}

/* Commands in YAML values (scripts, folded lines joined) and in the raw text
 * (comments) must use real flags; so must docs/ci.md. */
static void test_commands_use_real_flags(void **state)
{
    problems_t pr = { .len = 0 };
    size_t in_values = 0, in_text = 0;
    for (size_t i = 0; i < g_nfiles; i++) {
        walk_t w = { g_files[i].rel, &pr, 0 };
        for (size_t k = 0; k < g_files[i].ndocs; k++)
            walk_node(&w, &g_files[i].docs[k], yaml_document_get_root_node(&g_files[i].docs[k]),
                      NULL, 0, 0);
        in_values += w.commands;
        in_text += check_text(g_files[i].text, g_files[i].rel, 0, &pr);
    }
    char path[PATH_MAX];
    char *doc = src_path(path, sizeof path, "docs/ci.md") == 0 ? read_file(path) : NULL;
    assert_non_null(doc);
    size_t in_doc = check_text(doc, "docs/ci.md", 0, &pr);
    free(doc);
    assert_no_problems(&pr);
    /* The scanner saw the commands, so the check above was not vacuous. */
    assert_true(in_values >= 5);
    assert_true(in_text >= in_values);
    assert_true(in_doc >= 3);
}

/* Every input the action reads is declared, and the brief's inputs exist. */
static void test_action_inputs_and_steps(void **state)
{
    yfile_t *y = find_file("ci/github/action.yml");
    yaml_document_t *d = &y->docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    assert_string_equal(yscalar(yget(d, root, "runs", "using", NULL)), "composite");
    static const char *const inputs[] = { "spec", "target", "baseline",
                                          "out",  "args",   "comment-on-pr" };
    yaml_node_t *in = yget(d, root, "inputs", NULL);
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (!ymap_get(d, in, inputs[i]))
            fail_msg("action.yml: input %s missing", inputs[i]);
    assert_string_equal(yscalar(yget(d, in, "spec", "required", NULL)), "true");

    problems_t pr = { .len = 0 };
    for (const char *p = strstr(y->text, "inputs."); p; p = strstr(p + 1, "inputs.")) {
        char name[FLAG_LEN] = "";
        if (sscanf(p + 7, "%31[a-z0-9_-]", name) == 1 && !ymap_get(d, in, name))
            problem(&pr, "action.yml: inputs.%s is not declared", name);
    }
    /* GitHub rejects a composite `run` step without `shell`. */
    yaml_node_t *steps = yget(d, root, "runs", "steps", NULL);
    assert_true(yseq_len(steps) >= 5);
    for (size_t i = 0; i < yseq_len(steps); i++) {
        yaml_node_t *s = yseq_at(d, steps, i);
        if (ymap_get(d, s, "run") && !ymap_get(d, s, "shell"))
            problem(&pr, "action.yml: step %zu has run but no shell", i + 1);
    }
    assert_no_problems(&pr);
    /* The pull request comment: one, found by its marker, linking the
     * uploaded reports (the upload step's output), skipped for forks. */
    assert_non_null(strstr(y->text, "marker='<!-- wsgate-report -->'"));
    assert_non_null(strstr(y->text, "steps.upload.outputs.artifact-url"));
    assert_non_null(strstr(y->text, "github.event.pull_request.head.repo.full_name"));
}

/* In every workflow, each job's needs names a job of that workflow. */
static void test_workflow_needs_name_jobs(void **state)
{
    static const char *const files[] = { "ci/github/workflows/pr-baseline.yml",
                                         "ci/github/workflows/sharded.yml" };
    problems_t pr = { .len = 0 };
    for (size_t f = 0; f < 2; f++) {
        yaml_document_t *d = &find_file(files[f])->docs[0];
        yaml_node_t *jobs = yget(d, yaml_document_get_root_node(d), "jobs", NULL);
        assert_non_null(jobs);
        for (yaml_node_pair_t *p = jobs->data.mapping.pairs.start; p < jobs->data.mapping.pairs.top;
             p++) {
            yaml_node_t *needs = ymap_get(d, yaml_document_get_node(d, p->value), "needs");
            const char *one = yscalar(needs);
            for (size_t i = 0; one || i < yseq_len(needs); i++) {
                const char *name = one ? one : yscalar(yseq_at(d, needs, i));
                if (!name || !ymap_get(d, jobs, name))
                    problem(&pr, "%s: needs %s, which is not a job", files[f], name ? name : "?");
                if (one)
                    break;
            }
        }
    }
    assert_no_problems(&pr);
    yaml_document_t *d = &find_file("ci/github/workflows/sharded.yml")->docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    assert_true(yseq_len(yget(d, root, "jobs", "shard", "strategy", "matrix", "shard", NULL)) >= 2);
    assert_string_equal(yscalar(yget(d, root, "jobs", "merge", "needs", NULL)), "shard");
}

/* Appends to pr each job of a GitHub workflow that runs `wsgate merge` and
 * builds wsgate: merging needs only the binary, the release tarball the
 * shards ran (ci/install.sh). Returns how many such jobs there are. */
static size_t check_merge_jobs(const char *rel, yaml_document_t *d, problems_t *pr)
{
    yaml_node_t *jobs = yget(d, yaml_document_get_root_node(d), "jobs", NULL);
    size_t merges = 0;
    for (yaml_node_pair_t *p = jobs ? jobs->data.mapping.pairs.start : NULL;
         p && p < jobs->data.mapping.pairs.top; p++) {
        const char *name = yscalar(yaml_document_get_node(d, p->key));
        yaml_node_t *steps = ymap_get(d, yaml_document_get_node(d, p->value), "steps");
        bool merging = false, installs = false;
        for (size_t i = 0; i < yseq_len(steps); i++) {
            const char *run = yscalar(ymap_get(d, yseq_at(d, steps, i), "run"));
            merging |= run && strstr(run, "wsgate merge");
        }
        if (!merging)
            continue;
        merges++;
        for (size_t i = 0; i < yseq_len(steps); i++) {
            yaml_node_t *st = yseq_at(d, steps, i);
            const char *run = yscalar(ymap_get(d, st, "run"));
            const char *uses = yscalar(ymap_get(d, st, "uses"));
            const char *build = yscalar(yget(d, st, "with", "build", NULL));
            if (run && (strstr(run, "setup.sh") || strstr(run, "cmake") || strstr(run, "make ")))
                problem(pr,
                        "%s: job %s merges but builds wsgate (%.60s): install the release "
                        "(ci/install.sh) like the shards",
                        rel, name, run);
            if (uses && strstr(uses, "ci/github") && build && strcmp(build, "true") == 0)
                problem(pr, "%s: job %s merges but builds wsgate (the action's build: true)", rel,
                        name);
            installs |= run && strstr(run, "ci/install.sh");
        }
        if (!installs)
            problem(pr, "%s: job %s merges without installing wsgate with ci/install.sh", rel,
                    name);
    }
    return merges;
}

/* The merge job of sharded.yml installs the release the shards install
 * (the workflow's WSGATE_VERSION) and builds nothing; the check fails on
 * the merge job that built wsgate with ./setup.sh build. */
static void test_merge_job_installs_not_builds(void **state)
{
    static const char *const files[] = { "ci/github/workflows/pr-baseline.yml",
                                         "ci/github/workflows/sharded.yml" };
    problems_t pr = { .len = 0 };
    size_t merges = 0;
    for (size_t f = 0; f < 2; f++)
        merges += check_merge_jobs(files[f], &find_file(files[f])->docs[0], &pr);
    assert_no_problems(&pr);
    assert_int_equal(merges, 1);

    yaml_document_t *d = &find_file("ci/github/workflows/sharded.yml")->docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    const char *version = yscalar(yget(d, root, "env", "WSGATE_VERSION", NULL));
    assert_non_null(version);
    assert_true(version[0] >= '0' && version[0] <= '9');
    yaml_node_t *steps = yget(d, root, "jobs", "shard", "steps", NULL);
    size_t pinned = 0;
    for (size_t i = 0; i < yseq_len(steps); i++) {
        yaml_node_t *st = yseq_at(d, steps, i);
        const char *uses = yscalar(ymap_get(d, st, "uses"));
        if (uses && strstr(uses, "ci/github")) {
            assert_string_equal(yscalar(yget(d, st, "with", "version", NULL)),
                                "${{ env.WSGATE_VERSION }}");
            pinned++;
        }
    }
    assert_int_equal(pinned, 1);

    yfile_t old = { .rel = "old.yml",
                    .text = "jobs:\n"
                            "  merge:\n"
                            "    steps:\n"
                            "      - name: Install and build wsgate\n"
                            "        run: |\n"
                            "          ./setup.sh build\n"
                            "          echo \"$PWD/build\" >> \"$GITHUB_PATH\"\n"
                            "      - run: wsgate merge shards/*/result.json --out merged\n" };
    char why[256];
    assert_int_equal(parse_yaml(&old, why, sizeof why), 0);
    problems_t bad = { .len = 0 };
    assert_int_equal(check_merge_jobs(old.rel, &old.docs[0], &bad), 1);
    assert_int_equal(bad.n, 2); /* it builds, and installs no release */
    assert_contains(bad.text, "old.yml: job merge merges but builds wsgate");
    yaml_document_delete(&old.docs[0]);
}

/* Looks up a GitLab job in file y or in the files it includes locally. */
static yaml_node_t *gitlab_job(yfile_t *y, const char *name, yaml_document_t **in)
{
    yaml_document_t *d = &y->docs[0];
    yaml_node_t *job = ymap_get(d, yaml_document_get_root_node(d), name);
    if (job) {
        *in = d;
        return job;
    }
    yaml_node_t *inc = ymap_get(d, yaml_document_get_root_node(d), "include");
    for (size_t i = 0; i < yseq_len(inc); i++) {
        const char *local = yscalar(ymap_get(d, yseq_at(d, inc, i), "local"));
        if (local && strcmp(local, y->rel) != 0 && (job = gitlab_job(find_file(local), name, in)))
            return job;
    }
    return NULL;
}

/* Every extends names a job that exists (in the file or what it includes). */
static void check_extends(yfile_t *y, problems_t *pr)
{
    yaml_document_t *d = &y->docs[0];
    yaml_node_t *root = yaml_document_get_root_node(d);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *ext = yscalar(ymap_get(d, yaml_document_get_node(d, p->value), "extends"));
        yaml_document_t *in;
        if (ext && !gitlab_job(y, ext, &in))
            problem(pr, "%s: extends %s, which is not defined", y->rel, ext);
    }
}

static void test_gitlab_jobs(void **state)
{
    problems_t pr = { .len = 0 };
    static const char *const files[] = { "ci/gitlab/wsgate.gitlab-ci.yml",
                                         "ci/gitlab/sharded.gitlab-ci.yml",
                                         "ci/gitlab/example.gitlab-ci.yml" };
    for (size_t i = 0; i < 3; i++)
        check_extends(find_file(files[i]), &pr);
    assert_no_problems(&pr);

    yfile_t *tpl = find_file("ci/gitlab/wsgate.gitlab-ci.yml");
    yaml_document_t *d;
    yaml_node_t *job = gitlab_job(tpl, ".wsgate", &d);
    assert_non_null(job);
    yaml_node_t *junit = yget(d, job, "artifacts", "reports", "junit", NULL);
    assert_string_equal(yscalar(yseq_at(d, junit, 0)), "wsgate-out/junit.xml");
    /* the load performance widget's file, which the run script writes */
    const char *perf = yscalar(yget(d, job, "artifacts", "reports", "load_performance", NULL));
    assert_non_null(perf);
    assert_string_equal(perf, "wsgate-out/load-performance.json");
    yaml_node_t *run = gitlab_job(tpl, ".wsgate-run", &d);
    const char *script = yscalar(yseq_at(d, yget(d, run, "script", NULL), 0));
    assert_non_null(script);
    assert_contains(script, "--format gitlab-load-performance >\"$out/load-performance.json\"");

    yfile_t *sh = find_file("ci/gitlab/sharded.gitlab-ci.yml");
    yaml_document_t *sd = &sh->docs[0];
    yaml_node_t *shard = gitlab_job(sh, "load-test:shard", &d);
    yaml_node_t *merge = gitlab_job(sh, "load-test:merge", &d);
    assert_non_null(shard);
    assert_non_null(merge);
    assert_true(atoi(yscalar(ymap_get(sd, shard, "parallel"))) >= 2);
    const char *needed = yscalar(ymap_get(sd, yseq_at(sd, ymap_get(sd, merge, "needs"), 0), "job"));
    assert_non_null(needed);
    assert_string_equal(needed, "load-test:shard");
}

/* Value of env var name in a container, or NULL. */
static const char *container_env(yaml_document_t *d, yaml_node_t *container, const char *name)
{
    yaml_node_t *env = ymap_get(d, container, "env");
    for (size_t i = 0; i < yseq_len(env); i++) {
        yaml_node_t *e = yseq_at(d, env, i);
        const char *n = yscalar(ymap_get(d, e, "name"));
        if (n && strcmp(n, name) == 0)
            return yscalar(ymap_get(d, e, "value"));
    }
    return NULL;
}

/* completions == parallelism == WSGATE_SHARD_TOTAL in every container of
 * every Job: a mismatch would run the wrong slices. */
static void test_k8s_shard_totals_agree(void **state)
{
    yfile_t *y = find_file("ci/k8s/indexed-job.yaml");
    const char *completions = NULL;
    size_t indexed = 0, checked = 0;
    problems_t pr = { .len = 0 };
    for (size_t k = 0; k < y->ndocs; k++) {
        yaml_document_t *d = &y->docs[k];
        yaml_node_t *spec = yget(d, yaml_document_get_root_node(d), "spec", NULL);
        const char *mode = yscalar(ymap_get(d, spec, "completionMode"));
        if (mode && strcmp(mode, "Indexed") == 0) {
            indexed++;
            completions = yscalar(ymap_get(d, spec, "completions"));
            assert_non_null(completions);
            assert_string_equal(yscalar(ymap_get(d, spec, "parallelism")), completions);
        }
    }
    assert_int_equal(indexed, 1);
    for (size_t k = 0; k < y->ndocs; k++) {
        yaml_document_t *d = &y->docs[k];
        yaml_node_t *cs =
            yget(d, yaml_document_get_root_node(d), "spec", "template", "spec", "containers", NULL);
        for (size_t i = 0; i < yseq_len(cs); i++) {
            const char *total = container_env(d, yseq_at(d, cs, i), "WSGATE_SHARD_TOTAL");
            checked++;
            if (!total || strcmp(total, completions) != 0)
                problem(&pr, "indexed-job.yaml: document %zu: WSGATE_SHARD_TOTAL %s, want %s",
                        k + 1, total ? total : "unset", completions);
        }
    }
    assert_no_problems(&pr);
    assert_int_equal(checked, 2); /* shard and merge containers */
}

/* Every relative link of docs/ci.md points at a file of the repository. */
static void test_doc_links_exist(void **state)
{
    char path[PATH_MAX];
    char *doc = src_path(path, sizeof path, "docs/ci.md") == 0 ? read_file(path) : NULL;
    assert_non_null(doc);
    problems_t pr = { .len = 0 };
    size_t links = 0;
    for (const char *p = strstr(doc, "](../"); p; p = strstr(p + 1, "](../")) {
        char rel[256] = "";
        if (sscanf(p + 5, "%255[^)#]", rel) != 1)
            continue;
        links++;
        if (!path_exists(rel))
            problem(&pr, "docs/ci.md links to %s, which does not exist", rel);
    }
    free(doc);
    assert_no_problems(&pr);
    assert_true(links >= 6);
}

/* ---- the Kubernetes template's commands, run here ------------------------- */

/* The first args item of the first container of the Job in document k. */
static const char *k8s_script(yfile_t *y, size_t k)
{
    yaml_document_t *d = &y->docs[k];
    yaml_node_t *cs =
        yget(d, yaml_document_get_root_node(d), "spec", "template", "spec", "containers", NULL);
    const char *s = yscalar(yseq_at(d, ymap_get(d, yseq_at(d, cs, 0), "args"), 0));
    if (!s)
        fail_msg("indexed-job.yaml: document %zu has no container args", k + 1);
    return s;
}

/* Runs `sh -c script` with exactly the environment env (NULL-terminated),
 * stdout and stderr into errfile; returns its exit status. */
static int run_sh(const char *script, char *const env[], const char *errfile)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0 && (dup2(fd, 1) < 0 || dup2(fd, 2) < 0))
            _exit(126);
        execle("/bin/sh", "sh", "-c", script, (char *)NULL, env);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

typedef struct k8s_env {
    char vars[8][PATH_MAX + 32];
    char *env[9];
    size_t n;
} k8s_env_t;

__attribute__((format(printf, 2, 3))) static void env_set(k8s_env_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->vars[e->n], sizeof e->vars[0], fmt, ap);
    va_end(ap);
    e->env[e->n] = e->vars[e->n];
    e->env[++e->n] = NULL;
}

static const char k8s_spec[] = "version: 1\n"
                               "name: k8s-local\n"
                               "target: embedded\n"
                               "load: {users: 4, ramp_up: 1s, duration: 2s}\n"
                               "scenarios:\n"
                               "  - name: chatter\n"
                               "    connect: {url: \"{{target}}/ws/chat?token=t{{vu.id}}\"}\n"
                               "    tasks:\n"
                               "      - name: ping\n"
                               "        pause: 200ms\n"
                               "        send: '{\"action\":\"publish\",\"channel\":\"c\","
                               "\"message\":{\"id\":\"x\"}}'\n"
                               "        expect: {match: 'type == \"message_ack\"', timeout: 2s}\n"
                               "assertions:\n"
                               "  - connect.success_rate == 100%\n";

/* Rendered as `envsubst` would at apply time, the shard command of each
 * index runs a slice (wsgate numbers them 1..N from JOB_COMPLETION_INDEX
 * 0..N-1) into shard-1..shard-N, and the merge command merges exactly
 * those; with a shard missing it names it and exits 2 after its timeout. */
static void test_k8s_commands_run_locally(void **state)
{
    yfile_t *y = find_file("ci/k8s/indexed-job.yaml");
    const char *shard = k8s_script(y, 1), *merge = k8s_script(y, 2);
    char dir[PATH_MAX], path[PATH_MAX + 64], bindir[PATH_MAX];
    make_tmpdir(dir, sizeof dir, "k8s");
    snprintf(path, sizeof path, "%s/spec.yaml", dir);
    write_file(path, k8s_spec);
    assert_non_null(realpath(g_bin, bindir));
    *strrchr(bindir, '/') = '\0';
    long start_at = (long)time(NULL) + 2;

    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        k8s_env_t e = { .n = 0 };
        env_set(&e, "PATH=%s:/usr/bin:/bin", bindir);
        env_set(&e, "JOB_COMPLETION_INDEX=%d", k);
        env_set(&e, "WSGATE_SHARD_TOTAL=2");
        env_set(&e, "WSGATE_START_AT=%ld", start_at);
        env_set(&e, "WSGATE_SPEC=%s/spec.yaml", dir);
        env_set(&e, "WSGATE_RESULTS=%s", dir);
        char err[PATH_MAX + 32];
        snprintf(err, sizeof err, "%s/shard%d.err", dir, k);
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0)
            _exit(run_sh(shard, e.env, err));
    }
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("shard command of index %d failed (see %s/shard%d.err)", k, dir, k);
    }
    static const char *const want[] = { "shard-1/result.json", "shard-2/result.json" };
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, want[k]);
        if (access(path, F_OK) != 0)
            fail_msg("the shard commands wrote no %s", path);
    }
    snprintf(path, sizeof path, "%s/shard-0", dir);
    assert_int_not_equal(access(path, F_OK), 0);

    for (int total = 2; total <= 3; total++) {
        k8s_env_t e = { .n = 0 };
        env_set(&e, "PATH=%s:/usr/bin:/bin", bindir);
        env_set(&e, "WSGATE_SHARD_TOTAL=%d", total);
        env_set(&e, "WSGATE_RESULTS=%s", dir);
        env_set(&e, "WSGATE_MERGE_TIMEOUT=1");
        env_set(&e, "WSGATE_MERGE_POLL=1");
        snprintf(path, sizeof path, "%s/merge%d.err", dir, total);
        int rc = run_sh(merge, e.env, path);
        char *err = read_whole(path);
        if (total == 2 && rc != 0)
            fail_msg("merge of 2 shards exited %d: %s", rc, err);
        if (total == 3 && (rc != 2 || !strstr(err, "shard(s) 3 of 3")))
            fail_msg("merge with shard 3 missing exited %d: %s", rc, err);
        free(err);
    }
    snprintf(path, sizeof path, "%s/merged/result.json", dir);
    assert_int_equal(access(path, F_OK), 0);
    rm_tree(dir);
}

/* Applied without envsubst, every pod computes the same start: the next
 * whole minute at least 30 s away (a fake wsgate shows what it got). */
static void test_k8s_start_time_without_envsubst(void **state)
{
    const char *shard = k8s_script(find_file("ci/k8s/indexed-job.yaml"), 1);
    char dir[PATH_MAX], path[PATH_MAX + 32];
    make_tmpdir(dir, sizeof dir, "k8s-start");
    snprintf(path, sizeof path, "%s/wsgate", dir);
    write_file(path, "#!/bin/sh\necho \"$WSGATE_START_AT\" > \"$WSGATE_RESULTS/start_at\"\n");
    assert_int_equal(chmod(path, 0755), 0);
    k8s_env_t e = { .n = 0 };
    env_set(&e, "PATH=%s:/usr/bin:/bin", dir);
    env_set(&e, "JOB_COMPLETION_INDEX=0");
    env_set(&e, "WSGATE_START_AT=${WSGATE_START_AT}"); /* as the file holds it */
    env_set(&e, "WSGATE_RESULTS=%s", dir);
    long now = (long)time(NULL);
    snprintf(path, sizeof path, "%s/err", dir);
    assert_int_equal(run_sh(shard, e.env, path), 0);
    snprintf(path, sizeof path, "%s/start_at", dir);
    char *got = read_whole(path);
    long at = atol(got);
    if (at % 60 != 0 || at < now + 30 || at > now + 91)
        fail_msg("start %s is not the next whole minute 30 s after %ld", got, now);
    free(got);
    rm_tree(dir);
}

int main(int argc, char **argv)
{
    g_bin = wsgate_bin(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_lists_the_commands_the_templates_use),
        cmocka_unit_test(test_scanner_catches_unknown_flags),
        cmocka_unit_test(test_every_yaml_file_parses),
        cmocka_unit_test(test_commands_use_real_flags),
        cmocka_unit_test(test_action_inputs_and_steps),
        cmocka_unit_test(test_workflow_needs_name_jobs),
        cmocka_unit_test(test_merge_job_installs_not_builds),
        cmocka_unit_test(test_gitlab_jobs),
        cmocka_unit_test(test_k8s_shard_totals_agree),
        cmocka_unit_test(test_k8s_commands_run_locally),
        cmocka_unit_test(test_k8s_start_time_without_envsubst),
        cmocka_unit_test(test_doc_links_exist),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
