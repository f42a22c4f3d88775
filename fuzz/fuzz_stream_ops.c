/*
 * fuzz_stream_ops: sequences of stream operations on a real AF_UNIX pair
 * (sp_pair), both ends in this process, on SOCK_STREAM, SOCK_DGRAM and
 * SOCK_SEQPACKET, or on a pipe (sp_stream_open on both of its ends);
 * non-blocking, or blocking with timeouts of at most 62 us (waits in
 * ppoll) or of 100 ms and more (waits in the kernel: SO_RCVTIMEO).
 *
 * Input:
 *   byte 0   type: 'P' a pipe (end 0 writes, end 1 reads), else 0 STREAM,
 *            1 DGRAM, 2 SEQPACKET (mod 3)
 *   byte 1   timeout of each blocking wait, t8: (t + 3) / 4 us for
 *            t < 248, else 100 + (t - 248) ms (long enough to wait in
 *            recv()/send()); once an operation has lasted 100 ms, both
 *            ends get timeout 0 and long values mean t - 248 us: one long
 *            wait per input
 *   byte 2   fault seam: 0 off, else every n-th recv/send/poll (waits in
 *            recv()/send() included) of the library fails with EINTR
 *            (n = 2 + byte % 8), and stream-socket transfers are
 *            shortened to half (bit 7)
 *   then operations; each is an op byte (bit 7: which end) and arguments:
 *     0 write k8 (bits 0-6: a count of literal bytes; bit 7: len x 4),
 *             the literal bytes, len16: len bytes, the literals repeated
 *     1 read len16   2 gets size16 (signed)   3 getline   4 eof
 *     5 shutdown how8 (how % 4: 3 is invalid)   6 set_blocking b8
 *     7 set_line_max n16   8 set_chunk_size n16   9 close
 *     10 timed_out   11 set_timeout t8 (as byte 1)
 *   (the op is the low 7 bits % 12), or, for low 7 bits 120..127, a fault:
 *     call8 err8 when8: the ((when & 15) + 1)-th next call of kind
 *     call8 % 12 (recv send read write poll ioctl shutdown close fcntl
 *     realloc recv_wait send_wait) fails with errno err8 % n of that
 *     call's row of the seam's errno table (lib/src/fault.c); bit 4 of
 *     when: that call and every later one of its kind, with the row's
 *     hard errno, until the next fault
 *
 * Oracle: no crash, no leak (memory: LSan; descriptors: the count is back
 * after the pair is closed), no hang (every wait is bounded; a wait in
 * ppoll never longer than the stream's timeout), no SIGPIPE (a handler
 * aborts if one reaches the process);
 * results stay within their limits and are one of the documented codes
 * (never -EINTR: the library retries it, never -EIO: the transport keeps
 * the line core's contract); every byte read is the next byte written by
 * the peer (nothing lost, duplicated or reordered) and, on DGRAM and
 * SEQPACKET, a read never returns bytes of two messages; writes after a
 * shutdown or the peer's close fail; on STREAM and SEQPACKET, SP_EOF or
 * eof() == 1 only once every byte the peer wrote has been read.
 * With faults: an operation returns what it would, or -errno of a hard
 * fault dealt during it (never EINTR); nothing read is lost, duplicated or
 * reordered; descriptors and memory are released. The one documented
 * exception: eof() after a hard error on a connection says 1 (PHP's
 * feof), and that end may then report the end early.
 */
/* An input holds one pair (two descriptors) at once. */
#define FZ_FD_SLACK 5
#include "fuzz.h"

#include "fault.h"
#include "sockpair.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS 256
#define MAX_SENT (1 << 20) /* bytes written per direction */
#define MAX_MSGS 4096
/* Timeouts: short ones of a few microseconds, where a wait that times out
 * costs little (nothing else runs to end a wait early, so a short
 * timeout's length changes nothing but the time spent; 0 or not does);
 * the few values from LONG_TIMEOUT_T up reach the waits in the kernel,
 * which the library arms only from 100 ms on. */
