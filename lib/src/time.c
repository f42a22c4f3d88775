/* Monotonic time, deadlines and a poll that survives EINTR. */
#include "internal.h"

#include <time.h>

int64_t sp__now_ms(void) {
  struct timespec ts;

  /* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sp__ms_left(int64_t deadline_ms) {
  int64_t left;

  if (deadline_ms < 0)
    return -1;
  left = deadline_ms - sp__now_ms();
  if (left <= 0)
    return 0;
  return left > INT32_MAX ? INT32_MAX : (int)left;
}

int sp__poll_one(int fd, short events, int64_t deadline_ms) {
  struct pollfd pfd;
  int r;

  for (;;) {
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    r = sp__sys_poll(&pfd, 1, sp__ms_left(deadline_ms));
    if (r > 0)
      return pfd.revents ? pfd.revents : POLLERR;
    if (r == 0)
      return 0;
    if (errno != EINTR)
      return -errno;
  }
}
