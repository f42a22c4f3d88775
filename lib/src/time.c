/* Monotonic time, deadlines and a poll that survives EINTR, in
 * microseconds: a stream's timeout is given in microseconds (PHP's
 * stream_set_timeout takes seconds and microseconds), and ppoll() waits
 * on a high-resolution timer, so a wait of 100 us lasts about 100 us, not
 * the millisecond poll() would round it up to. */
#include "internal.h"

#include <time.h>

int64_t sp__now_us(void) {
  struct timespec ts;

  /* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sp__us_left(int64_t deadline_us) {
  int64_t left;

  if (deadline_us < 0)
    return -1;
  left = deadline_us - sp__now_us();
  return left > 0 ? left : 0;
}

int sp__poll_one(int fd, short events, int64_t deadline_us) {
  struct pollfd pfd;
  struct timespec ts;
  int64_t left;
  int r;

  for (;;) {
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    left = sp__us_left(deadline_us);
    ts.tv_sec = (time_t)(left / 1000000);
    ts.tv_nsec = (long)(left % 1000000) * 1000;
    r = sp__sys_ppoll(&pfd, 1, left < 0 ? NULL : &ts);
    if (r > 0)
      return pfd.revents ? pfd.revents : POLLERR;
    if (r == 0)
      return 0;
    if (errno != EINTR)
      return -errno;
  }
}