#define LONG_TIMEOUT_T 248
#define LONG_TIMEOUT_US (100 * 1000LL)
#define MIN_CHUNK 16 /* keeps a long line from costing 1 syscall a byte */

/* What one end wrote, as its peer must read it. */
typedef struct flow {
  uint8_t *bytes; /* MAX_SENT bytes: one of flow_bytes */
  size_t sent;
  size_t recvd; /* bytes the peer has read so far */
  size_t *ends; /* DGRAM/SEQPACKET: end offsets of the messages (MAX_MSGS:
                 * one of flow_ends) */
  size_t nmsgs;
  size_t unread_msg; /* the first message not wholly read: ends[] > recvd */
} flow;

typedef struct end {
  sp_stream *s;
  int closed;
  int eof_excused; /* eof() met an injected hard error: EOF may be early */
  int shut_rd;     /* this end shut down reading */
  int shut_wr;     /* this end shut down writing */
  int blocking;
  char *line; /* getline's buffer */
  size_t cap;
  size_t line_max;
  int64_t timeout_us; /* as last set */
} end;

#define MAX_DEALT 8

typedef struct fault {
  unsigned every; /* EINTR every n-th transfer or poll; 0: off */
  unsigned calls;
  int shorten;
  sp_call call;       /* the input's hard fault: this kind of call ... */
  unsigned countdown; /* ... fails at the countdown-th call; 0: disarmed */
  int err;
  int sticky;
  int dealt[MAX_DEALT]; /* hard errnos dealt during this operation */
  int ndealt;
} fault;

typedef struct ctx {
  int type; /* SOCK_*; a pipe is a byte stream: SOCK_STREAM */
  int pipe;
  end e[2];
  flow f[2]; /* f[i]: written by end i, read by end 1-i */
  fault fault;
  int long_waited;    /* an operation waited out a long timeout */
  int64_t skipped_us; /* waits ppoll() did not sleep (see ppoll below) */
} ctx;

/* What each end wrote, for the whole run: growing a log per input cost
 * more page faults than the operations it logs; the message ends too, as
 * zeroing them with the rest of ctx cost more than most inputs' reads. */
static uint8_t flow_bytes[2][MAX_SENT];
static size_t flow_ends[2][MAX_MSGS];

/* The input running, for ppoll(). */
static ctx *current;

/* ---- the fault seam: EINTR now and then, short stream transfers, and
 * the input's own faults ---- */

static const sp_call fault_calls[12] = {
    SP_CALL_RECV,  SP_CALL_SEND,    SP_CALL_READ,      SP_CALL_WRITE,
    SP_CALL_POLL,  SP_CALL_IOCTL,   SP_CALL_SHUTDOWN,  SP_CALL_CLOSE,
    SP_CALL_FCNTL, SP_CALL_REALLOC, SP_CALL_RECV_WAIT, SP_CALL_SEND_WAIT};
#define NFAULT_CALLS (sizeof(fault_calls) / sizeof(fault_calls[0]))

FZ_NO_COVERAGE static int deal(fault *f) {
  if (--f->countdown > 0)
    return 0;
  if (f->sticky)
    f->countdown = 1;
  if (f->err != EINTR && f->ndealt < MAX_DEALT)
    f->dealt[f->ndealt++] = f->err;
  return f->err;
}

FZ_NO_COVERAGE static int fault_hook(void *c, sp_call call, size_t *len) {
  fault *f = c;

  if (f->countdown && call == f->call) {
    int err = deal(f);

    if (err)
      return err;
  }
  if (!f->every ||
      (call != SP_CALL_RECV && call != SP_CALL_SEND && call != SP_CALL_POLL &&
       call != SP_CALL_READ && call != SP_CALL_WRITE &&
       call != SP_CALL_RECV_WAIT && call != SP_CALL_SEND_WAIT))
    return 0;
  f->calls++;
  if (f->calls % f->every == 0)
    return EINTR; /* never twice in a row: every >= 2 */
  if (f->shorten && len && *len > 1)
    *len = (*len + 1) / 2;
  return 0;
}

