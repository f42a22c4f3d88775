/*
 * The transports the benchmarks compare: every pair sp_socketpair() can
 * make (UNIX stream/dgram/seqpacket, emulated TCP and UDP over v4 and v6)
 * and, as baselines in the same binary, a pipe and an eventfd. Whether a
 * socket transport exists is asked of the library when a benchmark runs:
 * a kernel that refuses it gives the benchmark a "skip:" with its reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "sockpair.h"

const struct bt_transport bt_transports[] = {
    {"unix-stream", BT_SOCKET, SP_PF_UNIX, SP_SOCK_STREAM, 0, 0, 0},
    {"unix-dgram", BT_SOCKET, SP_PF_UNIX, SP_SOCK_DGRAM, 0, 1, 0},
    {"unix-seqpacket", BT_SOCKET, SP_PF_UNIX, SP_SOCK_SEQPACKET, 0, 1, 0},
    {"tcp4", BT_SOCKET, SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, 0, 0},
    {"tcp6", BT_SOCKET, SP_PF_INET6, SP_SOCK_STREAM, SP_IPPROTO_TCP, 0, 0},
    {"udp4", BT_SOCKET, SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 1, 1},
    {"udp6", BT_SOCKET, SP_PF_INET6, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 1, 1},
    {"pipe", BT_PIPE, 0, 0, 0, 0, 0},
    {"eventfd", BT_EVENTFD, 0, 0, 0, 1, 0},
};
const size_t bt_ntransports = sizeof(bt_transports) / sizeof(bt_transports[0]);

const struct bt_transport *bt_transport_find(const char *name) {
  for (size_t i = 0; i < bt_ntransports; i++)
    if (strcmp(bt_transports[i].name, name) == 0)
      return &bt_transports[i];
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

void bt_chan_close_end(struct bt_chan *c, int end) {
  if (c->wfd[end] == c->rfd[end])
    c->wfd[end] = -1;
  close_fd(&c->rfd[end]);
  close_fd(&c->wfd[end]);
}

void bt_chan_close(struct bt_chan *c) {
  bt_chan_close_end(c, 0);
  bt_chan_close_end(c, 1);
}

/* Two one-way pipes: 0 -> 1 and 1 -> 0. */
static int open_pipes(struct bt_chan *c) {
  int a[2], b[2];
  if (pipe2(a, O_CLOEXEC) != 0)
    return -errno;
  if (pipe2(b, O_CLOEXEC) != 0) {
    int err = -errno;
    close(a[0]);
    close(a[1]);
    return err;
  }
  c->wfd[0] = a[1];
  c->rfd[1] = a[0];
  c->wfd[1] = b[1];
  c->rfd[0] = b[0];
  return 0;
}

/* Two eventfds, one per direction; each end gets its own descriptor (a
 * dup) so that closing one end never closes the other's. */
static int open_eventfds(struct bt_chan *c) {
  int e[2] = {-1, -1}, d[2] = {-1, -1};
  int err = 0;
  for (int i = 0; i < 2; i++) {
    e[i] = eventfd(0, EFD_CLOEXEC);
    if (e[i] < 0)
      goto fail;
    d[i] = fcntl(e[i], F_DUPFD_CLOEXEC, 0);
    if (d[i] < 0)
      goto fail;
  }
  c->wfd[0] = e[0];
  c->rfd[1] = d[0];
  c->wfd[1] = e[1];
  c->rfd[0] = d[1];
  return 0;
fail:
  err = -errno;
  for (int i = 0; i < 2; i++) {
    close_fd(&e[i]);
    close_fd(&d[i]);
  }
  return err;
}

int bt_chan_open(const struct bt_transport *t, struct bt_chan *c) {
  int fds[2], err;
  c->rfd[0] = c->rfd[1] = c->wfd[0] = c->wfd[1] = -1;
  switch (t->kind) {
  case BT_PIPE:
    return open_pipes(c);
  case BT_EVENTFD:
    return open_eventfds(c);
  case BT_SOCKET:
    break;
  }
  err = sp_socketpair(t->domain, t->type | SP_SOCK_CLOEXEC, t->protocol, fds);
  if (err < 0)
    return err;
  c->rfd[0] = c->wfd[0] = fds[0];
  c->rfd[1] = c->wfd[1] = fds[1];
  return 0;
}

