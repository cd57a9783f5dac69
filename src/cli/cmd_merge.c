/* cmd_merge: `wsgate merge`, which combines shard results and judges them like run. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "cli/finish.h"
#include "result/asrt.h"
#include "result/merge.h"
#include "result/result_load.h"

/* Options of `wsgate merge`, each named after its flag. */
typedef struct merge_args {
    const char **inputs; /* RESULT.json..., owned array of strings borrowed from argv */
    size_t ninputs;
    const char *out_dir;  /* --out */
    const char *baseline; /* --baseline */
    bool quiet;           /* --quiet */
    bool allow_partial;   /* --allow-partial */
} merge_args_t;

/* Returns 0, or an exit status after printing the problem; a->inputs is
 * freed by the caller either way. */
static int parse_merge_args(int argc, char **argv, merge_args_t *a)
{
    memset(a, 0, sizeof(*a));
    if (!(a->inputs = calloc((size_t)argc + 1, sizeof(char *))))
        return EXIT_CANNOT_RUN;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--allow-partial") == 0) {
            a->allow_partial = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->quiet = true;
        } else if (strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "--baseline") == 0) {
            if (!val)
                return cli_usage_error("%s needs a value", argv[i]);
            *(argv[i][2] == 'o' ? &a->out_dir : &a->baseline) = val;
            i++;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("unknown merge option \"%s\"", argv[i]);
        } else {
            a->inputs[a->ninputs++] = argv[i];
        }
    }
    if (a->ninputs == 0)
        return cli_usage_error("%s", "merge needs result files: wsgate merge shard-*/result.json");
    return 0;
}

/* Loads every input; returns 0 or an exit status (inputs[i] freed by the caller). */
static int load_inputs(const merge_args_t *a, result_t **in)
{
    char err[CLI_ERRLEN];
    for (size_t i = 0; i < a->ninputs; i++) {
        if (!(in[i] = calloc(1, sizeof(result_t))))
            return EXIT_CANNOT_RUN;
        if (result_load_file(a->inputs[i], in[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: %s\n", err);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The inputs' assertions, compiled again from their text. */
static int recompile_assertions(const result_t *r, const char *name, asrt_t **out, size_t *n)
{
    char err[CLI_ERRLEN];
    *n = 0;
    if (!(*out = calloc(r->nassertions ? r->nassertions : 1, sizeof(asrt_t))))
        return EXIT_CANNOT_RUN;
    for (size_t i = 0; i < r->nassertions; i++) {
        if (asrt_parse(r->assertions[i].text, &(*out)[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: %s: assertion \"%s\": %s\n", name, r->assertions[i].text, err);
            return EXIT_USAGE;
        }
        (*n)++;
    }
    return 0;
}

static int merge_and_report(const merge_args_t *a, result_t **in, result_t *m)
{
    char err[CLI_ERRLEN];
    asrt_t *as = NULL;
    size_t nas = 0;
    int rc = 0;
    if (merge_results((const result_t *const *)in, a->inputs, a->ninputs, a->allow_partial, m, err,
                      sizeof(err)) < 0) {
        fprintf(stderr, "wsgate: cannot merge: %s\n", err);
        return EXIT_USAGE;
    }
    if ((rc = recompile_assertions(in[0], a->inputs[0], &as, &nas)))
        goto out;
    if (a->baseline) {
        m->baseline = calloc(1, sizeof(result_t));
        if (!m->baseline || result_load_file(a->baseline, m->baseline, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: --baseline %s\n", m->baseline ? err : "out of memory");
            rc = EXIT_USAGE;
            goto out;
        }
        m->baseline_path = strdup(a->baseline);
    }
    for (size_t i = 0; i < nas && rc == 0; i++)
        if (asrt_check_baseline(&as[i], m->baseline, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsgate: assertion \"%s\": %s\n", as[i].text, err);
            rc = EXIT_USAGE;
        }
    if (rc == 0) {
        finish_opts_t fo = { .out_dir = a->out_dir, .quiet = a->quiet };
        rc = finish_result(as, nas, &fo, m);
    }
out:
    for (size_t i = 0; i < nas; i++)
        asrt_clear(&as[i]);
    free(as);
    return rc;
}

static int merge_command(int argc, char **argv)
{
    merge_args_t a;
    int rc = parse_merge_args(argc, argv, &a);
    result_t **in = rc ? NULL : calloc(a.ninputs, sizeof(result_t *));
    result_t merged;
    memset(&merged, 0, sizeof(merged));
    if (!rc && !in)
        rc = EXIT_CANNOT_RUN;
    if (!rc && !(rc = load_inputs(&a, in)))
        rc = merge_and_report(&a, in, &merged);
    result_clear(&merged);
    for (size_t i = 0; in && i < a.ninputs; i++) {
        result_clear(in[i]);
        free(in[i]);
    }
    free(in);
    free(a.inputs);
    return rc;
}

const cli_cmd_t cmd_merge = {
    .name = "merge",
    .exec = merge_command,
    .synopsis = "wsgate merge RESULT.json... [--out DIR] [--allow-partial] [--baseline FILE]\n"
                "                       [--quiet]\n",
    .help = "merge     combines shard results exactly, evaluates the assertions and\n"
            "          reports like run (exit 0 or 1, also 1 when a shard was aborted or\n"
            "          interrupted; 2 when the inputs do not fit)\n"
            "  --allow-partial  merges even when shards are missing (the report says which)\n",
};