/* Arms the input's fault: call8 err8 when8 (see the top). A persistent
 * fault takes the call's hard errno: a persistent EINTR would be retried
 * for ever. */
static void op_fault(fault *f, fz_in *in) {
  const int *errs;
  uint8_t call = fz_u8(in);
  uint8_t err = fz_u8(in);
  uint8_t when = fz_u8(in);
  int n;

  f->call = fault_calls[call % NFAULT_CALLS];
  n = sp_fault_errnos(f->call, &errs);
  f->sticky = (when & 0x10) != 0;
  f->err = f->sticky ? sp_fault_hard_errno(f->call) : errs[err % n];
  f->countdown = (when & 0x0fu) + 1;
}

/* ---- the library's waits ---- */

/* The sanitizer's ppoll (it checks the arguments' memory), when the
 * sanitizer has one; otherwise the system call itself. */
extern int __interceptor_ppoll(struct pollfd *fds, nfds_t n,
                               const struct timespec *ts, const sigset_t *mask)
    __attribute__((weak));

FZ_NO_COVERAGE static int kernel_ppoll(struct pollfd *fds, nfds_t n,
                                       const struct timespec *ts,
                                       const sigset_t *mask) {
  struct timespec copy; /* the system call writes the time left into it */

  if (__interceptor_ppoll)
    return __interceptor_ppoll(fds, n, ts, mask);
  if (ts)
    copy = *ts;
  return (int)syscall(SYS_ppoll, fds, n, ts ? &copy : NULL, mask,
                      (size_t)(_NSIG / 8));
}

/*
 * The library's ppoll() (the wait of sp__poll_one; the fault seam has been
 * asked before it). Both ends live in this one thread, so nothing can make
 * a stream's descriptor ready while the thread sleeps in a wait: one that
 * is not ready when the wait starts is still not ready when its timeout
 * ends. Such a wait is answered at once with the time-out the kernel
 * would give after sleeping (a poll with timeout 0 says it), and its
 * length is added to the input's clock (clock_us: "lasted a long timeout"
 * keeps its meaning). The library's code runs as before, only the sleep
 * is gone: it was a fifth of the corpus' wall time, and up to three
 * quarters of an input that times out often.
 * Each wait must fit the stream's timeout (+1 us, see stream_io.c's
 * wait_us). Waits without a limit, on other descriptors, or outside an
 * input go to the kernel as asked.
 */
int fz_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
             const sigset_t *mask) __asm__("ppoll");
FZ_NO_COVERAGE int fz_ppoll(struct pollfd *fds, nfds_t n,
                            const struct timespec *ts, const sigset_t *mask) {
  static const struct timespec zero = {0, 0};
  const end *e = NULL;
  int64_t us;
  int i, r;

  if (current && n == 1 && ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 &&
      ts->tv_nsec < 1000000000 && (ts->tv_sec || ts->tv_nsec))
    for (i = 0; i < 2; i++)
      if (current->e[i].s && sp_stream_fd(current->e[i].s) == fds[0].fd)
        e = &current->e[i];
  if (!e)
    return kernel_ppoll(fds, n, ts, mask);
  us = (int64_t)ts->tv_sec * 1000000 + (ts->tv_nsec + 999) / 1000;
  FZ_CHECK(us <= e->timeout_us + 1, "a wait of %lld us, timeout %lld us",
           (long long)us, (long long)e->timeout_us);
  r = kernel_ppoll(fds, n, &zero, mask);
  if (r == 0)
    current->skipped_us += us;
  return r;
}

/* ---- results ---- */

FZ_NO_COVERAGE static int known_error(const ctx *c, ssize_t r) {
  /* the wrong end of a pipe; no shutdown on a pipe */
  if (c->pipe && (r == SP_EBADF || r == SP_EOPNOTSUPP))
    return 1;
  switch (r) {
  case SP_EOF:
  case SP_EAGAIN:
  case SP_ETIMEDOUT:
  case SP_EPIPE:
  case SP_EINVAL:
  case SP_ELINEMAX:
  case SP_ECONNRESET:
  case SP_ECONNREFUSED:
  case SP_ENOTCONN:
  case SP_EMSGSIZE:
  case SP_ENOBUFS:
    return 1;
  }
  return 0;
}

