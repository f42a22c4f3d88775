/*
 * A connected TCP pair over loopback: listen on an ephemeral port, connect,
 * and accept until the accepted connection is provably our own client.
 *
 * Any local process can connect to the listener while it exists. The
 * accepted socket is ours only if its peer address (address and port) is
 * our client's local address: the kernel guarantees no other connection
 * has that 4-tuple. Strangers are closed and accepting goes on, until the
 * deadline.
 */
#include "internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#define SP__LISTEN_BACKLOG 16

/* A non-blocking connect completes at once or goes on in the kernel
 * (EINPROGRESS). After EINTR it is not known whether the attempt was even
 * made: asking again says, with EALREADY (it goes on) or EISCONN (done).
 * Taking EINTR itself for "in progress" waited for the whole deadline
 * whenever the attempt had not been made. */
static int connect_nonblock(int fd, const sp__addr *to) {
  for (;;) {
    if (!sp__sys_connect(fd, (const struct sockaddr *)&to->ss, to->len))
      return 0;
    if (errno == EINPROGRESS || errno == EALREADY || errno == EISCONN)
      return 0;
    if (errno != EINTR)
      return -errno;
  }
}

static int start_connect(int domain, const sp__addr *to, int *client_out) {
  int fd;
  int err;

  fd = sp__sys_socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      IPPROTO_TCP);
  if (fd < 0)
    return -errno;
  err = connect_nonblock(fd, to);
  if (err) {
    sp__close(fd);
    return err;
  }
  *client_out = fd;
  return 0;
}

/* Accepts connections until one comes from our client. The deadline is
 * checked on every round: a listener that stays readable (strangers
 * flooding it, accept4 failing again and again) never lets poll() time
 * out. */
static int accept_own(int listener, const sp__addr *client_addr, int flags,
                      int64_t deadline_us, int *server_out) {
  int accept_flags = flags & (SOCK_NONBLOCK | SOCK_CLOEXEC);

  for (;;) {
    sp__addr peer;
    int r;
    int fd;

    if (sp__us_left(deadline_us) == 0)
      return SP_ETIMEDOUT;
    r = sp__poll_one(listener, POLLIN, deadline_us);
    if (r == 0)
      return SP_ETIMEDOUT;
    if (r < 0)
      return r;
    peer.len = sizeof(peer.ss);
    fd = sp__sys_accept4(listener, (struct sockaddr *)&peer.ss, &peer.len,
                         accept_flags);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
        continue;
      return -errno;
    }
    if (sp__addr_equal(&peer, client_addr)) {
      *server_out = fd;
      return 0;
    }
    sp__close(fd); /* a stranger raced our client to the listener */
  }
}

static int await_connected(int client, int64_t deadline_us) {
  int so_error = 0;
  socklen_t len = sizeof(so_error);
  int r = sp__poll_one(client, POLLOUT, deadline_us);

  if (r == 0)
    return SP_ETIMEDOUT;
  if (r < 0)
    return r;
  if (sp__sys_getsockopt(client, SOL_SOCKET, SO_ERROR, &so_error, &len))
    return -errno;
  return -so_error;
}

static int set_nodelay(int fd) {
  int on = 1;

  if (sp__sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)))
    return -errno;
  return 0;
}

/* The client was made non-blocking and CLOEXEC to connect; give it the
 * caller's modes. The server got them from accept4(). */
static int finish_ends(int client, int server, int flags) {
  int err = set_nodelay(client);

  if (!err)
    err = set_nodelay(server);
  if (!err && !(flags & SP_SOCK_NONBLOCK))
    err = sp__set_nonblock(client, 0);
  if (!err && !(flags & SP_SOCK_CLOEXEC))
    err = sp__set_cloexec(client, 0);
  return err;
}

int sp__pair_tcp(int domain, int flags, int fds[2]) {
  int64_t deadline_us = sp__now_us() + SP__EMULATION_DEADLINE_US;
  int listener;
  int client = -1;
  int server = -1;
  sp__addr listen_addr;
  sp__addr client_addr;
  int err;

  listener = sp__loopback_socket(
      domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (listener < 0)
    return listener;
  err = sp__local_addr(listener, &listen_addr);
  if (!err && sp__sys_listen(listener, SP__LISTEN_BACKLOG))
    err = -errno;
  if (!err)
    err = start_connect(domain, &listen_addr, &client);
  if (!err)
    err = sp__local_addr(client, &client_addr);
  if (!err)
    err = accept_own(listener, &client_addr, flags, deadline_us, &server);
  if (!err)
    err = await_connected(client, deadline_us);
  if (!err)
    err = finish_ends(client, server, flags);

  sp__close(listener);
  if (err) {
    sp__close(client);
    sp__close(server);
    return err;
  }
  fds[0] = client;
  fds[1] = server;
  return 0;
}
