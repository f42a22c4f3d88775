/*
 * The IPC harness: what drives a transport from both ends, for the
 * `sockpair` CLI, the benchmarks and the tests alike. Plain C, no Google
 * Benchmark: the benchmarks' glue lives in bench/.
 *
 *   transport.c  the transport table; channels (socket pairs, pipes,
 *                eventfds) and their buffer sizes
 *   io.c         whole-message send / receive, EINTR and the deadline
 *   cpu.c        pinning: same CPU, two CPUs, unpinned
 *   stats.c      the clock, context switches, percentiles
 *   peer.c       the other end: a forked child or a thread, bounded in
 *                time and always reaped (sh_fork, sh_reap)
 *   pingpong.c   the ping-pong of `sockpair pingpong` and BM_Latency
 *   oneway.c     the one-way run of `sockpair stream` and BM_Throughput
 *
 * Errors are negative errno values (the library's SP_* codes); a peer that
 * closed is SP_EOF.
 */
#ifndef SP_HARNESS_H
#define SP_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iopath.h"

/* ---- transports ----------------------------------------------------- */
enum sh_create {
  SH_SOCKETPAIR, /* sp_socketpair(): native UNIX, emulated TCP / UDP */
  SH_PIPES,      /* two pipe2() pipes, one per direction */
  SH_EVENTFDS    /* two eventfds, one per direction: carries a count */
};

struct sh_transport {
  const char *name; /* "unix-stream": benchmark names, --transport */
  enum sh_create create;
  int domain, type, protocol; /* SH_SOCKETPAIR: the sp_socketpair() cell */
  int bytestream;    /* 1: a byte stream; 0: messages, one send = one recv */
  int may_drop;      /* the kernel may drop messages (UDP) */
  int close_visible; /* the reader sees the peer's close (EOF) */
  /* The largest message one send takes; 0: none (a byte stream), or
   * bounded by the socket's send buffer (UNIX datagrams: SO_SNDBUF - 32). */
  size_t max_message;
};

/* Socket pairs first, in the order below; then "pipe", then "eventfd". */
extern const struct sh_transport sh_transports[];
extern const size_t sh_ntransports;
const struct sh_transport *sh_transport_find(const char *name);
/* 1 if err says the kernel has no such transport (no IPv6, a type it
 * does not offer, a policy), not that something went wrong. */
int sh_is_refusal(int err);

/* Both ends of a channel: end 0 is the caller's, end 1 the peer's. A
 * socket has one descriptor per end for both directions; pipes and
 * eventfds one per direction. Unused slots are -1. */
struct sh_chan {
  int rfd[2];
  int wfd[2];
};

/* 0 or a negative errno (the library's, for sockets). Blocking, CLOEXEC. */
int sh_chan_open(const struct sh_transport *t, struct sh_chan *c);
void sh_chan_close_end(struct sh_chan *c, int end);
void sh_chan_close(struct sh_chan *c);
/* SO_SNDBUF + SO_RCVBUF on sockets, F_SETPIPE_SZ on pipes; *got is what
 * the kernel granted (SO_RCVBUF, or the pipe size). */
int sh_chan_set_bufs(const struct sh_transport *t, struct sh_chan *c, int bytes,
                     int *got);

/* ---- whole-message I/O, EINTR and the deadline ------------------------ */
/* SIGALRM and SIGCHLD handlers without SA_RESTART, SIGPIPE ignored: a
 * blocking call returns EINTR when the deadline passes or a child dies,
 * instead of hanging. Once per process. */
void sh_signals_init(void);
/* SIGALRM at deadline_ns (CLOCK_MONOTONIC), then every 250 ms: a signal
 * that lands just before a blocking call only delays its EINTR. */
void sh_deadline_arm(int64_t deadline_ns);
void sh_deadline_disarm(void);
/* 1 once the armed deadline has passed (a flag: cheap in a loop). */
int sh_deadline_passed(void);