/* -errno of a hard fault dealt during the current operation. */
FZ_NO_COVERAGE static int dealt(const ctx *c, ssize_t r) {
  int k;

  for (k = 0; k < c->fault.ndealt; k++)
    if (r == -c->fault.dealt[k])
      return 1;
  return 0;
}

FZ_NO_COVERAGE static void check_result(const ctx *c, const char *op,
                                        ssize_t r) {
  FZ_CHECK(r >= 0 || known_error(c, r) || dealt(c, r),
           "%s: unexpected %zd (%s: %s)", op, r, sp_err_name((int)r),
           sp_strerror((int)r));
}

/* n bytes read by end i at p: the next bytes end 1-i wrote. */
FZ_NO_COVERAGE static void check_read(ctx *c, int i, const char *op,
                                      const void *p, ssize_t n) {
  flow *f = &c->f[1 - i];
  size_t k;

  check_result(c, op, n);
  if (n == SP_EOF && c->type != SOCK_DGRAM && !c->e[i].eof_excused)
    FZ_CHECK(f->recvd == f->sent, "%s: EOF with %zu of %zu bytes read", op,
             f->recvd, f->sent);
  if (n <= 0)
    return;
  FZ_CHECK(f->recvd + (size_t)n <= f->sent &&
               !memcmp(p, f->bytes + f->recvd, (size_t)n),
           "%s: %zd bytes at %zu are not what the peer wrote (%zu sent)", op, n,
           f->recvd, f->sent);
  if (c->type != SOCK_STREAM && !strcmp(op, "read")) {
    /* The message holding the first byte must hold the last. recvd only
     * grows: the search goes on from where the last one stopped (a scan
     * from the first message made long runs quadratic). */
    for (k = f->unread_msg; k < f->nmsgs && f->ends[k] <= f->recvd; k++)
      ;
    f->unread_msg = k;
    FZ_CHECK(k == f->nmsgs || f->recvd + (size_t)n <= f->ends[k],
             "read: %zd bytes at %zu cross a message end at %zu", n, f->recvd,
             f->ends[k]);
  }
  f->recvd += (size_t)n;
}

/* ---- operations ---- */

FZ_NO_COVERAGE static void log_write(ctx *c, int i, const uint8_t *p,
                                     size_t n) {
  flow *f = &c->f[i];

  FZ_CHECK(f->sent + n <= MAX_SENT, "%zu bytes logged", f->sent + n);
  memcpy(f->bytes + f->sent, p, n);
  f->sent += n;
  if (c->type != SOCK_STREAM && n > 0 && f->nmsgs < MAX_MSGS)
    f->ends[f->nmsgs++] = f->sent;
}

/* A write may fail (EPIPE, ECONNREFUSED, ...) only for a reason. */
FZ_NO_COVERAGE static int write_must_fail(const ctx *c, int i) {
  const end *peer = &c->e[1 - i];

  if (c->pipe) /* EBADF on the read end, EPIPE without a reader */
    return i == 1 || peer->closed;
  /* EPIPE, or ECONNREFUSED from a DGRAM peer that is gone */
  return c->e[i].shut_wr || peer->closed || peer->shut_rd;
}

/* len bytes of p[0..n) repeated, by doubling what is there already: a
 * loop per byte, with coverage tracing on every comparison, cost more
 * than the whole of the library's work for a 256 KiB write. */
FZ_NO_COVERAGE static void fill_repeated(uint8_t *buf, size_t len,
                                         const uint8_t *p, size_t n) {
  size_t done = n < len ? n : len;

  if (!len)
    return;
  memcpy(buf, p, done);
  while (done < len) {
    size_t more = done < len - done ? done : len - done;

    memcpy(buf + done, buf, more);
    done += more;
  }
}

