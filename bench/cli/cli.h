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
int cli_pingpong(int argc, char **argv);
int cli_stream(int argc, char **argv);

/* --- pingpong / stream: shared by both (ipc.c) --- */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cli_transport {
  const char *name;
  int domain, type, protocol; /* for sp_socketpair() */
  int is_pipe;                /* two pipe2() pipes instead of a socket pair */
  int bytestream;             /* a byte stream, not messages */
  int reliable;               /* the kernel never drops (udp does) */
} cli_transport;

enum { CLI_PIN_NONE, CLI_PIN_SAME, CLI_PIN_DIFF };

typedef struct cli_ipc_opts {
  const char *cmd; /* "pingpong" or "stream", for messages */
  const cli_transport *t;
  long long count, max_count;
  size_t size;
  int pin;
  int timeout_s; /* the whole command's bound */
  int cpu[2];    /* from cli_pin_plan() */
} cli_ipc_opts;

/* The descriptors each side reads and writes (equal for a socket). */
typedef struct cli_ipc {
  int parent_rd, parent_wr, child_rd, child_wr;
} cli_ipc;

/* 0, -1 after --help was printed, or 64 after a usage error. The caller
 * fills the defaults (cmd, t, count, max_count, size, timeout_s) first. */
int cli_ipc_parse(int argc, char **argv, cli_ipc_opts *o);
const char *cli_pin_name(int pin);
const cli_transport *cli_transport_find(const char *name);
int64_t cli_now_ns(void);
int cli_ipc_open(const cli_transport *t, cli_ipc *c);
void cli_ipc_keep(cli_ipc *c, int child);
void cli_ipc_close(cli_ipc *c);
/* Chooses the CPUs before the fork (cpu[0] parent, cpu[1] child; -1 = not
 * pinned): same = both on the first allowed CPU, diff = the first two.
 * 0, or SP_EINVAL when diff finds one CPU only. */
int cli_pin_plan(int pin, int cpu[2]);
/* Pins the calling process to cpu (nothing if cpu < 0): 0 or -errno. */
int cli_pin_apply(int cpu);
/* Deadline-bounded whole-message I/O: 0 or a negative error (SP_ETIMEDOUT,
 * SP_EOF, SP_EMSGSIZE for a datagram of another size, ...). */
int cli_send(const cli_transport *t, int fd, const void *buf, size_t len,
             int64_t deadline);
int cli_recv(const cli_transport *t, int fd, void *buf, size_t len,
             int64_t deadline);
/* One read: > 0 bytes (a message transport: the message's length, via
 * MSG_TRUNC), SP_EOF, or a negative error (-EAGAIN when dontwait and
 * nothing is queued). */
ssize_t cli_recv_some(const cli_transport *t, int fd, void *buf, size_t len,
                      int dontwait, int64_t deadline);
/* Starts this process's deadline ticker (SIGALRM every 250 ms, no
 * SA_RESTART): call once per process, the child too, before blocking. */
int cli_deadline_arm(void);
/* Stops it again: stdio is not EINTR-safe, so the summary is printed
 * without the ticker. */
void cli_deadline_disarm(void);
/* Prints "sockpair: CMD: WHAT: <error>" and returns 71. */
int cli_ipc_fail(const char *cmd, const char *what, int err);

/* Writes s as a JSON string literal (quotes included). */
void cli_json_string(FILE *out, const char *s);

#endif /* SOCKPAIR_CLI_H */
