/*
 * What the benchmark families share: the IPC harness (bench/harness:
 * transports, peers, pinning, clock, stats, ping-pong, sink) and, in
 * common.c, its glue to Google Benchmark (failures and skips, counters,
 * the watchdog's deadlines).
 */
#ifndef SP_BENCH_H
#define SP_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "shim.h"

/* sh_chan_open(), and on failure the benchmark is skipped (the kernel
 * has no such transport: its reason) or failed (anything else). */
int bt_chan_open_st(sb_state *st, const struct sh_transport *t,
                    struct sh_chan *c);

/* Seconds to allow for n operations of size bytes (generous): the
 * peer's own bound. */
unsigned bt_deadline_s(int64_t n, size_t size);
/* The benchmark's deadline for the same work: a little later, so a stuck
 * child is seen dying. */
unsigned bt_watchdog_s(int64_t n, size_t size);
/* sh_deadline_arm() that many seconds from now. */
void bt_watchdog_arm(unsigned seconds);
/* Reads the environment of the failure-path tests: SP_BENCH_WATCHDOG_S
 * (a fixed deadline), SP_BENCH_PEER_HANG (the echo peer stops answering
 * after that many round trips) and SP_BENCH_ITERATIONS. */
void bt_test_hooks_init(void);
int64_t bt_peer_hang_after(void); /* -1: never */

/* A harness run of this benchmark: t, size (range 0), count (the
 * iterations), the peer's bound, the state loop as keep_running. */
void bt_run_init(struct sh_run *r, sb_state *st, const struct sh_transport *t);
/* The run failed: the peer's message, or "error: <failed>: <err>". */
void bt_run_failed(sb_state *st, const struct sh_run *r, int err);

/* The I/O-path dimension: a path this kernel or build does not offer
 * for t is a documented skip with the reason (returns 1). */
int bt_io_skip(sb_state *st, enum sh_io io, const struct sh_transport *t);
/* Sets syscalls_per_msg, syscalls_self_per_msg, syscalls_peer_per_msg:
 * the run's system calls on the message path per message (round trip). */
void bt_syscalls_report(sb_state *st, const struct sh_run *r, int64_t n);
/* Appends " <how the I/O path was set up>" to a label, if anything. */
void bt_label_how(char *label, size_t len, const struct sh_run *r);
/* SP_BENCH_ITERATIONS=N (the tests that count system calls with
 * strace): every latency and throughput benchmark runs exactly N
 * iterations, once. */
void bt_fixed_iterations(sb_bench *b);

/* Sets p50_us, p90_us, p99_us, p99.9_us, mean_us. */
void bt_stats_report(sb_state *st, const struct sh_stats *s);

/* "error: <what>: ENAME (sentence)" or "skip: ..." as the run's error. */
void bt_fail(sb_state *st, const char *what, int err);
void bt_skip(sb_state *st, const char *what, int err);
/* "error: <msg>": the peer's sh_peer_finish() message. */
void bt_peer_failed(sb_state *st, const char *msg);

/* ---- families ----------------------------------------------------- */
void bm_latency_register(void);
void bm_throughput_register(void);
void bm_create_register(void);
void bm_stream_register(void);
void bm_floors_register(void);
void bm_messaging_register(void);
void bm_pairs_register(void);

/* The contention families' options (bm_messaging.c): defaults, then the
 * SP_BENCH_GROUPS / _LOOPS / _PAIRS / _PAIRS_WINDOW_MS environment, then
 * the --sp_messaging_groups= --sp_messaging_loops= --sp_pairs=
 * --sp_pairs_window_ms= flags, which bm_contention_flags() removes from
 * argv (0, or 64 for a bad one) before Google Benchmark parses it. Names
 * do not change with them. */
#define BM_CONTENTION_MAX 16
struct bm_contention_opts {
  int64_t groups[BM_CONTENTION_MAX];
  int ngroups, loops;
  int64_t pairs[BM_CONTENTION_MAX];
  int npairs, window_ms;
};
extern struct bm_contention_opts bm_contention;
int bm_contention_flags(int *argc, char **argv);
/* One transport and mode of a contention family (mode: 0 process, 1
 * thread). */
struct bm_contention_case {
  const struct sh_transport *t;
  int mode;
};
/* Registers <family>/<transport>/<process|thread>/<arg>:<v> for each of
 * the n values, fn(state, c), manual time in ms. */
void bm_contention_add(const char *family, struct bm_contention_case *c,
                       sb_fn fn, const char *arg, const int64_t *vals, int n);
/* Takes --sp_canaries[=true|false] out of argv: 1 wanted, 0 not, -1 a bad
 * value (said on stderr). */
int bm_canary_wanted(int *argc, char **argv);
void bm_canary_register(void);

#endif /* SP_BENCH_H */
