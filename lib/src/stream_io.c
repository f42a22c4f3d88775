/*
 * The transport under sp_stream: the sp__source callbacks the line core
 * reads through, and the write loop, for sockets and for other descriptors
 * (pipes, FIFOs, terminals).
 *
 * A read costs what a plain blocking read(2) loop costs in the common
 * case, and every wait stays bounded by the stream's timeout
 * (docs/performance.md has the measurements behind each choice):
 *  - A fresh stream tries recv(MSG_DONTWAIT) first and polls only on
 *    EAGAIN: one syscall when data is ready, and a stream that never waits
 *    never touches a socket option.
 *  - Once a blocking read has had to wait (s->waits), see wait_mode():
 *    TCP and datagram sockets wait in the kernel: a recv without
 *    MSG_DONTWAIT, bounded by SO_RCVTIMEO, set to the stream's timeout
 *    once and kept across reads: one syscall per read, ready or not. After
 *    EINTR it is re-armed with the time left; an EAGAIN before the
 *    deadline (the kernel's timer runs in jiffies, or someone set
 *    O_NONBLOCK) hands the rest of the wait to poll. A caller's descriptor
 *    gets its own value back at close (sp__stream_io_restore).
 *    A datagram socket learns the next message's size with
 *    MSG_PEEK|MSG_TRUNC before reading it (nothing is ever truncated);
 *    that peek is what waits: size and wait in one call.
 *  - A UNIX byte stream that has sent since its last read polls first
 *    instead (poll + recv): a recv sleeping in unix_stream_read_generic is
 *    also woken each time the peer consumes what we sent (write space,
 *    same wait queue), and those wake-ups cost more context switches than
 *    the poll (which filters them by event) costs a syscall. A reader that
 *    only reads waits in the kernel. Other descriptors poll first as they
 *    cannot wait in read(2) with a bound (they are O_NONBLOCK).
 *    A read that fills all its space found the writer ahead: the next one
 *    tries first again.
 *  - Writes: send(MSG_DONTWAIT); once a send has found the socket full,
 *    sends wait in the kernel too (SO_SNDTIMEO, as above).
 * The descriptor's own O_NONBLOCK flag is kept equal to the stream's mode
 * for whoever else uses a socket.
 */
#include "stream_internal.h"

#include <linux/sockios.h>
#include <string.h>

#define DEADLINE_UNSET INT64_MIN
/* Pipe writes while SIGPIPE is not ignored between two looks at it. */
#define SIGPIPE_RECHECK 64

/* A wait in the kernel (SO_RCVTIMEO, SO_SNDTIMEO) is armed only when at
 * least this much time is left: the kernel rounds a socket timeout up to
 * whole jiffies (up to 10 ms) and its timer wheel may fire a jiffy late,
 * more than a tenth of a shorter wait. Shorter waits use ppoll(), whose
 * high-resolution timer ends them within tens of microseconds. */
#define KERNEL_WAIT_MIN_US (100 * 1000LL)

/* Each blocking wait gets the whole timeout, +1 us because sp__now_us()
 * truncates (now may be 0.9 us later than it says): a wait is never
 * shorter than asked. 0 stays 0: one check, no wait. */
static int64_t wait_us(const sp_stream *s) {
  if (s->timeout_us < 0 || s->timeout_us > INT64_MAX / 4)
    return -1; /* centuries: the same as none */
  return s->timeout_us ? s->timeout_us + 1 : 0;
}

