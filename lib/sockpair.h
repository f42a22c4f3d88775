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
#define SP_ERRNO_MAP(XX)                                                    \
  XX(EPERM, "operation not permitted (SOCK_RAW needs CAP_NET_RAW)")           \
  XX(EBADF, "bad file descriptor")                                            \
  XX(EAGAIN, "resource temporarily unavailable: nothing ready yet")           \
  XX(ENOMEM, "not enough memory")                                             \
  XX(EACCES, "permission denied")                                             \
  XX(EFAULT, "bad address")                                                   \
  XX(EINVAL, "invalid argument")                                              \
  XX(ENFILE, "too many open files in the system")                             \
  XX(EMFILE, "too many open files in this process")                           \
  XX(EPIPE, "the peer has closed its end (broken pipe)")                      \
  XX(EMSGSIZE, "message too long for this socket type")                       \
  XX(EPROTOTYPE, "protocol wrong type for socket")                            \
  XX(ENOPROTOOPT, "protocol not available")                                   \
  XX(EPROTONOSUPPORT, "protocol not supported by this domain and type")       \
  XX(ESOCKTNOSUPPORT, "socket type not supported by this domain")             \
  XX(EOPNOTSUPP, "operation not supported on this socket")                    \
  XX(EAFNOSUPPORT, "address family not supported")                            \
  XX(EADDRINUSE, "address already in use")                                    \
  XX(EADDRNOTAVAIL, "cannot assign the requested address")                    \
  XX(ENETDOWN, "network is down")                                             \
  XX(ENETUNREACH, "network is unreachable")                                   \
  XX(ECONNABORTED, "connection aborted")                                      \
  XX(ECONNRESET, "connection reset by peer")                                  \
  XX(ENOBUFS, "no buffer space available")                                    \
  XX(ENOTCONN, "socket is not connected")                                     \
  XX(ETIMEDOUT, "timed out")                                                  \
  XX(ECONNREFUSED, "connection refused")                                      \
  XX(EHOSTUNREACH, "no route to host")                                        \
  XX(EIO, "input/output error")

/* SP_EPIPE == -EPIPE and so on: one name per code the library returns. */
typedef enum sp_errno {
#define SP__ERRNO_ENUM(name, msg) SP_##name = -name,
  SP_ERRNO_MAP(SP__ERRNO_ENUM)
#undef SP__ERRNO_ENUM
  SP_EOF = -4095,     /* end of stream: the peer closed or shut down */
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
  int base_type; /* type without SP_SOCK_NONBLOCK / SP_SOCK_CLOEXEC */
  int flags;     /* SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC bits of type */
  int err;       /* REFUSED: the error expected, see below; else 0 */
  const char *why; /* a static sentence saying how or why not */
} sp_plan;

/*
 * sp_socketpair_plan(domain, type, protocol, plan)
 *   Pure validation: says what sp_socketpair() would do, opening nothing,
 *   so argument checking can be exercised (fuzzed) at any rate without
 *   taking ports or leaving TIME_WAIT sockets. For REFUSED cells, err is
 *   what an unprivileged process gets with default sysctls; sp_socketpair()
 *   asks the kernel instead, so it may differ for SOCK_RAW (EPERM without
 *   CAP_NET_RAW, EOPNOTSUPP with it) and for ICMP datagram sockets
 *   (net.ipv4.ping_group_range).
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
 * Results of the I/O calls: a byte count (>= 0), or SP_EOF, -EAGAIN
 * (non-blocking, nothing ready), -ETIMEDOUT (blocking, the timeout ran
 * out), SP_ELINEMAX, or another negative errno. "End of stream", "nothing
 * yet" and "timed out" are always told apart.
 * ------------------------------------------------------------------- */
typedef struct sp_stream sp_stream;

#define SP_DEFAULT_TIMEOUT_US (60 * 1000000LL) /* default_socket_timeout */

/* Wraps fd (a socket of any type, a pipe, ...). The stream owns fd from
 * then on: sp_stream_close() closes it. The blocking mode is read from fd.
 * On error fd is left open and untouched. */
SP_EXTERN int sp_stream_open(int fd, sp_stream **out);

/* sp_socketpair() and sp_stream_open() on both ends; pair written only on
 * success. */
SP_EXTERN int sp_pair(int domain, int type, int protocol, sp_stream *pair[2]);

/* fwrite: sends all len bytes, looping. Blocking: waits for writability up
 * to the timeout (-ETIMEDOUT if nothing was sent, else the count).
 * Non-blocking: the count sent so far, 0 included. DGRAM/SEQPACKET: one
 * write is one datagram. A closed peer gives -EPIPE, never SIGPIPE. */
SP_EXTERN ssize_t sp_stream_write(sp_stream *s, const void *buf, size_t len);

/* fread: returns buffered bytes at once if there are any, else performs one
 * read round (never loops to fill len). On DGRAM/SEQPACKET streams it
 * returns at most one datagram, whole datagrams are never truncated into
 * loss (the rest stays buffered), and a zero-length datagram returns 0.
 * len == 0: -EINVAL. */
SP_EXTERN ssize_t sp_stream_read(sp_stream *s, void *buf, size_t len);

/* fgets(s, size): at most size-1 bytes up to and including the first "\n",
 * NUL-terminated in buf. size == 1 returns 0 and consumes nothing;
 * size <= 0: -EINVAL. A partial line is returned at EOF, on timeout and
 * when non-blocking would block; bytes past the limit stay buffered. */
SP_EXTERN ssize_t sp_stream_gets(sp_stream *s, char *buf, ssize_t size);

/* fgets(s): the whole line however long, in *line (malloc'ed, grown as
 * getline(3) does; *line and *cap may start as NULL and 0; the caller
 * frees). NUL-terminated; returns its length. SP_ELINEMAX if the line is
 * longer than the cap set with sp_stream_set_line_max (the line stays
 * buffered). */
SP_EXTERN ssize_t sp_stream_getline(sp_stream *s, char **line, size_t *cap);

/* feof: 0 if anything is buffered; else a liveness check (poll 0 +
 * MSG_PEEK): 1 once a STREAM/SEQPACKET peer has closed or shut down.
 * A DGRAM peer's close is invisible: the kernel says nothing. */
SP_EXTERN int sp_stream_eof(sp_stream *s);

SP_EXTERN int sp_stream_set_blocking(sp_stream *s, int blocking);
/* Microseconds for each blocking wait; negative: wait forever. */
SP_EXTERN int sp_stream_set_timeout(sp_stream *s, int64_t usec);
/* 1 if the last blocking read timed out; cleared by the next read that
 * brings data. */
SP_EXTERN int sp_stream_timed_out(const sp_stream *s);
/* Largest line getline returns (0 = no cap, the default). */
SP_EXTERN int sp_stream_set_line_max(sp_stream *s, size_t max);
/* Bytes asked of each recv on a stream socket (default 64 KiB). */
SP_EXTERN int sp_stream_set_chunk_size(sp_stream *s, size_t size);
/* how: SP_SHUT_RD, SP_SHUT_WR or SP_SHUT_RDWR. */
SP_EXTERN int sp_stream_shutdown(sp_stream *s, int how);
/* The descriptor, for poll() and socket options; still owned by s. */
SP_EXTERN int sp_stream_fd(const sp_stream *s);
/* Closes the descriptor and frees s (NULL is a no-op). */
SP_EXTERN int sp_stream_close(sp_stream *s);

#ifdef __cplusplus
}
#endif
#endif /* SOCKPAIR_H */
