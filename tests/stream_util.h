/* Helpers shared by the tests/test_stream*.c files (static: one copy each). */
#ifndef SP_STREAM_UTIL_H
#define SP_STREAM_UTIL_H

#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* A cell the stream layer is tested on. */
typedef struct cell {
  const char *name;
  int domain;
  int type;
  int protocol;
  int stream;   /* byte stream (no message boundaries) */
  int reliable; /* peer close is visible (STREAM, SEQPACKET) */
} cell;

static const cell cells[] = {
    {"unix-stream", SP_PF_UNIX, SP_SOCK_STREAM, 0, 1, 1},
    {"unix-dgram", SP_PF_UNIX, SP_SOCK_DGRAM, 0, 0, 0},
    {"unix-seqpacket", SP_PF_UNIX, SP_SOCK_SEQPACKET, 0, 0, 1},
    {"tcp4", SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, 1, 1},
    {"tcp6", SP_PF_INET6, SP_SOCK_STREAM, SP_IPPROTO_TCP, 1, 1},
    {"udp4", SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 0},
    {"udp6", SP_PF_INET6, SP_SOCK_DGRAM, SP_IPPROTO_UDP, 0, 0},
};
#define NCELLS ((int)(sizeof(cells) / sizeof(cells[0])))

/* Every blocking call of a test is bounded: 5 s unless the test says. */
#define TEST_TIMEOUT_US (5 * 1000000LL)

/* Opens a pair for c with a bounded timeout on both ends; 0 if the cell
 * cannot run here (no IPv6), after saying so. */
static int open_cell(const cell *c, sp_stream *p[2]) {
  int err;

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
  pid_t pid;

  fflush(stdout);
  fflush(stderr);
  pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    alarm(30);
    fn(arg);
    _exit(0);
  }
  return pid;
}

static void reap(pid_t pid) {
  int status;

  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
}

#endif /* SP_STREAM_UTIL_H */
