/*
 * The transport under sp_stream: the sp__source callbacks the line core
 * reads through, and the write loop, for sockets and for other descriptors
 * (pipes, FIFOs, terminals).
 *
 * Sockets: every recv/send carries MSG_DONTWAIT, so the call is tried
 * first and poll() runs only on EAGAIN: one syscall per read when data is
 * ready (PHP polls before every read). The descriptor's own O_NONBLOCK flag
 * is kept equal to the stream's mode for whoever else uses it.
 * Other descriptors (pipes) have no MSG_DONTWAIT: sp_stream_open makes
 * them O_NONBLOCK, so the same try-then-poll loop applies, and write(2)
 * cannot block past the timeout.
 */
#include "stream_internal.h"

#include <linux/sockios.h>
#include <string.h>

#define DEADLINE_UNSET INT64_MIN

/* Each blocking wait gets the whole timeout, rounded up to the millisecond
 * so that a wait is never shorter than asked; +1 because sp__now_ms()
 * truncates (now may be 0.9 ms later than it says). 0 stays 0: one check,
 * no wait. */
static int64_t deadline_for(const sp_stream *s) {
  int64_t ms;

  if (s->timeout_us < 0)
    return -1;
  ms = s->timeout_us / 1000 + (s->timeout_us % 1000 != 0);
  if (ms > INT64_MAX / 4)
    return -1; /* centuries: the same as none */
  return sp__now_ms() + (ms ? ms + 1 : 0);
}

/* Polls a blocking stream for events. Returns revents (> 0) when ready,
 * error or hang-up included (the next call reports it), -EAGAIN if
 * non-blocking, -ETIMEDOUT, or -errno. The deadline is checked before
 * every poll, not only by poll's timeout: a descriptor that polls ready
 * yet keeps saying EAGAIN must not spin past it. */
static int poll_io(const sp_stream *s, short events, int64_t *deadline) {
  int r;

  if (!s->blocking)
    return SP_EAGAIN;
  if (*deadline == DEADLINE_UNSET)
    *deadline = deadline_for(s);
  else if (sp__ms_left(*deadline) == 0)
    return SP_ETIMEDOUT;
  r = sp__poll_one(s->fd, events, *deadline);
  if (r == 0)
    return SP_ETIMEDOUT;
  return r;
}

/* Waits for events on a blocking stream: 0 when ready, else as poll_io. */
static int wait_io(const sp_stream *s, short events, int64_t *deadline) {
  int r = poll_io(s, events, deadline);

  return r > 0 ? 0 : r;
}

/* Waits for a socket to become readable after a recv said EAGAIN. Our own
 * shutdown(SHUT_RD) of a datagram socket polls ready (POLLIN|POLLRDHUP) for
 * ever while a non-blocking recv still says EAGAIN (only a blocking recv
 * would see the shutdown and return 0): so a read side that polled hung up
 * and still has nothing is the end of the stream. *hung_up carries that
 * across the retries of one read. */
static int wait_readable(const sp_stream *s, int64_t *deadline, int *hung_up) {
  int r;

  if (*hung_up)
    return SP_EOF;
  r = poll_io(s, POLLIN | POLLRDHUP, deadline);
  if (r < 0)
    return r;
  *hung_up = (r & (POLLRDHUP | POLLHUP)) != 0;
  return 0;
}

static int would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

/* ---- reading from a socket ------------------------------------------- */

/* A SEQPACKET recv() of 0 is an empty message or the peer's close. The
 * close is known by RCV_SHUTDOWN (POLLRDHUP); even then, bytes still
 * queued (SIOCINQ sums the queue on SEQPACKET) prove the 0 was a message.
 * Left ambiguous: zero-length messages that are the very last thing the
 * peer sent before closing read as SP_EOF (no byte is lost). */
static ssize_t seqpacket_zero(const sp_stream *s) {
  int queued = 0;
  int r = sp__poll_one(s->fd, POLLIN | POLLRDHUP, 0);

  if (r < 0)
    return r;
  if (!(r & (POLLRDHUP | POLLHUP)))
    return 0;
  if (sp__sys_ioctl_int(s->fd, SIOCINQ, &queued))
    return -errno;
  return queued > 0 ? 0 : SP_EOF;
}

