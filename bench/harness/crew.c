/*
 * The crew: many tasks in rounds, always bounded and always reaped (see
 * crew.h). The gate and the counters are futexes in a MAP_SHARED mapping,
 * so processes and threads use the same code.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crew.h"

#define CTL_BYTES                                                              \
  256 /* the control block, padded: the caller's part follows                  \
       */
#define THREAD_STACK (256 * 1024)
#define REAP_NS (5 * 1000000000LL)
#define POLL_NS (100 * 1000000LL) /* how often a wait looks for dead tasks */

struct sh_task {
  sh_crew_fn fn;
  void *arg;
  struct sh_crew_ctl *ctl;
  int status;
};

void sh_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns) {
  struct timespec ts;
  if (timeout_ns < 0)
    timeout_ns = 1000000000LL;
  ts.tv_sec = (time_t)(timeout_ns / 1000000000);
  ts.tv_nsec = (long)(timeout_ns % 1000000000);
  /* Not FUTEX_PRIVATE: the word may be shared with children. Every
   * outcome (woken, value changed, EINTR, timeout) sends the caller back
   * to look at the word again. */
  (void)syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

void sh_futex_wake(_Atomic uint32_t *addr) {
  (void)syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Counts one more; only the one that reaches the coordinator's target
 * wakes it (hundreds of wake-ups a round would compete with the tasks). */
static void arrive(_Atomic uint32_t *word, _Atomic uint32_t *target) {
  if (atomic_fetch_add(word, 1) + 1 == atomic_load(target))
    sh_futex_wake(word);
}

int sh_crew_gate(struct sh_crew_ctl *ctl, uint32_t r) {
  arrive(&ctl->ready, &ctl->ready_at);
  for (;;) {
    uint32_t g = atomic_load(&ctl->gen);
    if (atomic_load(&ctl->abort) || atomic_load(&ctl->quit))
      return 0;
    if (g >= r)
      return 1;
    sh_futex_wait(&ctl->gen, g, -1);
  }
}

void sh_crew_done(struct sh_crew_ctl *ctl) {
  arrive(&ctl->done, &ctl->done_at);
}

void sh_crew_mark(struct sh_crew_ctl *ctl) {
  arrive(&ctl->marks, &ctl->marks_at);
}

int sh_crew_stopped(struct sh_crew_ctl *ctl, uint32_t r) {
  return atomic_load_explicit(&ctl->stop, memory_order_acquire) >= r ||
         atomic_load_explicit(&ctl->abort, memory_order_relaxed);
}

int sh_crew_aborted(struct sh_crew_ctl *ctl) {
  return atomic_load_explicit(&ctl->abort, memory_order_relaxed) != 0;
}

void sh_crew_fail(struct sh_crew_ctl *ctl) {
  atomic_store(&ctl->failed, 1);
  atomic_store(&ctl->abort, 1);
  atomic_fetch_add(&ctl->gen, 1);
  sh_futex_wake(&ctl->gen);
  sh_futex_wake(&ctl->ready); /* the coordinator waits on one of these */
  sh_futex_wake(&ctl->done);
}

int sh_crew_init(struct sh_crew *c, enum sh_mode mode, int cap,
                 size_t shared_bytes, void **shared) {
  void *m;
  memset(c, 0, sizeof(*c));
  c->mode = mode;
  c->cap = cap;
  c->map_len = CTL_BYTES + shared_bytes;
  m = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
           -1, 0);
  if (m == MAP_FAILED)
    return -errno;
  c->ctl = m;
  c->shared = (char *)m + CTL_BYTES;
  c->pids = calloc((size_t)cap, sizeof(*c->pids));
  c->threads = calloc((size_t)cap, sizeof(*c->threads));
  c->tasks = calloc((size_t)cap, sizeof(*c->tasks));
  if (!c->pids || !c->threads || !c->tasks) {
    free(c->pids);
    free(c->threads);
    free(c->tasks);
    munmap(m, c->map_len);
    memset(c, 0, sizeof(*c));
    return -ENOMEM;
  }
  if (shared)
    *shared = c->shared;
  return 0;
}

static int spawn_child(struct sh_crew *c, sh_crew_fn fn, void *arg,
                       const int *close_fds, int nclose) {
  /* No alarm of its own: a task lives for many rounds, each bounded by
   * the coordinator, which kills the group when one runs late. */
  pid_t pid = sh_fork(0, close_fds, nclose);
  if (pid < 0)
    return (int)pid;
  if (pid == 0) {
    (void)setpgid(0, c->pgid); /* the first child leads the group */
    _exit(fn(c->ctl, arg));
  }
  /* Both sides call setpgid: whichever runs first wins the race. */
  if (c->pgid == 0)
    c->pgid = pid;
  (void)setpgid(pid, c->pgid);
  c->pids[c->n++] = pid;
  return 0;
}

static void *thread_main(void *p) {
  struct sh_task *t = p;
  t->status = t->fn(t->ctl, t->arg);
  return NULL;
}

static int spawn_thread(struct sh_crew *c, sh_crew_fn fn, void *arg) {
  struct sh_task *t = &c->tasks[c->n];
  pthread_attr_t attr;
  sigset_t block, old;
  int err;
  *t = (struct sh_task){fn, arg, c->ctl, 0};
  if ((err = pthread_attr_init(&attr)) != 0)
    return -err;
  err = pthread_attr_setstacksize(&attr, THREAD_STACK);
  /* The coordinator's SIGALRM and SIGCHLD must not land in a task. */
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigaddset(&block, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  if (err == 0)
    err = pthread_create(&c->threads[c->n], &attr, thread_main, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err != 0)
    return -err;
  c->n++;
  return 0;
}

void sh_crew_on_abort(struct sh_crew *c, void (*unblock)(void *), void *arg) {
  c->unblock = unblock;
  c->unblock_arg = arg;
}

void sh_crew_hang(struct sh_crew_ctl *ctl) {
  while (!sh_crew_aborted(ctl))
    sh_futex_wait(&ctl->abort, 0, -1);
}

int sh_crew_spawn(struct sh_crew *c, sh_crew_fn fn, void *arg,
                  const int *close_in_child, int nclose) {
  if (c->n >= c->cap)
    return -ENOSPC;
  if (c->mode == SH_THREAD)
    return spawn_thread(c, fn, arg);
  return spawn_child(c, fn, arg, close_in_child, nclose);
}

static void describe_exit(struct sh_crew *c, int i, int status) {
  c->dead = 1;
  if (WIFSIGNALED(status))
    snprintf(c->err, sizeof(c->err),
             "task %d of %d (pid %d) was killed by "
             "signal %d",
             i + 1, c->n, (int)c->pids[i], WTERMSIG(status));
  else
    snprintf(c->err, sizeof(c->err),
             "task %d of %d (pid %d) exited with "
             "status %d",
             i + 1, c->n, (int)c->pids[i], WEXITSTATUS(status));
}

/* Process mode: a task that died before the end is an error (a clean
 * exit is a task that had nothing more to do). 0 or -1 with c->err. */
static int check_children(struct sh_crew *c) {
  int status;
  pid_t pid;
  if (c->mode != SH_PROCESS || c->pgid <= 0)
    return 0;
  /* One call for the whole group (every task joins it at its start). */
  while ((pid = waitpid(-c->pgid, &status, WNOHANG)) > 0) {
    int i = 0;
    while (i < c->n && c->pids[i] != pid)
      i++;
    if (i == c->n)
      continue;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      describe_exit(c, i, status);
      c->pids[i] = 0;
      return -1;
    }
    c->pids[i] = 0;
  }
  return 0;
}

/* Waits until *word has grown by n from base, by deadline_ns. */
static int wait_count(struct sh_crew *c, _Atomic uint32_t *word,
                      _Atomic uint32_t *target, uint32_t base, uint32_t n,
                      int64_t deadline_ns, const char *what) {
  atomic_store(target, base + n); /* before the first look at *word */
  for (;;) {
    uint32_t v = atomic_load(word);
    int64_t left = deadline_ns - sh_now_ns();
    if (atomic_load(&c->ctl->failed)) {
      /* A task that died is the cause; the others' errors its echo. */
      if (check_children(c) == 0)
        snprintf(c->err, sizeof(c->err), "a task failed");
      return -1;
    }
    if (v - base >= n)
      return 0;
    if (check_children(c) != 0)
      return -1;
    if (left <= 0) {
      snprintf(c->err, sizeof(c->err),
               "%u of %u tasks %s before the deadline (one is stuck)", v - base,
               n, what);
      return -1;
    }
    sh_futex_wait(word, v, left < POLL_NS ? left : POLL_NS);
  }
}

static int stop_tasks(struct sh_crew *c, int abort);

static void sleep_until(int64_t t_ns) {
  struct timespec ts = {(time_t)(t_ns / 1000000000), (long)(t_ns % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
    ;
}

int sh_crew_round(struct sh_crew *c, unsigned participants, int64_t window_ns,
                  unsigned marks, int64_t deadline_ns) {
  struct sh_crew_ctl *ctl = c->ctl;
  uint32_t base = atomic_load(&ctl->done), mbase = atomic_load(&ctl->marks);
  int64_t t0;
  c->round++;
  /* Everyone who finished the last round is at (or on the way to) the
   * gate: arrivals so far + this round's participants. */
  if (wait_count(c, &ctl->ready, &ctl->ready_at, base, participants,
                 deadline_ns, "reached the start") != 0)
    goto fail;
  t0 = sh_now_ns();
  atomic_store(&ctl->t_release, t0);
  atomic_store(&ctl->gen, c->round);
  sh_futex_wake(&ctl->gen);
  if (window_ns > 0) {
    sleep_until(t0 + window_ns);
    if (wait_count(c, &ctl->marks, &ctl->marks_at, mbase, marks, deadline_ns,
                   "made progress") != 0)
      goto fail;
    atomic_store(&ctl->t_stop, sh_now_ns());
    atomic_store_explicit(&ctl->stop, c->round, memory_order_release);
  }
  if (wait_count(c, &ctl->done, &ctl->done_at, base, participants, deadline_ns,
                 "finished") != 0)
    goto fail;
  return 0;
fail:
  stop_tasks(c, 1);
  return -1;
}

static void kill_all(struct sh_crew *c) {
  if (c->pgid > 0)
    kill(-c->pgid, SIGKILL);
  for (int i = 0; i < c->n; i++)
    if (c->pids[i] > 0)
      kill(c->pids[i], SIGKILL);
}

/* A child reaped: forgotten, and described if it failed (and the crew
 * was not killing it). */
static void reaped(struct sh_crew *c, pid_t pid, int status, int abort,
                   int *bad) {
  for (int i = 0; i < c->n; i++) {
    if (c->pids[i] != pid)
      continue;
    if (!abort && !*bad && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
      describe_exit(c, i, status);
      *bad = 1;
    }
    c->pids[i] = 0;
    return;
  }
}

/* Reaps every child: 5 s in all to leave, then SIGKILL. The group is
 * waited for as a whole, blocking (each exit wakes the wait, the
 * deadline's SIGALRM ends it): no polling, however many children. */
static int reap_all(struct sh_crew *c, int abort) {
  int64_t deadline = sh_now_ns() + REAP_NS;
  int bad = 0, late = 0;
  if (abort)
    kill_all(c);
  sh_deadline_arm(deadline);
  while (c->pgid > 0) {
    int status;
    pid_t pid = waitpid(-c->pgid, &status, 0);
    if (pid > 0)
      reaped(c, pid, status, abort, &bad);
    else if (errno != EINTR || sh_deadline_passed())
      break; /* ECHILD: the group is gone; or the deadline */
  }
  sh_deadline_disarm();
  /* Any left: not in the group, or late (then killed). */
  for (int i = 0; i < c->n; i++) {
    int64_t left = deadline - sh_now_ns();
    int status = 0, r;
    pid_t pid = c->pids[i];
    if (pid <= 0)
      continue;
    r = sh_reap(pid, left > 0 ? left : 0, &status);
    late += r == -ETIMEDOUT;
    if (r == 0)
      reaped(c, pid, status, abort, &bad);
    c->pids[i] = 0;
  }
  if (late && !abort && !bad) {
    snprintf(c->err, sizeof(c->err),
             "%d tasks did not leave within 5 s (killed)", late);
    bad = 1;
  }
  return bad ? -1 : 0;
}

/* Joins one thread by deadline_ns; one that stays is cancelled (a last
 * resort: cancellation unwinds its stack under the sanitizers' feet). */
static int join_one(pthread_t t, int64_t deadline_ns) {
  struct timespec ts;
  int64_t rt;
  clock_gettime(CLOCK_REALTIME, &ts);
  rt = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
       (deadline_ns - sh_now_ns());
  ts.tv_sec = (time_t)(rt / 1000000000);
  ts.tv_nsec = (long)(rt % 1000000000);
  if (pthread_timedjoin_np(t, NULL, &ts) == 0)
    return 0;
  pthread_cancel(t);
  pthread_join(t, NULL);
  return -1;
}

/* Threads leave on their own: at the gate, or (abort) once the caller's
 * unblock hook has woken every blocking call they may be in. */
static int join_all(struct sh_crew *c, int abort) {
  int64_t deadline = sh_now_ns() + REAP_NS;
  int bad = 0, stuck = 0;
  if (abort && c->unblock)
    c->unblock(c->unblock_arg);
  for (int i = 0; i < c->n; i++) {
    stuck += join_one(c->threads[i], deadline) != 0;
    if (!abort && !bad && c->tasks[i].status != 0) {
      snprintf(c->err, sizeof(c->err), "thread %d of %d failed (status %d)",
               i + 1, c->n, c->tasks[i].status);
      bad = 1;
    }
  }
  if (stuck && !c->err[0])
    snprintf(c->err, sizeof(c->err),
             "%d threads did not leave within 5 s (cancelled)", stuck);
  return bad || stuck ? -1 : 0;
}

/* Ends every task (killed / cancelled if abort) and reaps it; the
 * mapping stays, so the caller can still read why a round failed. */
static int stop_tasks(struct sh_crew *c, int abort) {
  int r;
  if (c->stopped)
    return 0;
  c->stopped = 1;
  if (abort) {
    atomic_store(&c->ctl->abort, 1);
    c->aborted = 1;
  }
  atomic_store(&c->ctl->quit, 1);
  atomic_fetch_add(&c->ctl->gen, 1);
  sh_futex_wake(&c->ctl->gen);
  if (c->mode == SH_PROCESS)
    r = reap_all(c, abort);
  else
    r = join_all(c, abort);
  return r;
}

int sh_crew_end(struct sh_crew *c, int abort) {
  int had_err = c->err[0] != 0, r;
  if (!c->ctl)
    return had_err ? -1 : 0;
  r = stop_tasks(c, abort);
  if (had_err)
    r = -1;
  munmap(c->ctl, c->map_len);
  c->ctl = NULL;
  c->shared = NULL;
  free(c->pids);
  free(c->threads);
  free(c->tasks);
  c->pids = NULL;
  c->threads = NULL;
  c->tasks = NULL;
  c->n = 0;
  return r;
}
