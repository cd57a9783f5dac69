/* run_args: the command line of `wsgate run`. */
#include "cli/run_args.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

/* Flags of `run` that take a string value, and where each goes. */
static const char **string_flag(run_args_t *a, const char *arg)
{
    static const struct {
        const char *flag;
        size_t offset;
    } flags[] = {
        { "--target", offsetof(run_args_t, target) },
        { "--out", offsetof(run_args_t, out_dir) },
        { "--baseline", offsetof(run_args_t, baseline) },
        { "--shard", offsetof(run_args_t, shard) },
        { "--region", offsetof(run_args_t, region) },
        { "--start-at", offsetof(run_args_t, start_at) },
        { "--source-addrs", offsetof(run_args_t, source_addrs) },
        { "--live", offsetof(run_args_t, live) },
        { "--metrics-listen", offsetof(run_args_t, metrics_listen) },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strcmp(arg, flags[i].flag) == 0)
            return (const char **)((char *)a + flags[i].offset);
    return guard_flag(&a->guard, arg);
}

/* A decimal number from 0 to max; 0, or -1 for anything else (NULL too). */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s)) /* strtoull would take " 5", "+5" and "-5" */
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

int run_args_parse(int argc, char **argv, run_args_t *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        int took = override_flag(&a->ovr, arg, val);
        if (took == EXIT_USAGE)
            return EXIT_USAGE;
        if (took) {
            i++;
        } else if (strcmp(arg, "--serve") == 0) {
            a->serve = true;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
        } else if (string_flag(a, arg)) {
            if (!val)
                return cli_usage_error("%s needs a value", arg);
            if (!*val) /* in CI, an unset variable: never fall back silently */
                return cli_usage_error("%s is empty; give a value or leave the flag out", arg);
            *string_flag(a, arg) = val;
            i++;
        } else if (strcmp(arg, "--threads") == 0) {
            if (parse_uint(val, 256, &n) < 0 || n == 0)
                return cli_usage_error("%s needs a number from 1 to 256", arg);
            a->threads = (unsigned)n;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            if (parse_uint(val, UINT64_MAX, &a->seed) < 0)
                return cli_usage_error("%s needs a non-negative number", arg);
            i++;
        } else if (arg[0] == '-') {
            return cli_usage_error("unknown option \"%s\"", arg);
        } else if (!a->spec) {
            a->spec = arg;
        } else {
            return cli_usage_error("one spec per run; unexpected \"%s\"", arg);
        }
    }
    if (!a->spec)
        return cli_usage_error("%s", "run needs a spec file: wsgate run SPEC");
    return 0;
}