static int set_sock_bufs(int fd, int bytes, int *got) {
  socklen_t len = sizeof(*got);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_RCVBUF, got, &len) != 0)
    return -errno;
  return 0;
}

int bt_chan_set_bufs(const struct bt_transport *t, struct bt_chan *c, int bytes,
                     int *got) {
  int err = 0;
  *got = 0;
  for (int end = 0; end < 2 && err == 0; end++) {
    if (t->kind == BT_SOCKET) {
      err = set_sock_bufs(c->rfd[end], bytes, got);
    } else if (t->kind == BT_PIPE) {
      /* Root may exceed fs.pipe-max-size; others get EPERM: then the
       * largest size allowed. */
      int r = fcntl(c->wfd[end], F_SETPIPE_SZ, bytes);
      if (r < 0 && errno == EPERM)
        r = fcntl(c->wfd[end], F_SETPIPE_SZ, 1 << 20);
      if (r < 0)
        err = -errno;
      else
        *got = r;
    }
  }
  return err;
}

/* A blocking call returned EINTR: the watchdog's deadline, or SIGCHLD.
 * A UNIX stream socket returns EINTR for a pending signal even when the
 * data it waited for has arrived, so the peer's exit right after its last
 * answer is no error: go on if fd is ready now, else the peer is gone. */
static int interrupted(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  if (bt_watchdog_fired())
    return -ETIMEDOUT;
  if (poll(&p, 1, 0) > 0)
    return 0;
  return -ECHILD;
}

int bt_send(const struct bt_transport *t, int fd, const void *buf, size_t n) {
  const char *p = buf;
  uint64_t one = 1;
  if (t->kind == BT_EVENTFD) {
    p = (const char *)&one;
    n = sizeof(one);
  }
  while (n > 0) {
    ssize_t r =
        t->kind == BT_SOCKET ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
    if (r < 0 && errno == EINTR) {
      int err = interrupted(fd, POLLOUT);
      if (err != 0)
        return err;
      continue;
    }
    if (r < 0)
      return -errno;
    if (t->boundaries) {
      /* A datagram goes whole or not at all. */
      return (size_t)r == n ? 0 : -EMSGSIZE;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int bt_recv(const struct bt_transport *t, int fd, void *buf, size_t n) {
  char *p = buf;
  uint64_t count;
  if (t->kind == BT_EVENTFD) {
    p = (char *)&count;
    n = sizeof(count);
  }
  while (n > 0) {
    ssize_t r = t->kind == BT_SOCKET ? recv(fd, p, n, 0) : read(fd, p, n);
    if (r < 0 && errno == EINTR) {
      int err = interrupted(fd, POLLIN);
      if (err != 0)
        return err;
      continue;
    }
    if (r < 0)
      return -errno;
    if (r == 0)
      return -ENODATA; /* the peer closed */
    if (t->boundaries)
      return (size_t)r == n ? 0 : -EMSGSIZE;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Errors by which a kernel says it has no such transport (no IPv6, a
 * type it does not offer, a policy): the benchmark is skipped with the
 * kernel's reason. Anything else (EMFILE, ENOMEM, ...) is a failure. */
static int is_refusal(int err) {
  switch (-err) {
  case EAFNOSUPPORT:
  case EPROTONOSUPPORT:
  case ESOCKTNOSUPPORT:
  case EOPNOTSUPP:
  case EPROTOTYPE:
  case EPERM:
  case EACCES:
  case EADDRNOTAVAIL:
  case ENETUNREACH:
  case ENETDOWN:
  case ENOSYS:
    return 1;
  default:
    return 0;
  }
}

int bt_chan_open_st(sb_state *st, const struct bt_transport *t,
                    struct bt_chan *c) {
  int err = bt_chan_open(t, c);
  if (err == 0)
    return 0;
  if (is_refusal(err))
    bt_skip(st, t->kind == BT_SOCKET ? "sp_socketpair" : t->name, err);
  else
    bt_fail(st, t->kind == BT_SOCKET ? "sp_socketpair" : t->name, err);
  return err;
}
