/* sp_socketpair(): the kernel's pair for AF_UNIX, emulation for inet. */
#include "internal.h"

static int pair_kernel(int domain, int type, int protocol, int fds[2]) {
  int tmp[2];

  if (sp__sys_socketpair(domain, type, protocol, tmp))
    return -errno;
  fds[0] = tmp[0];
  fds[1] = tmp[1];
  return 0;
}

/* The error for an inet cell that cannot be paired is the kernel's own
 * refusal of such a socket. A socket(2) probe takes no port. */
static int refusal(int domain, int base_type, int protocol) {
  int fd = sp__sys_socket(domain, base_type | SOCK_CLOEXEC, protocol);

  if (fd < 0)
    return -errno;
  sp__close(fd);
  return SP_EOPNOTSUPP;
}

int sp__socketpair_planned(int domain, int protocol, const sp_plan *plan,
                           int fds[2]) {
  switch (plan->method) {
  case SP_METHOD_KERNEL:
    return pair_kernel(domain, plan->base_type | plan->flags, protocol, fds);
  case SP_METHOD_EMULATED_TCP:
    return sp__pair_tcp(domain, plan->flags, fds);
  case SP_METHOD_EMULATED_UDP:
    return sp__pair_udp(domain, plan->flags, fds);
  case SP_METHOD_REFUSED:
    break;
  }
  return refusal(domain, plan->base_type, protocol);
}

int sp_socketpair(int domain, int type, int protocol, int fds[2]) {
  sp_plan plan;
  int err = sp_socketpair_plan(domain, type, protocol, &plan);

  if (err)
    return err;
  if (!fds)
    return SP_EINVAL;
  return sp__socketpair_planned(domain, protocol, &plan, fds);
}
