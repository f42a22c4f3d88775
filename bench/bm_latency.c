/*
 * Family 1, latency: ping-pong round trips between the benchmark and an
 * echo peer (a forked child or a thread), pinned to one CPU, two CPUs or
 * not at all. Every round trip is timed with clock_gettime and reported
 * as manual time; the percentiles and the mean are computed from all the
 * samples of the run, and the context switches per round trip come from
 * getrusage on both sides (the child / thread counts its own).
 *
 *   BM_Latency/<transport>/<process|thread>/<same-cpu|diff-cpu|unpinned>
 *     /bytes:<n>/manual_time
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const int64_t sizes[] = {1, 64, 4096};
static const int64_t eventfd_sizes[] = {8}; /* an eventfd carries a u64 */

struct lat_case {
  const struct bt_transport *t;
  enum bt_mode mode;
  enum bt_pin pin;
};

#define MAX_CASES 256
static struct lat_case cases[MAX_CASES];
static size_t ncases;

struct echo_arg {
  const struct bt_transport *t;
  int rfd, wfd;
  size_t size;
  int64_t n;
  char *buf;
  enum bt_mode mode;
};

/* SP_BENCH_PEER_HANG=N: the echo peer stops answering after N round
 * trips and blocks for good, so the tests can prove that a stuck peer
 * fails its benchmark in bounded time instead of hanging the run. */
static int64_t hang_after = -1;

static void hang(void) {
  for (;;)
    pause(); /* a cancellation point; a child dies by alarm or SIGKILL */
}

static int64_t csw_of(enum bt_mode mode) {
  return mode == BT_THREAD ? bt_csw_thread() : bt_csw_self();
}

/* The peer: says it is ready, then echoes n messages. */
static void echo(void *arg, struct bt_report *rep) {
  struct echo_arg *a = arg;
  int64_t c0 = csw_of(a->mode);
  int err = bt_send(a->t, a->wfd, a->buf, 1);
  for (int64_t i = 0; err == 0 && i < a->n; i++) {
    if (i == hang_after)
      hang();
    err = bt_recv(a->t, a->rfd, a->buf, a->size);
    if (err == 0)
      err = bt_send(a->t, a->wfd, a->buf, a->size);
  }
  rep->csw = csw_of(a->mode) - c0;
  rep->err = err;
  if (err != 0)
    snprintf(rep->what, sizeof(rep->what), "echo");
}

struct run {
  sb_state *st;
  const struct lat_case *c;
  struct bt_chan chan;
  struct bt_peer peer;
  struct echo_arg echo;
  char *buf;
  double *samples;
  size_t size;
  int64_t n;
};

/* The timed loop; 0, or a negative errno with the benchmark failed. */
static int ping_pong(struct run *r, int64_t *csw) {
  const struct bt_transport *t = r->c->t;
  int rfd = r->chan.rfd[0], wfd = r->chan.wfd[0];
  int64_t c0, i = 0;
  int err = bt_recv(t, rfd, r->buf, 1); /* the peer is ready */
  if (err != 0) {
    bt_fail(r->st, "waiting for the peer", err);
    return err;
  }
  c0 = csw_of(r->c->mode);
  while (sb_keep_running(r->st)) {
    int64_t t0 = bt_now_ns(), t1;
    err = bt_send(t, wfd, r->buf, r->size);
    if (err == 0)
      err = bt_recv(t, rfd, r->buf, r->size);
    if (err != 0) {
      bt_fail(r->st, "ping-pong", err);
      return err;
    }
    t1 = bt_now_ns();
    r->samples[i] = (double)(t1 - t0) * 1e-9;
    sb_set_iteration_time(r->st, r->samples[i]);
    i++;
  }
  *csw = csw_of(r->c->mode) - c0;
  return 0;
}

static void report(struct run *r, int64_t csw_self, int64_t csw_peer,
                   const struct bt_cpus *cpus) {
  struct bt_stats s;
  char label[64];
  double n = (double)r->n;
  bt_stats_compute(r->samples, (size_t)r->n, &s);
  bt_stats_report(r->st, &s);
  sb_counter(r->st, "csw_per_rt", (double)(csw_self + csw_peer) / n, 0);
  sb_counter(r->st, "csw_self_per_rt", (double)csw_self / n, 0);
  sb_counter(r->st, "csw_peer_per_rt", (double)csw_peer / n, 0);
  sb_items_processed(r->st, r->n);
  bt_cpus_label(cpus, label, sizeof(label));
  sb_label(r->st, label);
}

