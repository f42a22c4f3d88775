/*
 * api stream: the messages go through the library's stream layer on the
 * channel's own descriptors, so a whole-process run compares it with the
 * harness's plain calls on the same transport. The streams wrap dup()s:
 * the channel keeps its descriptors and closes them as for api raw. The
 * system-call counter counts calls into the stream layer, not the system
 * calls it makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

const char *const sh_api_names[2] = {"raw", "stream"};

/* A stream on a dup() of fd; the dup is closed if the stream is not made. */
static int wrap(int fd, int64_t timeout_us, sp_stream **out) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  int err;
  if (copy < 0)
    return -errno;
  err = sp_stream_open(copy, out);
  if (err != 0) {
    close(copy);
    return err;
  }
  err = sp_stream_set_timeout(*out, timeout_us);
  if (err != 0) {
    sp_stream_close(*out);
    *out = NULL;
  }
  return err;
}

/* Every wait ends by the endpoint's deadline; a receiver that may lose
 * messages wakes up as its SO_RCVTIMEO would (SH_QUIET_US). */
static int64_t timeout_of(const struct sh_ioend *e, enum sh_io_role role) {
  int64_t left_us;
  if (role == SH_IO_RECEIVER && e->t->may_drop)
    return SH_QUIET_US;
  if (!e->deadline_ns)
    return SP_DEFAULT_TIMEOUT_US;
  left_us = (e->deadline_ns - sh_now_ns()) / 1000;
  return left_us > 0 ? left_us : 1;
}

int sh_stream_open(struct sh_ioend *e, enum sh_io_role role) {
  int64_t us = timeout_of(e, role);
  int err;
  if (e->t->create == SH_EVENTFDS || e->io != SH_IO_SYSCALL)
    return -EOPNOTSUPP;
  err = wrap(e->rfd, us, &e->rs);
  if (err != 0)
    return err;
  if (e->wfd == e->rfd) {
    e->ws = e->rs;
    return 0;
  }
  return wrap(e->wfd, us, &e->ws);
}

void sh_stream_close(struct sh_ioend *e) {
  if (e->ws != e->rs)
    sp_stream_close(e->ws);
  sp_stream_close(e->rs);
  e->rs = e->ws = NULL;
}

/* The stream layer's results in the harness's terms: a short count is a
 * message of another size. */
static int whole(ssize_t r, size_t want) {
  if (r < 0)
    return (int)r;
  return (size_t)r == want ? 0 : SP_EMSGSIZE;
}

int sh_stream_xfer(struct sh_ioend *e, const void *sbuf, size_t slen,
                   void *rbuf, size_t rlen) {
  int err = slen > 0 ? sh_stream_send(e, sbuf, slen) : 0;
  if (err == 0 && rlen > 0) {
    sh_syscalls++;
    err = whole(sp_stream_gets(e->rs, rbuf, (ssize_t)rlen + 1), rlen);
  }
  return err;
}

int sh_stream_send(struct sh_ioend *e, const void *buf, size_t size) {
  sh_syscalls++;
  return whole(sp_stream_write(e->ws, buf, size), size);
}

int sh_stream_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  ssize_t r;
  sh_syscalls++;
  r = sp_stream_read(e->rs, e->rbuf, e->cap);
  if (r == -ETIMEDOUT && e->t->may_drop)
    return -EAGAIN; /* quiet for SH_QUIET_US: as the plain receiver says */
  if (r < 0)
    return (int)r;
  (*msgs)++;
  *bytes += r;
  return 0;
}
