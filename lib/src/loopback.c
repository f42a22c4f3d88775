/* Loopback addresses for the inet emulation. */
#include "internal.h"

#include <netinet/in.h>
#include <string.h>

void sp__loopback_addr(int domain, sp__addr *addr) {
  memset(addr, 0, sizeof(*addr));
  if (domain == SP_PF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;

    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    addr->len = sizeof(*sin6);
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;

    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->len = sizeof(*sin);
  }
}

int sp__local_addr(int fd, sp__addr *addr) {
  memset(addr, 0, sizeof(*addr));
  addr->len = sizeof(addr->ss);
  if (sp__sys_getsockname(fd, (struct sockaddr *)&addr->ss, &addr->len))
    return -errno;
  return 0;
}

int sp__peer_addr(int fd, sp__addr *addr) {
  memset(addr, 0, sizeof(*addr));
  addr->len = sizeof(addr->ss);
  if (sp__sys_getpeername(fd, (struct sockaddr *)&addr->ss, &addr->len))
    return -errno;
  return 0;
}

int sp__addr_equal(const sp__addr *a, const sp__addr *b) {
  const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
  const struct sockaddr *sb = (const struct sockaddr *)&b->ss;

  if (sa->sa_family != sb->sa_family)
    return 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)sa;
    const struct sockaddr_in *y = (const struct sockaddr_in *)sb;

    return x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)sa;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)sb;

    return x->sin6_port == y->sin6_port &&
           !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
  }
  return 0;
}

int sp__loopback_socket(int domain, int type, int protocol) {
  sp__addr addr;
  int fd;
  int err;

  fd = sp__sys_socket(domain, type, protocol);
  if (fd < 0)
    return -errno;
  sp__loopback_addr(domain, &addr);
  if (sp__sys_bind(fd, (struct sockaddr *)&addr.ss, addr.len)) {
    err = -errno;
    sp__close(fd);
    return err;
  }
  return fd;
}
