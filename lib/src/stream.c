/* sp_stream: the public stream calls; the rules live in linebuf.c, the
 * transport in stream_io.c. */
#include "stream_internal.h"

#include <limits.h>

/* SO_TYPE and SO_DOMAIN of fd; type 0 for a descriptor that is not a
 * socket. */
static int socket_kind(int fd, int *type, int *domain) {
  socklen_t len = sizeof(*type);

  *type = 0;
  *domain = 0;
  if (sp__sys_getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &len)) {
    *type = 0;
    return errno == ENOTSOCK ? 0 : -errno;
  }
  len = sizeof(*domain);
  if (sp__sys_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &len))
    return -errno;
  return 0;
}

int sp__stream_new(int fd, int type, int domain, int nonblock,
                   sp_stream **out) {
  sp_stream *s = sp__malloc(sizeof(*s));
  int err;

  if (!s)
    return SP_ENOMEM;
  /* Pipes have no MSG_DONTWAIT: like libuv, the descriptor itself goes
   * O_NONBLOCK and blocking mode is done with poll and the timeout. */
  if (type == 0 && !nonblock) {
    err = sp__set_nonblock(fd, 1);
    if (err) {
      sp__free(s);
      return err;
    }
  }
  s->fd = fd;
  s->type = type;
  s->domain = domain;
  s->blocking = !nonblock;
  s->restore_block = type == 0 && !nonblock;
  s->timeout_us = SP_DEFAULT_TIMEOUT_US;
  /* Every socket type but STREAM keeps message boundaries (AF_UNIX
   * SOCK_RAW reports itself as SOCK_DGRAM). */
  sp__lb_init(&s->lb, type != 0 && type != SOCK_STREAM);
  sp__stream_io_init(s);
  *out = s;
  return 0;
}

int sp_stream_open(int fd, sp_stream **out) {
  int type;
  int domain;
  int nonblock;
  int err;

  if (!out)
    return SP_EINVAL;
  if (fd < 0)
    return SP_EBADF;
  nonblock = sp__get_nonblock(fd);
  if (nonblock < 0)
    return nonblock;
  err = socket_kind(fd, &type, &domain);
  if (err)
    return err;
  return sp__stream_new(fd, type, domain, nonblock, out);
}

ssize_t sp_stream_write(sp_stream *s, const void *buf, size_t len) {
  if (!s || (!buf && len > 0) || len > SSIZE_MAX)
    return SP_EINVAL;
  return sp__stream_send(s, buf, len);
}

ssize_t sp_stream_read(sp_stream *s, void *buf, size_t len) {
  if (!s)
    return SP_EINVAL;
  if (len > SSIZE_MAX)
    len = SSIZE_MAX;
  return sp__lb_read(&s->lb, &s->src, buf, len);
}

ssize_t sp_stream_gets(sp_stream *s, char *buf, ssize_t size) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_gets(&s->lb, &s->src, buf, size);
}

ssize_t sp_stream_getline(sp_stream *s, char **line, size_t *cap) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_getline(&s->lb, &s->src, line, cap);
}

int sp_stream_eof(sp_stream *s) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_eof(&s->lb, &s->src);
}

int sp_stream_set_blocking(sp_stream *s, int blocking) {
  int err;

  if (!s)
    return SP_EINVAL;
  if (s->type != 0) { /* a pipe stays O_NONBLOCK: see sp_stream_open */
    err = sp__set_nonblock(s->fd, !blocking);
    if (err)
      return err;
  }
  s->blocking = blocking ? 1 : 0;
  return 0;
}

int sp_stream_set_timeout(sp_stream *s, int64_t usec) {
  if (!s)
    return SP_EINVAL;
  s->timeout_us = usec < 0 ? -1 : usec;
  return 0;
}

int sp_stream_timed_out(const sp_stream *s) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_timed_out(&s->lb);
}

int sp_stream_set_line_max(sp_stream *s, size_t max) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_set_line_max(&s->lb, max);
}

int sp_stream_set_chunk_size(sp_stream *s, size_t size) {
  if (!s)
    return SP_EINVAL;
  return sp__lb_set_chunk(&s->lb, size);
}

int sp_stream_shutdown(sp_stream *s, int how) {
  if (!s || how < SP_SHUT_RD || how > SP_SHUT_RDWR)
    return SP_EINVAL;
  if (s->type == 0)
    return SP_EOPNOTSUPP; /* ENOTSOCK is not in our error map */
  if (sp__sys_shutdown(s->fd, how))
    return -errno;
  return 0;
}

int sp_stream_fd(const sp_stream *s) {
  if (!s)
    return SP_EINVAL;
  return s->fd;
}

int sp_stream_close(sp_stream *s) {
  int err = 0;

  if (!s)
    return 0;
  /* Whoever shares the pipe's open file description gets its blocking
   * mode back (best effort: we are closing anyway). */
  if (s->restore_block)
    (void)sp__set_nonblock(s->fd, 0);
  sp__stream_io_restore(s);
  /* Never retried: the descriptor is gone even on EINTR (see fd.c). */
  if (sp__sys_close(s->fd) && errno != EINTR)
    err = -errno;
  sp__lb_free(&s->lb);
  sp__free(s);
  return err;
}
