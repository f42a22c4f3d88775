/*
 * sockpair — PHP's stream_socket_pair(), done properly in C.
 *
 * This header is the manual. Every call returns a value: a count (>= 0) or a
 * negative error code (-errno, or one of the SP_E* codes below). The library
 * keeps no global state and never raises SIGPIPE.
 *
 *   int fds[2];
 *   int err = sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, fds);
 *   if (err < 0)
 *     fprintf(stderr, "%s: %s\n", sp_err_name(err), sp_strerror(err));
 */
#ifndef SOCKPAIR_H
#define SOCKPAIR_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SP_BUILDING_SHARED)
#define SP_EXTERN __attribute__((visibility("default")))
#else
#define SP_EXTERN
#endif

#define SP_VERSION_MAJOR 0
#define SP_VERSION_MINOR 1
#define SP_VERSION_PATCH 0
#define SP_VERSION_STRING "0.1.0"

/* Returns SP_VERSION_STRING of the library actually linked. */
SP_EXTERN const char *sp_version(void);

/* ---------------------------------------------------------------------
 * Constants: PHP's STREAM_* values, which are Linux's.
 * ------------------------------------------------------------------- */
#define SP_PF_UNIX 1
#define SP_PF_INET 2
#define SP_PF_INET6 10

#define SP_SOCK_STREAM 1
#define SP_SOCK_DGRAM 2
#define SP_SOCK_RAW 3
#define SP_SOCK_RDM 4
#define SP_SOCK_SEQPACKET 5

#define SP_IPPROTO_IP 0
#define SP_IPPROTO_ICMP 1
#define SP_IPPROTO_TCP 6
#define SP_IPPROTO_UDP 17
#define SP_IPPROTO_RAW 255

/* Flag bits that may be OR-ed into the type, as with socketpair(2). */
#define SP_SOCK_NONBLOCK 04000
#define SP_SOCK_CLOEXEC 02000000

#define SP_SHUT_RD 0
#define SP_SHUT_WR 1
#define SP_SHUT_RDWR 2

/* ---------------------------------------------------------------------
 * Errors.
 *
 * Errors are negative: -errno for what the system said, and a reserved
 * range below -4000 for what only sockpair says. sp_strerror() gives a
 * sentence, sp_err_name() the symbol ("EPROTONOSUPPORT"); both return
 * static strings, also for codes they do not know.
 * ------------------------------------------------------------------- */
#define SP_ERRNO_MAP(XX)                                                       \
  XX(EPERM, "operation not permitted (SOCK_RAW needs CAP_NET_RAW)")            \
  XX(EBADF, "bad file descriptor")                                             \
  XX(EAGAIN, "resource temporarily unavailable: nothing ready yet")            \
  XX(ENOMEM, "not enough memory")                                              \
  XX(EACCES, "permission denied")                                              \
  XX(EFAULT, "bad address")                                                    \
  XX(EINVAL, "invalid argument")                                               \
  XX(ENFILE, "too many open files in the system")                              \
  XX(EMFILE, "too many open files in this process")                            \
  XX(EPIPE, "the peer has closed its end (broken pipe)")                       \
  XX(EMSGSIZE, "message too long for this socket type")                        \
  XX(EPROTOTYPE, "protocol wrong type for socket")                             \
  XX(ENOPROTOOPT, "protocol not available")                                    \
  XX(EPROTONOSUPPORT, "protocol not supported by this domain and type")        \
  XX(ESOCKTNOSUPPORT, "socket type not supported by this domain")              \
  XX(EOPNOTSUPP, "operation not supported on this socket")                     \
  XX(EAFNOSUPPORT, "address family not supported")                             \
  XX(EADDRINUSE, "address already in use")                                     \
  XX(EADDRNOTAVAIL, "cannot assign the requested address")                     \
  XX(ENETDOWN, "network is down")                                              \
  XX(ENETUNREACH, "network is unreachable")                                    \
  XX(ECONNABORTED, "connection aborted")                                       \
  XX(ECONNRESET, "connection reset by peer")                                   \
  XX(ENOBUFS, "no buffer space available")                                     \
  XX(ENOTCONN, "socket is not connected")                                      \
  XX(ETIMEDOUT, "timed out")                                                   \
  XX(ECONNREFUSED, "connection refused")                                       \
  XX(EHOSTUNREACH, "no route to host")                                         \
  XX(EIO, "input/output error")

