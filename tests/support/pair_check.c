/* Checks on a pair, with raw syscalls (see pair_check.h). */
#include "pair_check.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof(v);

  ASSERT_EQ(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

/* The type the kernel gives a pair of this cell (AF_UNIX SOCK_RAW is a
 * datagram socket), asked of the kernel itself. */
static int expected_so_type(const pair_cell *c) {
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

static void check_peers(int a, int b) {
  struct sockaddr_storage name, peer;
  socklen_t nlen = sizeof(name);
  socklen_t plen = sizeof(peer);

  ASSERT_EQ(getsockname(a, (struct sockaddr *)&name, &nlen), 0);
  ASSERT_EQ(getpeername(b, (struct sockaddr *)&peer, &plen), 0);
  ASSERT_EQ(nlen, plen);
  ASSERT_MEM_EQ(&name, &peer, nlen);
}

void pair_check(const pair_cell *c, const int fds[2]) {
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

void pair_set_abortive(const pair_cell *c, int fd) {
  if ((c->domain == SP_PF_INET || c->domain == SP_PF_INET6) &&
      (c->type & 0xf) == SP_SOCK_STREAM) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  }
}

void pair_close(const pair_cell *c, int fds[2]) {
  pair_set_abortive(c, fds[0]);
  close(fds[0]);
  close(fds[1]);
}
