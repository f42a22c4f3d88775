/* Shared prototypes of lib/: not part of the public interface. */
#ifndef SOCKPAIR_INTERNAL_H
#define SOCKPAIR_INTERNAL_H

#include "sockpair.h"
#include "sys.h"

#include <stdint.h>
#include <sys/socket.h>

/* Deadline for the whole loopback emulation of one pair. */
#define SP__EMULATION_DEADLINE_US (5 * 1000000LL)

/* fd.c: descriptor primitives. Each returns 0 or -errno, EINTR retried. */
void sp__close(int fd); /* -1 is a no-op; EINTR counts as closed */
void sp__close_pair(int fds[2]);
int sp__set_cloexec(int fd, int on);
int sp__set_nonblock(int fd, int on);
int sp__get_nonblock(int fd); /* 1, 0, or -errno */
/* Applies SP_SOCK_NONBLOCK / SP_SOCK_CLOEXEC (flags) to fd, turning each
 * mode on or off to match. */
int sp__apply_flags(int fd, int flags);

/* time.c: monotonic microseconds, deadlines and a bounded poll. */
int64_t sp__now_us(void);
/* Microseconds left until deadline_us, >= 0; a negative deadline means
 * none and gives -1. */
int64_t sp__us_left(int64_t deadline_us);
/* Polls one fd until deadline_us (negative: none), retrying EINTR with the
 * time left. Returns revents (> 0), 0 on timeout, or -errno. */
int sp__poll_one(int fd, short events, int64_t deadline_us);

/* loopback.c: the loopback address of an inet domain. */
typedef struct sp__addr {
  struct sockaddr_storage ss;
  socklen_t len;
} sp__addr;
void sp__loopback_addr(int domain, sp__addr *addr); /* port 0 */
int sp__local_addr(int fd, sp__addr *addr);
int sp__peer_addr(int fd, sp__addr *addr);
int sp__addr_equal(const sp__addr *a, const sp__addr *b);
/* A socket bound to the loopback address of domain on an ephemeral port;
 * type may carry SOCK_NONBLOCK / SOCK_CLOEXEC. Returns the fd or -errno. */
int sp__loopback_socket(int domain, int type, int protocol);

/* socketpair_tcp.c / socketpair_udp.c: the emulations. fds written only on
 * success. */
int sp__pair_tcp(int domain, int flags, int fds[2]);
int sp__pair_udp(int domain, int flags, int fds[2]);
/* socketpair.c: sp_socketpair() for a plan already made (and accepted by
 * sp_socketpair_plan) for domain, its type and protocol. */
int sp__socketpair_planned(int domain, int protocol, const sp_plan *plan,
                           int fds[2]);

#endif /* SOCKPAIR_INTERNAL_H */
