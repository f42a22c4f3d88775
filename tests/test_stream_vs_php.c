/* betterN_* shows item N of "Better than PHP" in docs/php-semantics.md. */
#include "stream_util.h"

#include "calls.h"

#include <poll.h>

static int is_unix_msg(const cell *c) {
  return c->domain == SP_PF_UNIX && !c->bytestream;
}

static char *pattern(size_t len, unsigned seed) {
  char *buf = malloc(len);

  ASSERT(buf);
  for (size_t i = 0; i < len; i++)
    buf[i] = (char)(i * 31 + seed);
  return buf;
}

/* Sends one datagram of len bytes and reads it back with one read. */
static void whole_datagram(sp_stream *p[2], size_t len, unsigned seed) {
  char *out = pattern(len, seed);
  char *in = malloc(len + 4096);

  ASSERT(in);
  put(p[0], out, len);
  ASSERT_EQ(sp_stream_read(p[1], in, len + 4096), (ssize_t)len);
  ASSERT_MEM_EQ(in, out, len);
  free(in);
  free(out);
}

TEST(better1_big_datagram_whole_unix) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];

    if (!is_unix_msg(&cells[i]) || !open_cell(&cells[i], p))
      continue;
    whole_datagram(p, 20001, 1);  /* PHP returns 8192 and loses 11809 */
    whole_datagram(p, 200000, 2); /* near the 212960 default maximum */
    close_pair(p);
  }
}

TEST(better1_big_datagram_whole_udp) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];

    if (cells[i].protocol != SP_IPPROTO_UDP || !open_cell(&cells[i], p))
      continue;
    whole_datagram(p, 20001, 3);
    /* The largest UDP payload: 65507 over IPv4, 65527 over IPv6. */
    whole_datagram(p, cells[i].max_message, 4);
    close_pair(p);
  }
}

TEST(better1_datagram_boundaries_kept) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char *big = pattern(20001, 5);
    char *in = malloc(40000);
    char *line = NULL;
    size_t cap = 0;

    ASSERT(in);
    if (cells[i].bytestream || !open_cell(&cells[i], p)) {
      free(in);
      free(big);
      continue;
    }
    put(p[0], big, 20001);
    PUT(p[0], "small");
    ASSERT_EQ(sp_stream_read(p[1], in, 40000), 20001);
    ASSERT_MEM_EQ(in, big, 20001);
    ASSERT_EQ(sp_stream_read(p[1], in, 40000), 5);
    ASSERT_MEM_EQ(in, "small", 5);
    /* A read shorter than the datagram keeps the rest, nothing else. */
    PUT(p[0], "0123456789");
    PUT(p[0], "next");
    ASSERT_EQ(sp_stream_read(p[1], in, 4), 4);
    ASSERT_EQ(sp_stream_read(p[1], in, 100), 6);
    ASSERT_MEM_EQ(in, "456789", 6);
    ASSERT_EQ(sp_stream_read(p[1], in, 100), 4);
    /* A 20001-byte line in one datagram. */
    big[20000] = '\n';
    memset(big, 'x', 20000);
    put(p[0], big, 20001);
    ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 20001);
    ASSERT_MEM_EQ(line, big, 20001);
    free(line);
    free(in);
    free(big);
    close_pair(p);
  }
}

TEST(better2_zero_length_datagram_is_a_message) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];

    if (cells[i].bytestream || !open_cell(&cells[i], p))
      continue;
    ASSERT_EQ(sp_stream_write(p[0], NULL, 0), 0); /* an empty datagram */
    PUT(p[0], "more\n");
    ASSERT_EQ(sp_stream_eof(p[1]), 0);
    ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 0);
    EXPECT_GETS(p[1], 64, "more\n"); /* PHP never returns this */
    ASSERT_EQ(sp_stream_write(p[0], "", 0), 0);
    PUT(p[0], "x\n");
    EXPECT_GETS(p[1], 64, ""); /* gets returns the empty message: 0 */
    EXPECT_GETS(p[1], 64, "x\n");
    ASSERT_EQ(sp_stream_eof(p[1]), 0);
    close_pair(p);
  }
}

TEST(better2_seqpacket_empty_message_then_close) {
  sp_stream *p[2];
  char buf[8];

  ASSERT(open_cell(&cells[2], p));
  ASSERT_EQ(sp_stream_write(p[0], NULL, 0), 0);
  PUT(p[0], "x");
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 0); /* the message */
  ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 1);
  ASSERT_EQ(sp_stream_eof(p[1]), 1); /* then the close */
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
  ASSERT_OK(sp_stream_close(p[1]));
}

TEST(better3_read_returns_buffered_bytes_at_once) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[100];
    int64_t t0;

    if (!open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_timeout(p[1], 2 * 1000000)); /* PHP waits 2 s */
    PUT(p[0], "hello\nworld");
    EXPECT_GETS(p[1], 64, "hello\n");
    t0 = sp_test_now_us();
    ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 5);
    ASSERT_LT(elapsed_ms(t0), 500);
    ASSERT_MEM_EQ(buf, "world", 5);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 0);
    close_pair(p);
  }
}

