/* cli_int: what the files of src/cli share and nothing outside uses: the
 * table entry each command provides, the error buffer size and the usage
 * error printer. */
#ifndef WSGATE_CLI_INT_H
#define WSGATE_CLI_INT_H

#include <stdbool.h>

#include "cli/cli.h"

#define CLI_ERRLEN 512

/* One subcommand of wsgate; adding one means adding its file and its entry
 * in cli.c's table. The texts are static and end in a newline. */
typedef struct cli_cmd {
    const char *name; /* the word after wsgate */
    /* Runs the command on the arguments after its name; returns the exit
     * status after printing any problem. */
    int (*exec)(int argc, char **argv);
    const char *synopsis; /* "wsgate NAME ARGS", lines after the first indented */
    const char *help;     /* what it does and its options, for --help */
    bool own_help;        /* prints its own --help (serve lists its many options) */
} cli_cmd_t;

extern const cli_cmd_t cmd_run;      /* cmd_run.c */
extern const cli_cmd_t cmd_validate; /* cmd_validate.c */
extern const cli_cmd_t cmd_merge;    /* cmd_merge.c */
extern const cli_cmd_t cmd_report;   /* cmd_report.c */
extern const cli_cmd_t cmd_serve;    /* cmd_serve.c */

/* Prints "wsgate: <message>; see wsgate --help" on stderr; returns
 * EXIT_USAGE so callers can return it directly. */
__attribute__((format(printf, 1, 2))) int cli_usage_error(const char *fmt, ...);

#endif
