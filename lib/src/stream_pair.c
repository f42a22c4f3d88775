/* sp_pair(): sp_socketpair() with a stream on each end. */
#include "stream_internal.h"

int sp_pair(int domain, int type, int protocol, sp_stream *pair[2]) {
  sp_stream *a = NULL;
  sp_stream *b = NULL;
  int fds[2];
  int err;

  if (!pair)
    return SP_EINVAL;
  err = sp_socketpair(domain, type, protocol, fds);
  if (err)
    return err;
  err = sp_stream_open(fds[0], &a);
  if (!err)
    err = sp_stream_open(fds[1], &b);
  if (err)
    goto fail;
  sp__stream_io_owned(a);
  sp__stream_io_owned(b);
  pair[0] = a;
  pair[1] = b;
  return 0;

fail:
  /* sp_stream_open leaves fd open on failure; a stream owns its fd. */
  if (a)
    sp_stream_close(a);
  else
    sp__close(fds[0]);
  sp__close(fds[1]);
  return err;
}
