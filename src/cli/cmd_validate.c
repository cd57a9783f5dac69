/* cmd_validate: `wsgate validate`, which checks specs and runs nothing. */
#include <stdio.h>

#include "cli/cli_int.h"
#include "spec/load.h"
#include "spec/spec.h"

/* Prints one line about a valid spec. */
static void print_ok(const char *path, const spec_t *spec)
{
    if (spec->open_model)
        printf("%s: ok (%zu scenarios, %zu assertions, open model: %llu arrivals, at most "
               "%u users at once)\n",
               path, spec->nscenarios, spec->nassertions,
               (unsigned long long)load_arrivals_total(spec), spec->peak_users);
    else
        printf("%s: ok (%zu scenarios, %zu assertions, %u users)\n", path, spec->nscenarios,
               spec->nassertions, spec->peak_users);
}

static int validate_command(int argc, char **argv)
{
    if (argc == 0)
        return cli_usage_error("%s", "validate needs at least one spec file");
    int rc = EXIT_PASS;
    for (int i = 0; i < argc; i++) {
        char err[CLI_ERRLEN];
        spec_t *spec = spec_load(argv[i], &(spec_opts_t){ 0 }, err, sizeof(err));
        if (!spec) {
            fprintf(stderr, "%s\n", err);
            rc = EXIT_USAGE;
            continue;
        }
        print_ok(argv[i], spec);
        spec_free(spec);
    }
    return rc;
}

const cli_cmd_t cmd_validate = {
    .name = "validate",
    .exec = validate_command,
    .synopsis = "wsgate validate SPEC...\n",
    .help = "validate  checks specs and runs nothing\n",
};
