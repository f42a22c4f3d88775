/*
 * The syscall seam: every syscall and allocation of lib/ goes through one of
 * these wrappers. In a release build they are the bare calls (inline, no
 * cost); with SP_FAULT_INJECTION each first asks the test hook of fault.h.
 * The wrappers do not retry EINTR: callers do, where the call is restartable.
 */
#ifndef SOCKPAIR_SYS_H
#define SOCKPAIR_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef SP_FAULT_INJECTION
#include "fault.h"
#define SP__FAULT(call, lenp)                                                  \
  do {                                                                         \
    int fault_err_ = sp__fault_hit(SP_CALL_##call, lenp);                      \
    if (fault_err_) {                                                          \
      errno = fault_err_;                                                      \
      return -1;                                                               \
    }                                                                          \
  } while (0)
#define SP__FAULT_PTR(call)                                                    \
  do {                                                                         \
    int fault_err_ = sp__fault_hit(SP_CALL_##call, NULL);                      \
    if (fault_err_) {                                                          \
      errno = fault_err_;                                                      \
      return NULL;                                                             \
    }                                                                          \
  } while (0)
#else
#define SP__FAULT(call, lenp) ((void)0)
#define SP__FAULT_PTR(call) ((void)0)
#endif

static inline int sp__sys_socket(int domain, int type, int protocol) {
  SP__FAULT(SOCKET, NULL);
  return socket(domain, type, protocol);
}

static inline int sp__sys_socketpair(int domain, int type, int protocol,
                                     int fds[2]) {
  SP__FAULT(SOCKETPAIR, NULL);
  return socketpair(domain, type, protocol, fds);
}

static inline int sp__sys_bind(int fd, const struct sockaddr *addr,
                               socklen_t len) {
  SP__FAULT(BIND, NULL);
  return bind(fd, addr, len);
}

static inline int sp__sys_listen(int fd, int backlog) {
  SP__FAULT(LISTEN, NULL);
  return listen(fd, backlog);
}

static inline int sp__sys_connect(int fd, const struct sockaddr *addr,
                                  socklen_t len) {
  SP__FAULT(CONNECT, NULL);
  return connect(fd, addr, len);
}

static inline int sp__sys_accept4(int fd, struct sockaddr *addr, socklen_t *len,
                                  int flags) {
  SP__FAULT(ACCEPT4, NULL);
  return accept4(fd, addr, len, flags);
}

static inline int sp__sys_getsockname(int fd, struct sockaddr *addr,
                                      socklen_t *len) {
  SP__FAULT(GETSOCKNAME, NULL);
  return getsockname(fd, addr, len);
}

static inline int sp__sys_getpeername(int fd, struct sockaddr *addr,
                                      socklen_t *len) {
  SP__FAULT(GETPEERNAME, NULL);
  return getpeername(fd, addr, len);
}

static inline int sp__sys_setsockopt(int fd, int level, int name,
                                     const void *val, socklen_t len) {
  SP__FAULT(SETSOCKOPT, NULL);
  return setsockopt(fd, level, name, val, len);
}

static inline int sp__sys_getsockopt(int fd, int level, int name, void *val,
                                     socklen_t *len) {
  SP__FAULT(GETSOCKOPT, NULL);
  return getsockopt(fd, level, name, val, len);
}

static inline int sp__sys_fcntl(int fd, int cmd, int arg) {
  SP__FAULT(FCNTL, NULL);
  return fcntl(fd, cmd, arg);
}

static inline int sp__sys_ppoll(struct pollfd *fds, nfds_t n,
                                const struct timespec *timeout) {
  SP__FAULT(POLL, NULL);
  return ppoll(fds, n, timeout, NULL);
}

static inline int sp__sys_close(int fd) {
#ifdef SP_FAULT_INJECTION
  int fault_err = sp__fault_hit(SP_CALL_CLOSE, NULL);

  /* Linux releases the descriptor even when close() fails (EINTR, EIO):
   * an injected failure must too, or it would leak what no real failure
   * can. */
  if (fault_err) {
    (void)close(fd);
    errno = fault_err;
    return -1;
  }
#endif
  return close(fd);
}

static inline ssize_t sp__sys_recv(int fd, void *buf, size_t len, int flags) {
  SP__FAULT(RECV, &len);
  return recv(fd, buf, len, flags);
}

/* A recv without MSG_DONTWAIT on a blocking socket: it waits in the kernel,
 * bounded by the SO_RCVTIMEO the stream armed (stream_io.c). Its own fault
 * point (as sp__sys_send_wait), so that a test can tell it from a call that
 * never waits. */
static inline ssize_t sp__sys_recv_wait(int fd, void *buf, size_t len,
                                        int flags) {
  SP__FAULT(RECV_WAIT, &len);
  return recv(fd, buf, len, flags);
}

static inline ssize_t sp__sys_send(int fd, const void *buf, size_t len,
                                   int flags) {
  SP__FAULT(SEND, &len);
  return send(fd, buf, len, flags);
}

/* A send without MSG_DONTWAIT on a blocking socket: it waits in the kernel,
 * bounded by the SO_SNDTIMEO the stream armed (stream_io.c). */
static inline ssize_t sp__sys_send_wait(int fd, const void *buf, size_t len,
                                        int flags) {
  SP__FAULT(SEND_WAIT, &len);
  return send(fd, buf, len, flags);
}

static inline ssize_t sp__sys_read(int fd, void *buf, size_t len) {
  SP__FAULT(READ, &len);
  return read(fd, buf, len);
}

static inline ssize_t sp__sys_write(int fd, const void *buf, size_t len) {
  SP__FAULT(WRITE, &len);
  return write(fd, buf, len);
}

static inline int sp__sys_shutdown(int fd, int how) {
  SP__FAULT(SHUTDOWN, NULL);
  return shutdown(fd, how);
}

static inline int sp__sys_ioctl_int(int fd, unsigned long req, int *val) {
  SP__FAULT(IOCTL, NULL);
  return ioctl(fd, req, val);
}

/* SIGPIPE's disposition, asked before a pipe write (stream_io.c). It cannot
 * fail with valid arguments; the fault point walks the fallback (the
 * signal-mask calls below). */
static inline int sp__sys_sigaction_get(int sig, struct sigaction *old) {
  SP__FAULT(SIGACTION, NULL);
  return sigaction(sig, NULL, old);
}

/* Signal-mask calls for SIGPIPE-safe writes to pipes (stream_io.c). They
 * cannot fail with valid arguments, so they have no fault point. */
static inline int sp__sys_sigmask(int how, const sigset_t *set, sigset_t *old) {
  return pthread_sigmask(how, set, old);
}

static inline int sp__sys_sigpending(sigset_t *set) {
  return sigpending(set);
}

static inline int sp__sys_sigtimedwait(const sigset_t *set,
                                       const struct timespec *timeout) {
  return sigtimedwait(set, NULL, timeout);
}

static inline void *sp__malloc(size_t size) {
  SP__FAULT_PTR(MALLOC);
  return malloc(size);
}

static inline void *sp__realloc(void *ptr, size_t size) {
  SP__FAULT_PTR(REALLOC);
  return realloc(ptr, size);
}

static inline void sp__free(void *ptr) {
  free(ptr);
}

#endif /* SOCKPAIR_SYS_H */
