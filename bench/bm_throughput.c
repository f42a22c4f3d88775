/*
 * Family 2, throughput: one-way, the benchmark sends n messages to a
 * receiving child on the same CPU, which counts what arrives and when the
 * last of it did: the harness's one-way run (sh_oneway_run), the one
 * `sockpair stream` runs. The time is from the first send to the last
 * receive (manual time), so data still queued in 4 MiB of buffers is not
 * counted as delivered. Bytes and items per second are what the receiver
 * got; UDP also reports loss_pct (sent - received, over sent), because a
 * UDP throughput without its loss means nothing. A message size the type
 * cannot carry (EMSGSIZE) is a skip with that reason. Both sides count
 * their system calls on the message path (syscalls_per_msg).
 *
 * The I/O path is a dimension: one send per message and a plain reader
 * (no io: segment: the names earlier runs have); io_uring with a batch
 * of sends per io_uring_enter and a multishot receiver (io:uring, every
 * transport but eventfd); sendmmsg/recvmmsg (io:mmsg, message sockets);
 * on tcp4, MSG_ZEROCOPY and io_uring send_zc with their completion
 * notifications counted (io:zerocopy, io:uring-zc).
 *
 *   BM_Throughput/<transport>/same-cpu/<buf:default|buf:4MiB>
 *     [/io:<uring|mmsg|uring-zc>/batch:<n> | /io:zerocopy]
 *     /bytes:<n>/manual_time
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define BIG_BUF (4 << 20)

static const int64_t sizes[] = {64, 4096, 65536, 1048576};

static const int64_t zc_sizes[] = {65536, 1048576};
static const unsigned batches[] = {8, 64};

struct tp_case {
  const struct sh_transport *t;
  int bufs; /* 0: the kernel's defaults */
  enum sh_io io;
  unsigned batch; /* 0: one message per call */
};

#define MAX_CASES 512
static struct tp_case cases[MAX_CASES];
static size_t ncases;

/* Zero-copy: the notifications per message, and the share of sends the
 * kernel copied anyway, when it says (MSG_ZEROCOPY; send_zc from 6.2). */
static void zc_report(sb_state *st, const struct sh_io_stats *zc, int64_t n) {
  if (zc->zc_sends == 0)
    return;
  sb_counter(st, "zc_notifs_per_msg", (double)zc->zc_notifs / (double)n, 0);
  if (zc->zc_known && zc->zc_done > 0)
    sb_counter(st, "zc_copied_pct",
               100.0 * (double)zc->zc_copied / (double)zc->zc_done, 0);
}

static void report(sb_state *st, const struct tp_case *c,
                   const struct sh_oneway *ow, int got,
                   const struct sh_cpus *cpus) {
  const struct sh_report *rep = &ow->rep;
  char label[96], where[48];
  int64_t end = rep->t_last > ow->t_sent ? rep->t_last : ow->t_sent;
  sb_set_iteration_time(st, (double)(end - ow->t_first) * 1e-9);
  sb_bytes_processed(st, rep->bytes);
  /* Items are messages: a stream receiver's reads are not messages. */
  sb_items_processed(st, c->t->bytestream ? rep->bytes / (int64_t)ow->run.size
                                          : rep->msgs);
  if (c->t->may_drop)
    sb_counter(
        st, "loss_pct",
        100.0 * (double)(ow->run.count - rep->msgs) / (double)ow->run.count, 0);
  /* Both sides: the sender's while it sent, the receiver's own. */
  sb_counter(st, "csw_per_msg",
             (double)(ow->csw_self + rep->csw) / (double)ow->run.count, 0);
  bt_syscalls_report(st, &ow->run, ow->run.count);
  zc_report(st, &ow->zc, ow->run.count);
  sh_cpus_label(cpus, where, sizeof(where));
  if (c->bufs)
    snprintf(label, sizeof(label), "%s bufs=%d", where, got);
  else
    snprintf(label, sizeof(label), "%s", where);
  bt_label_how(label, sizeof(label), &ow->run);
  sb_label(st, label);
}

