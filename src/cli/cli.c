/* cli: dispatches wsgate's command line to one command; --help and --version. */
#include "cli/cli.h"

#include <stdarg.h>
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

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("%s", "missing command");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
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
    return cmd->exec(argc - 2, argv + 2);
}
