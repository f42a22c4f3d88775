/*
 * What the benchmark families share: the transports (transports.c), the
 * peer process or thread at the other end (peer.c), CPU pinning, the
 * watchdog and the sample statistics (stats.c).
 */
#ifndef SP_BENCH_H
#define SP_BENCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shim.h"

/* ---- transports --------------------------------------------------- */
enum bt_kind { BT_SOCKET, BT_PIPE, BT_EVENTFD };

struct bt_transport {
  const char *name; /* "unix-stream", as in the benchmark names */
  enum bt_kind kind;
  int domain, type, protocol; /* BT_SOCKET: the sp_socketpair() cell */
  int boundaries; /* one send = one receive (DGRAM, SEQPACKET, eventfd) */
  int lossy;      /* UDP: the receiver counts what arrived */
};

extern const struct bt_transport bt_transports[];
extern const size_t bt_ntransports;
const struct bt_transport *bt_transport_find(const char *name);

/* Both ends of a channel: end 0 is the benchmark's, end 1 the peer's.
 * Sockets use one descriptor per end for both directions; pipes and
 * eventfd use one pipe / eventfd per direction. Unused slots are -1. */
struct bt_chan {
  int rfd[2];
  int wfd[2];
};

/* Opens a channel; 0 or a negative errno (the library's, for sockets). */
int bt_chan_open(const struct bt_transport *t, struct bt_chan *c);
/* bt_chan_open(), and on failure the benchmark is skipped (the kernel
 * has no such transport: its reason) or failed (anything else). */
int bt_chan_open_st(sb_state *st, const struct bt_transport *t,
                    struct bt_chan *c);
void bt_chan_close_end(struct bt_chan *c, int end);
void bt_chan_close(struct bt_chan *c);
/* Buffer sizes: SO_SNDBUF + SO_RCVBUF on sockets, F_SETPIPE_SZ on
 * pipes; *got is what the kernel granted (SO_RCVBUF, or the pipe size). */
int bt_chan_set_bufs(const struct bt_transport *t, struct bt_chan *c, int bytes,
                     int *got);
/* A whole message of n bytes (stream: looping; others: one call).
 * 0, or a negative errno: -ENODATA when the peer closed, -ETIMEDOUT when
 * the watchdog's deadline passed, -ECHILD when the peer died and left
 * nothing to read (or no room to write). A signal that interrupts the
 * call otherwise is not an error: the call goes on. */
int bt_send(const struct bt_transport *t, int fd, const void *buf, size_t n);
int bt_recv(const struct bt_transport *t, int fd, void *buf, size_t n);

/* ---- pinning ------------------------------------------------------ */
enum bt_pin { BT_PIN_SAME, BT_PIN_DIFF, BT_PIN_NONE };
extern const char *const bt_pin_names[3]; /* same-cpu diff-cpu unpinned */

struct bt_cpus {
  int self, peer; /* -1: not pinned */
};
/* Chooses the CPUs for a pinning; a negative value and a "skip:" reason
 * in why (size len) when it cannot be done here (one CPU online). */
int bt_cpus_pick(enum bt_pin pin, struct bt_cpus *cpus, char *why, size_t len);
/* Pins the calling thread to cpu (-1: leaves it alone). */
int bt_pin_self(int cpu);
/* Restores the affinity the program started with (calling thread). */
void bt_unpin_self(void);
void bt_cpus_label(const struct bt_cpus *cpus, char *buf, size_t len);

/* ---- the peer: a forked child or a thread --------------------------- */
enum bt_mode { BT_PROCESS, BT_THREAD };
extern const char *const bt_mode_names[2]; /* process thread */

/* What the peer hands back when it is done. */
struct bt_report {
  int32_t err; /* 0 or a negative errno */
  int32_t pad;
  int64_t csw;    /* its context switches (voluntary + involuntary) */
  int64_t msgs;   /* messages received (throughput) */
  int64_t bytes;  /* bytes received (throughput) */
  int64_t t_last; /* CLOCK_MONOTONIC ns of the last receive */
  char what[64];  /* which call failed, when err != 0 */
};

typedef void (*bt_peer_fn)(void *arg, struct bt_report *rep);

struct bt_peer {
  enum bt_mode mode;
  pid_t pid;
  pthread_t thread;
  int started;
  int report_fd; /* process: read end of the report pipe */
  int cpu;
  bt_peer_fn fn;
  void *arg;
  struct bt_report rep; /* thread: written by the thread */
};

/* Starts fn(arg, report) in a child process (which closes the
 * close_in_child descriptors first, dies with its parent and is killed
 * by SIGALRM after timeout_s) or in a thread. The peer pins itself to
 * cpu (-1: not). 0 or a negative errno. */
int bt_peer_start(struct bt_peer *p, enum bt_mode mode, int cpu,
                  unsigned timeout_s, const int *close_in_child, int nclose,
                  bt_peer_fn fn, void *arg);
/* Ends the peer: if abort, kills the child / cancels the thread; else
 * waits for it (a child at most 5 s, then SIGKILL). Always reaps. Fills
 * *rep; returns 0 if the peer finished cleanly, else a negative value and
 * a message in msg. */
int bt_peer_finish(struct bt_peer *p, int abort, struct bt_report *rep,
                   char *msg, size_t len);

/* ---- watchdog ------------------------------------------------------- */
/* SIGALRM / SIGCHLD handlers without SA_RESTART, SIGPIPE ignored: a
 * blocking call of the benchmark returns EINTR when its deadline passes
 * or its child dies, instead of hanging. */
void bt_signals_init(void);
void bt_watchdog_arm(unsigned seconds);
void bt_watchdog_disarm(void);
/* 1 once the armed deadline has passed. */
int bt_watchdog_fired(void);
/* Seconds to allow for n operations of size bytes (generous). */
unsigned bt_deadline_s(int64_t n, size_t size);
/* The benchmark's own watchdog for the same work: a little later. */
unsigned bt_watchdog_s(int64_t n, size_t size);
/* Reads the environment of the failure-path tests: SP_BENCH_WATCHDOG_S
 * (a fixed deadline) here, SP_BENCH_PEER_HANG (bm_latency.c). */
void bt_test_hooks_init(void);

/* ---- time and statistics ---------------------------------------- */
int64_t bt_now_ns(void);
int64_t bt_csw_self(void);   /* RUSAGE_SELF voluntary + involuntary */
int64_t bt_csw_thread(void); /* RUSAGE_THREAD */

struct bt_stats {
  double p50, p90, p99, p999, mean; /* seconds */
};
/* Sorts samples (seconds) in place. */
void bt_stats_compute(double *samples, size_t n, struct bt_stats *out);
/* Sets p50_us, p90_us, p99_us, p99.9_us, mean_us. */
void bt_stats_report(sb_state *st, const struct bt_stats *s);

/* "error: <what>: ENAME (sentence)" or "skip: ..." into buf. */
void bt_fail(sb_state *st, const char *what, int err);
void bt_skip(sb_state *st, const char *what, int err);

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
  const struct bt_transport *t;
  int mode;
};
/* Registers <family>/<transport>/<process|thread>/<arg>:<v> for each of
 * the n values, fn(state, c), manual time in ms. */
void bm_contention_add(const char *family, struct bm_contention_case *c,
                       sb_fn fn, const char *arg, const int64_t *vals, int n);

#endif /* SP_BENCH_H */