FZ_NO_COVERAGE static void set_timeout(end *e, int64_t us) {
  FZ_CHECK(sp_stream_set_timeout(e->s, us) == 0, "set_timeout");
  e->timeout_us = us;
}

/* What POLLOUT promises room for: a pipe has PIPE_BUF free, a UNIX socket
 * three quarters of its send buffer. */
#define SURE_ROOM 4096

/* An operation under a long timeout that is bound to wait would sleep in
 * the kernel until the timeout, as nothing else runs to end the wait: it
 * gets timeout 0 instead (a timed-out wait in the kernel is a unit test's
 * job, not a fuzzer's). Bound to wait: a write (op 0) of more than
 * SURE_ROOM bytes or to a descriptor not writable, a read (op 1) from one
 * not readable, a line (ops 2, 3) with no "\n" among the bytes the peer
 * wrote and this end has not read. The rest keep the long timeout and
 * reach the kernel's waits. Returns 1 if the timeout was lowered (to put
 * back after the operation). */
FZ_NO_COVERAGE static int lower_hopeless_wait(const ctx *c, int i, int op,
                                              size_t len) {
  const end *e = &c->e[i];
  const flow *f = &c->f[1 - i];
  struct pollfd p;
  int hopeless = 0;

  if (e->timeout_us < LONG_TIMEOUT_US || op > 3)
    return 0;
  p.fd = sp_stream_fd(e->s);
  p.events = op == 0 ? POLLOUT : POLLIN;
  p.revents = 0;
  if (op == 0)
    hopeless = len > SURE_ROOM;
  else if (op >= 2)
    hopeless = !memchr(f->bytes + f->recvd, '\n', f->sent - f->recvd);
  if (!hopeless && poll(&p, 1, 0) != 0)
    return 0; /* ready, hung up, or an error to report at once */
  FZ_CHECK(sp_stream_set_timeout(e->s, 0) == 0, "set_timeout");
  return 1;
}

FZ_NO_COVERAGE static void put_back_timeout(end *e, int lowered) {
  if (lowered && !e->closed)
    set_timeout(e, e->timeout_us);
}

/* Content: k literal bytes repeated to len, or a pattern with a "\n"
 * every 37 bytes. */
