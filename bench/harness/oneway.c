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

struct sink {
  const struct sh_run *run;
  int rfd, wfd, done_fd;
  char *buf;  /* cap bytes */
  size_t cap; /* the most one read takes */
  struct sh_ioend io;
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
  sh_syscalls++;
  if (poll(&p, 1, 0) <= 0)
    return 0;
  for (;;) {
    ssize_t r;
    sh_syscalls++;
    r = recv(a->rfd, a->buf, a->cap, MSG_DONTWAIT);
    if (r < 0)
      return 1;
    got(rep, r);
  }
}

/* Receives on the run's I/O path (a plain receiver reads once per
 * message or 64 KiB chunk) until everything came. */
static int receive(struct sink *a, struct sh_report *rep) {
  int64_t want = a->run->count * (int64_t)a->run->size;
  while (a->run->t->bytestream ? rep->bytes < want
                               : rep->msgs < a->run->count) {
    int64_t m0 = rep->msgs;
    int err = sh_io_recv(&a->io, &rep->msgs, &rep->bytes);
    if (err == -EAGAIN && a->run->t->may_drop) {
      if (sender_done(a, rep))
        return 0;
      continue;
    }
    if (err != 0)
      return err;
    if (rep->msgs > m0)
      rep->t_last = sh_now_ns();
  }
  return 0;
}

/* The receiving child. */
static void sink_run(void *arg, struct sh_report *rep) {
  struct sink *a = arg;
  const struct sh_run *r = a->run;
  int64_t c0 = sh_csw_self(), s0;
  int err = 0;
  if (r->t->may_drop) {
    /* Lost messages never arrive: wake up now and then to look at
     * done_fd. */
    struct timeval tv = {0, SH_QUIET_US};
    if (setsockopt(a->rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
      err = -errno;
  }
  if (err == 0)
    err = sh_io_open(&a->io, r->io, r->api, r->t, a->rfd, a->wfd, r->batch,
                     a->cap, SH_IO_RECEIVER,
                     sh_now_ns() + (int64_t)r->peer_timeout_s * 1000000000);
  if (err == 0)
    err = sh_send(r->t, a->wfd, a->buf, 1); /* ready */
  s0 = sh_syscalls;
  if (err == 0)
    err = receive(a, rep);
  rep->syscalls = sh_syscalls - s0;
  snprintf(rep->how, sizeof(rep->how), "%s", a->io.how);
  sh_io_close(&a->io);
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

/* How many messages the next send call takes: up to a batch, as long
 * as the run goes on (*more turns 0 once it says stop). */
static unsigned next_batch(const struct sh_run *r, int64_t sent, int *more) {
  unsigned batch = r->batch ? r->batch : 1, k = 0;
  while (*more && k < batch) {
    *more = sh_run_more(r, sent + k);
    k += (unsigned)*more;
  }
  return k;
}

/* The sender's loop; 0, or a negative errno and ow->run.failed. */
static int source(struct sh_oneway *ow, struct sh_ioend *io, char *buf) {
  int64_t sent = 0, s0;
  int more = 1;
  int err = 0;
  ow->csw_self = sh_csw_self();
  s0 = sh_syscalls;
  ow->t_first = sh_now_ns();
  while (err == 0) {
    unsigned k = next_batch(&ow->run, sent, &more);
    if (k == 0)
      break;
    /* Drops at the sender (ENOBUFS, may drop) are counted: loss too. */
    err = sh_io_send(io, buf, ow->run.size, k, &ow->dropped);
    sent += k;
    if (err == 0 && sh_deadline_passed())
      err = SP_ETIMEDOUT;
  }
  /* Zero-copy: the buffer is the sender's again only when the kernel
   * says so. */
  if (err == 0)
    err = sh_io_flush(io);
  if (err != 0) {
    ow->run.failed = "send";
    return err;
  }
  ow->t_sent = sh_now_ns();
  ow->run.sys_self = sh_syscalls - s0;
  ow->csw_self = sh_csw_self() - ow->csw_self;
  ow->zc = io->zc;
  return 0;
}

/* The sender's end on the run's I/O path, made once the sink is ready (a
 * ring is never inherited; a stream on a pipe makes its end non-blocking),
 * then its loop. */
static int send_all(struct sh_oneway *ow, const struct sh_chan *c, char *buf) {
  struct sh_ioend io;
  int err = sh_recv(ow->run.t, c->rfd[0], buf, 1);
  if (err != 0) {
    ow->run.failed = "waiting for the receiver";
    return err;
  }
  err = sh_io_open(&io, ow->run.io, ow->run.api, ow->run.t, c->rfd[0],
                   c->wfd[0], ow->run.batch, ow->run.size, SH_IO_SENDER, 0);
  if (err != 0) {
    ow->run.failed = "io set-up";
    return err;
  }
  err = source(ow, &io, buf);
  sh_io_close(&io);
  return err;
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
  struct sink sk;
  int done[2] = {-1, -1};
  int err;
  memset(&sk, 0, sizeof(sk));
  sk.run = &ow->run;
  ow->run.failed = NULL;
  ow->run.msg[0] = '\0';
  ow->run.sys_self = ow->run.sys_peer = 0;
  memset(&ow->zc, 0, sizeof(ow->zc));
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
  err = send_all(ow, c, sk.buf);
  close(done[1]); /* tells a sink that may lose messages: the sender is done */
  done[1] = -1;
  if (sh_peer_finish(&peer, err != 0, &ow->rep, ow->run.msg,
                     sizeof(ow->run.msg)) != 0) {
    ow->run.failed = "peer";
    err = -ECHILD;
  }
  ow->run.sys_peer = ow->rep.syscalls;
  snprintf(ow->run.how, sizeof(ow->run.how), "%s", ow->rep.how);
out:
  for (int i = 0; i < 2; i++)
    if (done[i] >= 0)
      close(done[i]);
  free(sk.buf);
  return err;
}