/* The test's own poll (not counted: it is not the library's). */
static void wait_readable(sp_stream *s) {
  struct pollfd pfd = {.fd = sp_stream_fd(s), .events = POLLIN};

  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
}

TEST(better4_one_recv_per_read_when_ready) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char *data = pattern(10000, 6);
    char buf[100];
    sp_test_calls c;

    if (!cells[i].bytestream || !open_cell(&cells[i], p)) {
      free(data);
      continue;
    }
    put(p[0], data, 10000);
    wait_readable(p[1]);
    sp_test_calls_start(&c);
    ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), sizeof(buf));
    sp_test_calls_stop();
    ASSERT_MEM_EQ(buf, data, sizeof(buf));
    /* One recv of a whole chunk (>= 64 KiB), no poll. PHP: poll + 8 KiB
     * recv. */
    ASSERT_EQ(c.calls[SP_CALL_RECV], 1);
    ASSERT_EQ(c.calls[SP_CALL_POLL], 0);
    ASSERT_GE(c.recv_len, 64 * 1024);
    /* The next read is served from the buffer: no syscall at all. */
    sp_test_calls_start(&c);
    ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), sizeof(buf));
    sp_test_calls_stop();
    ASSERT_MEM_EQ(buf, data + 100, sizeof(buf));
    ASSERT_EQ(c.calls[SP_CALL_RECV] + c.calls[SP_CALL_POLL], 0);
    free(data);
    close_pair(p);
  }
}

TEST(better4_gets_one_recv_for_many_lines) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    sp_test_calls c;

    if (!open_cell(&cells[i], p))
      continue;
    PUT(p[0], "line one\nline two\n");
    wait_readable(p[1]);
    sp_test_calls_start(&c);
    EXPECT_GETS(p[1], 64, "line one\n");
    EXPECT_GETS(p[1], 64, "line two\n"); /* buffered: no syscall */
    sp_test_calls_stop();
    ASSERT_EQ(c.calls[SP_CALL_POLL], 0);
    /* UNIX datagrams: the size (MSG_PEEK|MSG_TRUNC), then the message;
     * UDP needs no size (65535 at most): one recv. */
    ASSERT_EQ(c.calls[SP_CALL_RECV], is_unix_msg(&cells[i]) ? 2 : 1);
    close_pair(p);
  }
}

TEST(better4_chunk_size_is_settable) {
  sp_stream *p[2];
  char buf[100];
  sp_test_calls c;

  ASSERT(open_cell(&cells[0], p));
  ASSERT_ERR(sp_stream_set_chunk_size(p[1], 0), SP_EINVAL);
  ASSERT_OK(sp_stream_set_chunk_size(p[1], 4096));
  PUT(p[0], "abc\n");
  sp_test_calls_start(&c);
  EXPECT_GETS(p[1], 64, "abc\n");
  sp_test_calls_stop();
  ASSERT_EQ(c.recv_len, 4096);
  /* A read of at least a chunk goes straight into the caller's buffer. */
  ASSERT_OK(sp_stream_set_chunk_size(p[1], 50));
  PUT(p[0], "0123456789");
  sp_test_calls_start(&c);
  ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 10);
  sp_test_calls_stop();
  ASSERT_EQ(c.recv_len, sizeof(buf));
  ASSERT_EQ(c.calls[SP_CALL_RECV], 1);
  close_pair(p);
}

static void late_writer(void *arg) {
  usleep(50000);
  if (sp_stream_write(arg, "late\n", 5) != 5)
    _exit(1);
}

TEST(better4_poll_only_on_eagain) {
  sp_stream *p[2];
  sp_test_calls c;
  pid_t pid;

  ASSERT(open_cell(&cells[0], p));
  pid = spawn(late_writer, p[0]);
  sp_test_calls_start(&c);
  EXPECT_GETS(p[1], 64, "late\n");
  sp_test_calls_stop();
  /* recv (EAGAIN), poll (wakes on the data), recv. */
  ASSERT_EQ(c.calls[SP_CALL_RECV], 2);
  ASSERT_EQ(c.calls[SP_CALL_POLL], 1);
  reap(pid);
  close_pair(p);
}

TEST(better5_dgram_peer_close_is_bounded_by_timeout) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];
    int64_t t0;
    int64_t ms;

    if (cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_timeout(p[1], 150 * 1000));
    ASSERT_OK(sp_stream_close(p[0]));
    ASSERT_EQ(sp_stream_eof(p[1]), 0); /* the kernel says nothing */
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_gets(p[1], buf, 64), SP_ETIMEDOUT);
    ms = elapsed_ms(t0);
    ASSERT_GE(ms, 150);
    ASSERT_LT(ms, 2000);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    if (cells[i].domain == SP_PF_UNIX) /* a send does tell */
      ASSERT_ERR(sp_stream_write(p[1], "x", 1), SP_ECONNREFUSED);
    ASSERT_OK(sp_stream_close(p[1]));
  }
}
