/*
 * A crew: many tasks at once (forked children in one process group, or
 * threads) that run in rounds, for the contention families (messaging,
 * pairs) and `sockpair messaging`. Nothing here depends on Google
 * Benchmark: errors come back as text.
 *
 * Safety, whatever happens to the program: every child is in the crew's
 * process group and has PR_SET_PDEATHSIG = SIGKILL, so it dies with its
 * parent (kill -9 included); every wait of the coordinator has a deadline;
 * a round that misses it is aborted (the group SIGKILLed, the threads
 * woken and joined) and reported, never waited on for good. The caller
 * has called sh_signals_init() (the reaping's deadline is a SIGALRM).
 */
#ifndef SP_HARNESS_CREW_H
#define SP_HARNESS_CREW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* The control block, in memory shared with the children. Counters are
 * cumulative over rounds, so nothing is ever reset under a task's feet. */
struct sh_crew_ctl {
  _Atomic uint32_t gen;   /* the last round released */
  _Atomic uint32_t ready; /* arrivals at the gate, all rounds */
  _Atomic uint32_t done;  /* round completions, all rounds */
  _Atomic uint32_t stop;  /* the last round told to stop (timed rounds) */
  _Atomic uint32_t marks; /* tasks that made progress, all rounds */
  /* What the coordinator waits for: the arrival that reaches it wakes. */
  _Atomic uint32_t ready_at, done_at, marks_at;
  _Atomic uint32_t quit;     /* 1: tasks leave at the gate */
  _Atomic uint32_t abort;    /* 1: tasks leave wherever they are */
  _Atomic uint32_t failed;   /* 1: a task failed (sh_crew_fail) */
  _Atomic int64_t t_release; /* CLOCK_MONOTONIC ns of the last release */
  _Atomic int64_t t_stop;    /* ... and of the last stop */
};

/* A task's body. It calls sh_crew_gate() before each round and
 * sh_crew_done() after it; it returns when the gate says so (or at once,
 * for a task that takes no part in rounds). Its return value is a child's
 * exit status (0 ok). */
typedef int (*sh_crew_fn)(struct sh_crew_ctl *ctl, void *arg);

struct sh_crew {
  enum sh_mode mode;
  int n, cap;
  pid_t pgid;
  pid_t *pids;           /* process mode; 0 once reaped */
  pthread_t *threads;    /* thread mode */
  struct sh_task *tasks; /* thread mode: fn, arg, status */
  struct sh_crew_ctl *ctl;
  void *shared; /* the caller's part of the shared mapping */
  size_t map_len;
  uint32_t round;
  int aborted, stopped;
  int dead;                /* c->err says which task died */
  void (*unblock)(void *); /* thread mode: wakes blocked tasks on abort */
  void *unblock_arg;
  char err[256];
};

/* Maps the control block and shared_bytes of zeroed memory shared with
 * the children (*shared), for at most cap tasks. 0 or a negative errno. */
int sh_crew_init(struct sh_crew *c, enum sh_mode mode, int cap,
                 size_t shared_bytes, void **shared);
/* Starts one task. A child closes the close_in_child descriptors first
 * (those of other tasks) and runs fn(ctl, arg), then _exit()s with its
 * status; a thread runs it with a small stack. 0 or a negative errno
 * (EAGAIN: a process or thread limit). */
int sh_crew_spawn(struct sh_crew *c, sh_crew_fn fn, void *arg,
                  const int *close_in_child, int nclose);
/* Thread mode: how to wake tasks blocked in their I/O when the crew is
 * aborted (shut the sockets down, close the pipes, poke the eventfds).
 * Threads are never cancelled but as a last resort: each leaves on its
 * own, and what it owns is freed. */
void sh_crew_on_abort(struct sh_crew *c, void (*unblock)(void *), void *arg);
/* One round with `participants` tasks at the gate: waits until they are
 * all there, releases them, and waits until they are all done. If
 * window_ns > 0 the round is timed: after window_ns, and once `marks`
 * tasks have called sh_crew_mark() (every task has run: the window
 * stretches on a machine too busy to run them all), it sets ctl->stop.
 * Everything by deadline_ns (CLOCK_MONOTONIC). 0, or -1 with c->err set
 * (the crew is then aborted: all its tasks are gone; the shared memory
 * stays until sh_crew_end()). */
int sh_crew_round(struct sh_crew *c, unsigned participants, int64_t window_ns,
                  unsigned marks, int64_t deadline_ns);
/* Ends the crew: tasks leave at the gate (or, if abort, are killed /
 * cancelled), every child is reaped (SIGKILL after 5 s), every thread
 * joined, the mapping released. 0, or -1 with c->err (a child that
 * failed or was killed) unless c->err is already set. */
int sh_crew_end(struct sh_crew *c, int abort);

/* Task side: arrive at the gate of round r (1, 2, ...) and wait for its
 * release: 1 go, 0 leave (quit or abort). */
int sh_crew_gate(struct sh_crew_ctl *ctl, uint32_t r);
/* Task side: this task has finished its round. */
void sh_crew_done(struct sh_crew_ctl *ctl);
/* Task side: this task has made progress in a timed round (once). */
void sh_crew_mark(struct sh_crew_ctl *ctl);
/* Task side: 1 once the running round r has been told to stop. */
int sh_crew_stopped(struct sh_crew_ctl *ctl, uint32_t r);
/* Task side: blocks until the crew is aborted (the stuck-task tests). */
void sh_crew_hang(struct sh_crew_ctl *ctl);
/* 1 once the crew is aborted: a task leaves its loop. */
int sh_crew_aborted(struct sh_crew_ctl *ctl);
/* Task side: this task failed (its caller's slot says why): the round
 * ends at once, for every task, instead of at the deadline. */
void sh_crew_fail(struct sh_crew_ctl *ctl);

/* Can this program run `tasks` tasks (processes or threads) holding
 * `fds` descriptors in one process (thread mode: all of them)? Raises
 * the soft RLIMIT_NOFILE when the hard one allows. 0, or -1 and in why a
 * "skip: ..." naming the limit and the number needed. */
int sh_crew_limits(enum sh_mode mode, long tasks, long fds, char *why,
                   size_t len);

/* A timed wait on a shared word: returns when *addr != val, on a wake,
 * a signal or after timeout_ns (< 0: 1 s). */
void sh_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns);
void sh_futex_wake(_Atomic uint32_t *addr);

#endif /* SP_HARNESS_CREW_H */
