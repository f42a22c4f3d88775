/*
 * What a caller may rely on for a pair it was given, checked with raw
 * syscalls (not the library): both ends open and distinct, the requested
 * O_NONBLOCK / FD_CLOEXEC and no other, the right domain and type, TCP_NODELAY
 * on emulated TCP, each end the other's peer, and bytes flowing both ways.
 * Shared by the torture tests (header-only: each test is one source).
 */
#ifndef SP_TORTURE_PAIR_CHECK_H
#define SP_TORTURE_PAIR_CHECK_H

#include "test.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define TORTURE_PAIR_API static __attribute__((unused))
#define SENTINEL0 (-71)
#define SENTINEL1 (-72)
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

typedef struct cell {
  int domain;
  int type; /* with flags */
  int protocol;
} cell;

TORTURE_PAIR_API int sock_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof(v);

  ASSERT_EQ(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

/* The type the kernel gives a pair of this cell (AF_UNIX SOCK_RAW is a
 * datagram socket), asked of the kernel itself. */
TORTURE_PAIR_API int expected_so_type(const cell *c) {
  int base = c->type & 0xf;
  int fds[2];
  int t;

  if (c->domain != SP_PF_UNIX)
    return base;
  ASSERT_EQ(socketpair(AF_UNIX, base | SOCK_CLOEXEC, c->protocol, fds), 0);
  t = sock_int(fds[0], SOL_SOCKET, SO_TYPE);
  close(fds[0]);
  close(fds[1]);
  return t;
}

TORTURE_PAIR_API void check_peers(int a, int b) {
  struct sockaddr_storage name, peer;
  socklen_t nlen = sizeof(name);
  socklen_t plen = sizeof(peer);

  ASSERT_EQ(getsockname(a, (struct sockaddr *)&name, &nlen), 0);
  ASSERT_EQ(getpeername(b, (struct sockaddr *)&peer, &plen), 0);
  ASSERT_EQ(nlen, plen);
  ASSERT_MEM_EQ(&name, &peer, nlen);
}

/* Everything a caller may rely on for a pair it was given. */
TORTURE_PAIR_API void check_pair(const cell *c, const int fds[2]) {
  int flags = c->type & (SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC);
  int so_type = expected_so_type(c);

  ASSERT(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
  for (int end = 0; end < 2; end++) {
    int fl = fcntl(fds[end], F_GETFL);
    int fdfl = fcntl(fds[end], F_GETFD);

    ASSERT(fl >= 0 && fdfl >= 0);
    ASSERT_EQ((fl & O_NONBLOCK) != 0, (flags & SP_SOCK_NONBLOCK) != 0);
    ASSERT_EQ((fdfl & FD_CLOEXEC) != 0, (flags & SP_SOCK_CLOEXEC) != 0);
    ASSERT_EQ(sock_int(fds[end], SOL_SOCKET, SO_DOMAIN), c->domain);
    ASSERT_EQ(sock_int(fds[end], SOL_SOCKET, SO_TYPE), so_type);
    if (c->domain != SP_PF_UNIX && so_type == SOCK_STREAM)
      ASSERT(sock_int(fds[end], IPPROTO_TCP, TCP_NODELAY));
  }
  if (c->domain != SP_PF_UNIX) {
    check_peers(fds[0], fds[1]);
    check_peers(fds[1], fds[0]);
  }
  sp_test_round_trip(fds);
}

/* Makes the close of a TCP end abortive (RST), so that the thousands of
 * TCP pairs a torture makes leave no TIME_WAIT behind. */
TORTURE_PAIR_API void set_abortive(const cell *c, int fd) {
  if ((c->domain == SP_PF_INET || c->domain == SP_PF_INET6) &&
      (c->type & 0xf) == SP_SOCK_STREAM) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  }
}

TORTURE_PAIR_API void close_pair(const cell *c, int fds[2]) {
  set_abortive(c, fds[0]);
  close(fds[0]);
  close(fds[1]);
}

#endif /* SP_TORTURE_PAIR_CHECK_H */