/* SP_EPIPE == -EPIPE and so on: one name per code the library returns. */
typedef enum sp_errno {
#define SP__ERRNO_ENUM(name, msg) SP_##name = -name,
  SP_ERRNO_MAP(SP__ERRNO_ENUM)
#undef SP__ERRNO_ENUM
      SP_EOF = -4095, /* end of stream: the peer closed or shut down */
  SP_ELINEMAX = -4094 /* a line is longer than the stream's line cap */
} sp_errno;

SP_EXTERN const char *sp_strerror(int err);
SP_EXTERN const char *sp_err_name(int err);

/* ---------------------------------------------------------------------
 * Pairs of descriptors.
 *
 * sp_socketpair(domain, type, protocol, fds)
 *   Creates two connected descriptors, exactly as socketpair(2) would.
 *   - SP_PF_UNIX: the kernel's socketpair(); success or the kernel's errno,
 *     unchanged, for every type and protocol (this is what PHP users get).
 *   - SP_PF_INET / SP_PF_INET6, which Linux cannot pair, are emulated over
 *     loopback (127.0.0.1 / ::1):
 *       STREAM + IP|TCP  a TCP connection through a one-shot listener on an
 *                        ephemeral port; the accepted connection is proved
 *                        to be our own client (its peer address is our
 *                        client's local address), strangers are closed;
 *                        TCP_NODELAY on both ends; the listener is closed
 *                        before return. Bounded by a 5 s deadline.
 *                        Each such pair leaves one TIME_WAIT on close.
 *       DGRAM + IP|UDP   two UDP sockets bound to ephemeral loopback ports
 *                        and connect()ed to each other, so the kernel drops
 *                        datagrams from anyone else; anything a stranger
 *                        queued before the connect is drained.
 *     Any other inet cell fails with the errno the kernel gives for such a
 *     socket (asked with socket(2): no port is taken), or -EOPNOTSUPP if
 *     the kernel would create that socket but it cannot be paired.
 *   - Any other domain: -EAFNOSUPPORT, before any syscall.
 *   The type may carry SP_SOCK_NONBLOCK and SP_SOCK_CLOEXEC; they are
 *   honoured on both ends in every domain. Other flag bits: -EINVAL, before
 *   any syscall (as the kernel).
 *   fds is written only on success; on failure nothing is left open.
 *
 * Returns 0, or a negative error.
 */
SP_EXTERN int sp_socketpair(int domain, int type, int protocol, int fds[2]);

/* How sp_socketpair() would serve a cell, decided without any syscall. */
typedef enum sp_method {
  SP_METHOD_REFUSED = 0,  /* cannot be paired: see err and why */
  SP_METHOD_KERNEL,       /* the kernel's socketpair() decides */
  SP_METHOD_EMULATED_TCP, /* loopback TCP connection */
  SP_METHOD_EMULATED_UDP  /* two connected loopback UDP sockets */
} sp_method;

typedef struct sp_plan {
  sp_method method;
  int base_type;   /* type without SP_SOCK_NONBLOCK / SP_SOCK_CLOEXEC */
  int flags;       /* SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC bits of type */
  int err;         /* REFUSED: the error expected, see below; else 0 */
  const char *why; /* a static sentence saying how or why not */
} sp_plan;

/*
 * sp_socketpair_plan(domain, type, protocol, plan)
 *   Pure validation: says what sp_socketpair() would do, opening nothing,
 *   so argument checking can be exercised (fuzzed) at any rate without
 *   taking ports or leaving TIME_WAIT sockets. For REFUSED cells, err is
 *   what an unprivileged process gets with default sysctls; sp_socketpair()
 *   asks the kernel instead, so it may differ for SOCK_RAW (EPERM without
 *   CAP_NET_RAW, EOPNOTSUPP with it), for ICMP datagram sockets
 *   (net.ipv4.ping_group_range), and for protocols outside the five named
 *   above that the running kernel does create (MPTCP streams, UDP-Lite
 *   datagrams: predicted EPROTONOSUPPORT, given EOPNOTSUPP).
 * Returns 0 and fills *plan, or a negative error (-EINVAL for unknown flag
 * bits, -EAFNOSUPPORT for an unsupported domain) with *plan filled too.
 */
SP_EXTERN int sp_socketpair_plan(int domain, int type, int protocol,
                                 sp_plan *plan);

/* Names for the constants above ("AF_INET6", "SOCK_SEQPACKET", "IPPROTO_UDP");
 * NULL for values without a name. */
SP_EXTERN const char *sp_domain_name(int domain);
SP_EXTERN const char *sp_type_name(int base_type);
SP_EXTERN const char *sp_protocol_name(int protocol);

