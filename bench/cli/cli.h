/* Shared by the subcommands of the sockpair CLI. */
#ifndef SOCKPAIR_CLI_H
#define SOCKPAIR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "harness.h"

/* Exit codes (sysexits.h): documented in --help and README. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_USAGE 64 /* EX_USAGE: bad subcommand, flag or value */
#define CLI_EXIT_OSERR 71 /* EX_OSERR: the system refused what we need */
#define CLI_EXIT_IOERR 74 /* EX_IOERR: the output could not be written */

/* Where the commands write (stdout and stderr in the sockpair binary; the
 * fuzz target gives memory streams), and whether they stop after their
 * flags: pingpong, stream and messaging return 0 once the flags are valid,
 * matrix prints each cell's plan (sp_socketpair_plan) without opening a
 * socket. Set by sp_cli_run() for one run. */
extern FILE *cli_out, *cli_err;
extern int cli_parse_only;

/* The whole command line (argv[0] the program): the exit status. out and
 * err take what would go to stdout and stderr. */
int sp_cli_run(int argc, char **argv, FILE *out, FILE *err, int parse_only);

/* Prints the usage text to out. */
void cli_usage(FILE *out);
/* Prints "sockpair: <msg>" and the usage to stderr; returns 64. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_matrix(int argc, char **argv);
int cli_pingpong(int argc, char **argv);
int cli_stream(int argc, char **argv);
int cli_messaging(int argc, char **argv);

/* One option: fn(ctx, name, value) for each (value NULL for the bare
 * flags, those in the NULL-terminated list bare); -h/--help prints the
 * usage. 0, -1 after --help, or the first non-zero fn returned (64). */
typedef int (*cli_option_fn)(void *ctx, const char *name, const char *value);
int cli_parse_opts(int argc, char **argv, const char *cmd,
                   const char *const *bare, cli_option_fn fn, void *ctx);
/* Parses a decimal integer in [min, max]: 0, or -1. */
int cli_parse_ll(const char *s, long long min, long long max, long long *out);

/* --- pingpong / stream: shared by both (ipc.c), on the harness --- */
typedef struct cli_ipc_opts {
  const char *cmd; /* "pingpong" or "stream", for messages */
  const struct sh_transport *t;
  long long count, max_count;
  size_t size;
  enum sh_pin pin;
  int timeout_s;   /* the whole command's bound */
  enum sh_api api; /* --api: raw (default) or stream */
} cli_ipc_opts;

/* 0, -1 after --help was printed, or 64 after a usage error. The caller
 * fills the defaults (cmd, count, max_count, size, pin, timeout_s) first. */
int cli_ipc_parse(int argc, char **argv, cli_ipc_opts *o);
/* "same", "diff" or "none", as --pin spells it. */
const char *cli_pin_name(enum sh_pin pin);
/* Signals, pinning of this process (cpus->peer is the child's CPU) and
 * the channel: 0, or 71 after saying what failed. */
int cli_ipc_setup(const cli_ipc_opts *o, struct sh_cpus *cpus,
                  struct sh_chan *c);
/* The harness run of these options; the child lives for the command's
 * bound and a grace, so the parent's deadline is always seen first. */
void cli_run_init(const cli_ipc_opts *o, const struct sh_cpus *cpus,
                  struct sh_run *r);
/* The run failed with err: says at which step (or what the peer said).
 * 71. */
int cli_run_failed(const cli_ipc_opts *o, const struct sh_run *r, int err);
/* Prints "sockpair: CMD: WHAT: <error>" and returns 71. */
int cli_ipc_fail(const char *cmd, const char *what, int err);

/* Writes s as a JSON string literal (quotes included). */
void cli_json_string(FILE *out, const char *s);

#endif /* SOCKPAIR_CLI_H */
