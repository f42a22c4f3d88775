/*
 * One-way throughput, the run of `sockpair stream` and BM_Throughput: the
 * caller sends count messages to a receiving child (the sink), which
 * counts what arrives and when the last of it did, so the run is timed
 * from the first send to the last receive. Over a transport that may
 * drop, what never arrives is the loss: the sink stops once the sender is
 * done (it closes the done pipe) and the queue has stayed empty for 20 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

#define QUIET_US 20000

struct sink {
  const struct sh_run *run;
  int rfd, wfd, done_fd;
  char *buf;  /* cap bytes */
  size_t cap; /* the most one read takes */
};

static void got(struct sh_report *rep, ssize_t n) {
  rep->msgs++;
  rep->bytes += n;
  rep->t_last = sh_now_ns();
}

/* The queue went quiet; is the sender done (done_fd at EOF)? Then take
 * what is still queued and stop. */
static int sender_done(const struct sink *a, struct sh_report *rep) {
  struct pollfd p = {a->done_fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0)
    return 0;
  for (;;) {
    ssize_t r = recv(a->rfd, a->buf, a->cap, MSG_DONTWAIT);
    if (r < 0)
      return 1;
    got(rep, r);
  }
}

static int receive(const struct sink *a, struct sh_report *rep) {
  int64_t want = a->run->count * (int64_t)a->run->size;
  while (a->run->t->bytestream ? rep->bytes < want
                               : rep->msgs < a->run->count) {
    ssize_t r = read(a->rfd, a->buf, a->cap);
    if (r < 0 && errno == EAGAIN && a->run->t->may_drop) {
      if (sender_done(a, rep))
        return 0;
      continue;
    }
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      return SP_EOF;
    got(rep, r);
  }
  return 0;
}

/* The receiving child. */
static void sink_run(void *arg, struct sh_report *rep) {
  const struct sink *a = arg;
  int64_t c0 = sh_csw_self();
  int err = 0;
  if (a->run->t->may_drop) {
    /* Lost messages never arrive: wake up now and then to look at
     * done_fd. */
    struct timeval tv = {0, QUIET_US};
    if (setsockopt(a->rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
      err = -errno;
  }
  if (err == 0)
    err = sh_send(a->run->t, a->wfd, a->buf, 1); /* ready */
  if (err == 0)
    err = receive(a, rep);
  rep->csw = sh_csw_self() - c0;
  rep->err = err;
  if (err != 0)
    snprintf(rep->what, sizeof(rep->what), "receive");
}

int sh_run_more(const struct sh_run *r, int64_t done) {
  if (r->keep_running)
    return r->keep_running(r->ctx) && done < r->count;
  return done < r->count;
}

/* The sender's loop; 0, or a negative errno and ow->run.failed. */
static int source(struct sh_oneway *ow, const struct sh_chan *c, char *buf) {
  const struct sh_transport *t = ow->run.t;
  int64_t sent = 0;
  int err = sh_recv(t, c->rfd[0], buf, 1); /* the sink is ready */
  if (err != 0) {
    ow->run.failed = "waiting for the receiver";
    return err;
  }
  ow->csw_self = sh_csw_self();
  ow->t_first = sh_now_ns();
  while (sh_run_more(&ow->run, sent)) {
    err = sh_send(t, c->wfd[0], buf, ow->run.size);
    sent++;
    if (err == -ENOBUFS && t->may_drop) {
      ow->dropped++; /* the kernel dropped it at the sender: loss too */
      err = 0;
    }
    if (err == 0 && sh_deadline_passed())
      err = SP_ETIMEDOUT;
    if (err != 0) {
      ow->run.failed = "send";
      return err;
    }
  }
  ow->t_sent = sh_now_ns();
  ow->csw_self = sh_csw_self() - ow->csw_self;
  return 0;
}

/* Starts the sink on end 1 of c; the caller keeps done[1]. */
static int start_sink(struct sh_oneway *ow, struct sh_chan *c,
                      struct sh_peer *peer, struct sink *sk, int done[2]) {
  int close_in_child[3] = {c->rfd[0], c->wfd[0], done[1]};
  int err;
  sk->rfd = c->rfd[1];
  sk->wfd = c->wfd[1];
  sk->done_fd = done[0];
  err = sh_peer_start(peer, SH_PROCESS, ow->run.peer_cpu,
                      ow->run.peer_timeout_s, close_in_child, 3, sink_run, sk);
  close(done[0]);
  done[0] = -1;
  if (err != 0) {
    ow->run.failed = "fork";
    return err;
  }
  sh_chan_close_end(c, 1);
  return 0;
}

int sh_oneway_run(struct sh_oneway *ow, struct sh_chan *c) {
  struct sh_peer peer;
  struct sink sk = {&ow->run, -1, -1, -1, NULL, 0};
  int done[2] = {-1, -1};
  int err;
  ow->run.failed = NULL;
  ow->run.msg[0] = '\0';
  ow->dropped = ow->csw_self = ow->t_first = ow->t_sent = 0;
  memset(&ow->rep, 0, sizeof(ow->rep));
  /* A byte-stream receiver reads up to 64 KiB at a time, like a reader
   * would; a message receiver one message. */
  sk.cap =
      !ow->run.t->bytestream || ow->run.size > 65536 ? ow->run.size : 65536;
  sk.buf = calloc(1, sk.cap);
  if (!sk.buf) {
    ow->run.failed = "malloc";
    return -ENOMEM;
  }
  if (pipe2(done, O_CLOEXEC) != 0) {
    ow->run.failed = "pipe2";
    err = -errno;
    goto out;
  }
  err = start_sink(ow, c, &peer, &sk, done);
  if (err != 0)
    goto out;
  err = source(ow, c, sk.buf);
  close(done[1]); /* tells a sink that may lose messages: the sender is done */
  done[1] = -1;
  if (sh_peer_finish(&peer, err != 0, &ow->rep, ow->run.msg,
                     sizeof(ow->run.msg)) != 0) {
    ow->run.failed = "peer";
    err = -ECHILD;
  }
out:
  for (int i = 0; i < 2; i++)
    if (done[i] >= 0)
      close(done[i]);
  free(sk.buf);
  return err;
}
