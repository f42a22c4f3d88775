/*
 * How a stream waits once it has had to: a socket waits inside recv()
 * (bounded by SO_RCVTIMEO), a datagram socket inside its size query, a
 * UNIX byte stream that has sent since its last read and a pipe poll
 * first; sends wait inside send() (SO_SNDTIMEO); pipe writes skip the
 * signal mask when SIGPIPE is ignored. Counted through the fault seam; every
 * rule still holds: timeouts neither early nor unbounded (EINTR included), EOF
 * and an empty message told apart, the caller's SO_RCVTIMEO given back.
 */
#include "stream_util.h"

#include "calls.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

/* The peer writes "late\n" (one message) after 50 ms. */
static void late_line(void *arg) {
  int fd = *(int *)arg;

  usleep(50000);
  if (send(fd, "late\n", 5, MSG_NOSIGNAL) != 5)
    _exit(1);
}

/* Reads "late\n" that the peer fd sends while the stream waits. */
static void read_late(sp_stream *s, int peer_fd) {
  pid_t pid = spawn(late_line, &peer_fd);

  EXPECT_GETS(s, 64, "late\n");
  reap(pid);
}

/* A read that times out: the stream has had to wait (however loaded the
 * machine is). Then the test's timeout again. */
static void learn_to_wait(sp_stream *s) {
  char buf[8];

  ASSERT_OK(sp_stream_set_timeout(s, 10 * 1000));
  ASSERT_ERR(sp_stream_read(s, buf, sizeof(buf)), SP_ETIMEDOUT);
  ASSERT_OK(sp_stream_set_timeout(s, TEST_TIMEOUT_US));
}

TEST(socket_waits_in_recv_after_first_wait) {
  for (int i = 0; i < NCELLS; i++) {
    int unix_stream = cells[i].domain == SP_PF_UNIX && cells[i].bytestream;
    sp_stream *p[2];
    sp_test_calls c;

    if (!open_cell(&cells[i], p))
      continue;
    learn_to_wait(p[1]);
    sp_test_calls_start(&c);
    read_late(p[1], sp_stream_fd(p[0]));
    sp_test_calls_stop();
    /* One recv that waits (a datagram's size query), then the datagram;
     * no poll, SO_RCVTIMEO set once. */
    ASSERT_EQ(c.calls[SP_CALL_POLL], 0);
    ASSERT_EQ(c.calls[SP_CALL_RECV_WAIT], 1);
    ASSERT_EQ(c.calls[SP_CALL_RECV], cells[i].bytestream ? 0 : 1);
    ASSERT_EQ(c.calls[SP_CALL_SETSOCKOPT], 1);
    /* The next read sets nothing. */
    sp_test_calls_start(&c);
    read_late(p[1], sp_stream_fd(p[0]));
    sp_test_calls_stop();
    ASSERT_EQ(c.calls[SP_CALL_SETSOCKOPT] + c.calls[SP_CALL_POLL], 0);
    if (unix_stream) {
      /* Having sent, it polls first: the peer's reading what we sent
       * would wake a recv for nothing. */
      PUT(p[1], "sent\n");
      sp_test_calls_start(&c);
      read_late(p[1], sp_stream_fd(p[0]));
      sp_test_calls_stop();
      ASSERT_EQ(c.calls[SP_CALL_POLL], 1);
      ASSERT_EQ(c.calls[SP_CALL_RECV], 1);
      ASSERT_EQ(c.calls[SP_CALL_RECV_WAIT], 0);
    }
    close_pair(p);
  }
}

/* A wait shorter than the kernel's timer can keep (a socket timeout is
 * rounded up to whole jiffies) is never a recv asleep: a 250 us timeout is
 * never early and sets no SO_RCVTIMEO (it polls, unless a slow machine
 * used up the 250 us before the poll). A stream that has waited and has
 * 100 ms or more still sleeps in recv(). */
TEST(short_timeout_polls_long_one_waits_in_kernel) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    sp_test_calls c;
    char buf[16];
    int64_t t0;

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    learn_to_wait(p[1]);
    ASSERT_OK(sp_stream_set_timeout(p[1], 250));
    sp_test_calls_start(&c);
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
    ASSERT_GE(sp_test_now_us() - t0, 250);
    sp_test_calls_stop();
    ASSERT_EQ(c.calls[SP_CALL_RECV_WAIT], 0);
    ASSERT_EQ(c.calls[SP_CALL_SETSOCKOPT], 0);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    ASSERT_OK(sp_stream_set_timeout(p[1], 100 * 1000));
    sp_test_calls_start(&c);
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
    sp_test_calls_stop();
    ASSERT_GE(c.calls[SP_CALL_RECV_WAIT], 1);
    close_pair(p);
  }
}