static int64_t deadline_for(const sp_stream *s) {
  int64_t us = wait_us(s);

  return us < 0 ? -1 : sp__now_us() + us;
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
  else if (sp__us_left(*deadline) == 0)
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
 * shutdown(SHUT_RD) of a SOCK_DGRAM socket polls ready (POLLIN|POLLRDHUP)
 * for ever while a non-blocking recv still says EAGAIN (only a blocking
 * recv would see the shutdown and return 0): so a datagram read side that
 * polled hung up and still has nothing is the end of the stream. *hung_up
 * carries that across the retries of one read. Byte streams and SEQPACKET
 * are told their end by the kernel (recv returns 0, non-blocking too):
 * there an EAGAIN after a hang-up proves nothing, bytes may still be
 * queued, so they poll and ask again. */
static int wait_readable(const sp_stream *s, int64_t *deadline, int *hung_up) {
  int r;

  if (*hung_up)
    return SP_EOF;
  r = poll_io(s, POLLIN | POLLRDHUP, deadline);
  if (r < 0)
    return r;
  *hung_up = s->type == SOCK_DGRAM && (r & (POLLRDHUP | POLLHUP)) != 0;
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

/* One recv (the count, 0 included: the caller knows what it means for its
 * socket type, or a negative status), waiting with poll until deadline
 * (DEADLINE_UNSET: the stream's timeout from the first wait): before the
 * first try if poll_first, else only when it would block. A blocking
 * stream that had to wait learns it. */
static ssize_t recv_waiting(sp_stream *s, char *dst, size_t space, int flags,
                            int64_t deadline, int poll_first) {
  int hung_up = 0;
  int err = poll_first ? wait_readable(s, &deadline, &hung_up) : 0;

  while (!err) {
    ssize_t r = sp__sys_recv(s->fd, dst, space, flags | MSG_DONTWAIT);

    if (r >= 0)
      return r;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    s->waits |= s->blocking;
    err = wait_readable(s, &deadline, &hung_up);
  }
  return err;
}

/* Sets the socket timeout opt (t: the stream's record of it) to us (0: no
 * limit) unless it already is. A caller's descriptor has its own value
 * saved first, for sp__stream_io_restore. 0, or -errno (nothing changed:
 * the caller polls instead). */
static int arm_timeo(sp_stream *s, int opt, sp__timeo *t, int64_t us) {
  struct timeval tv;
  socklen_t len = sizeof(t->saved_tv);

  if (t->us == us)
    return 0;
  if (!s->own_fd && !t->saved) {
    if (sp__sys_getsockopt(s->fd, SOL_SOCKET, opt, &t->saved_tv, &len))
      return -errno;
    t->saved = 1;
  }
  tv.tv_sec = (time_t)(us / 1000000);
  tv.tv_usec = (suseconds_t)(us % 1000000);
  if (sp__sys_setsockopt(s->fd, SOL_SOCKET, opt, &tv, sizeof(tv))) {
    t->us = SP__TIMEO_UNKNOWN;
    return -errno;
  }
  t->us = us;
  return 0;
}

/* The timeout for the next try of a wait in the kernel that ends at
 * *deadline: the stream's whole timeout at the first try (setting
 * *deadline), then what is left of it (after EINTR, or a timer that ran
 * out early). 0: nothing left; -1: no limit. */
static int64_t kernel_wait_us(const sp_stream *s, int64_t *deadline) {
  int64_t us;

  if (*deadline != DEADLINE_UNSET)
    return sp__us_left(*deadline);
  us = wait_us(s);
  *deadline = us < 0 ? -1 : sp__now_us() + us;
  return us;
}

/* Arms opt for the next try of a kernel wait: 0, or nonzero when the wait
 * is over, too short for the kernel's timer or cannot be armed (the caller
 * then checks once and polls until *deadline). */
static int arm_kernel_wait(sp_stream *s, int opt, sp__timeo *t,
                           int64_t *deadline) {
  int64_t us = kernel_wait_us(s, deadline);

  if (us >= 0 && us < KERNEL_WAIT_MIN_US)
    return 1;
  return arm_timeo(s, opt, t, us < 0 ? 0 : us);
}

/* One recv that waits in the kernel, bounded by SO_RCVTIMEO. Returns as
 * recv_waiting, which finishes any wait SO_RCVTIMEO could not (see the
 * note at the top). */
static ssize_t recv_in_kernel(sp_stream *s, char *dst, size_t space,
                              int flags) {
  int64_t deadline = DEADLINE_UNSET;

  while (!arm_kernel_wait(s, SO_RCVTIMEO, &s->rcv, &deadline)) {
    ssize_t r = sp__sys_recv_wait(s->fd, dst, space, flags);

    if (r >= 0)
      return r;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    break;
  }
  return recv_waiting(s, dst, space, flags, deadline, 0);
}

/* How a read waits (see the note at the top). */
enum wait_mode {
  TRY_FIRST,  /* the call first, poll on EAGAIN */
  POLL_FIRST, /* poll, then the call */
  IN_KERNEL   /* a call that waits, bounded by SO_RCVTIMEO */
};

/* A fresh stream, a non-blocking one, or one whose timeout is 0 (one
 * check, not a wait) tries first. A descriptor that is no socket polls
 * first, and so does a UNIX byte stream that has sent since its last read
 * (the peer's reading it would wake a recv); any other socket waits in
 * the kernel. */
static enum wait_mode wait_mode(const sp_stream *s) {
  if (!s->waits || !s->blocking || s->timeout_us == 0)
    return TRY_FIRST;
  if (s->type == 0 ||
      (s->type == SOCK_STREAM && s->domain == AF_UNIX && s->sent))
    return POLL_FIRST;
  return IN_KERNEL;
}

/* After a read that polled first: one that filled all its space found the
 * writer ahead, so the next read tries first. */
static void learn_filled(sp_stream *s, enum wait_mode mode, ssize_t r,
                         size_t space) {
  if (mode == POLL_FIRST && r > 0 && (size_t)r == space)
    s->waits = 0;
}

static ssize_t sock_fill(void *ctx, char *dst, size_t space) {
  sp_stream *s = ctx;
  enum wait_mode mode;
  ssize_t r;

  if (s->type != SOCK_STREAM) {
    /* MSG_TRUNC: a datagram longer than space (impossible after
     * next_size, unless another reader raced us) shows as a count >
     * space, which the core reports as -EIO instead of losing the tail
     * silently. next_size has waited: the message is there. */
    return recv_waiting(s, dst, space, MSG_TRUNC, DEADLINE_UNSET, 0);
  }
  mode = wait_mode(s);
  if (mode == IN_KERNEL)
    r = recv_in_kernel(s, dst, space, 0);
  else
    r = recv_waiting(s, dst, space, 0, DEADLINE_UNSET, mode == POLL_FIRST);
  learn_filled(s, mode, r, space);
  s->sent &= r <= 0;
  return r == 0 ? SP_EOF : r;
}

/* The next datagram's size, read with MSG_PEEK|MSG_TRUNC (the kernel
 * returns the real length however short the buffer): the core grows its
 * buffer to it, so no datagram is ever truncated.
 * An IP datagram (UDP, ping, raw) cannot exceed 65535 bytes: with that much
 * room no datagram is truncated, so until the stream waits no size is
 * asked and a ready datagram costs one recv, not two. */
static ssize_t sock_next_size(void *ctx) {
  sp_stream *s = ctx;
  int inet = s->domain == AF_INET || s->domain == AF_INET6;
  int peek = MSG_PEEK | MSG_TRUNC;
  int kernel = wait_mode(s) == IN_KERNEL;
  char byte;
  ssize_t r;

  if (!kernel)
    r = inet ? 65535 : recv_waiting(s, &byte, 1, peek, DEADLINE_UNSET, 0);
  else
    r = recv_in_kernel(s, &byte, 1, peek);
  /* A wait in the kernel also ends with 0 at our own shutdown(SHUT_RD) of
   * a DGRAM socket; the non-blocking peek tells it from an empty message
   * (see wait_readable). */
  if (r == 0 && s->type == SOCK_DGRAM && kernel)
    r = recv_waiting(s, &byte, 1, peek, DEADLINE_UNSET, 0);
  if (r == 0 && s->type == SOCK_SEQPACKET)
    return seqpacket_zero(s);
  return r;
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
  enum wait_mode mode = wait_mode(s);
  int err = mode == POLL_FIRST ? wait_io(s, POLLIN, &deadline) : 0;

  while (!err) {
    ssize_t r = sp__sys_read(s->fd, dst, space);

    if (r > 0) {
      learn_filled(s, mode, r, space);
      return r;
    }
    if (r == 0)
      return SP_EOF;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    s->waits |= s->blocking;
    err = wait_io(s, POLLIN, &deadline);
  }
  return err;
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
  s->waits = 0;
  s->send_waits = 0;
  s->send_cap = 0;
  s->sent = 0;
  s->own_fd = 0;
  s->rcv.us = SP__TIMEO_UNKNOWN;
  s->rcv.saved = 0;
  s->snd = s->rcv;
  s->sigpipe_ign = 0;
  s->pipe_writes = 0;
  if (s->type == 0) {
    s->src.fill = fd_fill;
    s->src.next_size = NULL;
    s->src.at_eof = fd_at_eof;
    return;
  }
  s->src.fill = sock_fill;
  s->src.next_size = s->type == SOCK_STREAM ? NULL : sock_next_size;
  s->src.at_eof = sock_at_eof;
}

void sp__stream_io_owned(sp_stream *s) {
  s->own_fd = 1;
  s->rcv.us = 0; /* a new socket has no timeouts */
  s->snd.us = 0;
}

static void restore_timeo(const sp_stream *s, int opt, const sp__timeo *t) {
  if (t->saved)
    (void)sp__sys_setsockopt(s->fd, SOL_SOCKET, opt, &t->saved_tv,
                             sizeof(t->saved_tv));
}

void sp__stream_io_restore(sp_stream *s) {
  /* Best effort: the descriptor is being closed anyway. */
  restore_timeo(s, SO_RCVTIMEO, &s->rcv);
  restore_timeo(s, SO_SNDTIMEO, &s->snd);
}

/* ---- writing ---------------------------------------------------------- */

/*
 * write(2) on a pipe whose readers are gone raises SIGPIPE, and pipes have
 * no MSG_NOSIGNAL.
 * A process that ignores SIGPIPE cannot be hurt: the write goes out plain.
 * The disposition can change at any time, so it is asked (one sigaction)
 * before every write while it is ignored, and every SIGPIPE_RECHECK-th
 * write otherwise, to learn that it has become ignored.
 * Otherwise, without touching the process's disposition, SIGPIPE is
 * blocked in this thread around the write; if the write failed with EPIPE
 * the signal it queued (thread-directed) is consumed with sigtimedwait,
 * unless one was already pending before (then it is not ours to eat).
 * This is libpq's pq_block_sigpipe / pq_reset_sigpipe. The mask is put
 * back only if it changed. Cost: one extra syscall per write when SIGPIPE
 * is ignored, two otherwise; on non-socket descriptors only.
 */
static void eat_sigpipe(const sigset_t *pipe_set) {
  static const struct timespec zero = {0, 0};

  while (sp__sys_sigtimedwait(pipe_set, &zero) < 0 && errno == EINTR)
    ;
}

static ssize_t pipe_write_masked(int fd, const char *buf, size_t len,
                                 const sigset_t *pipe_set) {
  sigset_t old;
  sigset_t pending;
  int was_blocked;
  int was_pending = 0;
  ssize_t r;
  int saved = sp__sys_sigmask(SIG_BLOCK, pipe_set, &old);

  if (saved) {
    errno = saved; /* pthread_sigmask returns the error number */
    return -1;
  }
  was_blocked = sigismember(&old, SIGPIPE);
  if (was_blocked && sp__sys_sigpending(&pending) == 0)
    was_pending = sigismember(&pending, SIGPIPE);
  r = sp__sys_write(fd, buf, len);
  saved = errno;
  if (r < 0 && saved == EPIPE && !was_pending)
    eat_sigpipe(pipe_set);
  if (!was_blocked)
    sp__sys_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return r;
}

/* 1 if SIGPIPE is ignored now, asked as the note above says. */
static int sigpipe_ignored(sp_stream *s) {
  struct sigaction sa;

  if (!s->sigpipe_ign && s->pipe_writes++ % SIGPIPE_RECHECK != 0)
    return 0;
  s->sigpipe_ign = 0;
  if (sp__sys_sigaction_get(SIGPIPE, &sa) == 0)
    s->sigpipe_ign = !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN;
  return s->sigpipe_ign;
}

static ssize_t pipe_write(sp_stream *s, const char *buf, size_t len) {
  sigset_t pipe_set;
  ssize_t r;
  int saved;

  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  if (!sigpipe_ignored(s))
    return pipe_write_masked(s->fd, buf, len, &pipe_set);
  r = sp__sys_write(s->fd, buf, len);
  /* Ignored but blocked in this thread, the signal stays pending: it is
   * one that would be ignored, so it is not missed if eaten. */
  if (r < 0 && errno == EPIPE) {
    saved = errno;
    eat_sigpipe(&pipe_set);
    errno = saved;
  }
  return r;
}

/* Sends of a socket wait in the kernel as its reads do (see the note at
 * the top), bounded by SO_SNDTIMEO. */
static int sends_in_kernel(const sp_stream *s) {
  return s->send_waits && s->blocking && s->timeout_us != 0 && s->type != 0;
}

/* A send of a byte stream that waits in the kernel asks no more than half
 * the send buffer (SO_SNDBUF, read once): what poll's POLLOUT promises, so
 * it wakes where poll + send would, and once the peer has read what was
 * sent it returns without waiting; the loop goes on with the clock
 * restarted by the progress. 0, or -errno (then no wait in the kernel). */
static int stream_send_cap(sp_stream *s) {
  int sndbuf = 0;
  socklen_t len = sizeof(sndbuf);

  if (s->send_cap || s->type != SOCK_STREAM)
    return 0;
  if (sp__sys_getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len))
    return -errno;
  s->send_cap = sndbuf > 2 ? (size_t)sndbuf / 2 : 1;
  return 0;
}

/* One send, waiting in the kernel if the stream does (the wait ends at
 * *deadline, set by the first try), else MSG_DONTWAIT. */
static ssize_t send_once(sp_stream *s, const char *buf, size_t len,
                         int64_t *deadline) {
  if (sends_in_kernel(s) && !stream_send_cap(s) &&
      !arm_kernel_wait(s, SO_SNDTIMEO, &s->snd, deadline)) {
    if (s->send_cap && len > s->send_cap)
      len = s->send_cap;
    return sp__sys_send_wait(s->fd, buf, len, MSG_NOSIGNAL);
  }
  return sp__sys_send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t write_once(sp_stream *s, const char *buf, size_t len,
                          int64_t *deadline) {
  if (s->type == 0)
    return pipe_write(s, buf, len);
  return send_once(s, buf, len, deadline);
}

/* One datagram, whole or not at all. Would-block is -EAGAIN, never 0:
 * 0 could not tell an empty message sent from one that was not. */
static ssize_t send_datagram(sp_stream *s, const char *buf, size_t len) {
  int64_t deadline = DEADLINE_UNSET;

  for (;;) {
    ssize_t r = write_once(s, buf, len, &deadline);
    int err;

    if (r >= 0)
      return r;
    if (errno == EINTR)
      continue;
    if (!would_block(errno))
      return -errno;
    s->send_waits |= s->blocking;
    err = wait_io(s, POLLOUT, &deadline);
    if (err)
      return err;
  }
}

/*
 * fwrite's loop on a byte stream. Blocking: each wait for writability may
 * last the whole timeout (the clock restarts after progress, as PHP's
 * per-poll timeout). Non-blocking: stops at EAGAIN with the count so far.
 * Errors after some progress return the count; the next call reports the error.
 */
static ssize_t send_bytes(sp_stream *s, const char *buf, size_t len) {
  int64_t deadline = DEADLINE_UNSET;
  size_t done = 0;

  while (done < len) {
    ssize_t r = write_once(s, buf + done, len - done, &deadline);
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
    s->send_waits |= s->blocking;
    err = wait_io(s, POLLOUT, &deadline);
    if (err == SP_EAGAIN)
      return (ssize_t)done;
    if (err)
      return done ? (ssize_t)done : err;
  }
  return (ssize_t)done;
}

ssize_t sp__stream_send(sp_stream *s, const char *buf, size_t len) {
  ssize_t r;

  if (s->type != 0 && s->type != SOCK_STREAM)
    return send_datagram(s, buf, len);
  r = send_bytes(s, buf, len);
  s->sent |= r > 0;
  return r;
}
