/*
 * Family 1, latency: ping-pong round trips between the benchmark and an
 * echo peer (a forked child or a thread), pinned to one CPU, two CPUs or
 * not at all: the harness's ping-pong (sh_pingpong_run), the one `sockpair
 * pingpong` runs. Every round trip is timed with clock_gettime and
 * reported as manual time; the percentiles and the mean are computed from
 * all the samples of the run, and the context switches per round trip
 * come from getrusage on both sides (the child / thread counts its own),
 * the system calls per round trip from the harness's count on both sides.
 * The I/O path is a dimension: one send and one recv per message (no io:
 * segment: the names earlier runs have), or io_uring, each hop one
 * io_uring_enter (io:uring; not for eventfd).
 *
 *   BM_Latency/<transport>/<process|thread>/<same-cpu|diff-cpu|unpinned>
 *     [/io:uring]/bytes:<n>/manual_time
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const int64_t sizes[] = {1, 64, 4096};

struct lat_case {
  const struct sh_transport *t;
  enum sh_mode mode;
  enum sh_pin pin;
  enum sh_io io;
};

#define MAX_CASES 512
static struct lat_case cases[MAX_CASES];
static size_t ncases;

static void on_rtt(void *st, int64_t ns) {
  sb_set_iteration_time(st, (double)ns * 1e-9);
}

static void report(sb_state *st, const struct sh_pingpong *pp,
                   const struct sh_cpus *cpus) {
  struct sh_stats s;
  char label[96];
  double n = (double)pp->done;
  sh_stats_compute(pp->rtt_ns, (size_t)pp->done, &s);
  bt_stats_report(st, &s);
  sb_counter(st, "csw_per_rt", (double)(pp->csw_self + pp->csw_peer) / n, 0);
  sb_counter(st, "csw_self_per_rt", (double)pp->csw_self / n, 0);
  sb_counter(st, "csw_peer_per_rt", (double)pp->csw_peer / n, 0);
  bt_syscalls_report(st, &pp->run, pp->done);
  sb_items_processed(st, pp->done);
  sh_cpus_label(cpus, label, sizeof(label));
  bt_label_how(label, sizeof(label), &pp->run);
  sb_label(st, label);
}

static void run_case(sb_state *st, struct sh_pingpong *pp, struct sh_chan *c,
                     const struct sh_cpus *cpus) {
  int err = sh_pin_self(cpus->self);
  if (err != 0) {
    bt_fail(st, "sched_setaffinity", err);
    return;
  }
  bt_watchdog_arm(bt_watchdog_s(pp->run.count, pp->run.size));
  err = sh_pingpong_run(pp, c);
  sh_deadline_disarm();
  if (err != 0)
    bt_run_failed(st, &pp->run, err);
  else
    report(st, pp, cpus);
}

static void bm_latency(sb_state *st, void *arg) {
  const struct lat_case *lc = arg;
  struct sh_pingpong pp;
  struct sh_chan chan;
  struct sh_cpus cpus;
  char why[128], msg[160];
  int err;
  memset(&pp, 0, sizeof(pp));
  bt_run_init(&pp.run, st, lc->t);
  pp.run.io = lc->io;
  if (bt_io_skip(st, lc->io, lc->t))
    return;
  pp.mode = lc->mode;
  pp.on_rtt = on_rtt;
  pp.hang_after = bt_peer_hang_after();
  err = sh_cpus_pick(lc->pin, &cpus, why, sizeof(why));
  if (err != 0) {
    /* One CPU cannot hold a diff-cpu case: a documented skip. */
    snprintf(msg, sizeof(msg), "%s: %s", err == -EINVAL ? "skip" : "error",
             why);
    sb_skip_with_error(st, msg);
    return;
  }
  pp.run.peer_cpu = cpus.peer;
  pp.rtt_ns = malloc((size_t)pp.run.count * sizeof(*pp.rtt_ns));
  if (!pp.rtt_ns) {
    bt_fail(st, "malloc", -ENOMEM);
    return;
  }
  if (bt_chan_open_st(st, lc->t, &chan) == 0) {
    run_case(st, &pp, &chan, &cpus);
    sh_chan_close(&chan);
    sh_unpin_self();
  }
  free(pp.rtt_ns);
}

static void add(const struct sh_transport *t, enum sh_mode mode,
                enum sh_pin pin, enum sh_io io, const int64_t *sz, size_t nsz) {
  static const char *const arg_names[] = {"bytes"};
  char name[128];
  for (size_t i = 0; i < nsz && ncases < MAX_CASES; i++) {
    struct lat_case *c = &cases[ncases++];
    sb_bench *b;
    *c = (struct lat_case){t, mode, pin, io};
    snprintf(name, sizeof(name), "BM_Latency/%s/%s/%s%s%s", t->name,
             sh_mode_names[mode], sh_pin_names[pin],
             io == SH_IO_SYSCALL ? "" : "/io:",
             io == SH_IO_SYSCALL ? "" : sh_io_names[io]);
    b = sb_register(name, bm_latency, c);
    sb_args(b, &sz[i], 1);
    sb_arg_names(b, arg_names, 1);
    sb_use_manual_time(b);
    sb_unit(b, SB_US);
    bt_fixed_iterations(b);
  }
}

void bm_latency_register(void) {
  for (size_t i = 0; i < sh_ntransports; i++) {
    const struct sh_transport *t = &sh_transports[i];
    /* An eventfd carries one count: its one size, and no io_uring row. */
    int64_t counter_size = (int64_t)t->max_message;
    for (int mode = SH_PROCESS; mode <= SH_THREAD; mode++)
      for (int pin = SH_PIN_SAME; pin <= SH_PIN_NONE; pin++) {
        if (t->create == SH_EVENTFDS) {
          add(t, mode, pin, SH_IO_SYSCALL, &counter_size, 1);
          continue;
        }
        add(t, mode, pin, SH_IO_SYSCALL, sizes, 3);
        add(t, mode, pin, SH_IO_URING, sizes, 3);
      }
  }
}