/* The reader: waits 50 ms (the writer finds the buffer full), then reads
 * until EOF and checks the count. */
struct slow_reader {
  int fd;       /* the end it reads */
  int other;    /* the writer's end: closed in the child */
  size_t total; /* bytes it must see */
};

static void slow_read(void *arg) {
  struct slow_reader *r = arg;
  static char buf[64 * 1024];
  size_t got = 0;
  ssize_t n;

  close(r->other);
  usleep(50000);
  while ((n = read(r->fd, buf, sizeof(buf))) > 0)
    got += (size_t)n;
  if (n < 0 || got != r->total)
    _exit(1);
}

TEST(socket_send_waits_in_send_after_first_wait) {
  /* Static, not malloc()ed: the forked reader exits holding a copy of the
   * parent's heap, and valgrind's leak check in the child would call a
   * block that only a register pointed to lost. */
  static char data[1024 * 1024];
  size_t len = sizeof(data);
  struct slow_reader r;
  sp_stream *p[2];
  sp_test_calls c;
  pid_t pid;

  ASSERT(open_cell(&cells[0], p)); /* unix-stream */
  r = (struct slow_reader){sp_stream_fd(p[1]), sp_stream_fd(p[0]), 2 * len};
  pid = spawn(slow_read, &r);
  ASSERT_EQ(sp_stream_write(p[0], data, len), (ssize_t)len); /* learns */
  sp_test_calls_start(&c);
  ASSERT_EQ(sp_stream_write(p[0], data, len), (ssize_t)len);
  sp_test_calls_stop();
  /* Every send waits in the kernel (SO_SNDTIMEO set once): no poll, no
   * send that says EAGAIN. */
  ASSERT_EQ(c.calls[SP_CALL_POLL] + c.calls[SP_CALL_SEND], 0);
  ASSERT_GE(c.calls[SP_CALL_SEND_WAIT], 1);
  ASSERT_LE(c.calls[SP_CALL_SETSOCKOPT], 1);
  ASSERT_OK(sp_stream_close(p[0]));
  reap(pid);
  ASSERT_OK(sp_stream_close(p[1]));
}

/* A caller's descriptor: SO_RCVTIMEO is the stream's while it waits in
 * recv(), and the caller's again after close (seen through a dup). */
TEST(caller_rcvtimeo_given_back_at_close) {
  struct timeval mine = {7, 250000};
  struct timeval had; /* as the kernel keeps it (in jiffies) */
  struct timeval got;
  socklen_t len = sizeof(got);
  sp_stream *s;
  int fds[2];
  int dup_fd;

  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &mine, sizeof(mine)),
            0);
  ASSERT_EQ(getsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &had, &len), 0);
  dup_fd = dup(fds[1]);
  ASSERT(dup_fd >= 0);
  ASSERT_OK(sp_stream_open(fds[1], &s));
  ASSERT_OK(sp_stream_set_timeout(s, TEST_TIMEOUT_US));
  learn_to_wait(s);
  read_late(s, fds[0]); /* in recv(), bounded by the stream's timeout */
  ASSERT_EQ(getsockopt(dup_fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  ASSERT_GE(got.tv_sec, TEST_TIMEOUT_US / 1000000);
  ASSERT_OK(sp_stream_close(s));
  ASSERT_EQ(getsockopt(dup_fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  ASSERT_EQ(got.tv_sec, had.tv_sec);
  ASSERT_EQ(got.tv_usec, had.tv_usec);
  close(dup_fd);
  close(fds[0]);
}

static void on_alarm(int sig) {
  (void)sig;
}

/* A signal every 10 ms, handler without SA_RESTART: each interrupts the
 * wait in recv(); the timeout stays the one asked, re-armed with what is
 * left (never restarted whole, never cut short). */
TEST(kernel_wait_timeout_holds_under_signals) {
  struct sigaction sa;
  struct sigaction old;
  struct itimerval tick = {{0, 10000}, {0, 10000}};
  struct itimerval off = {{0, 0}, {0, 0}};

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[16];
    int64_t t0;
    int64_t ms;

    if (!cells[i].close_visible || !open_cell(&cells[i], p))
      continue;
    learn_to_wait(p[1]);
    ASSERT_OK(sp_stream_set_timeout(p[1], 300 * 1000));
    ASSERT_EQ(setitimer(ITIMER_REAL, &tick, NULL), 0);
    t0 = sp_test_now_us();
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
    ms = elapsed_ms(t0);
    ASSERT_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    ASSERT_GE(ms, 300);
    ASSERT_LT(ms, 2000);
    ASSERT_EQ(sp_stream_timed_out(p[1]), 1);
    close_pair(p);
  }
  ASSERT_EQ(sigaction(SIGALRM, &old, NULL), 0);
}

/* Waiting in recv() must still tell the end of the stream from an empty
 * message: the peer's close (STREAM, SEQPACKET), our own shutdown of the
 * read side (DGRAM, where recv() gives 0 for both). */
TEST(kernel_wait_tells_eof_from_empty_message) {
  for (int i = 0; i < NCELLS; i++) {
    sp_stream *p[2];
    char buf[16];

    if (cells[i].domain != SP_PF_UNIX || !open_cell(&cells[i], p))
      continue;
    learn_to_wait(p[1]);
    if (!cells[i].bytestream) {
      put(p[0], "", 0); /* an empty message, then the end */
      ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 0);
    }
    if (cells[i].close_visible)
      ASSERT_OK(sp_stream_shutdown(p[0], SP_SHUT_WR));
    else
      ASSERT_OK(sp_stream_shutdown(p[1], SP_SHUT_RD));
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
    ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_EOF);
    close_pair(p);
  }
}

