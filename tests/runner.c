/* The test runner: "binary NAME" runs one test, "binary" lists them. */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SP_TEST_MAX 256
#define SP_TEST_ALARM_S 100 /* under ctest's TIMEOUT, to name the culprit */

static struct {
  const char *name;
  sp_test_fn fn;
} tests[SP_TEST_MAX];
static int test_count;

void sp_test_register(const char *name, sp_test_fn fn) {
  if (test_count == SP_TEST_MAX) {
    fprintf(stderr, "too many tests\n");
    exit(2);
  }
  tests[test_count].name = name;
  tests[test_count].fn = fn;
  test_count++;
}

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

static void on_alarm(int sig) {
  static const char msg[] = "test timed out (runner alarm)\n";

  (void)sig;
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(124);
}

static int run_one(const char *name) {
  for (int i = 0; i < test_count; i++) {
    int before;
    int after;

    if (strcmp(tests[i].name, name))
      continue;
    signal(SIGALRM, on_alarm);
    alarm(SP_TEST_ALARM_S);
    before = sp_test_count_fds();
    tests[i].fn();
    after = sp_test_count_fds();
    alarm(0);
    if (before != after) {
      fprintf(stderr, "%s: descriptor leak: %d open before, %d after\n", name,
              before, after);
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "no test named %s\n", name);
  return 2;
}

int main(int argc, char **argv) {
  if (argc == 2)
    return run_one(argv[1]);
  for (int i = 0; i < test_count; i++)
    printf("%s\n", tests[i].name);
  return 0;
}
