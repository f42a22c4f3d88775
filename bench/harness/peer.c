/*
 * The other end of a benchmark: a forked child or a thread, always
 * bounded in time and always reaped.
 *
 * A child closes the benchmark's descriptors, dies with its parent
 * (PR_SET_PDEATHSIG), is killed by its own alarm after a deadline, and
 * sends its report through a pipe. The parent's blocking calls are
 * interrupted (EINTR, no SA_RESTART) by its own deadline (SIGALRM) and by
 * the child's death (SIGCHLD), so no benchmark can hang on a dead peer;
 * bt_peer_finish() waits at most 5 s for a child, then SIGKILLs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sockpair.h"

const char *const bt_mode_names[2] = {"process", "thread"};

static volatile sig_atomic_t fired;

/* Its only job: make blocking calls return EINTR (and say why). */
static void on_signal(int sig) {
  if (sig == SIGALRM)
    fired = 1;
}

int bt_watchdog_fired(void) {
  return fired;
}

void bt_signals_init(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART, on purpose */
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

void bt_watchdog_arm(unsigned seconds) {
  struct itimerval it;
  fired = 0;
  memset(&it, 0, sizeof(it));
  it.it_value.tv_sec = seconds;
  setitimer(ITIMER_REAL, &it, NULL);
}

void bt_watchdog_disarm(void) {
  bt_watchdog_arm(0);
}

/* SP_BENCH_WATCHDOG_S: a fixed deadline, for the tests of the failure
 * paths (scripts/lib/check_smoke.py --faults); 0 or unset: computed. */
static unsigned fixed_deadline_s;

void bt_test_hooks_init(void) {
  const char *v = getenv("SP_BENCH_WATCHDOG_S");
  if (v)
    fixed_deadline_s = (unsigned)strtoul(v, NULL, 10);
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

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return;
    p += r;
    n -= (size_t)r;
  }
}

static void child_main(struct bt_peer *p, int report_wfd, unsigned timeout_s,
                       const int *close_fds, int nclose) {
  struct bt_report rep;
  pid_t parent = getppid();
  memset(&rep, 0, sizeof(rep));
  signal(SIGALRM, SIG_DFL); /* the alarm kills: that is the bound */
  signal(SIGCHLD, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(3);
  alarm(timeout_s);
  for (int i = 0; i < nclose; i++)
    if (close_fds[i] >= 0)
      close(close_fds[i]);
  rep.err = bt_pin_self(p->cpu);
  if (rep.err == 0)
    p->fn(p->arg, &rep);
  else
    snprintf(rep.what, sizeof(rep.what), "sched_setaffinity");
  write_all(report_wfd, &rep, sizeof(rep));
  _exit(rep.err == 0 ? 0 : 2);
}

static void *thread_main(void *arg) {
  struct bt_peer *p = arg;
  p->rep.err = bt_pin_self(p->cpu);
  if (p->rep.err == 0)
    p->fn(p->arg, &p->rep);
  else
    snprintf(p->rep.what, sizeof(p->rep.what), "sched_setaffinity");
  return NULL;
}

static int start_thread(struct bt_peer *p) {
  sigset_t block, old;
  int err;
  /* The watchdog's SIGALRM must land in the benchmark's thread. */
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigaddset(&block, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  err = pthread_create(&p->thread, NULL, thread_main, p);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err != 0)
    return -err;
  p->started = 1;
  return 0;
}

static int start_child(struct bt_peer *p, unsigned timeout_s,
                       const int *close_fds, int nclose) {
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) != 0)
    return -errno;
  p->pid = fork();
  if (p->pid < 0) {
    int err = -errno;
    close(rp[0]);
    close(rp[1]);
    return err;
  }
  if (p->pid == 0) {
    close(rp[0]);
    child_main(p, rp[1], timeout_s, close_fds, nclose);
  }
  close(rp[1]);
  p->report_fd = rp[0];
  p->started = 1;
  return 0;
}

int bt_peer_start(struct bt_peer *p, enum bt_mode mode, int cpu,
                  unsigned timeout_s, const int *close_in_child, int nclose,
                  bt_peer_fn fn, void *arg) {
  memset(p, 0, sizeof(*p));
  p->mode = mode;
  p->pid = -1;
  p->report_fd = -1;
  p->cpu = cpu;
  p->fn = fn;
  p->arg = arg;
  if (mode == BT_THREAD)
    return start_thread(p);
  return start_child(p, timeout_s, close_in_child, nclose);
}

/* Waits for the child at most 5 s, then kills it; always reaps. */
static int reap(pid_t pid, int *status) {
  int64_t deadline = bt_now_ns() + 5 * 1000000000LL;
  struct timespec ms = {0, 1000000};
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      return 0;
    if (r < 0 && errno != EINTR)
      return -errno;
    if (bt_now_ns() > deadline)
      break;
    nanosleep(&ms, NULL);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  return -ETIMEDOUT;
}

static int read_report(int fd, struct bt_report *rep) {
  size_t got = 0;
  while (got < sizeof(*rep)) {
    ssize_t r = read(fd, (char *)rep + got, sizeof(*rep) - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    got += (size_t)r;
  }
  return 0;
}

static int finish_child(struct bt_peer *p, int abort, struct bt_report *rep,
                        char *msg, size_t len) {
  int status = 0, have, r;
  if (abort)
    kill(p->pid, SIGKILL);
  /* The report comes before the exit; EOF without it means the child
   * died (its alarm, a signal) before writing it. */
  have = abort ? -1 : read_report(p->report_fd, rep);
  close(p->report_fd);
  r = reap(p->pid, &status);
  if (abort)
    return 0;
  if (r == -ETIMEDOUT) {
    snprintf(msg, len, "error: the child did not exit within 5 s (killed)");
    return -1;
  }
  if (have != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (have == 0 && rep->err != 0)
      snprintf(msg, len, "error: child: %s: %s (%s)", rep->what,
               sp_err_name(rep->err), sp_strerror(rep->err));
    else if (WIFSIGNALED(status))
      snprintf(msg, len, "error: the child was killed by signal %d%s",
               WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? " (its deadline)" : "");
    else
      snprintf(msg, len, "error: the child exited with status %d",
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
  }
  return 0;
}

static int finish_thread(struct bt_peer *p, int abort, struct bt_report *rep,
                         char *msg, size_t len) {
  /* A thread blocked on a peer that will never answer: cancel it (its
   * blocking calls are cancellation points; it holds nothing to free). */
  if (abort)
    pthread_cancel(p->thread);
  pthread_join(p->thread, NULL);
  *rep = p->rep;
  if (!abort && rep->err != 0) {
    snprintf(msg, len, "error: peer thread: %s: %s (%s)", rep->what,
             sp_err_name(rep->err), sp_strerror(rep->err));
    return -1;
  }
  return 0;
}

int bt_peer_finish(struct bt_peer *p, int abort, struct bt_report *rep,
                   char *msg, size_t len) {
  int r;
  memset(rep, 0, sizeof(*rep));
  if (!p->started)
    return 0;
  p->started = 0;
  if (p->mode == BT_THREAD)
    r = finish_thread(p, abort, rep, msg, len);
  else
    r = finish_child(p, abort, rep, msg, len);
  return r;
}
