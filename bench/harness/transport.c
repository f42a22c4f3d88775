/*
 * The transports: every pair sp_socketpair() can make (UNIX stream, dgram
 * and seqpacket; emulated TCP and UDP over v4 and v6) and, as baselines, a
 * pipe and an eventfd. Whether a socket transport exists is asked of the
 * library when it is opened: a kernel that refuses it says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

/* name, create, domain, type, protocol, bytestream, may_drop,
 * close_visible, max_message */
const struct sh_transport sh_transports[] = {
    {"unix-stream", SH_SOCKETPAIR, SP_PF_UNIX, SP_SOCK_STREAM, 0, 1, 0, 1, 0},
    {"unix-dgram", SH_SOCKETPAIR, SP_PF_UNIX, SP_SOCK_DGRAM, 0, 0, 0, 0, 0},
    {"unix-seqpacket", SH_SOCKETPAIR, SP_PF_UNIX, SP_SOCK_SEQPACKET, 0, 0, 0, 1,
     0},
    {"tcp4", SH_SOCKETPAIR, SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, 1, 0, 1,
     0},
    {"tcp6", SH_SOCKETPAIR, SP_PF_INET6, SP_SOCK_STREAM, SP_IPPROTO_TCP, 1, 0,
     1, 0},
    /* 65535 less the IPv4 (20) and UDP (8) headers; IPv6's header is not
     * counted in its payload length. */
    {"udp4", SH_SOCKETPAIR, SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 1, 0,
     65507},
    {"udp6", SH_SOCKETPAIR, SP_PF_INET6, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 1, 0,
     65527},
    {"pipe", SH_PIPES, 0, 0, 0, 1, 0, 1, 0},
    {"eventfd", SH_EVENTFDS, 0, 0, 0, 0, 0, 0, sizeof(uint64_t)},
};
const size_t sh_ntransports = sizeof(sh_transports) / sizeof(sh_transports[0]);

const struct sh_transport *sh_transport_find(const char *name) {
  for (size_t i = 0; i < sh_ntransports; i++)
    if (strcmp(sh_transports[i].name, name) == 0)
      return &sh_transports[i];
  return NULL;
}

int sh_is_refusal(int err) {
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

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd); /* never retried: the fd is gone whatever close says */
  *fd = -1;
}

void sh_chan_close_end(struct sh_chan *c, int end) {
  if (c->wfd[end] == c->rfd[end])
    c->wfd[end] = -1;
  close_fd(&c->rfd[end]);
  close_fd(&c->wfd[end]);
}

void sh_chan_close(struct sh_chan *c) {
  sh_chan_close_end(c, 0);
  sh_chan_close_end(c, 1);
}

/* One direction of a pipe or an eventfd: fd[0] reads, fd[1] writes. An
 * eventfd's reader gets its own descriptor (a dup), so that closing one
 * end never closes the other's. */
static int one_way(enum sh_create how, int fd[2]) {
  int err;
  if (how == SH_PIPES)
    return pipe2(fd, O_CLOEXEC) == 0 ? 0 : -errno;
  fd[1] = eventfd(0, EFD_CLOEXEC);
  if (fd[1] < 0)
    return -errno;
  fd[0] = fcntl(fd[1], F_DUPFD_CLOEXEC, 0);
  if (fd[0] >= 0)
    return 0;
  err = -errno;
  close(fd[1]);
  return err;
}

/* Two one-way channels: 0 -> 1 and 1 -> 0. */
static int open_one_ways(enum sh_create how, struct sh_chan *c) {
  int a[2], b[2];
  int err = one_way(how, a);
  if (err != 0)
    return err;
  err = one_way(how, b);
  if (err != 0) {
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

int sh_chan_open(const struct sh_transport *t, struct sh_chan *c) {
  int fds[2], err;
  c->rfd[0] = c->rfd[1] = c->wfd[0] = c->wfd[1] = -1;
  if (t->create != SH_SOCKETPAIR)
    return open_one_ways(t->create, c);
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

/* Root may exceed fs.pipe-max-size; others get EPERM: then the largest
 * size allowed. */
static int set_pipe_size(int fd, int bytes, int *got) {
  int r = fcntl(fd, F_SETPIPE_SZ, bytes);
  if (r < 0 && errno == EPERM)
    r = fcntl(fd, F_SETPIPE_SZ, 1 << 20);
  if (r < 0)
    return -errno;
  *got = r;
  return 0;
}

int sh_chan_set_bufs(const struct sh_transport *t, struct sh_chan *c, int bytes,
                     int *got) {
  int err = 0;
  *got = 0;
  for (int end = 0; end < 2 && err == 0; end++) {
    if (t->create == SH_SOCKETPAIR)
      err = set_sock_bufs(c->rfd[end], bytes, got);
    else if (t->create == SH_PIPES)
      err = set_pipe_size(c->wfd[end], bytes, got);
  }
  return err;
}
