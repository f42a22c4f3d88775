/*
 * The endpoint over the I/O paths (iopath.h), the plain syscall path,
 * and the system-call counter every path adds to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sockpair.h"

const char *const sh_io_names[SH_IO_COUNT] = {"syscall", "uring", "mmsg",
                                              "zerocopy", "uring-zc"};

_Thread_local int64_t sh_syscalls;

static int is_ip(const struct sh_transport *t) {
  return t->create == SH_SOCKETPAIR &&
         (t->domain == SP_PF_INET || t->domain == SP_PF_INET6);
}

int sh_io_supported(enum sh_io io, const struct sh_transport *t, char *why,
                    size_t len) {
  switch (io) {
  case SH_IO_SYSCALL:
    return 0;
  case SH_IO_URING:
    if (t->create == SH_EVENTFDS)
      break;
    return sh_uring_supported(0, why, len);
  case SH_IO_MMSG:
    if (t->create != SH_SOCKETPAIR || t->bytestream)
      break;
    return 0;
  case SH_IO_ZEROCOPY:
    if (!is_ip(t))
      break;
    return 0;
  case SH_IO_URING_ZC:
    if (!is_ip(t))
      break;
    return sh_uring_supported(1, why, len);
  }
  snprintf(why, len, "skip: io:%s does not apply to %s", sh_io_names[io],
           t->name);
  return -EOPNOTSUPP;
}

void *sh_io_buffer(size_t n) {
  char *p = malloc(n);
  if (p)
    memset(p, 0, n);
  return p;
}

int sh_io_interrupted(const struct sh_ioend *e) {
  if (sh_deadline_passed())
    return -ETIMEDOUT;
  if (e->deadline_ns && sh_now_ns() > e->deadline_ns)
    return -ETIMEDOUT;
  return 0;
}

/* A receiver of the zero-copy paths receives like the path it is the
 * zero-copy variant of: a plain receiver, or io_uring's. */
static enum sh_io receiver_io(enum sh_io io) {
  if (io == SH_IO_ZEROCOPY)
    return SH_IO_SYSCALL;
  if (io == SH_IO_URING_ZC)
    return SH_IO_URING;
  return io;
}

static int open_path(struct sh_ioend *e, enum sh_io_role role) {
  switch (e->io) {
  case SH_IO_URING:
  case SH_IO_URING_ZC:
    return sh_uring_open(e, role);
  case SH_IO_MMSG:
    return sh_mmsg_open(e);
  case SH_IO_ZEROCOPY:
    return role == SH_IO_SENDER ? sh_zc_open(e) : 0;
  case SH_IO_SYSCALL:
    break;
  }
  return 0;
}

int sh_io_open(struct sh_ioend *e, enum sh_io io, enum sh_api api,
               const struct sh_transport *t, int rfd, int wfd, unsigned batch,
               size_t cap, enum sh_io_role role, int64_t deadline_ns) {
  int err;
  memset(e, 0, sizeof(*e));
  e->io = role == SH_IO_RECEIVER ? receiver_io(io) : io;
  e->t = t;
  e->rfd = rfd;
  e->wfd = wfd;
  e->batch = batch ? batch : 1;
  e->cap = cap;
  e->deadline_ns = deadline_ns;
  if (e->io == SH_IO_SYSCALL && role == SH_IO_RECEIVER) {
    e->rbuf = sh_io_buffer(cap);
    if (!e->rbuf)
      return -ENOMEM;
  }
  err = open_path(e, role);
  if (err == 0 && api == SH_API_STREAM)
    err = sh_stream_open(e, role);
  if (err != 0)
    sh_io_close(e);
  return err;
}

void sh_io_close(struct sh_ioend *e) {
  sh_mmsg_close(e);
  sh_uring_close(e);
  sh_stream_close(e);
  free(e->rbuf);
  e->rbuf = NULL;
}

int sh_io_xfer(struct sh_ioend *e, const void *sbuf, size_t slen, void *rbuf,
               size_t rlen) {
  int err = 0;
  if (e->rs)
    return sh_stream_xfer(e, sbuf, slen, rbuf, rlen);
  if (e->io == SH_IO_URING)
    return sh_uring_xfer(e, sbuf, slen, rbuf, rlen);
  if (e->io != SH_IO_SYSCALL)
    return -EINVAL;
  if (slen > 0)
    err = sh_send(e->t, e->wfd, sbuf, slen);
  if (err == 0 && rlen > 0)
    err = sh_recv(e->t, e->rfd, rbuf, rlen);
  return err;
}

static int send_each(struct sh_ioend *e, const void *buf, size_t size,
                     unsigned count, int64_t *dropped) {
  for (unsigned i = 0; i < count; i++) {
    int err = e->ws                     ? sh_stream_send(e, buf, size)
              : e->io == SH_IO_ZEROCOPY ? sh_zc_send(e, buf, size)
                                        : sh_send(e->t, e->wfd, buf, size);
    if (err == -ENOBUFS && e->t->may_drop) {
      (*dropped)++; /* the kernel dropped it at the sender: loss too */
      continue;
    }
    if (err != 0)
      return err;
  }
  return 0;
}

int sh_io_send(struct sh_ioend *e, const void *buf, size_t size, unsigned count,
               int64_t *dropped) {
  switch (e->io) {
  case SH_IO_URING:
  case SH_IO_URING_ZC:
    return sh_uring_send(e, buf, size, count, dropped);
  case SH_IO_MMSG:
    return sh_mmsg_send(e, buf, size, count, dropped);
  case SH_IO_SYSCALL:
  case SH_IO_ZEROCOPY:
    break;
  }
  return send_each(e, buf, size, count, dropped);
}

/* One read of up to cap bytes: a message, or a byte stream's chunk. */
static int recv_plain(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  for (;;) {
    ssize_t r;
    sh_syscalls++;
    r = read(e->rfd, e->rbuf, e->cap);
    if (r < 0 && errno == EINTR) {
      if (sh_io_interrupted(e) != 0)
        return -ETIMEDOUT;
      continue;
    }
    if (r < 0)
      return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (r == 0)
      return SP_EOF;
    (*msgs)++;
    *bytes += r;
    return 0;
  }
}

int sh_io_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  switch (e->io) {
  case SH_IO_URING:
  case SH_IO_URING_ZC:
    return sh_uring_recv(e, msgs, bytes);
  case SH_IO_MMSG:
    return sh_mmsg_recv(e, msgs, bytes);
  case SH_IO_SYSCALL:
  case SH_IO_ZEROCOPY:
    break;
  }
  return e->rs ? sh_stream_recv(e, msgs, bytes) : recv_plain(e, msgs, bytes);
}

int sh_io_flush(struct sh_ioend *e) {
  if (e->io == SH_IO_ZEROCOPY)
    return sh_zc_flush(e);
  if (e->io == SH_IO_URING_ZC)
    return sh_uring_flush(e);
  return 0;
}
