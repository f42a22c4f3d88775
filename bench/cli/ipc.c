/*
 * What `sockpair pingpong` and `sockpair stream` share: the transports, the
 * flags, pinning, and deadline-bounded blocking I/O (a dead or stuck peer
 * ends the command with an error, never a hang).
 */
#include "cli.h"
#include "sockpair.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const cli_transport transports[] = {
    {"unix-stream", SP_PF_UNIX, SP_SOCK_STREAM, 0, 0, 1, 1},
    {"unix-dgram", SP_PF_UNIX, SP_SOCK_DGRAM, 0, 0, 0, 1},
    {"unix-seqpacket", SP_PF_UNIX, SP_SOCK_SEQPACKET, 0, 0, 0, 1},
    {"tcp4", SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, 0, 1, 1},
    {"tcp6", SP_PF_INET6, SP_SOCK_STREAM, SP_IPPROTO_TCP, 0, 1, 1},
    {"udp4", SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 0, 0},
    {"udp6", SP_PF_INET6, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 0, 0},
    {"pipe", 0, 0, 0, 1, 1, 1},
};

#define N_TRANSPORTS (sizeof(transports) / sizeof(transports[0]))
#define MAX_SIZE (64u << 20)

const char *cli_pin_name(int pin) {
  return pin == CLI_PIN_SAME ? "same" : pin == CLI_PIN_DIFF ? "diff" : "none";
}

const cli_transport *cli_transport_find(const char *name) {
  for (size_t i = 0; i < N_TRANSPORTS; i++)
    if (!strcmp(transports[i].name, name))
      return &transports[i];
  return NULL;
}

/* Parses a decimal integer in [min, max]; 0 on success. */
static int parse_ll(const char *s, long long min, long long max,
                    long long *out) {
  char *end;
  long long v;

  if (!s || !*s)
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int parse_pin(cli_ipc_opts *o, const char *val) {
  if (!strcmp(val, "same"))
    o->pin = CLI_PIN_SAME;
  else if (!strcmp(val, "diff"))
    o->pin = CLI_PIN_DIFF;
  else if (!strcmp(val, "none"))
    o->pin = CLI_PIN_NONE;
  else
    return cli_usage_error("%s: --pin wants same, diff or none, not '%s'",
                           o->cmd, val);
  return 0;
}

/* One "--name value" option: 0, or the usage error's exit code. */
static int parse_option(cli_ipc_opts *o, const char *a, const char *val) {
  long long v;

  if (!strcmp(a, "--transport")) {
    o->t = cli_transport_find(val);
    if (!o->t)
      return cli_usage_error("%s: unknown transport '%s'", o->cmd, val);
  } else if (!strcmp(a, "--count")) {
    if (parse_ll(val, 1, o->max_count, &v))
      return cli_usage_error("%s: --count wants 1..%lld, not '%s'", o->cmd,
                             o->max_count, val);
    o->count = v;
  } else if (!strcmp(a, "--size")) {
    if (parse_ll(val, 1, MAX_SIZE, &v))
      return cli_usage_error("%s: --size wants 1..%u bytes, not '%s'", o->cmd,
                             MAX_SIZE, val);
    o->size = (size_t)v;
  } else if (!strcmp(a, "--pin")) {
    return parse_pin(o, val);
  } else if (!strcmp(a, "--timeout")) {
    if (parse_ll(val, 1, 3600, &v))
      return cli_usage_error("%s: --timeout wants 1..3600 s, not '%s'", o->cmd,
                             val);
    o->timeout_s = (int)v;
  } else {
    return cli_usage_error("%s: unknown option '%s'", o->cmd, a);
  }
  return 0;
}

int cli_ipc_parse(int argc, char **argv, cli_ipc_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int err;

    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      cli_usage(stdout);
      return -1;
    }
    if (i + 1 == argc)
      return cli_usage_error("%s: unknown option '%s' or missing value", o->cmd,
                             a);
    err = parse_option(o, a, argv[++i]);
    if (err)
      return err;
  }
  if (!o->t)
    o->t = cli_transport_find("unix-stream");
  return 0;
}

int64_t cli_now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd); /* never retried: the fd is gone whatever close says */
  *fd = -1;
}

void cli_ipc_close(cli_ipc *c) {
  if (c->parent_rd == c->parent_wr)
    c->parent_wr = -1;
  if (c->child_rd == c->child_wr)
    c->child_wr = -1;
  close_fd(&c->parent_rd);
  close_fd(&c->parent_wr);
  close_fd(&c->child_rd);
  close_fd(&c->child_wr);
}

/* A pipe transport is two pipes, one each way; a socket pair is one fd per
 * side. The fds block (one syscall per operation, as lmbench does); the
 * deadline timer (cli_deadline_arm) bounds every blocking call. */
