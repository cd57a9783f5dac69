/* cli: the command line. Parses arguments, runs one command, and is the
 * only place that prints errors and picks the exit status (README, "Exit
 * codes"):
 * 0 pass, 1 assertion failed, 2 invalid spec or usage, 3 could not run,
 * 130/143 interrupted. */
#ifndef WSGATE_CLI_H
#define WSGATE_CLI_H

enum {
    EXIT_PASS = 0,
    EXIT_ASSERT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_CANNOT_RUN = 3,
    EXIT_SIGINT = 130,
    EXIT_SIGTERM = 143,
};

/* Runs wsgate with the given arguments; returns the exit status. */
int cli_main(int argc, char **argv);

#endif
