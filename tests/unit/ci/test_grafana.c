/* Tests that docs/grafana/wsgate.json watches what wsgate serves: every
 * metric name in its PromQL (panel targets and template queries) is one
 * that a real scrape of `wsgate run --metrics-listen` returns, every
 * family of the scrape is on some panel, the latency panel asks for p50,
 * p95 and p99 through histogram_quantile, and every query reads the
 * templated datasource and the spec/shard/region selection.
 *
 * Usage: test_grafana [WSGATE_BINARY]; without it, $WSGATE_BIN, else
 * ../wsgate next to this test's own directory (the CMake build layout). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "helpers.h"

#ifndef WSGATE_SOURCE_DIR
#define WSGATE_SOURCE_DIR "."
#endif

#define SELECTION "wsgate_run_info{spec=~\"$spec\", shard=~\"$shard\", region=~\"$region\"}"

static const char *g_bin;
static char *g_scrape; /* the /metrics text of a real run */

/* ---- a real scrape ----------------------------------------------------------- */

/* GET /metrics from 127.0.0.1:port; the body, or NULL (caller frees). */
static char *http_get_metrics(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    char chunk[4096];
    for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) > 0;)
        fwrite(chunk, 1, (size_t)n, m);
    fclose(m);
    close(fd);
    char *body = strstr(buf, "\r\n\r\n");
    char *out = body ? xstrdup(body + 4) : NULL;
    free(buf);
    return out;
}

/* Runs a 3 s load on the embedded server with --metrics-listen on a free
 * port and scrapes it once a second has closed (the steps appear then). */
static int scrape_setup(void **state)
{
    (void)state;
    char dir[256], spec[512], cmd[2048], line[512];
    make_tmpdir(dir, sizeof dir, "grafana");
    snprintf(spec, sizeof spec, "%s/watched.yaml", dir);
    write_file(spec, "version: 1\n"
                     "name: watched\n"
                     "target: embedded\n"
                     "load: {users: 2, duration: 3s}\n"
                     "scenarios:\n"
                     "  - name: chatter\n"
                     "    connect: {url: \"{{target}}/ws/chat?token=t{{vu.id}}\"}\n"
                     "    tasks:\n"
                     "      - name: ping\n"
                     "        pause: 100ms\n"
                     "        send: '{\"action\":\"ping\"}'\n"
                     "        expect: {match: 'type == \"pong\"', timeout: 2s}\n");
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --metrics-listen 127.0.0.1:0 --quiet 2>&1 >/dev/null",
             g_bin, spec);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int port = 0;
    while (!port && fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "metrics on http://127.0.0.1:");
        if (at)
            port = atoi(at + strlen("metrics on http://127.0.0.1:"));
    }
    for (int tries = 0; port && tries < 20; tries++) {
        usleep(250000);
        free(g_scrape);
        g_scrape = http_get_metrics(port);
        if (g_scrape && strstr(g_scrape, "wsgate_step_latency_seconds_bucket{step=\"ping\""))
            break;
    }
    while (fgets(line, sizeof line, p))
        ;
    int rc = pclose(p);
    rm_tree(dir);
    if (!port || rc != 0 || !g_scrape || !strstr(g_scrape, "wsgate_step_latency_seconds_bucket"))
        fail_msg("no scrape with steps from %s (exit %d): %.500s", cmd, rc,
                 g_scrape ? g_scrape : "(nothing)");
    return 0;
}

static int scrape_teardown(void **state)
{
    (void)state;
    free(g_scrape);
    return 0;
}

/* True when the scrape has a sample of the metric name. */
static bool scraped(const char *name)
{
    size_t n = strlen(name);
    for (const char *l = g_scrape; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, n) == 0 && (l[n] == '{' || l[n] == ' '))
            return true;
    return false;
}

/* ---- the dashboard -------------------------------------------------------------- */

#define MAX_QUERIES 128

typedef struct queries {
    const char *q[MAX_QUERIES];
    size_t n;
} queries_t;

/* Every PromQL text under node: targets' expr, variables' definition and
 * query (borrowed from the cJSON tree). */