/* One recv, waiting (poll) only when it would block: the count (0
 * included: the caller knows what it means for its socket type), or a
 * negative status. */
static ssize_t recv_waiting(sp_stream *s, char *dst, size_t space, int flags) {
  int64_t deadline = DEADLINE_UNSET;
  int hung_up = 0;

  for (;;) {
    ssize_t r = sp__sys_recv(s->fd, dst, space, flags | MSG_DONTWAIT);
    int err;

    if (r >= 0)
      return r;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    err = wait_readable(s, &deadline, &hung_up);
    if (err)
      return err;
  }
}

static ssize_t sock_fill(void *ctx, char *dst, size_t space) {
  sp_stream *s = ctx;
  /* MSG_TRUNC: a datagram longer than space (impossible after next_size,
   * unless another reader raced us) shows as a count > space, which the
   * core reports as -EIO instead of losing the tail silently. */
  ssize_t r =
      recv_waiting(s, dst, space, s->type == SOCK_STREAM ? 0 : MSG_TRUNC);

  if (r == 0 && s->type == SOCK_STREAM)
    return SP_EOF;
  return r;
}

/* The next datagram's size, read with MSG_PEEK|MSG_TRUNC (the kernel
 * returns the real length however short the buffer): the core grows its
 * buffer to it, so no datagram is ever truncated. */
static ssize_t sock_next_size(void *ctx) {
  sp_stream *s = ctx;
  char byte;
  ssize_t r = recv_waiting(s, &byte, 1, MSG_PEEK | MSG_TRUNC);

  if (r == 0 && s->type == SOCK_SEQPACKET)
    return seqpacket_zero(s);
  return r;
}

/* An IP datagram (UDP, ping, raw) cannot exceed 65535 bytes: with that
 * much room no datagram is truncated, so no need to ask its size and a
 * ready datagram costs one recv, not two. (fill's MSG_TRUNC would catch a
 * longer one as -EIO, never a silent loss.) */
static ssize_t inet_next_size(void *ctx) {
  (void)ctx;
  return 65535;
}

/* feof's liveness check: one non-blocking 1-byte MSG_PEEK (PHP polls
 * first; MSG_DONTWAIT makes that poll unnecessary). */
