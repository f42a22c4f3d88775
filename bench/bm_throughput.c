/*
 * Family 2, throughput: one-way, the benchmark sends n messages to a
 * receiving child on the same CPU, which counts what arrives and when the
 * last of it did. The time is from the first send to the last receive
 * (manual time), so data still queued in 4 MiB of buffers is not counted
 * as delivered. Bytes and items per second are what the receiver got;
 * UDP also reports loss_pct (sent - received, over sent), because a UDP
 * throughput without its loss means nothing. A message size the type
 * cannot carry (EMSGSIZE) is a skip with that reason.
 *
 *   BM_Throughput/<transport>/same-cpu/<buf:default|buf:4MiB>
 *     /bytes:<n>/manual_time
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

#include "bench.h"

#define BIG_BUF (4 << 20)

static const int64_t sizes[] = {64, 4096, 65536, 1048576};

struct tp_case {
  const struct bt_transport *t;
  int bufs; /* 0: the kernel's defaults */
};

#define MAX_CASES 128
static struct tp_case cases[MAX_CASES];
static size_t ncases;

struct sink_arg {
  const struct bt_transport *t;
  int rfd, wfd, ctl;
  size_t size, cap;
  int64_t n;
  char *buf;
};

/* UDP: the queue went quiet; is the sender done (its end of ctl closed)?
 * Then take what is still queued and stop. */
static int sender_done(struct sink_arg *a, struct bt_report *rep) {
  struct pollfd p = {a->ctl, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0)
    return 0;
  for (;;) {
    ssize_t r = recv(a->rfd, a->buf, a->cap, MSG_DONTWAIT);
    if (r < 0)
      return 1;
    rep->msgs++;
    rep->bytes += r;
    rep->t_last = bt_now_ns();
  }
}

static int sink_loop(struct sink_arg *a, struct bt_report *rep) {
  int64_t want = a->n * (int64_t)a->size;
  while (a->t->boundaries ? rep->msgs < a->n : rep->bytes < want) {
    ssize_t r = read(a->rfd, a->buf, a->cap);
    if (r < 0 && errno == EAGAIN && a->t->lossy) {
      if (sender_done(a, rep))
        return 0;
      continue;
    }
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      return -ENODATA;
    rep->msgs++;
    rep->bytes += r;
    rep->t_last = bt_now_ns();
  }
  return 0;
}

