/* Helpers shared by the tests/test_stream*.c files (static: one copy each). */
#ifndef SP_STREAM_UTIL_H
#define SP_STREAM_UTIL_H

#include "harness.h"
#include "test.h"

#include <sys/wait.h>
#include <unistd.h>

/* The cells the stream layer is tested on: the harness's transports
 * (bytestream, close_visible, max_message...); sp_pair makes the socket
 * pairs among them, in the table's order (unix-stream first). */
typedef struct sh_transport cell;
static const cell *const cells = sh_transports;
#define NCELLS ((int)sh_ntransports)

/* Every blocking call of a test is bounded: 5 s unless the test says. */
#define TEST_TIMEOUT_US (5 * 1000000LL)

/* Opens a pair for c with a bounded timeout on both ends; 0 if the cell
 * is not a socket pair, or cannot run here (no IPv6, after saying so). */
static int open_cell(const cell *c, sp_stream *p[2]) {
  int err;

  if (c->create != SH_SOCKETPAIR)
    return 0;
  if (c->domain == SP_PF_INET6 && !sp_test_have_ipv6()) {
    fprintf(stderr, "%s: no IPv6 loopback, cell skipped\n", c->name);
    return 0;
  }
  err = sp_pair(c->domain, c->type, c->protocol, p);
  if (err)
    SP__FAIL("%s: sp_pair: %s", c->name, sp_err_name(err));
  ASSERT_OK(sp_stream_set_timeout(p[0], TEST_TIMEOUT_US));
  ASSERT_OK(sp_stream_set_timeout(p[1], TEST_TIMEOUT_US));
  return 1;
}

static void close_pair(sp_stream *p[2]) {
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_OK(sp_stream_close(p[1]));
}

/* Writes all of buf as one sp_stream_write (must be complete). */
static void put(sp_stream *s, const void *buf, size_t len) {
  ssize_t n = sp_stream_write(s, buf, len);

  if (n != (ssize_t)len)
    SP__FAIL("sp_stream_write(%zu): %zd (%s)", len, n,
             n < 0 ? sp_err_name((int)n) : "short");
}

#define PUT(s, lit) put(s, lit, sizeof(lit) - 1)

/* gets must return exactly the bytes of lit. */
#define EXPECT_GETS(s, size, lit)                                              \
  do {                                                                         \
    char gbuf_[512];                                                           \
    ssize_t gn_ = sp_stream_gets(s, gbuf_, size);                              \
    if (gn_ != (ssize_t)sizeof(lit) - 1)                                       \
      SP__FAIL("gets: %zd (%s), expected %zu bytes", gn_,                      \
               gn_ < 0 ? sp_err_name((int)gn_) : "count", sizeof(lit) - 1);    \
    ASSERT_MEM_EQ(gbuf_, lit, sizeof(lit) - 1);                                \
    ASSERT_EQ(gbuf_[gn_], '\0');                                               \
  } while (0)

static int64_t elapsed_ms(int64_t start_us) {
  return (sp_test_now_us() - start_us) / 1000;
}

/* Forks a child that runs fn(arg) and _exits 0 (or 1 if fn fails): a
 * writer that blocks while the parent reads. */
static pid_t spawn(void (*fn)(void *), void *arg) {
  pid_t pid = sh_fork(30, NULL, 0);

  ASSERT(pid >= 0);
  if (pid == 0) {
    fn(arg);
    _exit(0);
  }
  return pid;
}

/* The child must exit 0 within 30 s (else it is killed). */
static void reap(pid_t pid) {
  int status;

  ASSERT_OK(sh_reap(pid, 30 * 1000000000LL, &status));
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
}

#endif /* SP_STREAM_UTIL_H */
