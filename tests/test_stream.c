/*
 * PHP's line rules through real pairs: every cell of stream_util.h
 * (UNIX STREAM, DGRAM, SEQPACKET; emulated TCP and UDP over 127.0.0.1 and
 * ::1).
 */
#include "stream_util.h"

#include <fcntl.h>

TEST(gets_size_rules_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[8] = "junk";

    if (!open_cell(&cells[i], p))
      continue;
    PUT(p[0], "abcdef\n");
    ASSERT_ERR(sp_stream_gets(p[1], buf, 0), SP_EINVAL);
    ASSERT_ERR(sp_stream_gets(p[1], buf, -5), SP_EINVAL);
    ASSERT_EQ(sp_stream_gets(p[1], buf, 1), 0); /* consumes nothing */
    ASSERT_EQ(buf[0], '\0');
    EXPECT_GETS(p[1], 4, "abc"); /* at most size-1 */
    ASSERT_EQ(sp_stream_gets(p[1], buf, 1), 0);
    EXPECT_GETS(p[1], 8, "def\n"); /* the rest stayed buffered */
    close_pair(p);
  }
}

TEST(crlf_cr_and_nul_are_data_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];

    if (!open_cell(&cells[i], p))
      continue;
    PUT(p[0], "a\r\nb\rc\0d\n");
    EXPECT_GETS(p[1], 64, "a\r\n");
    EXPECT_GETS(p[1], 64, "b\rc\0d\n");
    close_pair(p);
  }
}

TEST(lines_in_one_write_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char *line = NULL;
    size_t cap = 0;

    if (!open_cell(&cells[i], p))
      continue;
    PUT(p[0], "one\ntwo\nthree\n");
    EXPECT_GETS(p[1], 64, "one\n");
    ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 4);
    ASSERT_STR_EQ(line, "two\n");
    EXPECT_GETS(p[1], 64, "three\n");
    free(line);
    close_pair(p);
  }
}

TEST(partial_line_nonblocking_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];
    int64_t t0;

    if (!open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_blocking(p[1], 0));
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_gets(p[1], buf, 64), SP_EAGAIN);
    ASSERT_ERR(sp_stream_read(p[1], buf, 64), SP_EAGAIN);
    PUT(p[0], "abc");
    EXPECT_GETS(p[1], 64, "abc"); /* at once, without its "\n" */
    ASSERT_ERR(sp_stream_gets(p[1], buf, 64), SP_EAGAIN);
    ASSERT_LT(elapsed_ms(t0), 1000); /* nothing waited */
    ASSERT_EQ(sp_stream_timed_out(p[1]), 0);
    PUT(p[0], "def\n");
    EXPECT_GETS(p[1], 64, "def\n");
    close_pair(p);
  }
}

TEST(partial_line_at_timeout_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];
    int64_t t0;
    int64_t ms;

    if (!open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_timeout(p[1], 100 * 1000));
    PUT(p[0], "abc");
    t0 = sp_test_now_us();
    EXPECT_GETS(p[1], 64, "abc");
    ms = elapsed_ms(t0);
    ASSERT_GE(ms, 100);
    ASSERT_LT(ms, 2000);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    /* Nothing at all: -ETIMEDOUT, flag still set. */
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_gets(p[1], buf, 64), SP_ETIMEDOUT);
    ASSERT_GE(elapsed_ms(t0), 100);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    /* The next read that brings data clears it. */
    PUT(p[0], "d\n");
    EXPECT_GETS(p[1], 64, "d\n");
    ASSERT_EQ(sp_stream_timed_out(p[1]), 0);
    close_pair(p);
  }
}

TEST(read_timeout_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];
    int64_t t0;
    int64_t ms;

    if (!open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_timeout(p[1], 50 * 1000 + 1)); /* 50.001 ms */
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
    ms = elapsed_ms(t0);
    ASSERT_GE(ms, 50);
    ASSERT_LT(ms, 2000);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    /* 0: poll once, do not wait. */
    ASSERT_OK(sp_stream_set_timeout(p[1], 0));
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
    ASSERT_LT(elapsed_ms(t0), 1000);
    close_pair(p);
  }
}