/* ---------------------------------------------------------------------
 * Streams: a buffered stream over one descriptor, with PHP's fgets/fread/
 * fwrite semantics and none of its data loss.
 *
 *   sp_stream *pair[2];
 *   char line[128];
 *   sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, SP_IPPROTO_IP, pair);
 *   sp_stream_write(pair[0], "hello\n", 6);
 *   sp_stream_gets(pair[1], line, sizeof(line));    // "hello\n", 6
 *
 * Results of the I/O calls: a byte count (>= 0), or SP_EOF, -EAGAIN
 * (non-blocking, nothing ready), -ETIMEDOUT (blocking, the timeout ran
 * out), SP_ELINEMAX, or another negative errno. "End of stream", "nothing
 * yet" and "timed out" are always told apart. Every call returns -EINVAL
 * for a NULL stream (sp_stream_close(NULL) is a no-op returning 0).
 * A stream is not thread-safe: use each from one thread at a time.
 *
 * PHP's rules kept, and those done better: docs/php-semantics.md.
 * ------------------------------------------------------------------- */
typedef struct sp_stream sp_stream;

#define SP_DEFAULT_TIMEOUT_US (60 * 1000000LL) /* default_socket_timeout */

/*
 * sp_stream_open(fd, out)
 *   Wraps fd: a socket of any type (STREAM: byte stream; any other type:
 *   datagrams, boundaries kept), a pipe, a FIFO. The stream owns fd from
 *   then on: sp_stream_close() closes it. Timeout: SP_DEFAULT_TIMEOUT_US.
 *   The blocking mode is read from fd's O_NONBLOCK. A descriptor that is
 *   not a socket has no MSG_DONTWAIT, so it is switched to O_NONBLOCK here
 *   (blocking mode is then emulated with poll and the timeout, like libuv
 *   does for pipes) and switched back at close; note that the flag lives
 *   in the open file description, shared with dup()s and forked copies.
 *   A socket's SO_RCVTIMEO is the stream's timeout once a blocking read
 *   has had to wait (see the differences above); fd gets its own value
 *   back at close. Changing it on sp_stream_fd() meanwhile changes how
 *   long a read may wait.
 * Returns 0 and *out, or -EINVAL (out NULL), -EBADF, -ENOMEM, -errno; on
 * error fd is left open and untouched.
 */
SP_EXTERN int sp_stream_open(int fd, sp_stream **out);

/* sp_socketpair() and sp_stream_open() on both ends; pair written only on
 * success, nothing left open on failure. -EINVAL if pair is NULL. */
SP_EXTERN int sp_pair(int domain, int type, int protocol, sp_stream *pair[2]);

/*
 * sp_stream_write(s, buf, len): fwrite. No write buffer: sends all len
 * bytes, looping on short writes.
 *   Blocking: on EAGAIN waits for writability, each wait up to the timeout
 *   (the clock restarts after progress, as PHP's per-poll timeout); if a
 *   wait runs out: the count sent so far, or -ETIMEDOUT if nothing was.
 *   Non-blocking: the count sent so far, 0 included (0 is not an error).
 *   DGRAM/SEQPACKET: one write is one datagram (-EMSGSIZE if too big),
 *   sent whole or not at all: -EAGAIN when non-blocking and it would block
 *   (never 0, which could not be told from an empty message sent);
 *   len == 0 sends an empty datagram. On a byte stream len == 0 returns 0
 *   and does nothing. buf may be NULL only when len is 0.
 *   A closed peer: -EPIPE, never SIGPIPE (MSG_NOSIGNAL on sockets; on
 *   pipes, unless the process ignores SIGPIPE, it is blocked in the
 *   calling thread around write(2) and the one it raised is consumed, as
 *   libpq does; the process's disposition is never changed). A UNIX DGRAM
 *   peer's close: -ECONNREFUSED.
 *   An error after some bytes went out returns the count; the next call
 *   reports the error. -EINVAL: buf NULL with len > 0, len > SSIZE_MAX.
 */
SP_EXTERN ssize_t sp_stream_write(sp_stream *s, const void *buf, size_t len);

/*
 * sp_stream_read(s, buf, len): fread. If anything is buffered, returns
 * min(len, buffered) at once; otherwise ONE read round (one recv that
 * waits up to the timeout, see above) then the same; never loops to fill
 * len. DGRAM/SEQPACKET: returns bytes of one datagram only; a datagram
 * longer than len is not lost: the rest stays buffered and is what the next
 * read returns; a zero-length datagram returns 0.
 * Returns the count, 0 (empty datagram only), SP_EOF, -EAGAIN, -ETIMEDOUT
 * (and sets timed_out), -EINVAL (buf NULL, len 0), -ENOMEM, -errno.
 */
SP_EXTERN ssize_t sp_stream_read(sp_stream *s, void *buf, size_t len);