static void op_write(ctx *c, int i, fz_in *in) {
  static const char pattern[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
  uint8_t k = fz_u8(in);
  size_t nlit, len;
  const uint8_t *lit = fz_bytes(in, k & 0x7f, &nlit);
  uint8_t *buf;
  ssize_t r;
  int lowered;

  len = fz_u16(in);
  if (k & 0x80)
    len *= 4; /* up to 256 KiB: past the largest AF_UNIX datagram */
  if (len > MAX_SENT - c->f[i].sent)
    return;
  buf = fz_take(len);
  fill_repeated(buf, len, nlit ? lit : (const uint8_t *)pattern,
                nlit ? nlit : sizeof(pattern) - 1);
  lowered = lower_hopeless_wait(c, i, 0, len);
  r = sp_stream_write(c->e[i].s, buf, len);
  put_back_timeout(&c->e[i], lowered);
  check_result(c, "write", r);
  FZ_CHECK(r < 0 || (size_t)r <= len, "write(%zu) returned %zd", len, r);
  if (c->type != SOCK_STREAM)
    FZ_CHECK(r <= 0 || (size_t)r == len, "datagram write(%zu) sent %zd", len,
             r);
  /* The kernel may say EAGAIN (count 0) before EPIPE when its send
   * buffer is full, but it never takes a byte. */
  if (len > 0 && write_must_fail(c, i))
    FZ_CHECK(r <= 0, "write(%zu) after a shutdown or close returned %zd", len,
             r);
  if (r > 0)
    log_write(c, i, buf, (size_t)r);
  fz_give(buf, len);
}

static void op_read(ctx *c, int i, size_t len) {
  char *buf = fz_take(len); /* exactly len: ASan sees overflows */
  ssize_t r;

  r = sp_stream_read(c->e[i].s, buf, len);
  FZ_CHECK(r < 0 || (size_t)r <= len, "read(%zu) returned %zd", len, r);
  FZ_CHECK(len || r == SP_EINVAL, "read(0) returned %zd", r);
  check_read(c, i, "read", buf, r);
  fz_give(buf, len);
}

/* fgets' limits: size <= 0 refused; else fewer than size bytes, NUL-
 * terminated, a "\n" only at the end. */
FZ_NO_COVERAGE static void check_gets(const char *buf, ssize_t size,
                                      ssize_t r) {
  if (size <= 0) {
    FZ_CHECK(r == SP_EINVAL, "gets(%zd) returned %zd", size, r);
    return;
  }
  FZ_CHECK(r < size, "gets(%zd) returned %zd", size, r);
  FZ_CHECK(buf[r > 0 ? r : 0] == '\0', "gets: no NUL");
  FZ_CHECK(r <= 0 || !memchr(buf, '\n', (size_t)r - 1),
           "gets: a \"\\n\" inside the line");
}

static void op_gets(ctx *c, int i, ssize_t size) {
  size_t n = size > 0 ? (size_t)size : 1;
  char *buf = fz_take(n);
  ssize_t r;

  r = sp_stream_gets(c->e[i].s, buf, size);
  check_gets(buf, size, r);
  check_read(c, i, "gets", buf, r);
  fz_give(buf, n);
}

static void op_getline(ctx *c, int i) {
  end *e = &c->e[i];
  ssize_t r = sp_stream_getline(e->s, &e->line, &e->cap);

  if (r >= 0) {
    FZ_CHECK(e->line && (size_t)r < e->cap && e->line[r] == '\0',
             "getline: %zd bytes, cap %zu, or no NUL", r, e->cap);
    FZ_CHECK(!e->line_max || (size_t)r <= e->line_max,
             "getline: %zd bytes, cap %zu", r, e->line_max);
    FZ_CHECK(r == 0 || !memchr(e->line, '\n', (size_t)r - 1),
             "getline: a \"\\n\" inside the line");
  }
  check_read(c, i, "getline", e->line, r);
}

static void op_eof(ctx *c, int i) {
  int r = sp_stream_eof(c->e[i].s);
  flow *f = &c->f[1 - i];

  FZ_CHECK(r == 0 || r == 1 || known_error(c, r) || dealt(c, r), "eof: %d", r);
  if (r == 1 && c->fault.ndealt) /* a hard error ends a connection */
    c->e[i].eof_excused = 1;
  if (r == 1 && c->type != SOCK_DGRAM && !c->e[i].eof_excused)
    FZ_CHECK(f->recvd == f->sent, "eof with %zu of %zu bytes read", f->recvd,
             f->sent);
}

static void op_shutdown(ctx *c, int i, uint8_t how) {
  int h = how % 4;
  int r = sp_stream_shutdown(c->e[i].s, h);

  if (h > SP_SHUT_RDWR || c->pipe) {
    FZ_CHECK(r == (h > SP_SHUT_RDWR ? SP_EINVAL : SP_EOPNOTSUPP),
             "shutdown(%d): %d", h, r);
    return;
  }
  FZ_CHECK(r == 0 || r == SP_ENOTCONN || dealt(c, r), "shutdown(%d): %d (%s)",
           h, r, sp_err_name(r));
  if (r)
    return;
  if (h == SP_SHUT_RD || h == SP_SHUT_RDWR)
    c->e[i].shut_rd = 1;
  if (h == SP_SHUT_WR || h == SP_SHUT_RDWR)
    c->e[i].shut_wr = 1;
}

/* At most one long wait per input (after_long_wait): the kernel's waits
 * are reached, and no input spends much more than 100 ms in timeouts. */
static int64_t timeout_of(const ctx *c, uint8_t t) {
  if (t < LONG_TIMEOUT_T)
    return (t + 3) / 4;
  if (c->long_waited)
    return t - LONG_TIMEOUT_T;
  return LONG_TIMEOUT_US + (int64_t)(t - LONG_TIMEOUT_T) * 1000;
}

/* The time an input's operations have taken, the waits ppoll() skipped
 * included: an operation that waited out a long timeout in ppoll() is
 * one that lasted it. */
FZ_NO_COVERAGE static int64_t clock_us(const ctx *c) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + c->skipped_us;
}