/* The receiving child. */
static void sink(void *arg, struct bt_report *rep) {
  struct sink_arg *a = arg;
  int64_t c0 = bt_csw_self();
  int err = 0;
  if (a->t->lossy) {
    /* Lost datagrams never arrive: wake up now and then to look at ctl. */
    struct timeval tv = {0, 20000};
    if (setsockopt(a->rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
      err = -errno;
  }
  if (err == 0)
    err = bt_send(a->t, a->wfd, a->buf, 1); /* ready */
  if (err == 0)
    err = sink_loop(a, rep);
  rep->csw = bt_csw_self() - c0;
  rep->err = err;
  if (err != 0)
    snprintf(rep->what, sizeof(rep->what), "receive");
}

struct run {
  sb_state *st;
  const struct tp_case *c;
  struct bt_chan chan;
  struct bt_peer peer;
  struct sink_arg sink;
  int ctl[2];
  char *buf;
  size_t size;
  int64_t n;
  int64_t t0, t_sent, dropped, csw;
};

static int source(struct run *r) {
  const struct bt_transport *t = r->c->t;
  int err = bt_recv(t, r->chan.rfd[0], r->buf, 1); /* the sink is ready */
  if (err != 0) {
    bt_fail(r->st, "waiting for the receiver", err);
    return err;
  }
  r->csw = bt_csw_self();
  r->t0 = bt_now_ns();
  while (sb_keep_running(r->st)) {
    err = bt_send(t, r->chan.wfd[0], r->buf, r->size);
    if (err == -ENOBUFS && t->lossy) {
      r->dropped++; /* the kernel dropped it at the sender: loss too */
      continue;
    }
    if (err == -EMSGSIZE) {
      char what[64];
      snprintf(what, sizeof(what), "send of %zu bytes", r->size);
      bt_skip(r->st, what, err);
      return err;
    }
    if (err != 0) {
      bt_fail(r->st, "send", err);
      return err;
    }
  }
  r->t_sent = bt_now_ns();
  r->csw = bt_csw_self() - r->csw;
  return 0;
}

static void report(struct run *r, const struct bt_report *rep, int got,
                   const struct bt_cpus *cpus) {
  char label[96], where[48];
  int64_t end = rep->t_last > r->t_sent ? rep->t_last : r->t_sent;
  sb_set_iteration_time(r->st, (double)(end - r->t0) * 1e-9);
  sb_bytes_processed(r->st, rep->bytes);
  /* Items are messages: a stream receiver's reads are not messages. */
  sb_items_processed(
      r->st, r->c->t->boundaries ? rep->msgs : rep->bytes / (int64_t)r->size);
  if (r->c->t->lossy)
    sb_counter(r->st, "loss_pct",
               100.0 * (double)(r->n - rep->msgs) / (double)r->n, 0);
  /* Both sides: the sender's while it sent, the receiver's own. */
  sb_counter(r->st, "csw_per_msg", (double)(r->csw + rep->csw) / (double)r->n,
             0);
  bt_cpus_label(cpus, where, sizeof(where));
  if (r->c->bufs)
    snprintf(label, sizeof(label), "%s bufs=%d", where, got);
  else
    snprintf(label, sizeof(label), "%s", where);
  sb_label(r->st, label);
}

static int setup(struct run *r, struct bt_cpus *cpus, int *got) {
  int err;
  int close_in_child[3] = {r->chan.rfd[0], r->chan.wfd[0], -1};
  if (r->c->bufs) {
    err = bt_chan_set_bufs(r->c->t, &r->chan, r->c->bufs, got);
    if (err != 0) {
      bt_fail(r->st, "setting buffer sizes", err);
      return err;
    }
  }
  if (pipe2(r->ctl, O_CLOEXEC) != 0) {
    bt_fail(r->st, "pipe2", -errno);
    return -1;
  }
  close_in_child[2] = r->ctl[1];
  err = bt_pin_self(cpus->self);
  if (err != 0) {
    bt_fail(r->st, "sched_setaffinity", err);
    return err;
  }
  r->sink =
      (struct sink_arg){r->c->t, r->chan.rfd[1], r->chan.wfd[1], r->ctl[0],
                        r->size, r->sink.cap,    r->n,           r->buf};
  err = bt_peer_start(&r->peer, BT_PROCESS, cpus->peer,
                      bt_deadline_s(r->n, r->size), close_in_child, 3, sink,
                      &r->sink);
  if (err != 0) {
    bt_fail(r->st, "fork", err);
    return err;
  }
  bt_chan_close_end(&r->chan, 1);
  close(r->ctl[0]);
  r->ctl[0] = -1;
  return 0;
}

static void run_case(struct run *r) {
  struct bt_cpus cpus;
  struct bt_report rep;
  char msg[256];
  int got = 0, err;
  bt_cpus_pick(BT_PIN_SAME, &cpus, msg, sizeof(msg));
  err = setup(r, &cpus, &got);
  if (err == 0) {
    bt_watchdog_arm(bt_watchdog_s(r->n, r->size));
    err = source(r);
    close(r->ctl[1]); /* tells a UDP sink the sender is done */
    r->ctl[1] = -1;
    if (bt_peer_finish(&r->peer, err != 0, &rep, msg, sizeof(msg)) != 0) {
      sb_skip_with_error(r->st, msg);
      err = -1;
    }
    bt_watchdog_disarm();
  }
  if (err == 0)
    report(r, &rep, got, &cpus);
}

static void bm_throughput(sb_state *st, void *arg) {
  struct run r;
  memset(&r, 0, sizeof(r));
  r.st = st;
  r.c = arg;
  r.size = (size_t)sb_range(st, 0);
  r.n = sb_max_iterations(st);
  r.ctl[0] = r.ctl[1] = -1;
  /* A stream receiver reads up to 64 KiB at a time, like a reader would. */
  r.sink.cap = r.c->t->boundaries || r.size > 65536 ? r.size : 65536;
  r.buf = calloc(1, r.sink.cap);
  if (!r.buf) {
    bt_fail(st, "malloc", -ENOMEM);
    return;
  }
  if (bt_chan_open_st(st, r.c->t, &r.chan) == 0) {
    run_case(&r);
    bt_chan_close(&r.chan);
    bt_unpin_self();
  }
  for (int i = 0; i < 2; i++)
    if (r.ctl[i] >= 0)
      close(r.ctl[i]);
  free(r.buf);
}

void bm_throughput_register(void) {
  static const char *const arg_names[] = {"bytes"};
  static const int bufs[] = {0, BIG_BUF};
  char name[128];
  for (size_t i = 0; i < bt_ntransports; i++) {
    const struct bt_transport *t = &bt_transports[i];
    if (t->kind == BT_EVENTFD)
      continue; /* a counter, not a byte stream */
    for (int b = 0; b < 2; b++)
      for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        struct tp_case *c = &cases[ncases++];
        sb_bench *bm;
        *c = (struct tp_case){t, bufs[b]};
        snprintf(name, sizeof(name), "BM_Throughput/%s/same-cpu/%s", t->name,
                 bufs[b] ? "buf:4MiB" : "buf:default");
        bm = sb_register(name, bm_throughput, c);
        sb_args(bm, &sizes[s], 1);
        sb_arg_names(bm, arg_names, 1);
        sb_use_manual_time(bm);
        sb_unit(bm, SB_US);
      }
  }
}
