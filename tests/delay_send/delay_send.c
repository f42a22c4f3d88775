/*
 * An LD_PRELOAD shim for the power test of scripts/compare: every send(),
 * sendto() and sendmsg() spins SP_DELAY_SEND_US microseconds (default 20;
 * a decimal: 1.5 is 1500 ns) on CLOCK_MONOTONIC, then makes the real
 * call. write(2) and everything else is untouched, so socket transports
 * get slower by a known amount per message and pipes and eventfd do not:
 * compare must call the first worse and not the others. A spin, not a
 * sleep: the delay is the same on a busy machine as on an idle one, and a
 * forked peer inherits the shim.
 * (The build defines _GNU_SOURCE, which RTLD_NEXT needs.)
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int,
                             const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

static send_fn real_send;
static sendto_fn real_sendto;
static sendmsg_fn real_sendmsg;
static int64_t delay_ns = 20000;

/* Resolved once, before main(), so the wrappers never race on them. */
__attribute__((constructor)) static void delay_send_init(void) {
  const char *v = getenv("SP_DELAY_SEND_US");
  if (v && *v)
    delay_ns = (int64_t)(strtod(v, NULL) * 1000.0);
  *(void **)&real_send = dlsym(RTLD_NEXT, "send");
  *(void **)&real_sendto = dlsym(RTLD_NEXT, "sendto");
  *(void **)&real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void spin(void) {
  int64_t end = now_ns() + delay_ns;
  while (now_ns() < end)
    ;
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
  if (!real_send) {
    errno = ENOSYS;
    return -1;
  }
  spin();
  return real_send(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
               const struct sockaddr *to, socklen_t tolen) {
  if (!real_sendto) {
    errno = ENOSYS;
    return -1;
  }
  spin();
  return real_sendto(fd, buf, n, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  if (!real_sendmsg) {
    errno = ENOSYS;
    return -1;
  }
  spin();
  return real_sendmsg(fd, msg, flags);
}
