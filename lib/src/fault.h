/*
 * The fault-injection seam (tests only).
 *
 * Every syscall and allocation of lib/ goes through the sp__sys_* and
 * sp__malloc wrappers of sys.h. In a build with SP_FAULT_INJECTION defined
 * (the sockpair_fault library), each wrapper first asks the hook installed
 * on the calling thread whether to fail; in every other build the wrappers
 * are the bare calls and this header is not used.
 */
#ifndef SOCKPAIR_FAULT_H
#define SOCKPAIR_FAULT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_CALL_MAP(XX)                                                        \
  XX(SOCKET, socket)                                                           \
  XX(SOCKETPAIR, socketpair)                                                   \
  XX(BIND, bind)                                                               \
  XX(LISTEN, listen)                                                           \
  XX(CONNECT, connect)                                                         \
  XX(ACCEPT4, accept4)                                                         \
  XX(GETSOCKNAME, getsockname)                                                 \
  XX(GETPEERNAME, getpeername)                                                 \
  XX(SETSOCKOPT, setsockopt)                                                   \
  XX(GETSOCKOPT, getsockopt)                                                   \
  XX(FCNTL, fcntl)                                                             \
  XX(POLL, poll)                                                               \
  XX(CLOSE, close)                                                             \
  XX(RECV, recv)                                                               \
  XX(RECV_WAIT, recv_wait)                                                     \
  XX(SEND, send)                                                               \
  XX(SEND_WAIT, send_wait)                                                     \
  XX(READ, read)                                                               \
  XX(WRITE, write)                                                             \
  XX(SHUTDOWN, shutdown)                                                       \
  XX(IOCTL, ioctl)                                                             \
  XX(SIGACTION, sigaction)                                                     \
  XX(MALLOC, malloc)                                                           \
  XX(REALLOC, realloc)

typedef enum sp_call {
#define SP__CALL_ENUM(upper, lower) SP_CALL_##upper,
  SP_CALL_MAP(SP__CALL_ENUM)
#undef SP__CALL_ENUM
      SP_CALL__COUNT
} sp_call;

/*
 * Called before each fallible call of lib/ on this thread. Return 0 to let
 * the call run, or an errno value to make it fail with that errno. For
 * RECV, SEND, READ and WRITE, *len is the byte count about to be asked and
 * may be lowered (to >= 1) to force a short transfer; for other calls len
 * is NULL. RECV_WAIT and SEND_WAIT are a recv and a send that may wait in
 * the kernel (bounded by SO_RCVTIMEO / SO_SNDTIMEO), with the same len
 * rule: a hook that stands in for the peer acts before them as before a
 * POLL.
 */
typedef int (*sp_fault_hook)(void *ctx, sp_call call, size_t *len);

/* Installs hook (NULL removes it) for the calling thread only. */
void sp_fault_set_hook(sp_fault_hook hook, void *ctx);
/* "socket", "accept4", ... */
const char *sp_fault_call_name(sp_call call);

/*
 * The errnos each call can really return on a valid socket of ours (from
 * the man pages and the kernel), for the tests and fuzzers that inject
 * faults: *errs points at n of them (n <= SP_FAULT_MAX_ERRNOS), n is
 * returned. Calls that cannot fail on a valid socket (getsockopt
 * SO_ERROR, fcntl F_GETFL) still get one, to walk their error paths.
 * sp_fault_hard_errno() is the first that is neither EINTR nor EAGAIN:
 * the one a persistent fault uses (a persistent EINTR would be retried
 * for ever).
 */
#define SP_FAULT_MAX_ERRNOS 8
int sp_fault_errnos(sp_call call, const int **errs);
int sp_fault_hard_errno(sp_call call);

/* Used by sys.h. */
int sp__fault_hit(sp_call call, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* SOCKPAIR_FAULT_H */
