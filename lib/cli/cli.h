/* Shared by the subcommands of the sockpair CLI. */
#ifndef SOCKPAIR_CLI_H
#define SOCKPAIR_CLI_H

#include <stdio.h>

/* Exit codes (sysexits.h): documented in --help and README. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_USAGE 64 /* EX_USAGE: bad subcommand, flag or value */
#define CLI_EXIT_OSERR 71 /* EX_OSERR: the system refused what we need */
#define CLI_EXIT_IOERR 74 /* EX_IOERR: the output could not be written */

/* Prints the usage text to out. */
void cli_usage(FILE *out);
/* Prints "sockpair: <msg>" and the usage to stderr; returns 64. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_matrix(int argc, char **argv);

/* Writes s as a JSON string literal (quotes included). */
void cli_json_string(FILE *out, const char *s);

#endif /* SOCKPAIR_CLI_H */