/* A whole message of n bytes (a byte stream: looping; messages: one call;
 * an eventfd: its count, whatever n). 0, or a negative errno:
 * SP_ETIMEDOUT once the deadline passed, -ECHILD when a child died and
 * fd is not ready, SP_EOF when the peer closed, SP_EMSGSIZE for a message
 * of another size. Any other interruption is not an error. */
int sh_send(const struct sh_transport *t, int fd, const void *buf, size_t n);
int sh_recv(const struct sh_transport *t, int fd, void *buf, size_t n);

/* ---- pinning -------------------------------------------------------- */
enum sh_pin { SH_PIN_SAME, SH_PIN_DIFF, SH_PIN_NONE };
extern const char *const sh_pin_names[3]; /* same-cpu diff-cpu unpinned */

struct sh_cpus {
  int self, peer; /* -1: not pinned */
};
/* The first one or two CPUs the program started with (so a taskset around
 * it is honoured). 0; -EINVAL when diff-cpu finds one CPU, or
 * sched_getaffinity's error; why (size len) then says which. */
int sh_cpus_pick(enum sh_pin pin, struct sh_cpus *cpus, char *why, size_t len);
/* Pins the calling thread to cpu (-1: leaves it alone); 0 or -errno. */
int sh_pin_self(int cpu);
/* Restores the affinity the program started with (calling thread). */
void sh_unpin_self(void);
/* "cpus=0,1" or "cpus=any". */
void sh_cpus_label(const struct sh_cpus *cpus, char *buf, size_t len);

/* ---- clock, context switches, percentiles ----------------------------- */
int64_t sh_now_ns(void);     /* CLOCK_MONOTONIC */
int64_t sh_csw_self(void);   /* this process: voluntary + involuntary */
int64_t sh_csw_thread(void); /* this thread */

/* Every figure in nanoseconds; percentiles by nearest rank. */
struct sh_stats {
  int64_t p50, p90, p99, p999, max;
  double mean;
};
/* Sorts samples in place. */
void sh_stats_compute(int64_t *samples_ns, size_t n, struct sh_stats *out);
/* The smallest of sorted samples with at least pct % (0-100) at or
 * below it. */
int64_t sh_percentile(const int64_t *sorted, size_t n, double pct);

/* ---- the peer: a forked child or a thread ----------------------------- */
enum sh_mode { SH_PROCESS, SH_THREAD };
extern const char *const sh_mode_names[2]; /* process thread */

/* What the peer hands back when it is done. */
struct sh_report {
  int32_t err; /* 0 or a negative errno */
  int32_t pad;
  int64_t csw;      /* its context switches (voluntary + involuntary) */
  int64_t msgs;     /* messages received (a sink) */
  int64_t bytes;    /* bytes received (a sink) */
  int64_t t_last;   /* sh_now_ns() of the last receive */
  int64_t syscalls; /* on the message path (sh_syscalls) */
  char what[64];    /* which call failed, when err != 0 */
  char how[32];     /* its I/O path's set-up (sh_ioend.how) */
};

typedef void (*sh_peer_fn)(void *arg, struct sh_report *rep);

struct sh_peer {
  enum sh_mode mode;
  pid_t pid;
  pthread_t thread;
  int started;
  int report_fd; /* process: read end of the report pipe */
  int cpu;
  sh_peer_fn fn;
  void *arg;
  struct sh_report rep; /* thread: written by the thread */
};

/* fork() with the child bounded: it dies with its parent, SIGALRM kills
 * it after timeout_s, and it closes the close_fds first. 0 in the child,
 * its pid in the parent, or a negative errno. */
pid_t sh_fork(unsigned timeout_s, const int *close_fds, int nclose);
/* Waits for pid at most wait_ns (0: kills it at once), then SIGKILLs it;
 * always reaps. 0 if it ended by itself, -ETIMEDOUT if it was killed, or
 * waitpid's error. *status is waitpid's. */
int sh_reap(pid_t pid, int64_t wait_ns, int *status);