static int sock_at_eof(void *ctx) {
  sp_stream *s = ctx;
  int hard_error = 0;
  char byte;

  for (;;) {
    ssize_t r = sp__sys_recv(s->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

    if (r > 0)
      return 0;
    if (r == 0 && s->type == SOCK_STREAM)
      return 1;
    if (r == 0 && s->type == SOCK_SEQPACKET) {
      r = seqpacket_zero(s);
      return r == SP_EOF ? 1 : (int)r;
    }
    if (r == 0)
      return 0; /* an empty datagram is data */
    if (errno == EINTR)
      continue;
    if (would_block(errno))
      return hard_error;
    /* A hard error ends a connection (PHP's feof), but not a datagram
     * socket: a UDP ICMP error is reported once, then it works again.
     * The kernel reports a reset once, ahead of what is still queued (a
     * SEQPACKET peer that closed with our data unread): peek again, and
     * only an empty queue is the end. */
    if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
      return -errno;
    if (hard_error)
      return 1;
    hard_error = 1;
  }
}

/* ---- reading from another descriptor (pipe, FIFO, tty) ---------------- */

static ssize_t fd_fill(void *ctx, char *dst, size_t space) {
  sp_stream *s = ctx;
  int64_t deadline = DEADLINE_UNSET;

  for (;;) {
    ssize_t r = sp__sys_read(s->fd, dst, space);
    int err;

    if (r > 0)
      return r;
    if (r == 0)
      return SP_EOF;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    err = wait_io(s, POLLIN, &deadline);
    if (err)
      return err;
  }
}

/* A pipe whose writers are all gone polls as POLLHUP without POLLIN. */
static int fd_at_eof(void *ctx) {
  sp_stream *s = ctx;
  int r = sp__poll_one(s->fd, POLLIN, 0);

  if (r < 0)
    return r;
  if (r & POLLIN)
    return 0;
  return (r & (POLLHUP | POLLERR | POLLNVAL)) ? 1 : 0;
}

void sp__stream_io_init(sp_stream *s) {
  s->src.ctx = s;
  if (s->type == 0) {
    s->src.fill = fd_fill;
    s->src.next_size = NULL;
    s->src.at_eof = fd_at_eof;
    return;
  }
  s->src.fill = sock_fill;
  s->src.next_size = NULL;
  if (s->type != SOCK_STREAM && (s->domain == AF_INET || s->domain == AF_INET6))
    s->src.next_size = inet_next_size;
  else if (s->type != SOCK_STREAM)
    s->src.next_size = sock_next_size;
  s->src.at_eof = sock_at_eof;
}

/* ---- writing ---------------------------------------------------------- */

/*
 * write(2) on a pipe whose readers are gone raises SIGPIPE, and pipes have
 * no MSG_NOSIGNAL. Without touching the process's disposition, SIGPIPE is
 * blocked in this thread around the write; if the write failed with EPIPE
 * the signal it queued (thread-directed) is consumed with sigtimedwait,
 * unless one was already pending before (then it is not ours to eat).
 * This is libpq's pq_block_sigpipe / pq_reset_sigpipe. Cost: two or three
 * extra syscalls per write, on non-socket descriptors only.
 */
static ssize_t pipe_write(int fd, const char *buf, size_t len) {
  static const struct timespec zero = {0, 0};
  sigset_t pipe_set;
  sigset_t old;
  sigset_t pending;
  int was_pending = 0;
  ssize_t r;
  int saved;

  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  saved = sp__sys_sigmask(SIG_BLOCK, &pipe_set, &old);
  if (saved) {
    errno = saved; /* pthread_sigmask returns the error number */
    return -1;
  }
  if (sigismember(&old, SIGPIPE) && sp__sys_sigpending(&pending) == 0)
    was_pending = sigismember(&pending, SIGPIPE);
  r = sp__sys_write(fd, buf, len);
  saved = errno;
  if (r < 0 && saved == EPIPE && !was_pending) {
    while (sp__sys_sigtimedwait(&pipe_set, &zero) < 0 && errno == EINTR)
      ;
  }
  sp__sys_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return r;
}

static ssize_t write_once(const sp_stream *s, const char *buf, size_t len) {
  if (s->type == 0)
    return pipe_write(s->fd, buf, len);
  return sp__sys_send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* One datagram, whole or not at all. Would-block is -EAGAIN, never 0:
 * 0 could not tell an empty message sent from one that was not. */
static ssize_t send_datagram(const sp_stream *s, const char *buf, size_t len) {
  int64_t deadline = DEADLINE_UNSET;

  for (;;) {
    ssize_t r = write_once(s, buf, len);
    int err;

    if (r >= 0)
      return r;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    err = wait_io(s, POLLOUT, &deadline);
    if (err)
      return err;
  }
}

/*
 * fwrite's loop on a byte stream. Blocking: each wait for writability may
 * last the whole timeout (the clock restarts after progress, as PHP's
 * per-poll timeout). Non-blocking: stops at EAGAIN with the count so far.
 * Errors after some progress return the count; the next call reports the
 * error.
 */
static ssize_t send_bytes(const sp_stream *s, const char *buf, size_t len) {
  int64_t deadline = DEADLINE_UNSET;
  size_t done = 0;

  while (done < len) {
    ssize_t r = write_once(s, buf + done, len - done);
    int err;

    if (r >= 0) {
      done += (size_t)r;
      deadline = DEADLINE_UNSET;
      continue;
    }
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return done ? (ssize_t)done : -errno;
    err = wait_io(s, POLLOUT, &deadline);
    if (err == SP_EAGAIN)
      return (ssize_t)done;
    if (err)
      return done ? (ssize_t)done : err;
  }
  return (ssize_t)done;
}

ssize_t sp__stream_send(sp_stream *s, const char *buf, size_t len) {
  if (s->type != 0 && s->type != SOCK_STREAM)
    return send_datagram(s, buf, len);
  return send_bytes(s, buf, len);
}
