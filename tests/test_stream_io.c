/*
 * Edges the fuzzers found in the stream transport, each kept here as a
 * plain test beside its input in fuzz/regressions/fuzz_stream_ops/.
 */
#include "test.h"

#include "fault.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_US 2000000 /* far above what the checks allow */

static void pair_with_timeout(int domain, int type, sp_stream *p[2]) {
  ASSERT_OK(sp_pair(domain, type, 0, p));
  ASSERT_OK(sp_stream_set_timeout(p[0], TIMEOUT_US));
  ASSERT_OK(sp_stream_set_timeout(p[1], TIMEOUT_US));
}

/* Our own shutdown(SHUT_RD) of a datagram socket polls readable for ever
 * while recv says EAGAIN: a blocking read spun at 100 % CPU, unbounded
 * (hang-dgram-shut-rd-blocking-read-found). It is the end of the stream. */
static void check_own_shut_rd(int domain) {
  sp_stream *p[2];
  char buf[16];
  char *line = NULL;
  size_t cap = 0;
  int64_t start;

  pair_with_timeout(domain, SP_SOCK_DGRAM, p);
  ASSERT_OK(sp_stream_shutdown(p[1], SP_SHUT_RD));
  start = sp_test_now_us();
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
  ASSERT_ERR(sp_stream_gets(p[1], buf, sizeof(buf)), SP_EOF);
  ASSERT_ERR(sp_stream_getline(p[1], &line, &cap), SP_EOF);
  ASSERT_LT(sp_test_now_us() - start, TIMEOUT_US / 2);
  free(line);
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_OK(sp_stream_close(p[1]));
}

TEST(dgram_own_shut_rd_is_eof_not_a_spin) {
  check_own_shut_rd(SP_PF_UNIX);
  check_own_shut_rd(SP_PF_INET);
}

/* A SEQPACKET peer that closes with our data unread makes the kernel
 * report ECONNRESET once, ahead of what it had sent us: feof took that for
 * the end and the queued message was never read
 * (eof-seqpacket-peer-reset-loses-queued-message). */
TEST(seqpacket_eof_after_peer_reset_keeps_queued_message) {
  sp_stream *p[2];
  char msg[1000];
  char got[2000];

  memset(msg, 'm', sizeof(msg));
  pair_with_timeout(SP_PF_UNIX, SP_SOCK_SEQPACKET, p);
  ASSERT_EQ(sp_stream_write(p[1], "unread", 6), 6);
  ASSERT_EQ(sp_stream_write(p[0], msg, sizeof(msg)), (ssize_t)sizeof(msg));
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_EQ(sp_stream_eof(p[1]), 0);
  ASSERT_EQ(sp_stream_read(p[1], got, sizeof(got)), (ssize_t)sizeof(msg));
  ASSERT_MEM_EQ(got, msg, sizeof(msg));
  ASSERT_EQ(sp_stream_eof(p[1]), 1);
  ASSERT_OK(sp_stream_close(p[1]));
}

/* The fault seam's recv says EAGAIN while *ctx counts down. */
static int recv_eagain(void *ctx, sp_call call, size_t *len) {
  int *left = ctx;

  (void)len;
  if (call != SP_CALL_RECV || *left == 0)
    return 0;
  (*left)--;
  return EAGAIN;
}

/* A recv that says EAGAIN after a poll has seen the peer hang up, with
 * bytes still queued: the read took that for the end, and the bytes were
 * never read (eof-stream-eagain-after-hangup-loses-queued-bytes, where a
 * blocking read polled first and recv then said EAGAIN). Here a fresh
 * stream tries first, so it takes two: recv (EAGAIN), poll (ready, hung
 * up), recv (EAGAIN), and the third recv must read the bytes. Only a
 * datagram socket's end is inferred from EAGAIN; byte streams and
 * SEQPACKET get theirs from the kernel. */
static void check_eagain_after_hangup(int type) {
  sp_stream *p[2];
  char got[16];
  int left = 2;

  pair_with_timeout(SP_PF_UNIX, type, p);
  ASSERT_EQ(sp_stream_write(p[0], "data\n", 5), 5);
  ASSERT_OK(sp_stream_close(p[0]));
  sp_fault_set_hook(recv_eagain, &left);
  ASSERT_EQ(sp_stream_read(p[1], got, sizeof(got)), 5);
  sp_fault_set_hook(NULL, NULL);
  ASSERT_EQ(left, 0);
  ASSERT_MEM_EQ(got, "data\n", 5);
  ASSERT_ERR(sp_stream_read(p[1], got, sizeof(got)), SP_EOF);
  ASSERT_OK(sp_stream_close(p[1]));
}

TEST(eagain_after_hangup_keeps_queued_bytes) {
  check_eagain_after_hangup(SP_SOCK_STREAM);
  check_eagain_after_hangup(SP_SOCK_SEQPACKET);
}
