/*
 * sockpair pingpong: lmbench-style round trips between two processes over
 * one transport. The parent sends --size bytes, the forked child echoes
 * them, --count times; every round trip is timed, and the summary is one
 * line of key=value pairs (percentiles, context switches per round trip).
 */
#include "cli.h"
#include "sockpair.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_COUNT 10000
#define MAX_COUNT 10000000

/* The child: echo every message back; exits 0, or 1 after a message. */
static void child_echo(const cli_ipc_opts *o, cli_ipc *c, pid_t parent,
                       char *buf, int64_t deadline) {
  int err = 0;

  if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
    _exit(1); /* the parent is already gone */
  if ((err = cli_deadline_arm()) || (err = cli_pin_apply(o->cpu[1]))) {
    cli_ipc_fail(o->cmd, "child: setting up", err);
    _exit(1);
  }
  for (long long i = 0; i < o->count && !err; i++) {
    err = cli_recv(o->t, c->child_rd, buf, o->size, deadline);
    if (!err)
      err = cli_send(o->t, c->child_wr, buf, o->size, deadline);
  }
  cli_deadline_disarm();
  if (err)
    cli_ipc_fail(o->cmd, "child: echo", err);
  _exit(err ? 1 : 0);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v, in microseconds. */
static double pct_us(const int64_t *v, long long n, double q) {
  long long k = (long long)(q * (double)n + 0.999999) - 1;

  if (k < 0)
    k = 0;
  if (k >= n)
    k = n - 1;
  return (double)v[k] / 1e3;
}

static long csw(int who) {
  struct rusage ru;

  if (getrusage(who, &ru))
    return 0;
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void report(const cli_ipc_opts *o, int64_t *rtt, int64_t elapsed,
                   long switches) {
  double sum = 0;

  for (long long i = 0; i < o->count; i++)
    sum += (double)rtt[i];
  qsort(rtt, (size_t)o->count, sizeof(*rtt), cmp_i64);
  printf("pingpong transport=%s size=%zu count=%lld pin=%s "
         "rtt_p50_us=%.2f rtt_p90_us=%.2f rtt_p99_us=%.2f rtt_p999_us=%.2f "
         "rtt_mean_us=%.2f rtt_max_us=%.2f ctxsw_per_rt=%.2f elapsed_s=%.3f\n",
         o->t->name, o->size, o->count, cli_pin_name(o->pin),
         pct_us(rtt, o->count, 0.50), pct_us(rtt, o->count, 0.90),
         pct_us(rtt, o->count, 0.99), pct_us(rtt, o->count, 0.999),
         sum / (double)o->count / 1e3, (double)rtt[o->count - 1] / 1e3,
         (double)switches / (double)o->count, (double)elapsed / 1e9);
}

/* Reaps the child (killed first if kill_it); 0 if it exited 0. */
static int reap(pid_t pid, int kill_it) {
  int status;

  if (kill_it)
    kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run(const cli_ipc_opts *o, cli_ipc *c, int64_t *rtt, char *buf) {
  int64_t deadline = cli_now_ns() + (int64_t)o->timeout_s * 1000000000;
  pid_t parent = getpid(), pid;
  int64_t start;
  long before;
  int err = 0;

  pid = fork();
  if (pid < 0)
    return cli_ipc_fail(o->cmd, "fork", -errno);
  if (pid == 0) {
    cli_ipc_keep(c, 1);
    child_echo(o, c, parent, buf, deadline);
  }
  cli_ipc_keep(c, 0);
  if ((err = cli_deadline_arm())) {
    reap(pid, 1);
    return cli_ipc_fail(o->cmd, "timer", err);
  }
  before = csw(RUSAGE_SELF);
  start = cli_now_ns();
  for (long long i = 0; i < o->count && !err; i++) {
    int64_t t0 = cli_now_ns();

    err = cli_send(o->t, c->parent_wr, buf, o->size, deadline);
    if (!err)
      err = cli_recv(o->t, c->parent_rd, buf, o->size, deadline);
    rtt[i] = cli_now_ns() - t0;
  }
  cli_deadline_disarm();
  if (err) {
    reap(pid, 1);
    return cli_ipc_fail(o->cmd, "round trip", err);
  }
  start = cli_now_ns() - start;
  if (reap(pid, 0)) {
    fprintf(stderr, "sockpair: %s: the child failed\n", o->cmd);
    return CLI_EXIT_OSERR;
  }
  report(o, rtt, start, csw(RUSAGE_SELF) - before + csw(RUSAGE_CHILDREN));
  return CLI_EXIT_OK;
}

int cli_pingpong(int argc, char **argv) {
  cli_ipc_opts o = {.cmd = "pingpong",
                    .count = DEFAULT_COUNT,
                    .max_count = MAX_COUNT,
                    .size = 64,
                    .pin = CLI_PIN_NONE,
                    .timeout_s = 60};
  cli_ipc c = {-1, -1, -1, -1};
  int64_t *rtt = NULL;
  char *buf = NULL;
  int rc, err;

  rc = cli_ipc_parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? CLI_EXIT_OK : rc;
  signal(SIGPIPE, SIG_IGN); /* a dead peer is EPIPE, not death */
  rtt = malloc((size_t)o.count * sizeof(*rtt));
  buf = calloc(1, o.size);
  if (!rtt || !buf) {
    rc = cli_ipc_fail(o.cmd, "allocating", SP_ENOMEM);
    goto out;
  }
  if ((err = cli_pin_plan(o.pin, o.cpu)) || (err = cli_pin_apply(o.cpu[0]))) {
    rc = cli_ipc_fail(o.cmd,
                      o.pin == CLI_PIN_DIFF ? "pinning (diff needs "
                                              "two allowed CPUs)"
                                            : "pinning",
                      err);
    goto out;
  }
  if ((err = cli_ipc_open(o.t, &c))) {
    rc = cli_ipc_fail(o.cmd, o.t->name, err);
    goto out;
  }
  rc = run(&o, &c, rtt, buf);
  cli_ipc_close(&c);
out:
  free(rtt);
  free(buf);
  return rc;
}