/* A child writes "hello world\n" a few bytes at a time, pausing between
 * writes, so the reader's gets must assemble the line over many reads. */
static void trickle(void *arg) {
  sp_stream *s = arg;
  static const char *pieces[] = {"he", "llo", " ", "wor", "ld", "\nnext\n"};

  for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
    if (sp_stream_write(s, pieces[i], strlen(pieces[i])) !=
        (ssize_t)strlen(pieces[i]))
      _exit(1);
    usleep(5000);
  }
}

TEST(line_split_across_many_writes_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    pid_t pid;

    if (!open_cell(&cells[i], p))
      continue;
    pid = spawn(trickle, p[0]);
    EXPECT_GETS(p[1], 64, "hello world\n");
    EXPECT_GETS(p[1], 64, "next\n");
    reap(pid);
    close_pair(p);
  }
}

static void big_writer(void *arg) {
  sp_stream *s = arg;
  size_t len = 1024 * 1024 + 1;
  char *buf = malloc(len);

  if (!buf)
    _exit(1);
  for (size_t i = 0; i < len - 1; i++)
    buf[i] = (char)('a' + i % 26);
  buf[len - 1] = '\n';
  if (sp_stream_write(s, buf, len) != (ssize_t)len)
    _exit(1);
  if (sp_stream_write(s, "end\n", 4) != 4)
    _exit(1);
  free(buf);
}

TEST(one_mib_line_stream_cells) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    pid_t pid;

    if (!cells[i].bytestream || !open_cell(&cells[i], p))
      continue;
    pid = spawn(big_writer, p[0]);
    n = sp_stream_getline(p[1], &line, &cap);
    ASSERT_EQ(n, 1024 * 1024 + 1);
    for (size_t k = 0; k < 1024 * 1024; k++)
      if (line[k] != (char)('a' + k % 26))
        SP__FAIL("%s: byte %zu differs", cells[i].name, k);
    ASSERT_EQ(line[n - 1], '\n');
    ASSERT_EQ(line[n], '\0');
    ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 4);
    ASSERT_STR_EQ(line, "end\n");
    reap(pid);
    free(line);
    close_pair(p);
  }
}

TEST(one_mib_line_through_gets) {
  sp_stream *p[2];
  size_t size = 2 * 1024 * 1024;
  char *buf = malloc(size);
  pid_t pid;

  ASSERT(buf);
  ASSERT(open_cell(&cells[0], p));
  pid = spawn(big_writer, p[0]);
  ASSERT_EQ(sp_stream_gets(p[1], buf, (ssize_t)size), 1024 * 1024 + 1);
  EXPECT_GETS(p[1], 64, "end\n");
  reap(pid);
  free(buf);
  close_pair(p);
}

TEST(getline_cap_loses_nothing_every_cell) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char *line = NULL;
    size_t cap = 0;

    if (!open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_line_max(p[1], 8));
    PUT(p[0], "short\nmuch too long\nok\n");
    ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 6);
    ASSERT_ERR(sp_stream_getline(p[1], &line, &cap), SP_ELINEMAX);
    ASSERT_STR_EQ(line, "short\n"); /* untouched */
    EXPECT_GETS(p[1], 64, "much too long\n");
    ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 3);
    ASSERT_STR_EQ(line, "ok\n");
    free(line);
    close_pair(p);
  }
}

TEST(partial_line_at_eof_after_close) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[64];

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    PUT(p[0], "line\nabc");
    ASSERT_OK(sp_stream_close(p[0]));
    EXPECT_GETS(p[1], 64, "line\n");
    ASSERT_EQ(sp_stream_eof(p[1]), 0); /* "abc" is buffered */
    EXPECT_GETS(p[1], 64, "abc");
    ASSERT_EQ(sp_stream_eof(p[1]), 1);
    ASSERT_ERR(sp_stream_gets(p[1], buf, 64), SP_EOF);
    ASSERT_ERR(sp_stream_read(p[1], buf, 64), SP_EOF);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 0);
    ASSERT_OK(sp_stream_close(p[1]));
  }
}