/* A failed run: a size the type cannot carry is a skip, the rest fails. */
static void failed(sb_state *st, const struct sh_oneway *ow, int err) {
  char what[64];
  if (err == -EMSGSIZE && strcmp(ow->run.failed, "send") == 0) {
    snprintf(what, sizeof(what), "send of %zu bytes", ow->run.size);
    bt_skip(st, what, err);
  } else {
    bt_run_failed(st, &ow->run, err);
  }
}

static void run_case(sb_state *st, const struct tp_case *c,
                     struct sh_oneway *ow, struct sh_chan *chan) {
  struct sh_cpus cpus;
  char why[128];
  int got = 0, err = 0;
  sh_cpus_pick(SH_PIN_SAME, &cpus, why, sizeof(why));
  ow->run.peer_cpu = cpus.peer;
  if (c->bufs) {
    err = sh_chan_set_bufs(c->t, chan, c->bufs, &got);
    if (err != 0) {
      bt_fail(st, "setting buffer sizes", err);
      return;
    }
  }
  err = sh_pin_self(cpus.self);
  if (err != 0) {
    bt_fail(st, "sched_setaffinity", err);
    return;
  }
  bt_watchdog_arm(bt_watchdog_s(ow->run.count, ow->run.size));
  err = sh_oneway_run(ow, chan);
  sh_deadline_disarm();
  if (err != 0)
    failed(st, ow, err);
  else
    report(st, c, ow, got, &cpus);
}

static void bm_throughput(sb_state *st, void *arg) {
  const struct tp_case *c = arg;
  struct sh_oneway ow;
  struct sh_chan chan;
  memset(&ow, 0, sizeof(ow));
  bt_run_init(&ow.run, st, c->t);
  ow.run.io = c->io;
  ow.run.batch = c->batch;
  if (bt_io_skip(st, c->io, c->t))
    return;
  if (bt_chan_open_st(st, c->t, &chan) != 0)
    return;
  run_case(st, c, &ow, &chan);
  sh_chan_close(&chan);
  sh_unpin_self();
}

static void add(const struct sh_transport *t, int bufs, enum sh_io io,
                unsigned batch, const int64_t *size) {
  static const char *const arg_names[] = {"bytes"};
  char name[128], path[32] = "";
  struct tp_case *c;
  sb_bench *bm;
  if (ncases == MAX_CASES)
    return;
  c = &cases[ncases++];
  *c = (struct tp_case){t, bufs, io, batch};
  if (io != SH_IO_SYSCALL && batch)
    snprintf(path, sizeof(path), "/io:%s/batch:%u", sh_io_names[io], batch);
  else if (io != SH_IO_SYSCALL)
    snprintf(path, sizeof(path), "/io:%s", sh_io_names[io]);
  snprintf(name, sizeof(name), "BM_Throughput/%s/same-cpu/%s%s", t->name,
           bufs ? "buf:4MiB" : "buf:default", path);
  bm = sb_register(name, bm_throughput, c);
  sb_args(bm, size, 1);
  sb_arg_names(bm, arg_names, 1);
  sb_use_manual_time(bm);
  sb_unit(bm, SB_US);
  bt_fixed_iterations(bm);
}

/* The rows of one transport, buffer size and message size. */
static void add_paths(const struct sh_transport *t, int bufs,
                      const int64_t *size) {
  add(t, bufs, SH_IO_SYSCALL, 0, size);
  for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++)
    add(t, bufs, SH_IO_URING, batches[b], size);
  if (t->create == SH_SOCKETPAIR && !t->bytestream)
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++)
      add(t, bufs, SH_IO_MMSG, batches[b], size);
  if (strcmp(t->name, "tcp4") != 0)
    return;
  for (size_t z = 0; z < sizeof(zc_sizes) / sizeof(zc_sizes[0]); z++)
    if (*size == zc_sizes[z]) {
      add(t, bufs, SH_IO_ZEROCOPY, 0, size);
      add(t, bufs, SH_IO_URING_ZC, batches[0], size);
    }
}

void bm_throughput_register(void) {
  static const int bufs[] = {0, BIG_BUF};
  for (size_t i = 0; i < sh_ntransports; i++) {
    const struct sh_transport *t = &sh_transports[i];
    if (t->create == SH_EVENTFDS)
      continue; /* a counter, not a byte stream */
    for (int b = 0; b < 2; b++)
      for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        add_paths(t, bufs[b], &sizes[s]);
  }
}