/* ---- pipes ------------------------------------------------------------ */

static void open_pipe(sp_stream *p[2]) {
  int fds[2];

  ASSERT_EQ(pipe(fds), 0);
  ASSERT_OK(sp_stream_open(fds[0], &p[0]));
  ASSERT_OK(sp_stream_open(fds[1], &p[1]));
  ASSERT_OK(sp_stream_set_timeout(p[0], TEST_TIMEOUT_US));
}

static void late_pipe_line(void *arg) {
  usleep(50000);
  if (write(*(int *)arg, "late\n", 5) != 5)
    _exit(1);
}

TEST(pipe_polls_first_after_a_wait) {
  sp_stream *p[2];
  sp_test_calls c;
  int wfd;
  pid_t pid;

  open_pipe(p);
  wfd = sp_stream_fd(p[1]);
  learn_to_wait(p[0]);
  pid = spawn(late_pipe_line, &wfd);
  sp_test_calls_start(&c);
  EXPECT_GETS(p[0], 64, "late\n");
  sp_test_calls_stop();
  reap(pid);
  ASSERT_EQ(c.calls[SP_CALL_POLL], 1);
  ASSERT_EQ(c.calls[SP_CALL_READ], 1);
  close_pair(p);
}

TEST(pipe_write_skips_mask_when_sigpipe_ignored) {
  struct sigaction ign;
  struct sigaction old;
  sigset_t set;
  sigset_t pending;
  sp_stream *p[2];
  sp_test_calls c;

  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGPIPE, &ign, &old), 0);
  open_pipe(p);
  sp_test_calls_start(&c);
  PUT(p[1], "a\n");
  PUT(p[1], "b\n");
  sp_test_calls_stop();
  /* Asked before each write, as it may change at any time. */
  ASSERT_EQ(c.calls[SP_CALL_SIGACTION], 2);
  ASSERT_EQ(c.calls[SP_CALL_WRITE], 2);
  /* Ignored and blocked: the SIGPIPE the write queued is not left
   * pending. */
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_ERR(sp_stream_write(p[1], "x", 1), SP_EPIPE);
  ASSERT_EQ(sigpending(&pending), 0);
  ASSERT(!sigismember(&pending, SIGPIPE));
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
  /* Back to the default, which kills: seen at the next write, which
   * raises nothing. */
  ASSERT_EQ(sigaction(SIGPIPE, &old, NULL), 0);
  ASSERT(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  ASSERT_ERR(sp_stream_write(p[1], "y", 1), SP_EPIPE);
  ASSERT_OK(sp_stream_close(p[1]));
}

TEST(pipe_write_asks_now_and_then_when_not_ignored) {
  sp_stream *p[2];
  sp_test_calls c;
  char buf[8];

  ASSERT(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  open_pipe(p);
  sp_test_calls_start(&c);
  for (int i = 0; i < 64; i++) {
    PUT(p[1], "z");
    ASSERT_EQ(sp_stream_read(p[0], buf, sizeof(buf)), 1);
  }
  sp_test_calls_stop();
  ASSERT_EQ(c.calls[SP_CALL_SIGACTION], 1);
  ASSERT_EQ(c.calls[SP_CALL_WRITE], 64);
  close_pair(p);
}