TEST(eof_right_after_peer_close) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[8];
    int64_t t0;
    int eof = 0;

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    ASSERT_EQ(sp_stream_eof(p[1]), 0); /* alive */
    ASSERT_OK(sp_stream_close(p[0]));
    /* TCP: the FIN crosses loopback asynchronously; allow it 2 s. */
    t0 = sp_test_now_us();
    while (!(eof = sp_stream_eof(p[1])) && elapsed_ms(t0) < 2000)
      usleep(1000);
    ASSERT_EQ(eof, 1);
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
    ASSERT_OK(sp_stream_close(p[1]));
  }
}

TEST(eof_after_shutdown_wr) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[8];

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    PUT(p[0], "last\n");
    ASSERT_OK(sp_stream_shutdown(p[0], SP_SHUT_WR));
    EXPECT_GETS(p[1], 64, "last\n");
    ASSERT_ERR(sp_stream_gets(p[1], buf, 8), SP_EOF);
    ASSERT_EQ(sp_stream_eof(p[1]), 1);
    /* The other direction still works. */
    PUT(p[1], "reply\n");
    EXPECT_GETS(p[0], 64, "reply\n");
    /* And our own write side is closed. */
    ASSERT_ERR(sp_stream_write(p[0], "x", 1), SP_EPIPE);
    close_pair(p);
  }
}

TEST(shutdown_rd_ends_own_reads) {
  sp_stream *p[2];
  char buf[8];

  ASSERT(open_cell(&cells[0], p));
  ASSERT_OK(sp_stream_shutdown(p[1], SP_SHUT_RD));
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
  ASSERT_OK(sp_stream_shutdown(p[1], SP_SHUT_RDWR));
  close_pair(p);
}

/* sp_pair's streams know their kind without asking the kernel: each
 * keeps message boundaries exactly where the kernel's socket type does
 * (an AF_UNIX SOCK_RAW pair is a datagram pair), NONBLOCK and CLOEXEC
 * included, as sp_stream_open on the same descriptors would. */
TEST(pair_streams_are_of_the_kernel_type) {
  static const struct {
    int type;
    int boundaries;
  } kinds[] = {{SP_SOCK_STREAM, 0},
               {SP_SOCK_DGRAM, 1},
               {SP_SOCK_SEQPACKET, 1},
               {SP_SOCK_RAW, 1}};

  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    for (int nb = 0; nb < 2; nb++) {
      int flags = nb ? SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC : 0;
      sp_stream *p[2];
      char buf[16];
      int fl;

      ASSERT_OK(sp_pair(SP_PF_UNIX, kinds[i].type | flags, 0, p));
      fl = fcntl(sp_stream_fd(p[1]), F_GETFL);
      ASSERT_EQ((fl & O_NONBLOCK) != 0, nb);
      ASSERT_EQ((fcntl(sp_stream_fd(p[1]), F_GETFD) & FD_CLOEXEC) != 0, nb);
      PUT(p[0], "ab");
      PUT(p[0], "cd");
      ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)),
                kinds[i].boundaries ? 2 : 4);
      close_pair(p);
    }
  }
}

TEST(epipe_on_closed_peer_no_sigpipe) {
  /* SIGPIPE keeps its default action: if it were raised, the test would
   * die. */
  ASSERT(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    ssize_t n = 0;

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_close(p[1]));
    /* TCP accepts a write or two before the peer's RST comes back. */
    for (int k = 0; k < 100 && n >= 0; k++) {
      n = sp_stream_write(p[0], "data\n", 5);
      if (n >= 0)
        usleep(1000);
    }
    if (n != SP_EPIPE && n != SP_ECONNRESET)
      SP__FAIL("%s: write to a closed peer: %s", cells[i].name,
               sp_err_name((int)n));
    if (cells[i].domain == SP_PF_UNIX)
      ASSERT_ERR(n, SP_EPIPE);
    ASSERT_OK(sp_stream_close(p[0]));
  }
}