int cli_ipc_open(const cli_transport *t, cli_ipc *c) {
  int a[2], b[2], err;

  c->parent_rd = c->parent_wr = c->child_rd = c->child_wr = -1;
  if (t->is_pipe) {
    if (pipe2(a, O_CLOEXEC))
      return -errno;
    if (pipe2(b, O_CLOEXEC)) {
      err = -errno;
      close(a[0]);
      close(a[1]);
      return err;
    }
    c->child_rd = a[0]; /* parent -> child */
    c->parent_wr = a[1];
    c->parent_rd = b[0]; /* child -> parent */
    c->child_wr = b[1];
    return 0;
  }
  err = sp_socketpair(t->domain, t->type | SP_SOCK_CLOEXEC, t->protocol, a);
  if (err)
    return err;
  c->parent_rd = c->parent_wr = a[0];
  c->child_rd = c->child_wr = a[1];
  return 0;
}

/* The side not used by this process is closed (so EOF is seen). */
void cli_ipc_keep(cli_ipc *c, int child) {
  cli_ipc other = *c;

  if (child) {
    other.child_rd = other.child_wr = -1;
    c->parent_rd = c->parent_wr = -1;
  } else {
    other.parent_rd = other.parent_wr = -1;
    c->child_rd = c->child_wr = -1;
  }
  cli_ipc_close(&other);
}

static void on_alarm(int sig) {
  (void)sig;
}

/* A periodic SIGALRM without SA_RESTART: a blocked call returns EINTR at
 * least every TICK, and the caller then checks the deadline. Periodic, so a
 * signal that lands between the check and the next call only delays. */
#define TICK_US 250000

int cli_deadline_arm(void) {
  struct sigaction sa;
  struct itimerval it = {{0, TICK_US}, {0, TICK_US}};

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL))
    return -errno;
  return 0;
}

void cli_deadline_disarm(void) {
  struct itimerval off;

  memset(&off, 0, sizeof(off));
  setitimer(ITIMER_REAL, &off, NULL); /* cannot fail with these arguments */
}

/* After EINTR: SP_ETIMEDOUT once the deadline has passed, else 0. */
static int interrupted(int64_t deadline) {
  return cli_now_ns() >= deadline ? SP_ETIMEDOUT : 0;
}

static ssize_t write_some(int fd, const void *buf, size_t len, int sock) {
  return sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
}

int cli_send(const cli_transport *t, int fd, const void *buf, size_t len,
             int64_t deadline) {
  const char *p = buf;
  int err;

  while (len) {
    ssize_t n = write_some(fd, p, len, !t->is_pipe);

    if (n < 0) {
      if (errno == ENOBUFS && !t->reliable)
        return 0; /* UDP: the kernel dropped it at the sender: a loss */
      if (errno != EINTR)
        return -errno;
      if ((err = interrupted(deadline)))
        return err;
      continue;
    }
    if (!t->bytestream)
      return (size_t)n == len ? 0 : SP_EIO; /* a datagram goes whole */
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

ssize_t cli_recv_some(const cli_transport *t, int fd, void *buf, size_t len,
                      int dontwait, int64_t deadline) {
  int flags = (t->bytestream ? 0 : MSG_TRUNC) | (dontwait ? MSG_DONTWAIT : 0);
  int err;

  for (;;) {
    ssize_t n = t->is_pipe ? read(fd, buf, len) : recv(fd, buf, len, flags);

    if (n > 0)
      return n;
    if (n == 0)
      return t->bytestream ? SP_EOF : 0;
    if (errno != EINTR || dontwait)
      return -errno;
    if ((err = interrupted(deadline)))
      return err;
  }
}

int cli_recv(const cli_transport *t, int fd, void *buf, size_t len,
             int64_t deadline) {
  char *p = buf;

  while (len) {
    ssize_t n = cli_recv_some(t, fd, p, len, 0, deadline);

    if (n < 0)
      return (int)n;
    if (!t->bytestream)
      return (size_t)n == len ? 0 : SP_EMSGSIZE;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int cli_pin_plan(int pin, int cpu[2]) {
  cpu_set_t allowed;
  int first = -1, second = -1;

  cpu[0] = cpu[1] = -1;
  if (pin == CLI_PIN_NONE)
    return 0;
  if (sched_getaffinity(0, sizeof(allowed), &allowed))
    return -errno;
  for (int i = 0; i < CPU_SETSIZE && second < 0; i++) {
    if (!CPU_ISSET(i, &allowed))
      continue;
    if (first < 0)
      first = i;
    else
      second = i;
  }
  if (pin == CLI_PIN_DIFF && second < 0)
    return SP_EINVAL; /* one CPU allowed: cannot split the two sides */
  cpu[0] = first;
  cpu[1] = pin == CLI_PIN_DIFF ? second : first;
  return 0;
}

int cli_pin_apply(int cpu) {
  cpu_set_t one;

  if (cpu < 0)
    return 0;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

int cli_ipc_fail(const char *cmd, const char *what, int err) {
  fprintf(stderr, "sockpair: %s: %s: %s (%s)\n", cmd, what, sp_strerror(err),
          sp_err_name(err));
  if (err == SP_EMSGSIZE)
    fprintf(stderr,
            "sockpair: %s: --size is larger than one datagram of "
            "this transport can be\n",
            cmd);
  return CLI_EXIT_OSERR;
}
