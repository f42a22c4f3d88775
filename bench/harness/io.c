/*
 * Whole-message I/O on blocking descriptors, bounded in time. Nothing here
 * polls before a call: one syscall per operation, as lmbench does. The
 * bound comes from signals without SA_RESTART: SIGALRM at the deadline
 * (then every 250 ms), and SIGCHLD when a child dies; either makes a
 * blocked call return EINTR, and the caller learns which.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

#define TICK_US 250000

static volatile sig_atomic_t expired;

/* Its only job: make blocking calls return EINTR (and say why). */
static void on_signal(int sig) {
  if (sig == SIGALRM)
    expired = 1;
}

void sh_signals_init(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART, on purpose */
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a dead peer is EPIPE, not death */
}

void sh_deadline_arm(int64_t deadline_ns) {
  int64_t left = deadline_ns - sh_now_ns();
  struct itimerval it;
  memset(&it, 0, sizeof(it));
  expired = 0;
  if (left < 1000)
    left = 1000; /* it_value 0 would disarm */
  it.it_value.tv_sec = left / 1000000000;
  it.it_value.tv_usec = (left % 1000000000) / 1000;
  it.it_interval.tv_usec = TICK_US;
  setitimer(ITIMER_REAL, &it, NULL); /* cannot fail with these values */
}

void sh_deadline_disarm(void) {
  struct itimerval off;
  memset(&off, 0, sizeof(off));
  setitimer(ITIMER_REAL, &off, NULL);
}

int sh_deadline_passed(void) {
  return expired;
}

/* A blocking call returned EINTR: the deadline, or SIGCHLD (no other
 * signal is caught). A UNIX stream socket returns EINTR for a pending
 * signal even when the data it waited for has arrived, so the peer's exit
 * right after its last answer is no error: go on if fd is ready now, else
 * the peer is gone. */
static int interrupted(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  if (expired)
    return SP_ETIMEDOUT;
  sh_syscalls++;
  if (poll(&p, 1, 0) > 0)
    return 0;
  return -ECHILD;
}

static ssize_t once(const struct sh_transport *t, int fd, char *p, size_t n,
                    int out) {
  if (t->create == SH_SOCKETPAIR)
    return out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
  return out ? write(fd, p, n) : read(fd, p, n);
}

/* n bytes out of p (out) or into it. */
static int whole(const struct sh_transport *t, int fd, char *p, size_t n,
                 int out) {
  while (n > 0) {
    ssize_t r;
    sh_syscalls++;
    r = once(t, fd, p, n, out);
    if (r < 0 && errno == EINTR) {
      int err = interrupted(fd, out ? POLLOUT : POLLIN);
      if (err != 0)
        return err;
      continue;
    }
    if (r < 0)
      return -errno;
    if (r == 0 && !out)
      return SP_EOF;
    if (!t->bytestream) /* a message goes whole or not at all */
      return (size_t)r == n ? 0 : SP_EMSGSIZE;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int sh_send(const struct sh_transport *t, int fd, const void *buf, size_t n) {
  uint64_t one = 1;
  if (t->create == SH_EVENTFDS)
    return whole(t, fd, (char *)&one, sizeof(one), 1);
  return whole(t, fd, (char *)buf, n, 1); /* only read from */
}

int sh_recv(const struct sh_transport *t, int fd, void *buf, size_t n) {
  uint64_t count;
  if (t->create == SH_EVENTFDS)
    return whole(t, fd, (char *)&count, sizeof(count), 0);
  return whole(t, fd, buf, n, 0);
}
