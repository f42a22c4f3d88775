/*
 * The ping-pong of `sockpair pingpong` and BM_Latency: the caller sends
 * size bytes, an echo peer (a child or a thread) sends them back, and each
 * round trip is timed with the monotonic clock. The peer says it is ready
 * first, so its start-up is not in the first sample; both ends count their
 * own context switches over the round trips only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

struct echo {
  const struct sh_pingpong *pp;
  int rfd, wfd;
  char *buf;
};

static int64_t csw_of(enum sh_mode mode) {
  return mode == SH_THREAD ? sh_csw_thread() : sh_csw_self();
}

/* The stuck peer of the failure-path tests: blocks for good. */
static void hang(void) {
  for (;;)
    pause(); /* a cancellation point; a child dies by alarm or SIGKILL */
}

/* A thread peer cancelled in a wait still closes its ring. */
static void close_io(void *io) {
  sh_io_close(io);
}

/* Says it is ready and takes the first message, then answers each and
 * takes the next: one hop each (one io_uring_enter with io:uring). */
static int echo_loop(const struct sh_pingpong *pp, struct sh_ioend *io,
                     char *buf) {
  const struct sh_run *r = &pp->run;
  int err = sh_io_xfer(io, buf, 1, buf, r->count > 0 ? r->size : 0);
  for (int64_t i = 0; err == 0 && i < r->count; i++) {
    if (i == pp->hang_after)
      hang();
    err = sh_io_xfer(io, buf, r->size, buf, i + 1 < r->count ? r->size : 0);
  }
  return err;
}

/* The peer: says it is ready, then echoes count messages. */
static void echo(void *arg, struct sh_report *rep) {
  struct echo *e = arg;
  const struct sh_pingpong *pp = e->pp;
  const struct sh_run *r = &pp->run;
  int64_t c0 = csw_of(pp->mode), s0;
  struct sh_ioend io;
  int err = sh_io_open(&io, r->io, r->api, r->t, e->rfd, e->wfd, 1, r->size,
                       SH_IO_PINGPONG,
                       sh_now_ns() + (int64_t)r->peer_timeout_s * 1000000000);
  if (err != 0) {
    rep->err = err;
    snprintf(rep->what, sizeof(rep->what), "io:%s set-up", sh_io_names[r->io]);
    return;
  }
  pthread_cleanup_push(close_io, &io);
  s0 = sh_syscalls;
  err = echo_loop(pp, &io, e->buf);
  rep->syscalls = sh_syscalls - s0;
  pthread_cleanup_pop(1);
  rep->csw = csw_of(pp->mode) - c0;
  rep->err = err;
  if (err != 0)
    snprintf(rep->what, sizeof(rep->what), "echo");
}

/* The timed loop; 0, or a negative errno and pp->run.failed. */
static int loop(struct sh_pingpong *pp, struct sh_ioend *io, char *buf) {
  int64_t c0, s0, start;
  int err;
  c0 = csw_of(pp->mode);
  s0 = sh_syscalls;
  start = sh_now_ns();
  while (sh_run_more(&pp->run, pp->done)) {
    int64_t t0 = sh_now_ns(), ns;
    err = sh_io_xfer(io, buf, pp->run.size, buf, pp->run.size);
    ns = sh_now_ns() - t0;
    if (err == 0 && sh_deadline_passed())
      err = SP_ETIMEDOUT;
    if (err != 0) {
      pp->run.failed = "ping-pong";
      return err;
    }
    pp->rtt_ns[pp->done++] = ns;
    if (pp->on_rtt)
      pp->on_rtt(pp->run.ctx, ns);
  }
  pp->elapsed_ns = sh_now_ns() - start;
  pp->csw_self = csw_of(pp->mode) - c0;
  pp->run.sys_self = sh_syscalls - s0;
  return 0;
}

/* The caller's end on the run's I/O path, made once the peer is ready (a
 * ring is never inherited; a stream on a pipe makes its end non-blocking),
 * then the timed loop. */
static int run_loop(struct sh_pingpong *pp, const struct sh_chan *c,
                    char *buf) {
  struct sh_ioend io;
  int err = sh_recv(pp->run.t, c->rfd[0], buf, 1);
  if (err != 0) {
    pp->run.failed = "waiting for the peer";
    return err;
  }
  err = sh_io_open(&io, pp->run.io, pp->run.api, pp->run.t, c->rfd[0],
                   c->wfd[0], 1, pp->run.size, SH_IO_PINGPONG, 0);
  if (err != 0) {
    pp->run.failed = "io set-up";
    return err;
  }
  err = loop(pp, &io, buf);
  snprintf(pp->run.how, sizeof(pp->run.how), "%s", io.how);
  sh_io_close(&io);
  return err;
}

int sh_pingpong_run(struct sh_pingpong *pp, struct sh_chan *c) {
  int close_in_child[2] = {c->rfd[0], c->wfd[0]};
  struct sh_peer peer;
  struct sh_report rep;
  struct echo e;
  /* Two buffers of a line and its NUL (api stream reads lines). */
  char *buf = calloc(2, pp->run.size + 1);
  int err;
  pp->done = pp->elapsed_ns = pp->csw_self = pp->csw_peer = 0;
  pp->run.sys_self = pp->run.sys_peer = 0;
  pp->run.how[0] = '\0';
  pp->run.failed = NULL;
  pp->run.msg[0] = '\0';
  if (!buf) {
    pp->run.failed = "malloc";
    return -ENOMEM;
  }
  /* The message is a line: api stream's reader takes one. */
  if (pp->run.size > 0) {
    memset(buf, 'x', pp->run.size - 1);
    buf[pp->run.size - 1] = '\n';
  }
  e = (struct echo){pp, c->rfd[1], c->wfd[1], buf + pp->run.size + 1};
  err = sh_peer_start(&peer, pp->mode, pp->run.peer_cpu, pp->run.peer_timeout_s,
                      close_in_child, 2, echo, &e);
  if (err != 0) {
    pp->run.failed = pp->mode == SH_THREAD ? "pthread_create" : "fork";
    free(buf);
    return err;
  }
  if (pp->mode == SH_PROCESS)
    sh_chan_close_end(c, 1);
  err = run_loop(pp, c, buf);
  if (sh_peer_finish(&peer, err != 0, &rep, pp->run.msg, sizeof(pp->run.msg)) !=
      0) {
    pp->run.failed = "peer";
    err = -ECHILD;
  }
  pp->csw_peer = rep.csw;
  pp->run.sys_peer = rep.syscalls;
  free(buf);
  return err;
}
