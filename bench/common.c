/*
 * The harness's glue to Google Benchmark, shared by the families: failure
 * and skip messages, the percentile counters, the watchdog's deadlines
 * and the hooks of the failure-path tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sockpair.h"

static void message(sb_state *st, const char *kind, const char *what, int err) {
  char buf[256];
  if (err == SP_ETIMEDOUT)
    snprintf(buf, sizeof(buf), "%s: %s: the watchdog's deadline passed", kind,
             what);
  else if (err == -ECHILD)
    snprintf(buf, sizeof(buf), "%s: %s: the peer died without answering", kind,
             what);
  else if (err == SP_EOF)
    snprintf(buf, sizeof(buf), "%s: %s: the peer closed early", kind, what);
  else
    snprintf(buf, sizeof(buf), "%s: %s: %s (%s)", kind, what, sp_err_name(err),
             sp_strerror(err));
  sb_skip_with_error(st, buf);
}

void bt_fail(sb_state *st, const char *what, int err) {
  message(st, "error", what, err);
}

void bt_skip(sb_state *st, const char *what, int err) {
  message(st, "skip", what, err);
}

void bt_peer_failed(sb_state *st, const char *msg) {
  char buf[300];
  snprintf(buf, sizeof(buf), "error: %s", msg);
  sb_skip_with_error(st, buf);
}

int bt_chan_open_st(sb_state *st, const struct sh_transport *t,
                    struct sh_chan *c) {
  const char *what = t->create == SH_SOCKETPAIR ? "sp_socketpair" : t->name;
  int err = sh_chan_open(t, c);
  if (err == 0)
    return 0;
  if (sh_is_refusal(err))
    bt_skip(st, what, err);
  else
    bt_fail(st, what, err);
  return err;
}

static int keep_running(void *st) {
  return sb_keep_running(st);
}

void bt_run_init(struct sh_run *r, sb_state *st, const struct sh_transport *t) {
  r->t = t;
  r->peer_cpu = -1;
  r->size = (size_t)sb_range(st, 0);
  r->count = sb_max_iterations(st);
  r->peer_timeout_s = bt_deadline_s(r->count, r->size);
  r->keep_running = keep_running;
  r->ctx = st;
}

void bt_run_failed(sb_state *st, const struct sh_run *r, int err) {
  if (strcmp(r->failed, "peer") == 0)
    bt_peer_failed(st, r->msg);
  else
    bt_fail(st, r->failed, err);
}

void bt_stats_report(sb_state *st, const struct sh_stats *s) {
  sb_counter(st, "p50_us", (double)s->p50 * 1e-3, SB_COUNTER_DEFAULT);
  sb_counter(st, "p90_us", (double)s->p90 * 1e-3, SB_COUNTER_DEFAULT);
  sb_counter(st, "p99_us", (double)s->p99 * 1e-3, SB_COUNTER_DEFAULT);
  sb_counter(st, "p99.9_us", (double)s->p999 * 1e-3, SB_COUNTER_DEFAULT);
  sb_counter(st, "mean_us", s->mean * 1e-3, SB_COUNTER_DEFAULT);
}

/* SP_BENCH_WATCHDOG_S: a fixed deadline, for the tests of the failure
 * paths (scripts/lib/check_smoke.py --stuck-peer); 0 or unset: computed. */
static unsigned fixed_deadline_s;
/* SP_BENCH_PEER_HANG=N: the echo peer stops answering after N round
 * trips and blocks for good, so the tests can prove that a stuck peer
 * fails its benchmark in bounded time instead of hanging the run. */
static int64_t hang_after = -1;
static int64_t fixed_iterations;

void bt_test_hooks_init(void) {
  const char *v = getenv("SP_BENCH_WATCHDOG_S");
  if (v)
    fixed_deadline_s = (unsigned)strtoul(v, NULL, 10);
  v = getenv("SP_BENCH_PEER_HANG");
  if (v)
    hang_after = strtoll(v, NULL, 10);
  v = getenv("SP_BENCH_ITERATIONS");
  if (v)
    fixed_iterations = strtoll(v, NULL, 10);
}

void bt_fixed_iterations(sb_bench *b) {
  if (fixed_iterations > 0)
    sb_iterations(b, fixed_iterations);
}

int bt_io_skip(sb_state *st, enum sh_io io, const struct sh_transport *t) {
  char why[200];
  if (sh_io_supported(io, t, why, sizeof(why)) == 0)
    return 0;
  sb_skip_with_error(st, why);
  return 1;
}

void bt_syscalls_report(sb_state *st, const struct sh_run *r, int64_t n) {
  double d = n > 0 ? (double)n : 1.0;
  sb_counter(st, "syscalls_per_msg", (double)(r->sys_self + r->sys_peer) / d,
             0);
  sb_counter(st, "syscalls_self_per_msg", (double)r->sys_self / d, 0);
  sb_counter(st, "syscalls_peer_per_msg", (double)r->sys_peer / d, 0);
}

void bt_label_how(char *label, size_t len, const struct sh_run *r) {
  size_t used = strlen(label);
  if (r->how[0] && used + 1 < len)
    snprintf(label + used, len - used, " %s", r->how);
}

int64_t bt_peer_hang_after(void) {
  return hang_after;
}

unsigned bt_deadline_s(int64_t n, size_t size) {
  /* 1 ms per operation plus 100 MB/s: 50x and more what this slow
   * machine does, so only a stuck peer reaches it. */
  double s = 10.0 + (double)n * (1e-3 + (double)size * 1e-8);
  if (fixed_deadline_s)
    return fixed_deadline_s;
  return s > 3600 ? 3600 : (unsigned)s;
}

unsigned bt_watchdog_s(int64_t n, size_t size) {
  /* Later than the peer's own alarm, so a stuck child is seen dying. */
  return bt_deadline_s(n, size) + (fixed_deadline_s ? 1 : 5);
}

void bt_watchdog_arm(unsigned seconds) {
  sh_deadline_arm(sh_now_ns() + (int64_t)seconds * 1000000000);
}
