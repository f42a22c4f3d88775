/* The helpers of test.h, each bounded in time. */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int sp_test_count_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *ent;
  int n = 0;

  if (!dir)
    SP__FAIL("opendir /proc/self/fd: %s", strerror(errno));
  while ((ent = readdir(dir)))
    n += ent->d_name[0] != '.';
  closedir(dir);
  return n;
}

int64_t sp_test_now_us(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void wait_for(int fd, short events, int timeout_ms) {
  struct pollfd pfd = {.fd = fd, .events = events};
  int r;

  do
    r = poll(&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    SP__FAIL("poll: %s", strerror(errno));
  if (r == 0)
    SP__FAIL("fd %d not ready after %d ms", fd, timeout_ms);
}

void sp_test_write_all(int fd, const void *buf, size_t n, int timeout_ms) {
  const char *p = buf;

  while (n > 0) {
    ssize_t w;

    wait_for(fd, POLLOUT, timeout_ms);
    w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == ENOTSOCK)
      w = write(fd, p, n);
    if (w < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (w < 0)
      SP__FAIL("write: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
}

void sp_test_read_exact(int fd, void *buf, size_t n, int timeout_ms) {
  char *p = buf;

  while (n > 0) {
    ssize_t r;

    wait_for(fd, POLLIN, timeout_ms);
    r = recv(fd, p, n, MSG_DONTWAIT);
    if (r < 0 && errno == ENOTSOCK)
      r = read(fd, p, n);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r < 0)
      SP__FAIL("read: %s", strerror(errno));
    if (r == 0)
      SP__FAIL("read: end of stream with %zu bytes missing", n);
    p += r;
    n -= (size_t)r;
  }
}

void sp_test_round_trip(const int fds[2]) {
  char got[16];

  sp_test_write_all(fds[0], "ping", 4, 2000);
  sp_test_read_exact(fds[1], got, 4, 2000);
  ASSERT_MEM_EQ(got, "ping", 4);
  sp_test_write_all(fds[1], "pong!", 5, 2000);
  sp_test_read_exact(fds[0], got, 5, 2000);
  ASSERT_MEM_EQ(got, "pong!", 5);
}

int sp_test_have_ipv6(void) {
  struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int ok;

  if (fd < 0)
    return 0;
  sin6.sin6_addr = in6addr_loopback;
  ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
  close(fd);
  return ok;
}
