/* The per-thread hook behind the fault-injection seam (test builds only). */
#include "fault.h"

#include <errno.h>

static _Thread_local sp_fault_hook fault_hook;
static _Thread_local void *fault_ctx;

void sp_fault_set_hook(sp_fault_hook hook, void *ctx) {
  fault_hook = hook;
  fault_ctx = ctx;
}

const char *sp_fault_call_name(sp_call call) {
  switch (call) {
#define SP__CALL_NAME(upper, lower)                                            \
  case SP_CALL_##upper:                                                        \
    return #lower;
    SP_CALL_MAP(SP__CALL_NAME)
#undef SP__CALL_NAME
  case SP_CALL__COUNT:
    break;
  }
  return "unknown";
}

int sp__fault_hit(sp_call call, size_t *len) {
  sp_fault_hook hook = fault_hook;
  size_t asked;
  int err;

  if (!hook)
    return 0;
  asked = len ? *len : 0;
  err = hook(fault_ctx, call, len);
  if (len && (*len == 0 || *len > asked))
    *len = asked; /* a hook may shorten a transfer, never lengthen it */
  return err;
}

typedef struct errno_row {
  int n;
  int err[SP_FAULT_MAX_ERRNOS];
} errno_row;

static const errno_row errno_table[SP_CALL__COUNT] = {
    [SP_CALL_SOCKET] = {5, {EMFILE, ENFILE, ENOBUFS, ENOMEM, EACCES}},
    [SP_CALL_SOCKETPAIR] = {4, {EMFILE, ENFILE, ENOBUFS, ENOMEM}},
    [SP_CALL_BIND] = {4, {EADDRINUSE, EADDRNOTAVAIL, ENOMEM, EACCES}},
    [SP_CALL_LISTEN] = {2, {EADDRINUSE, ENOBUFS}},
    [SP_CALL_CONNECT] = {6,
                         {ECONNREFUSED, EINTR, EAGAIN, ENETUNREACH,
                          EADDRNOTAVAIL, ENOBUFS}},
    [SP_CALL_ACCEPT4] = {8,
                         {EMFILE, EINTR, EAGAIN, ECONNABORTED, ENFILE, ENOBUFS,
                          ENOMEM, EPERM}},
    [SP_CALL_GETSOCKNAME] = {1, {ENOBUFS}},
    [SP_CALL_GETPEERNAME] = {2, {ENOBUFS, ENOTCONN}},
    [SP_CALL_SETSOCKOPT] = {2, {ENOMEM, ENOBUFS}},
    [SP_CALL_GETSOCKOPT] = {1, {EBADF}},
    [SP_CALL_FCNTL] = {2, {EBADF, EINTR}},
    [SP_CALL_POLL] = {2, {ENOMEM, EINTR}},
    [SP_CALL_CLOSE] = {2, {EIO, EINTR}},
    [SP_CALL_RECV] = {6,
                      {ECONNRESET, EINTR, EAGAIN, ENOBUFS, ENOMEM,
                       ECONNREFUSED}},
    [SP_CALL_SEND] = {6,
                      {EPIPE, EINTR, EAGAIN, ENOBUFS, ECONNRESET,
                       ECONNREFUSED}},
    [SP_CALL_RECV_WAIT] = {6,
                           {ECONNRESET, EINTR, EAGAIN, ENOBUFS, ENOMEM,
                            ECONNREFUSED}},
    [SP_CALL_SEND_WAIT] = {6,
                           {EPIPE, EINTR, EAGAIN, ENOBUFS, ECONNRESET,
                            ECONNREFUSED}},
    [SP_CALL_READ] = {4, {EIO, EINTR, EAGAIN, ECONNRESET}},
    [SP_CALL_WRITE] = {4, {EPIPE, EINTR, EAGAIN, ENOBUFS}},
    [SP_CALL_SHUTDOWN] = {1, {ENOTCONN}},
    [SP_CALL_IOCTL] = {1, {EBADF}},
    [SP_CALL_SIGACTION] = {1, {EINVAL}},
    [SP_CALL_MALLOC] = {1, {ENOMEM}},
    [SP_CALL_REALLOC] = {1, {ENOMEM}},
};

int sp_fault_errnos(sp_call call, const int **errs) {
  if ((unsigned)call >= SP_CALL__COUNT) {
    *errs = NULL;
    return 0;
  }
  *errs = errno_table[call].err;
  return errno_table[call].n;
}

int sp_fault_hard_errno(sp_call call) {
  const int *errs;
  int n = sp_fault_errnos(call, &errs);
  int i;

  for (i = 0; i < n; i++)
    if (errs[i] != EINTR && errs[i] != EAGAIN)
      return errs[i];
  return EIO;
}
