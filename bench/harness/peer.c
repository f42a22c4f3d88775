/*
 * The other end of a run: a forked child or a thread, always bounded in
 * time and always reaped.
 *
 * A child closes the caller's descriptors, dies with its parent
 * (PR_SET_PDEATHSIG), is killed by its own alarm after a deadline, and
 * sends its report through a pipe. The parent's blocking calls are
 * interrupted by its deadline and by the child's death (io.c), so nothing
 * hangs on a dead peer; sh_peer_finish() waits at most 5 s for a child,
 * then SIGKILLs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

#define FINISH_WAIT_NS (5 * 1000000000LL)

const char *const sh_mode_names[2] = {"process", "thread"};

pid_t sh_fork(unsigned timeout_s, const int *close_fds, int nclose) {
  pid_t parent = getpid(), pid;
  /* Nothing buffered is written twice if the child exit()s. */
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0)
    return -errno;
  if (pid > 0)
    return pid;
  signal(SIGALRM, SIG_DFL); /* the alarm kills: that is the bound */
  signal(SIGCHLD, SIG_DFL);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    _exit(3); /* the parent is already gone */
  alarm(timeout_s);
  for (int i = 0; i < nclose; i++)
    if (close_fds[i] >= 0)
      close(close_fds[i]);
  return 0;
}

int sh_reap(pid_t pid, int64_t wait_ns, int *status) {
  int64_t deadline = sh_now_ns() + wait_ns;
  struct timespec ms = {0, 1000000};
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      return 0;
    if (r < 0 && errno != EINTR)
      return -errno;
    if (sh_now_ns() >= deadline)
      break;
    nanosleep(&ms, NULL);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  return -ETIMEDOUT;
}

static const struct sh_transport *report_pipe(void) {
  return sh_transport_find("pipe");
}

/* The peer pins itself, then runs; a failure to pin is its report. */
static void run_peer(struct sh_peer *p, struct sh_report *rep) {
  rep->err = sh_pin_self(p->cpu);
  if (rep->err == 0)
    p->fn(p->arg, rep);
  else
    snprintf(rep->what, sizeof(rep->what), "sched_setaffinity");
}

static void *thread_main(void *arg) {
  struct sh_peer *p = arg;
  run_peer(p, &p->rep);
  return NULL;
}

static int start_thread(struct sh_peer *p) {
  sigset_t block, old;
  int err;
  /* The deadline's SIGALRM must land in the caller's thread. */
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

static int start_child(struct sh_peer *p, unsigned timeout_s,
                       const int *close_fds, int nclose) {
  int rp[2];
  if (pipe2(rp, O_CLOEXEC) != 0)
    return -errno;
  p->pid = sh_fork(timeout_s, close_fds, nclose);
  if (p->pid < 0) {
    int err = p->pid;
    close(rp[0]);
    close(rp[1]);
    return err;
  }
  if (p->pid == 0) {
    struct sh_report rep;
    memset(&rep, 0, sizeof(rep));
    close(rp[0]);
    run_peer(p, &rep);
    sh_send(report_pipe(), rp[1], &rep, sizeof(rep));
    _exit(rep.err == 0 ? 0 : 2);
  }
  close(rp[1]);
  p->report_fd = rp[0];
  p->started = 1;
  return 0;
}

int sh_peer_start(struct sh_peer *p, enum sh_mode mode, int cpu,
                  unsigned timeout_s, const int *close_in_child, int nclose,
                  sh_peer_fn fn, void *arg) {
  memset(p, 0, sizeof(*p));
  p->mode = mode;
  p->pid = -1;
  p->report_fd = -1;
  p->cpu = cpu;
  p->fn = fn;
  p->arg = arg;
  if (mode == SH_THREAD)
    return start_thread(p);
  return start_child(p, timeout_s, close_in_child, nclose);
}

/* Why a child that exited without a clean report failed. */
static void child_failure(int have, const struct sh_report *rep, int status,
                          char *msg, size_t len) {
  if (have == 0 && rep->err != 0)
    snprintf(msg, len, "child: %s: %s (%s)", rep->what, sp_err_name(rep->err),
             sp_strerror(rep->err));
  else if (WIFSIGNALED(status))
    snprintf(msg, len, "the child was killed by signal %d%s", WTERMSIG(status),
             WTERMSIG(status) == SIGALRM ? " (its deadline)" : "");
  else
    snprintf(msg, len, "the child exited with status %d",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int finish_child(struct sh_peer *p, int abort, struct sh_report *rep,
                        char *msg, size_t len) {
  int status = 0, have = -1, r;
  /* The report comes before the exit; EOF without it means the child
   * died (its alarm, a signal) before writing it. */
  if (!abort)
    have = sh_recv(report_pipe(), p->report_fd, rep, sizeof(*rep));
  close(p->report_fd);
  p->report_fd = -1;
  r = sh_reap(p->pid, abort ? 0 : FINISH_WAIT_NS, &status);
  if (abort)
    return 0;
  if (r == -ETIMEDOUT) {
    snprintf(msg, len, "the child did not exit within 5 s (killed)");
    return -1;
  }
  if (have != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    child_failure(have, rep, status, msg, len);
    return -1;
  }
  return 0;
}

static int finish_thread(struct sh_peer *p, int abort, struct sh_report *rep,
                         char *msg, size_t len) {
  /* A thread blocked on a peer that will never answer: cancel it (its
   * blocking calls are cancellation points; it holds nothing to free). */
  if (abort)
    pthread_cancel(p->thread);
  pthread_join(p->thread, NULL);
  *rep = p->rep;
  if (!abort && rep->err != 0) {
    snprintf(msg, len, "peer thread: %s: %s (%s)", rep->what,
             sp_err_name(rep->err), sp_strerror(rep->err));
    return -1;
  }
  return 0;
}

int sh_peer_finish(struct sh_peer *p, int abort, struct sh_report *rep,
                   char *msg, size_t len) {
  memset(rep, 0, sizeof(*rep));
  if (!p->started)
    return 0;
  p->started = 0;
  if (p->mode == SH_THREAD)
    return finish_thread(p, abort, rep, msg, len);
  return finish_child(p, abort, rep, msg, len);
}
