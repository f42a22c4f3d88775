/*
 * sockpair stream: lmbench-style one-way throughput between two processes.
 * The parent sends --count messages of --size bytes; the forked child reads
 * them and reports what arrived and when the last byte did. Over UDP the
 * kernel drops datagrams when the receiver falls behind, so the summary
 * always carries the loss rate beside the rate.
 */
#include "cli.h"
#include "sockpair.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_COUNT 100000
#define MAX_COUNT 100000000
#define QUIET_MS 20 /* UDP: nothing more arrives for this long = done */

typedef struct report {
  long long msgs, bytes;
  int64_t last_ns; /* CLOCK_MONOTONIC, shared by both processes */
  int err;
} report;

typedef struct ctl {
  int done[2];   /* parent -> child: everything was sent */
  int result[2]; /* child -> parent: the report */
} ctl;

/* Counts one read of n bytes. */
static void got(report *r, ssize_t n) {
  r->bytes += n;
  r->msgs++;
  r->last_ns = cli_now_ns();
}

/* A reliable transport: blocking reads until everything arrived. */
static void receive_all(const cli_ipc_opts *o, int fd, char *buf,
                        int64_t deadline, report *r) {
  long long want = (long long)o->size * o->count;

  while (r->bytes < want) {
    ssize_t n = cli_recv_some(o->t, fd, buf, o->size, 0, deadline);

    if (n < 0) {
      r->err = (int)n;
      return;
    }
    got(r, n);
  }
}

/* Reads what is queued without blocking; SP_EAGAIN when drained. */
static int drain(const cli_ipc_opts *o, int fd, char *buf, report *r) {
  for (;;) {
    ssize_t n = cli_recv_some(o->t, fd, buf, o->size, 1, 0);

    if (n < 0)
      return (int)n;
    got(r, n);
  }
}

/* UDP: read until the sender is done and nothing more arrives for QUIET_MS;
 * what has not arrived by then was dropped. */
static void receive_lossy(const cli_ipc_opts *o, int fd, int done_fd, char *buf,
                          int64_t deadline, report *r) {
  int sender_done = 0;

  for (;;) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                          {.fd = done_fd, .events = POLLIN}};
    int64_t left = deadline - cli_now_ns();
    int ms = sender_done ? QUIET_MS : (int)(left / 1000000) + 1;
    int n, err;

    if (left <= 0) {
      r->err = SP_ETIMEDOUT;
      return;
    }
    /* Once the sender is done only the data matters (the done byte stays
     * readable: polling it again would spin). */
    n = poll(p, sender_done ? 1 : 2, ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      r->err = -errno;
      return;
    }
    if (n == 0 && sender_done)
      return;
    if (p[0].revents && (err = drain(o, fd, buf, r)) != SP_EAGAIN) {
      r->err = err;
      return;
    }
    if (!sender_done && p[1].revents)
      sender_done = 1;
  }
}

static void child_main(const cli_ipc_opts *o, cli_ipc *c, ctl *k, pid_t parent,
                       char *buf, int64_t deadline) {
  report r = {0, 0, 0, 0};
  const cli_transport *pipe_t = cli_transport_find("pipe");

  if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
    _exit(1);
  close(k->done[1]);
  close(k->result[0]);
  r.err = cli_deadline_arm();
  if (!r.err)
    r.err = cli_pin_apply(o->cpu[1]);
  if (!r.err && o->t->reliable)
    receive_all(o, c->child_rd, buf, deadline, &r);
  else if (!r.err)
    receive_lossy(o, c->child_rd, k->done[0], buf, deadline, &r);
  if (!r.err && o->t->bytestream)
    r.msgs = r.bytes / (long long)o->size;
  if (cli_send(pipe_t, k->result[1], &r, sizeof(r), deadline))
    _exit(1);
  _exit(0);
}

static void close_ctl(ctl *k) {
  for (int i = 0; i < 2; i++) {
    if (k->done[i] >= 0)
      close(k->done[i]);
    if (k->result[i] >= 0)
      close(k->result[i]);
    k->done[i] = k->result[i] = -1;
  }
}