TEST(four_mib_nonblocking_write_is_partial) {
  size_t len = 4 * 1024 * 1024;
  char *data = malloc(len);
  char *back = malloc(len);

  ASSERT(data && back);
  for (size_t k = 0; k < len; k++)
    data[k] = (char)(k * 7);
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    ssize_t n;
    ssize_t more;
    size_t got = 0;

    if (!cells[i].bytestream || !open_cell(&cells[i], p))
      continue;
    ASSERT_OK(sp_stream_set_blocking(p[0], 0));
    n = sp_stream_write(p[0], data, len);
    ASSERT_GT(n, 0);
    /* A UNIX socket buffer is far smaller. Loopback TCP may take it all:
     * the receiver's buffer autotunes up to tcp_rmem's maximum (32 MiB
     * here) while the softirq drains the sender, sooner under load. */
    if (cells[i].domain == SP_PF_UNIX)
      ASSERT_LT(n, (ssize_t)len);
    /* Full: 0, not an error (TCP may have freed a little meanwhile). */
    more =
        n < (ssize_t)len ? sp_stream_write(p[0], data + n, len - (size_t)n) : 0;
    if (cells[i].domain == SP_PF_UNIX)
      ASSERT_EQ(more, 0);
    ASSERT_GE(more, 0);
    n += more;
    ASSERT_LE(n, (ssize_t)len);
    /* Every byte counted as written arrives, in order. */
    while (got < (size_t)n) {
      ssize_t r = sp_stream_read(p[1], back + got, (size_t)n - got);

      if (r <= 0)
        SP__FAIL("%s: read: %s", cells[i].name, sp_err_name((int)r));
      got += (size_t)r;
    }
    ASSERT_MEM_EQ(back, data, got);
    ASSERT_OK(sp_stream_set_blocking(p[1], 0));
    ASSERT_ERR(sp_stream_read(p[1], back, 1), SP_EAGAIN);
    close_pair(p);
  }
  free(back);
  free(data);
}

static void slow_reader(void *arg) {
  sp_stream *s = arg;
  char *buf = malloc(1 << 16);
  size_t total = 0;

  if (!buf)
    _exit(1);
  usleep(50000);
  while (total < 4 * 1024 * 1024) {
    ssize_t r = sp_stream_read(s, buf, 1 << 16);

    if (r <= 0)
      _exit(1);
    total += (size_t)r;
  }
  free(buf);
}

TEST(four_mib_blocking_write_is_whole) {
  /* Static, not malloc()ed: the forked reader exits holding a copy of the
   * parent's heap, and valgrind's leak check in the child would call a
   * block that only a register pointed to lost. */
  static char data[4 * 1024 * 1024];
  sp_stream *p[2];
  pid_t pid;

  ASSERT(open_cell(&cells[0], p));
  pid = spawn(slow_reader, p[1]);
  ASSERT_EQ(sp_stream_write(p[0], data, sizeof(data)), (ssize_t)sizeof(data));
  reap(pid);
  close_pair(p);
}

TEST(blocking_write_times_out) {
  size_t len = 4 * 1024 * 1024;
  char *data = calloc(1, len);
  sp_stream *p[2];
  ssize_t n;
  int64_t t0;
  int64_t ms;

  ASSERT(data);
  ASSERT(open_cell(&cells[0], p));
  ASSERT_OK(sp_stream_set_timeout(p[0], 100 * 1000));
  t0 = sp_test_now_us();
  n = sp_stream_write(p[0], data, len); /* nobody reads */
  ms = elapsed_ms(t0);
  ASSERT_GT(n, 0);
  ASSERT_LT(n, (ssize_t)len);
  ASSERT_GE(ms, 100);
  ASSERT_LT(ms, 2000);
  /* Full from the start: nothing sent, -ETIMEDOUT. */
  ASSERT_ERR(sp_stream_write(p[0], data, len), SP_ETIMEDOUT);
  free(data);
  close_pair(p);
}