/* Only a wait bounded by a long timeout lasts that long (the waits ppoll
 * skips count, see clock_us): while neither end has one, no operation is
 * timed. (Before, an operation slowed down by the machine's load counted
 * too, and then the same input meant something else.) */
FZ_NO_COVERAGE static int may_wait_long(const ctx *c) {
  int i;

  if (c->long_waited)
    return 0;
  for (i = 0; i < 2; i++)
    if (c->e[i].s && c->e[i].timeout_us >= LONG_TIMEOUT_US)
      return 1;
  return 0;
}

/* After an operation that lasted a long timeout: timeout 0 (one check)
 * on both ends, and short ones from then on. Only operations that
 * may_wait_long() are timed. */
FZ_NO_COVERAGE static void after_long_wait(ctx *c, int64_t start_us,
                                           int64_t end_us) {
  int i;

  if (end_us - start_us < LONG_TIMEOUT_US)
    return;
  c->long_waited = 1;
  for (i = 0; i < 2; i++)
    if (c->e[i].s)
      set_timeout(&c->e[i], 0);
}

/* The descriptor is gone even when close() fails (an injected EIO). */
static void op_close(ctx *c, int i) {
  int r = sp_stream_close(c->e[i].s);

  FZ_CHECK(r == 0 || dealt(c, r), "close: %d (%s)", r, sp_err_name(r));
  c->e[i].s = NULL;
  c->e[i].closed = 1;
}

static void op_chunk(end *e, uint16_t v) {
  size_t size = v && v < MIN_CHUNK ? MIN_CHUNK : v;
  int r = sp_stream_set_chunk_size(e->s, size);

  FZ_CHECK(r == (v ? 0 : SP_EINVAL), "set_chunk_size(%zu): %d", size, r);
}

static void op_line_max(end *e, uint16_t v) {
  FZ_CHECK(sp_stream_set_line_max(e->s, v) == 0, "set_line_max(%u)", v);
  e->line_max = v;
}

static void op_blocking(const ctx *c, end *e, uint8_t b) {
  int r = sp_stream_set_blocking(e->s, b & 1);

  FZ_CHECK(r == 0 || dealt(c, r), "set_blocking: %d (%s)", r, sp_err_name(r));
  if (!r)
    e->blocking = b & 1;
}

static void op_timed_out(end *e) {
  int r = sp_stream_timed_out(e->s);

  FZ_CHECK(r == 0 || r == 1, "timed_out %d", r);
}

static void op_timeout(const ctx *c, end *e, uint8_t t) {
  set_timeout(e, timeout_of(c, t));
}

/* Ops 6..11: the stream's settings, and close. */
static void do_setting(ctx *c, int i, int op, fz_in *in) {
  end *e = &c->e[i];

  switch (op) {
  case 6:
    op_blocking(c, e, fz_u8(in));
    break;
  case 7:
    op_line_max(e, fz_u16(in));
    break;
  case 8:
    op_chunk(e, fz_u16(in));
    break;
  case 9:
    op_close(c, i);
    break;
  case 10:
    op_timed_out(e);
    break;
  default:
    op_timeout(c, e, fz_u8(in));
    break;
  }
}

static void do_op(ctx *c, fz_in *in) {
  uint8_t byte = fz_u8(in);
  int i = byte >> 7;
  int op = (byte & 0x7f) % 12;
  int lowered;

  c->fault.ndealt = 0;
  if ((byte & 0x7f) >= 120) {
    op_fault(&c->fault, in);
    return;
  }
  if (c->e[i].closed)
    return;
  lowered = op >= 1 && op <= 3 ? lower_hopeless_wait(c, i, op, 0) : 0;
  switch (op) {
  case 0:
    op_write(c, i, in);
    break;
  case 1:
    op_read(c, i, fz_u16(in));
    break;
  case 2:
    op_gets(c, i, (int16_t)fz_u16(in));
    break;
  case 3:
    op_getline(c, i);
    break;
  case 4:
    op_eof(c, i);
    break;
  case 5:
    op_shutdown(c, i, fz_u8(in));
    break;
  default:
    do_setting(c, i, op, in);
    break;
  }
  put_back_timeout(&c->e[i], lowered);
}