/* Starts fn(arg, report) in a child (sh_fork(timeout_s, close_in_child))
 * or a thread, pinned to cpu (-1: not). 0 or a negative errno. */
int sh_peer_start(struct sh_peer *p, enum sh_mode mode, int cpu,
                  unsigned timeout_s, const int *close_in_child, int nclose,
                  sh_peer_fn fn, void *arg);
/* Ends the peer: if abort, kills the child / cancels the thread; else
 * waits for it (a child at most 5 s). Always reaps. Fills *rep; 0 if the
 * peer finished cleanly, else -1 and a sentence in msg. */
int sh_peer_finish(struct sh_peer *p, int abort, struct sh_report *rep,
                   char *msg, size_t len);

/* ---- runs: ping-pong and one-way ------------------------------------ */
/* What both runs take and say. The caller opens the channel, pins itself
 * (sh_pin_self) and arms the deadline; the channel stays its own. */
struct sh_run {
  const struct sh_transport *t;
  int peer_cpu;            /* -1: not pinned */
  unsigned peer_timeout_s; /* the peer's own bound (sh_fork) */
  size_t size;             /* bytes per message */
  int64_t count;           /* the most messages (round trips) */
  /* Before each message: go on? NULL: count of them. */
  int (*keep_running)(void *ctx);
  void *ctx;
  enum sh_io io;   /* both ends' I/O path (0: syscall) */
  enum sh_api api; /* both ends' calls (0: raw; stream: io syscall only) */
  unsigned batch;  /* messages per send call (io:mmsg, io:uring; 0: 1) */
  /* results: system calls on the message path, each side's (the peer
   * counts its own); how the path was set up (sh_ioend.how) */
  int64_t sys_self, sys_peer;
  char how[32];
  /* when it failed */
  const char *failed; /* the step: "fork", "send", ..., or "peer" */
  char msg[256];      /* failed == "peer": what sh_peer_finish said */
};

/* Round trips of run.size bytes between the caller and an echo peer,
 * timed one by one. */
struct sh_pingpong {
  struct sh_run run;
  enum sh_mode mode;
  int64_t *rtt_ns; /* run.count samples */
  /* After each round trip, its time (may be NULL). */
  void (*on_rtt)(void *ctx, int64_t ns);
  int64_t hang_after; /* the peer stops answering after this many (-1) */
  /* results */
  int64_t done;               /* round trips timed */
  int64_t elapsed_ns;         /* first round trip's start to last's end */
  int64_t csw_self, csw_peer; /* during the round trips */
};
/* 0, or a negative errno and run.failed ("fork", "pthread_create",
 * "malloc", "waiting for the peer", "ping-pong" or "peer"). */
int sh_pingpong_run(struct sh_pingpong *pp, struct sh_chan *c);

/* run.count messages of run.size bytes from the caller to a receiving
 * child, which counts what arrives (rep.msgs, rep.bytes) and when the
 * last of it did (rep.t_last). A byte-stream receiver reads up to 64 KiB
 * at a time, a message receiver one message. On a transport that may
 * drop, the child stops once the sender is done and nothing more has come
 * for 20 ms. */
struct sh_oneway {
  struct sh_run run;
  /* results */
  int64_t t_first, t_sent; /* sh_now_ns(): first send, after the last */
  int64_t dropped;         /* sends the kernel refused (ENOBUFS, may drop) */
  int64_t csw_self;        /* the sender's, while it sent */
  struct sh_io_stats zc;   /* the sender's zero-copy notifications */
  struct sh_report rep;    /* the receiver's */
};
/* 0, or a negative errno and run.failed ("malloc", "pipe2", "fork",
 * "waiting for the receiver", "send" or "peer"). */
int sh_oneway_run(struct sh_oneway *ow, struct sh_chan *c);

/* Before message number done (from 0): go on? keep_running, and never
 * past count. */
int sh_run_more(const struct sh_run *r, int64_t done);

#endif /* SP_HARNESS_H */