static int reap(pid_t pid, int kill_it) {
  int status;

  if (kill_it)
    kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void print_report(const cli_ipc_opts *o, const report *r,
                         int64_t elapsed) {
  double s = (double)elapsed / 1e9;
  double loss = 100.0 * (double)(o->count - r->msgs) / (double)o->count;

  printf("stream transport=%s size=%zu count=%lld pin=%s sent=%lld "
         "received=%lld loss_pct=%.2f bytes_per_s=%.0f msgs_per_s=%.0f "
         "elapsed_s=%.3f\n",
         o->t->name, o->size, o->count, cli_pin_name(o->pin), o->count, r->msgs,
         loss < 0 ? 0.0 : loss, s > 0 ? (double)r->bytes / s : 0.0,
         s > 0 ? (double)r->msgs / s : 0.0, s);
}

static int run(const cli_ipc_opts *o, cli_ipc *c, ctl *k, char *buf) {
  int64_t deadline = cli_now_ns() + (int64_t)o->timeout_s * 1000000000;
  const cli_transport *pipe_t = cli_transport_find("pipe");
  pid_t parent = getpid(), pid;
  report r = {0, 0, 0, 0};
  int64_t start;
  int err = 0;
  char one = 'd';

  pid = fork();
  if (pid < 0)
    return cli_ipc_fail(o->cmd, "fork", -errno);
  if (pid == 0) {
    cli_ipc_keep(c, 1);
    child_main(o, c, k, parent, buf, deadline);
  }
  cli_ipc_keep(c, 0);
  close(k->done[0]);
  close(k->result[1]);
  k->done[0] = k->result[1] = -1;
  if ((err = cli_deadline_arm())) {
    reap(pid, 1);
    return cli_ipc_fail(o->cmd, "timer", err);
  }
  start = cli_now_ns();
  for (long long i = 0; i < o->count && !err; i++)
    err = cli_send(o->t, c->parent_wr, buf, o->size, deadline);
  if (!err && !o->t->reliable) /* a reliable reader stops by itself */
    err = cli_send(pipe_t, k->done[1], &one, 1, deadline);
  if (!err)
    err = cli_recv(pipe_t, k->result[0], &r, sizeof(r), deadline);
  if (!err && r.err)
    err = r.err;
  /* Our send failed: the child's report, if it comes within 1 s, says why. */
  if (err && err != r.err && r.err == 0 &&
      cli_recv(pipe_t, k->result[0], &r, sizeof(r), cli_now_ns() + 1000000000))
    r.err = 0;
  cli_deadline_disarm();
  if (err && err != r.err && r.err)
    cli_ipc_fail(o->cmd, "child: receiving", r.err); /* the root cause */
  if (err) {
    reap(pid, 1);
    return cli_ipc_fail(o->cmd, "transfer", err);
  }
  if (reap(pid, 0)) {
    fprintf(stderr, "sockpair: %s: the child failed\n", o->cmd);
    return CLI_EXIT_OSERR;
  }
  print_report(o, &r, (r.msgs ? r.last_ns : cli_now_ns()) - start);
  return CLI_EXIT_OK;
}

int cli_stream(int argc, char **argv) {
  cli_ipc_opts o = {.cmd = "stream",
                    .count = DEFAULT_COUNT,
                    .max_count = MAX_COUNT,
                    .size = 64,
                    .pin = CLI_PIN_NONE,
                    .timeout_s = 60};
  cli_ipc c = {-1, -1, -1, -1};
  ctl k = {{-1, -1}, {-1, -1}};
  char *buf = NULL;
  int rc, err;

  rc = cli_ipc_parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? CLI_EXIT_OK : rc;
  signal(SIGPIPE, SIG_IGN);
  buf = calloc(1, o.size);
  if (!buf)
    return cli_ipc_fail(o.cmd, "allocating", SP_ENOMEM);
  if ((err = cli_pin_plan(o.pin, o.cpu)) || (err = cli_pin_apply(o.cpu[0]))) {
    rc = cli_ipc_fail(o.cmd, "pinning", err);
    goto out;
  }
  if (pipe2(k.done, O_CLOEXEC) || pipe2(k.result, O_CLOEXEC)) {
    rc = cli_ipc_fail(o.cmd, "pipe2", -errno);
    goto out;
  }
  if ((err = cli_ipc_open(o.t, &c))) {
    rc = cli_ipc_fail(o.cmd, o.t->name, err);
    goto out;
  }
  rc = run(&o, &c, &k, buf);
  cli_ipc_close(&c);
out:
  close_ctl(&k);
  free(buf);
  return rc;
}
