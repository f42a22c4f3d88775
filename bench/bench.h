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
 * (a fixed deadline) and SP_BENCH_PEER_HANG (the echo peer stops
 * answering after that many round trips). */
void bt_test_hooks_init(void);
int64_t bt_peer_hang_after(void); /* -1: never */

/* A harness run of this benchmark: t, size (range 0), count (the
 * iterations), the peer's bound, the state loop as keep_running. */
void bt_run_init(struct sh_run *r, sb_state *st, const struct sh_transport *t);
/* The run failed: the peer's message, or "error: <failed>: <err>". */
void bt_run_failed(sb_state *st, const struct sh_run *r, int err);

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
/* Takes --sp_canaries[=true|false] out of argv: 1 wanted, 0 not, -1 a bad
 * value (said on stderr). */
int bm_canary_wanted(int *argc, char **argv);
void bm_canary_register(void);

#endif /* SP_BENCH_H */