static int start_peer(struct run *r, const struct bt_cpus *cpus) {
  int close_in_child[2] = {r->chan.rfd[0], r->chan.wfd[0]};
  int err;
  r->echo =
      (struct echo_arg){r->c->t, r->chan.rfd[1],   r->chan.wfd[1], r->size,
                        r->n,    r->buf + r->size, r->c->mode};
  err = bt_peer_start(&r->peer, r->c->mode, cpus->peer,
                      bt_deadline_s(r->n, r->size), close_in_child, 2, echo,
                      &r->echo);
  if (err != 0) {
    bt_fail(r->st, r->c->mode == BT_THREAD ? "pthread_create" : "fork", err);
    return err;
  }
  if (r->c->mode == BT_PROCESS)
    bt_chan_close_end(&r->chan, 1);
  return 0;
}

static void run_case(struct run *r, const struct bt_cpus *cpus) {
  struct bt_report rep;
  char msg[256];
  int64_t csw = 0;
  int err = bt_pin_self(cpus->self);
  if (err != 0) {
    bt_fail(r->st, "sched_setaffinity", err);
    return;
  }
  if (start_peer(r, cpus) != 0)
    return;
  bt_watchdog_arm(bt_watchdog_s(r->n, r->size));
  err = ping_pong(r, &csw);
  bt_watchdog_disarm();
  if (bt_peer_finish(&r->peer, err != 0, &rep, msg, sizeof(msg)) != 0) {
    sb_skip_with_error(r->st, msg);
    return;
  }
  if (err == 0)
    report(r, csw, rep.csw, cpus);
}

static void bm_latency(sb_state *st, void *arg) {
  struct run r;
  struct bt_cpus cpus;
  char why[128];
  memset(&r, 0, sizeof(r));
  r.st = st;
  r.c = arg;
  r.size = (size_t)sb_range(st, 0);
  r.n = sb_max_iterations(st);
  if (bt_cpus_pick(r.c->pin, &cpus, why, sizeof(why)) != 0) {
    sb_skip_with_error(st, why);
    return;
  }
  r.buf = calloc(2, r.size);
  r.samples = malloc((size_t)r.n * sizeof(double));
  if (!r.buf || !r.samples) {
    bt_fail(st, "malloc", -ENOMEM);
    goto out;
  }
  if (bt_chan_open_st(st, r.c->t, &r.chan) != 0)
    goto out;
  run_case(&r, &cpus);
  bt_chan_close(&r.chan);
  bt_unpin_self();
out:
  free(r.buf);
  free(r.samples);
}

static void add(const struct bt_transport *t, enum bt_mode mode,
                enum bt_pin pin, const int64_t *sz, size_t nsz) {
  static const char *const arg_names[] = {"bytes"};
  char name[128];
  for (size_t i = 0; i < nsz && ncases < MAX_CASES; i++) {
    struct lat_case *c = &cases[ncases++];
    sb_bench *b;
    *c = (struct lat_case){t, mode, pin};
    snprintf(name, sizeof(name), "BM_Latency/%s/%s/%s", t->name,
             bt_mode_names[mode], bt_pin_names[pin]);
    b = sb_register(name, bm_latency, c);
    sb_args(b, &sz[i], 1);
    sb_arg_names(b, arg_names, 1);
    sb_use_manual_time(b);
    sb_unit(b, SB_US);
  }
}

void bm_latency_register(void) {
  const char *v = getenv("SP_BENCH_PEER_HANG");
  if (v)
    hang_after = strtoll(v, NULL, 10);
  for (size_t i = 0; i < bt_ntransports; i++) {
    const struct bt_transport *t = &bt_transports[i];
    for (int mode = BT_PROCESS; mode <= BT_THREAD; mode++)
      for (int pin = BT_PIN_SAME; pin <= BT_PIN_NONE; pin++) {
        if (t->kind == BT_EVENTFD)
          add(t, mode, pin, eventfd_sizes, 1);
        else
          add(t, mode, pin, sizes, 3);
      }
  }
}
