/* sp_pair(): sp_socketpair() with a stream on each end. */
#include "stream_internal.h"

/* The SO_TYPE the kernel gives a socket made as base_type: an AF_UNIX
 * SOCK_RAW socket is a SOCK_DGRAM one (unix_create). */
static int kernel_type(int domain, int base_type) {
  if (domain == SP_PF_UNIX && base_type == SP_SOCK_RAW)
    return SOCK_DGRAM;
  return base_type;
}

/* The pair's kind is known from the plan: no getsockopt or fcntl to learn
 * it again, as sp_stream_open would (3 syscalls an end). */
int sp_pair(int domain, int type, int protocol, sp_stream *pair[2]) {
  sp_stream *a = NULL;
  sp_stream *b = NULL;
  sp_plan plan;
  int fds[2];
  int kind;
  int nonblock;
  int err;

  err = sp_socketpair_plan(domain, type, protocol, &plan);
  if (err)
    return err;
  if (!pair)
    return SP_EINVAL;
  err = sp__socketpair_planned(domain, protocol, &plan, fds);
  if (err)
    return err;
  kind = kernel_type(domain, plan.base_type);
  nonblock = (plan.flags & SP_SOCK_NONBLOCK) != 0;
  err = sp__stream_new(fds[0], kind, domain, nonblock, &a);
  if (!err)
    err = sp__stream_new(fds[1], kind, domain, nonblock, &b);
  if (err)
    goto fail;
  sp__stream_io_owned(a);
  sp__stream_io_owned(b);
  pair[0] = a;
  pair[1] = b;
  return 0;

fail:
  /* sp__stream_new leaves fd open on failure; a stream owns its fd. */
  if (a)
    sp_stream_close(a);
  else
    sp__close(fds[0]);
  sp__close(fds[1]);
  return err;
}
