/* cmd_report: `wsgate report`, which renders reports again from a result.json. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "reporters/reporter.h"
#include "result/result_load.h"

/* Options of `wsgate report`, each named after its flag. */
typedef struct report_args {
    const char *result;  /* RESULT.json */
    const char *format;  /* --format, default md */
    const char *out_dir; /* --out */
} report_args_t;

/* Returns 0, or an exit status after printing the problem. */
static int parse_report_args(int argc, char **argv, report_args_t *a)
{
    memset(a, 0, sizeof(*a));
    a->format = "md";
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--out") == 0) {
            if (!val)
                return cli_usage_error("%s needs a value", argv[i]);
            *(argv[i][2] == 'f' ? &a->format : &a->out_dir) = val;
            i++;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("unknown report option \"%s\"", argv[i]);
        } else if (!a->result) {
            a->result = argv[i];
        } else {
            return cli_usage_error("one result file at a time; unexpected \"%s\"", argv[i]);
        }
    }
    if (!a->result)
        return cli_usage_error("%s", "report needs a result file: wsgate report out/result.json");
    if (!reporter_find(a->format))
        return cli_usage_error("unknown format \"%s\": use json, junit, md, html, csv or "
                               "gitlab-load-performance",
                               a->format);
    return 0;
}

static int report_command(int argc, char **argv)
{
    report_args_t a;
    int rc = parse_report_args(argc, argv, &a);
    if (rc)
        return rc;
    result_t r;
    char err[CLI_ERRLEN];
    if (result_load_file(a.result, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: %s\n", err);
        return EXIT_USAGE;
    }
    rc = EXIT_PASS;
    if (a.out_dir) {
        if (report_write_all(&r, a.out_dir, err, sizeof(err)) < 0)
            rc = EXIT_CANNOT_RUN;
    } else if (reporter_find(a.format)->write(&r, stdout, err, sizeof(err)) < 0) {
        rc = EXIT_CANNOT_RUN;
    }
    if (rc)
        fprintf(stderr, "wsgate: cannot write the report: %s\n", err);
    result_clear(&r);
    return rc;
}

const cli_cmd_t cmd_report = {
    .name = "report",
    .exec = report_command,
    .synopsis =
        "wsgate report RESULT.json [--out DIR]\n"
        "                       [--format json|junit|md|html|csv|gitlab-load-performance]\n",
    .help = "report    renders reports again from a result.json: one format on stdout\n"
            "          (default md), or every file into --out DIR (all but\n"
            "          gitlab-load-performance)\n",
};