static void collect(const cJSON *node, queries_t *qs)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, node)
    {
        if (cJSON_IsString(it) && it->string &&
            (strcmp(it->string, "expr") == 0 || strcmp(it->string, "definition") == 0 ||
             strcmp(it->string, "query") == 0)) {
            assert_true(qs->n < MAX_QUERIES);
            qs->q[qs->n++] = it->valuestring;
        }
        if (cJSON_IsObject(it) || cJSON_IsArray(it))
            collect(it, qs);
    }
}

static cJSON *dashboard(void)
{
    char *text = read_whole(WSGATE_SOURCE_DIR "/docs/grafana/wsgate.json");
    const char *end = NULL; /* where the parse stopped (not cJSON's global) */
    cJSON *d = cJSON_ParseWithOpts(text, &end, 1);
    if (!d)
        fail_msg("docs/grafana/wsgate.json is not JSON near: %.40s", end ? end : "?");
    free(text);
    return d;
}

static void every_metric_is_served(void **state)
{
    (void)state;
    cJSON *d = dashboard();
    queries_t qs = { .n = 0 };
    collect(d, &qs);
    size_t names = 0;
    for (size_t i = 0; i < qs.n; i++) {
        for (const char *p = strstr(qs.q[i], "wsgate_"); p; p = strstr(p + 1, "wsgate_")) {
            if (p > qs.q[i] && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
                continue;
            char name[128];
            size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            if (!scraped(name))
                fail_msg("docs/grafana/wsgate.json uses %s, which /metrics does not serve: %s",
                         name, qs.q[i]);
            names++;
        }
    }
    assert_true(names >= 20);
    cJSON_Delete(d);
}

static void every_served_family_is_shown(void **state)
{
    (void)state;
    cJSON *d = dashboard();
    queries_t qs = { .n = 0 };
    collect(d, &qs);
    size_t families = 0;
    for (const char *l = g_scrape; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l == '#' || *l == '\n')
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(l, "{ \n"), l);
        bool used = false;
        for (size_t i = 0; i < qs.n && !used; i++) {
            const char *p = strstr(qs.q[i], name);
            used = p && !isalnum((unsigned char)p[strlen(name)]) && p[strlen(name)] != '_';
        }
        if (!used)
            fail_msg("/metrics serves %s, which no panel of docs/grafana/wsgate.json shows", name);
        families++;
    }
    assert_true(families >= 10);
    cJSON_Delete(d);
}

static void panels_read_the_selection(void **state)
{
    (void)state;
    cJSON *d = dashboard();
    const char *want_q[] = { "histogram_quantile(0.5,", "histogram_quantile(0.95,",
                             "histogram_quantile(0.99," };
    bool seen_q[3] = { false, false, false };
    const cJSON *panels = cJSON_GetObjectItemCaseSensitive(d, "panels"), *p;
    size_t targets = 0;
    cJSON_ArrayForEach(p, panels)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "row") == 0)
            continue;
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(p, "datasource"), *t;
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(ds, "uid");
        assert_true(cJSON_IsString(uid));
        assert_string_equal(uid->valuestring, "${datasource}");
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(p, "targets"))
        {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(t, "expr");
            assert_true(cJSON_IsString(e));
            assert_contains(e->valuestring, SELECTION);
            for (int i = 0; i < 3; i++)
                seen_q[i] |= strstr(e->valuestring, want_q[i]) != NULL;
            targets++;
        }
    }
    assert_true(targets >= 15);
    for (int i = 0; i < 3; i++)
        if (!seen_q[i])
            fail_msg("no panel asks for %s", want_q[i]);
    const char *vars[] = { "datasource", "spec", "shard", "region" };
    char *text = cJSON_Print(cJSON_GetObjectItemCaseSensitive(d, "templating"));
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "\"name\":\t\"%s\"", vars[i]);
        assert_contains(text, key);
    }
    free(text);
    cJSON_Delete(d);
}

int main(int argc, char **argv)
{
    g_bin = wsgate_bin(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_metric_is_served),
        cmocka_unit_test(every_served_family_is_shown),
        cmocka_unit_test(panels_read_the_selection),
    };
    return cmocka_run_group_tests(tests, scrape_setup, scrape_teardown);
}
