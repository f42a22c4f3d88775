/*
 * A connected UDP pair over loopback: two sockets bound to ephemeral
 * loopback ports and connect()ed to each other. Once connected, the kernel
 * drops datagrams from any other address; whatever a stranger managed to
 * queue between bind and connect is drained before return (we have sent
 * nothing yet, so nothing queued can be our peer's).
 */
#include "internal.h"

#include <netinet/in.h>

static int connect_to(int fd, const sp__addr *to) {
  while (sp__sys_connect(fd, (const struct sockaddr *)&to->ss, to->len)) {
    if (errno != EINTR)
      return -errno;
  }
  return 0;
}

/* EAGAIN alone does not prove the queue empty (a recv can fail
 * spuriously, as the fault seam makes it do): it is empty when a poll that
 * does not wait finds nothing to read either. */
static int queue_empty(int fd) {
  int r = sp__poll_one(fd, POLLIN, 0);

  if (r < 0)
    return r;
  return !(r & POLLIN);
}

static int drain_strangers(int fd) {
  char byte;

  for (;;) {
    ssize_t n = sp__sys_recv(fd, &byte, sizeof(byte), MSG_DONTWAIT);
    int empty;

    if (n >= 0)
      continue;
    if (errno == EAGAIN) {
      empty = queue_empty(fd);
      if (empty)
        return empty < 0 ? empty : 0;
      continue;
    }
    /* A queued ICMP error from a stranger's traffic is consumed too. */
    if (errno != EINTR && errno != ECONNREFUSED)
      return -errno;
  }
}

static int connect_both(int a, int b) {
  sp__addr addr_a;
  sp__addr addr_b;
  int err = sp__local_addr(a, &addr_a);

  if (!err)
    err = sp__local_addr(b, &addr_b);
  if (!err)
    err = connect_to(a, &addr_b);
  if (!err)
    err = connect_to(b, &addr_a);
  if (!err)
    err = drain_strangers(a);
  if (!err)
    err = drain_strangers(b);
  return err;
}

int sp__pair_udp(int domain, int flags, int fds[2]) {
  int type = SOCK_DGRAM | SOCK_CLOEXEC | (flags & SP_SOCK_NONBLOCK);
  int a;
  int b = -1;
  int err;

  a = sp__loopback_socket(domain, type, IPPROTO_UDP);
  if (a < 0)
    return a;
  b = sp__loopback_socket(domain, type, IPPROTO_UDP);
  err = b < 0 ? b : connect_both(a, b);
  if (!err && !(flags & SP_SOCK_CLOEXEC)) {
    err = sp__set_cloexec(a, 0);
    if (!err)
      err = sp__set_cloexec(b, 0);
  }
  if (err) {
    sp__close(a);
    sp__close(b);
    return err;
  }
  fds[0] = a;
  fds[1] = b;
  return 0;
}