static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

/* The library never lets SIGPIPE through (it blocks and consumes the one a
 * pipe write raises): if one arrives, that is a finding. */
FZ_NO_COVERAGE static void on_sigpipe(int sig) {
  static const char msg[] = "fuzz_stream_ops: SIGPIPE reached the process\n";

  (void)sig;
  (void)!write(2, msg, sizeof(msg) - 1);
  abort();
}

/* A pipe as a pair: end 0 is the write end, end 1 the read end. */
static int open_pipe(ctx *c, sp_stream *pair[2]) {
  struct sigaction sa;
  int fds[2];
  int r;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigpipe;
  FZ_CHECK(sigaction(SIGPIPE, &sa, NULL) == 0, "sigaction");
  FZ_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
  c->pipe = 1;
  r = sp_stream_open(fds[1], &pair[0]);
  if (r) {
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  r = sp_stream_open(fds[0], &pair[1]);
  if (r) {
    sp_stream_close(pair[0]);
    close(fds[0]);
    return r;
  }
  /* Non-blocking mode: a flag of the stream (the descriptor is O_NONBLOCK
   * already, see sp_stream_open). */
  FZ_CHECK(sp_stream_set_blocking(pair[0], 0) == 0 &&
               sp_stream_set_blocking(pair[1], 0) == 0,
           "set_blocking");
  return 0;
}

static int open_pair(ctx *c, uint8_t kind, sp_stream *pair[2]) {
  if (kind == 'P') {
    c->type = SOCK_STREAM;
    return open_pipe(c, pair);
  }
  c->type = types[kind % 3];
  return sp_pair(SP_PF_UNIX, c->type | SP_SOCK_NONBLOCK, 0, pair);
}

/* The pair, both ends non-blocking (a socket pair is created so:
 * switching it after was four fcntl calls an input), the timeout of byte
 * 1, the EINTR and short-transfer mode of byte 2. */
static void setup(ctx *c, fz_in *in) {
  sp_stream *pair[2];
  uint8_t fb, t;
  int i, r;

  memset(c, 0, sizeof(*c));
  for (i = 0; i < 2; i++) {
    c->f[i].bytes = flow_bytes[i];
    c->f[i].ends = flow_ends[i];
  }
  r = open_pair(c, fz_u8(in), pair);
  FZ_CHECK(r == 0, "opening the pair: %s", sp_strerror(r));
  for (i = 0; i < 2; i++)
    c->e[i].s = pair[i];
  t = fz_u8(in);
  for (i = 0; i < 2; i++)
    op_timeout(c, &c->e[i], t);
  fb = fz_u8(in);
  if (fb) {
    c->fault.every = 2 + fb % 8;
    c->fault.shorten = (fb & 0x80) && c->type == SOCK_STREAM;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  fz_fds before = fz_fds_take();
  ctx c;
  int i;

  setup(&c, &in);
  current = &c;
  sp_fault_set_hook(fault_hook, &c.fault);
  for (i = 0; i < MAX_OPS && fz_left(&in); i++) {
    int64_t start = may_wait_long(&c) ? clock_us(&c) : -1;

    do_op(&c, &in);
    if (start >= 0)
      after_long_wait(&c, start, clock_us(&c));
  }
  sp_fault_set_hook(NULL, NULL);
  current = NULL;
  c.fault.ndealt = 0;
  for (i = 0; i < 2; i++) {
    if (!c.e[i].closed)
      op_close(&c, i);
    free(c.e[i].line);
  }
  fz_fds_check(&before);
  return 0;
}
