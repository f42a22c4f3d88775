/* Descriptor primitives: close, CLOEXEC and O_NONBLOCK, EINTR handled. */
#include "internal.h"

void sp__close(int fd) {
  int saved = errno;

  /* Never retried: on Linux the descriptor is gone even when close()
   * reports EINTR, and a retry could close a descriptor another thread
   * has just been given. */
  if (fd >= 0)
    (void)sp__sys_close(fd);
  errno = saved;
}

void sp__close_pair(int fds[2]) {
  sp__close(fds[0]);
  sp__close(fds[1]);
}

static int fcntl_retry(int fd, int cmd, int arg) {
  int r;

  do
    r = sp__sys_fcntl(fd, cmd, arg);
  while (r == -1 && errno == EINTR);
  return r == -1 ? -errno : r;
}

static int set_flag(int fd, int get_cmd, int set_cmd, int bit, int on) {
  int cur = fcntl_retry(fd, get_cmd, 0);
  int want;

  if (cur < 0)
    return cur;
  want = on ? (cur | bit) : (cur & ~bit);
  if (want == cur)
    return 0;
  cur = fcntl_retry(fd, set_cmd, want);
  return cur < 0 ? cur : 0;
}

int sp__set_cloexec(int fd, int on) {
  return set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int sp__set_nonblock(int fd, int on) {
  return set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int sp__get_nonblock(int fd) {
  int fl = fcntl_retry(fd, F_GETFL, 0);

  if (fl < 0)
    return fl;
  return (fl & O_NONBLOCK) ? 1 : 0;
}

int sp__apply_flags(int fd, int flags) {
  int err = sp__set_nonblock(fd, (flags & SP_SOCK_NONBLOCK) != 0);

  if (err)
    return err;
  return sp__set_cloexec(fd, (flags & SP_SOCK_CLOEXEC) != 0);
}
