/* cli: dispatches wsgate's command line to one command; --help and --version. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"

/* In the order --help lists them. */
static const cli_cmd_t *const commands[] = {
    &cmd_run, &cmd_validate, &cmd_merge, &cmd_report, &cmd_serve,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wsgate: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see wsgate --help\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Every command's synopsis, then every command's help. */
static void print_usage(FILE *out)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "%s%s", i == 0 ? "usage: " : "       ", commands[i]->synopsis);
    fputs("       wsgate --version | --help\n\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fputs(commands[i]->help, out);
}

/* The command called name, or NULL. */
static const cli_cmd_t *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* True when args ask for the command's help (anywhere, as `git` does). */
static bool asks_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return true;
    return false;
}

/* Prints one command's synopsis and help. */
static void print_command_usage(const cli_cmd_t *cmd, FILE *out)
{
    fprintf(out, "usage: %s\n%s", cmd->synopsis, cmd->help);
}

/* A full disk or a closed pipe on stdout loses what the command printed:
 * that is an error, never exit 0. */
static int check_stdout(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "wsgate: cannot write to standard output: %s\n", strerror(errno));
    return rc == EXIT_PASS || rc == EXIT_ASSERT_FAILED ? EXIT_CANNOT_RUN : rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("%s", "missing command");
    const char *name = argv[1];
    if (is_help(name) || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return EXIT_PASS;
    }
    if (strcmp(name, "--version") == 0) {
        printf("wsgate %s\n", WSGATE_VERSION);
        return EXIT_PASS;
    }
    const cli_cmd_t *cmd = find_command(name);
    if (!cmd)
        return cli_usage_error("unknown command \"%s\"", name);
    if (!cmd->own_help && asks_help(argc - 2, argv + 2)) {
        print_command_usage(cmd, stdout);
        return EXIT_PASS;
    }
    return cmd->exec(argc - 2, argv + 2);
}

int cli_main(int argc, char **argv)
{
    return check_stdout(dispatch(argc, argv));
}