/*
 * sp_stream_gets(s, buf, size): fgets(s, size). Copies at most size-1
 * bytes, up to and including the first "\n", into buf and NUL-terminates
 * it; bytes past the limit stay buffered. Reads (one round at a time) until
 * it has a "\n" or size-1 bytes; a round that brings nothing (EOF,
 * timeout, would-block, error, an empty datagram) ends it with the partial
 * line. Lines may span datagrams.
 * Returns the count (> 0; 0 for size == 1, which consumes and reads
 * nothing, and for a zero-length datagram), or, only when zero bytes were
 * collected, SP_EOF, -EAGAIN, -ETIMEDOUT, -errno (buf is then "").
 * -EINVAL: buf NULL or size <= 0. -ENOMEM: the buffer could not grow
 * (nothing consumed).
 */
SP_EXTERN ssize_t sp_stream_gets(sp_stream *s, char *buf, ssize_t size);

/*
 * sp_stream_getline(s, line, cap): fgets(s) without a length. The whole
 * line however long, as gets otherwise, in *line: malloc'ed and grown as
 * getline(3) does (*line may start NULL, then *cap is ignored; the caller
 * frees it with free()); NUL-terminated; returns its length.
 * SP_ELINEMAX: a cap was set with sp_stream_set_line_max and the line
 * (with its "\n") is longer: nothing is consumed, nothing more is read for
 * it, *line is untouched; drain it with gets or read.
 * On any negative result *line and *cap are untouched. -EINVAL: line or cap
 * NULL.
 */
SP_EXTERN ssize_t sp_stream_getline(sp_stream *s, char **line, size_t *cap);

/*
 * sp_stream_eof(s): feof. 0 if anything is buffered (an empty datagram
 * included); 1 once EOF was seen; else a liveness check that never waits
 * (sockets: one recv(1, MSG_PEEK|MSG_DONTWAIT); pipes: poll 0): 1 right
 * after a STREAM/SEQPACKET peer closed or shut down its write side (or a
 * hard error on such a socket, as PHP), else 0. A DGRAM peer's close is
 * invisible: always 0. A datagram socket's pending error: -errno.
 */
SP_EXTERN int sp_stream_eof(sp_stream *s);

/* stream_set_blocking. Sockets: also sets the descriptor's O_NONBLOCK (as
 * PHP); pipes stay O_NONBLOCK (see sp_stream_open). 0 or -errno. */
SP_EXTERN int sp_stream_set_blocking(sp_stream *s, int blocking);
/* stream_set_timeout, in microseconds: how long each blocking wait may
 * last before SP_ETIMEDOUT, kept to within tens of microseconds (ppoll),
 * except that a wait of 100 ms or more may sleep in the kernel, whose
 * timer can end it up to a jiffy (1-10 ms) late. Negative: wait forever.
 * 0: never wait (one check). Default SP_DEFAULT_TIMEOUT_US. Returns 0. */
SP_EXTERN int sp_stream_set_timeout(sp_stream *s, int64_t usec);
/* stream_get_meta_data()['timed_out']: 1 if the last read round timed
 * out; cleared by the next round that brings data (or an empty datagram,
 * or EOF). */
SP_EXTERN int sp_stream_timed_out(const sp_stream *s);
/* Largest line getline returns, in bytes including the "\n" (0 = no cap,
 * the default). Returns 0. */
SP_EXTERN int sp_stream_set_line_max(sp_stream *s, size_t max);
/* Bytes asked of each read on a byte stream (default 64 KiB; PHP's 8 KiB
 * is chunk_size). Datagrams are always read whole. -EINVAL for 0 or more
 * than SIZE_MAX/4. */
SP_EXTERN int sp_stream_set_chunk_size(sp_stream *s, size_t size);
/* stream_socket_shutdown. how: SP_SHUT_RD, SP_SHUT_WR or SP_SHUT_RDWR
 * (else -EINVAL). Not a socket: -EOPNOTSUPP. 0 or -errno. */
SP_EXTERN int sp_stream_shutdown(sp_stream *s, int how);
/* The descriptor, for poll() and socket options; still owned by s. Reading
 * from it directly bypasses (and desynchronises from) the buffer. */
SP_EXTERN int sp_stream_fd(const sp_stream *s);
/* Closes the descriptor and frees s (NULL is a no-op). The buffered bytes
 * are dropped. Returns 0, or close(2)'s error (the descriptor and s are
 * released anyway). */
SP_EXTERN int sp_stream_close(sp_stream *s);

#ifdef __cplusplus
}
#endif
#endif /* SOCKPAIR_H */
