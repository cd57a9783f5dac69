/* cmd_serve: `wsgate serve`, the embedded target server on its own. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_int.h"
#include "serve/serve.h"

static int serve_command(int argc, char **argv)
{
    serve_opts_t so;
    char err[CLI_ERRLEN];
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(serve_usage(), stdout);
            return EXIT_PASS;
        }
    if (serve_parse_args(argc, argv, &so, err, sizeof(err)) < 0)
        return cli_usage_error("%s", err);
    return serve_main(&so);
}

const cli_cmd_t cmd_serve = {
    .name = "serve",
    .exec = serve_command,
    .synopsis = "wsgate serve [OPTIONS]      (wsgate serve --help lists them)\n",
    .help = "serve     runs the embedded target server (127.0.0.1 by default)\n",
    .own_help = true,
};
