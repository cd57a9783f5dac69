/* cmd_validate: `wsgate validate`, which checks specs and runs nothing. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "cli/guard.h"
#include "cli/override_args.h"
#include "spec/load.h"
#include "spec/spec.h"

/* "" for one thing, "s" for any other number. */
static const char *plural_s(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

/* Prints one line about a valid spec. */
static void print_ok(const char *path, const spec_t *spec)
{
    unsigned long long arrivals = spec->open_model ? load_arrivals_total(spec) : 0;
    printf("%s: ok (%zu scenario%s, %zu assertion%s, ", path, spec->nscenarios,
           plural_s(spec->nscenarios), spec->nassertions, plural_s(spec->nassertions));
    if (spec->open_model)
        printf("open model: %llu arrival%s, at most %u user%s at once)\n", arrivals,
               plural_s(arrivals), spec->peak_users, plural_s(spec->peak_users));
    else
        printf("%u user%s)\n", spec->peak_users, plural_s(spec->peak_users));
}

/* A spec with nothing to judge would pass against a dead target but for
 * run's implicit floor: say so where the spec is written. */
static void warn_no_assertions(const char *path, const spec_t *spec)
{
    if (spec->nassertions == 0)
        fprintf(stderr,
                "%s: warning: no assertions; run judges it by connect.success_rate > 0%% "
                "alone (add your service levels under assertions:)\n",
                path);
}

/* Splits the arguments into spec paths (kept in argv's order, at the front)
 * and --target URL, the guard rail flags into gf and the overrides into of. Returns the number
 * of specs, or -1 after printing a usage error. */
static int parse_validate_args(int argc, char **argv, const char **target, guard_flags_t *gf,
                               override_flags_t *of)
{
    int nspecs = 0;
    *target = NULL;
    for (int i = 0; i < argc; i++) {
        const char **slot = guard_flag(gf, argv[i]);
        int took = override_flag(of, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
        if (took == EXIT_USAGE)
            return -1;
        if (took) {
            i++;
        } else if (slot) {
            if (i + 1 >= argc || !*argv[i + 1])
                return cli_usage_error("%s needs a value", argv[i]);
            *slot = argv[++i];
        } else if (strcmp(argv[i], "--target") == 0) {
            if (i + 1 >= argc || !*argv[i + 1])
                return cli_usage_error("%s", "--target needs a URL");
            *target = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("unknown option \"%s\" for validate", argv[i]);
        } else {
            argv[nspecs++] = argv[i];
        }
    }
    if (nspecs == 0)
        return cli_usage_error("%s", "validate needs at least one spec file");
    return nspecs;
}

static int validate_command(int argc, char **argv)
{
    const char *target;
    guard_flags_t gf = { 0 };
    override_flags_t of = { 0 };
    spec_overrides_t ovr;
    cli_guard_t guard;
    int nspecs = parse_validate_args(argc, argv, &target, &gf, &of);
    if (nspecs < 0)
        return EXIT_USAGE;
    int rc = override_resolve(&of, &ovr);
    if (rc) {
        override_free(&ovr);
        return rc;
    }
    if ((rc = cli_guard_init(&guard, &gf))) {
        cli_guard_free(&guard);
        override_free(&ovr);
        return rc;
    }
    for (int i = 0; i < nspecs; i++) {
        char err[CLI_ERRLEN];
        spec_t *spec = spec_load(
            argv[i],
            &(spec_opts_t){ .target_override = target, .guard = &guard.spec, .overrides = &ovr },
            err, sizeof(err));
        if (!spec) {
            cli_guard_scrub(&guard, err);
            fprintf(stderr, "%s\n", err);
            rc = EXIT_USAGE;
            continue;
        }
        print_ok(argv[i], spec);
        warn_no_assertions(argv[i], spec);
        spec_free(spec);
    }
    cli_guard_free(&guard);
    override_free(&ovr);
    return rc;
}

const cli_cmd_t cmd_validate = {
    .name = "validate",
    .exec = validate_command,
    .synopsis = "wsgate validate SPEC... [--target URL] [--allow-hosts LIST] [--block-hosts LIST]\n"
                "                       [--allow-env LIST] [--max-users N] [--max-duration D]\n"
                "                       [--max-rate R/s] [--users N] [--duration D]\n"
                "                       [--ramp-up D] [--max-connecting N] [--var NAME=VALUE]...\n",
    .help = "validate  checks specs and runs nothing (--target URL, the guard rail flags\n"
            "          and the overrides --users, --duration, --ramp-up, --max-connecting,\n"
            "          --var of run, and their variables: as run would see them)\n",
};
