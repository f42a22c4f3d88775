/*
 * The stream API's edges: misuse of every call, streams over pipes (no
 * MSG_NOSIGNAL there), and failure paths through the fault seam.
 */
#include "stream_util.h"

#include "fault.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <time.h>

TEST(misuse_every_call) {
  sp_stream *p[2];
  sp_stream *s = NULL;
  char buf[8];
  char *line = NULL;
  size_t cap = 0;
  int fds[2];

  ASSERT_ERR(sp_stream_open(0, NULL), SP_EINVAL);
  ASSERT_ERR(sp_stream_open(-1, &s), SP_EBADF);
  ASSERT(pipe(fds) == 0);
  ASSERT(close(fds[1]) == 0);
  ASSERT(close(fds[0]) == 0);
  ASSERT_ERR(sp_stream_open(fds[0], &s), SP_EBADF); /* a closed number */
  ASSERT(s == NULL);
  ASSERT_ERR(sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, 0, NULL), SP_EINVAL);
  ASSERT_ERR(sp_pair(99, SP_SOCK_STREAM, 0, p), SP_EAFNOSUPPORT);
  ASSERT_LT(sp_pair(SP_PF_INET, SP_SOCK_SEQPACKET, 0, p), 0);

  ASSERT_ERR(sp_stream_write(NULL, "x", 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_read(NULL, buf, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_gets(NULL, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp_stream_getline(NULL, &line, &cap), SP_EINVAL);
  ASSERT_ERR(sp_stream_eof(NULL), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_blocking(NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_timeout(NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_timed_out(NULL), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_line_max(NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_chunk_size(NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_shutdown(NULL, SP_SHUT_WR), SP_EINVAL);
  ASSERT_ERR(sp_stream_fd(NULL), SP_EINVAL);
  ASSERT_OK(sp_stream_close(NULL));

  ASSERT(open_cell(&cells[0], p));
  ASSERT_ERR(sp_stream_write(p[0], NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_write(p[0], buf, (size_t)SSIZE_MAX + 1), SP_EINVAL);
  ASSERT_EQ(sp_stream_write(p[0], NULL, 0), 0); /* stream: nothing sent */
  ASSERT_ERR(sp_stream_read(p[1], NULL, 1), SP_EINVAL);
  ASSERT_ERR(sp_stream_read(p[1], buf, 0), SP_EINVAL);
  ASSERT_ERR(sp_stream_gets(p[1], NULL, 8), SP_EINVAL);
  ASSERT_ERR(sp_stream_gets(p[1], buf, 0), SP_EINVAL);
  ASSERT_ERR(sp_stream_getline(p[1], NULL, &cap), SP_EINVAL);
  ASSERT_ERR(sp_stream_getline(p[1], &line, NULL), SP_EINVAL);
  ASSERT_ERR(sp_stream_shutdown(p[1], -1), SP_EINVAL);
  ASSERT_ERR(sp_stream_shutdown(p[1], 3), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_chunk_size(p[1], 0), SP_EINVAL);
  ASSERT_ERR(sp_stream_set_chunk_size(p[1], SIZE_MAX), SP_EINVAL);
  ASSERT_GE(sp_stream_fd(p[1]), 0);
  /* After all that the pair still works. */
  PUT(p[0], "ok\n");
  EXPECT_GETS(p[1], 8, "ok\n");
  close_pair(p);
}

TEST(getline_reuses_the_callers_buffer) {
  sp_stream *p[2];
  size_t cap = 4;
  char *line = malloc(cap);

  ASSERT(line);
  ASSERT(open_cell(&cells[0], p));
  PUT(p[0], "ab\nlonger line\n");
  ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 3);
  ASSERT_EQ(cap, 4u); /* fitted */
  ASSERT_EQ(sp_stream_getline(p[1], &line, &cap), 12);
  ASSERT_GE(cap, 13u);
  ASSERT_STR_EQ(line, "longer line\n");
  free(line);
  close_pair(p);
}

TEST(blocking_mode_and_fd) {
  sp_stream *p[2];
  int fd;

  ASSERT_OK(sp_pair(SP_PF_UNIX, SP_SOCK_STREAM | SP_SOCK_NONBLOCK, 0, p));
  fd = sp_stream_fd(p[0]);
  ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK); /* read from the fd */
  ASSERT_OK(sp_stream_set_blocking(p[0], 1));
  ASSERT(!(fcntl(fd, F_GETFL) & O_NONBLOCK)); /* and written back */
  ASSERT_OK(sp_stream_set_blocking(p[0], 0));
  ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK);
  close_pair(p);
}

TEST(eof_never_waits) {
  sp_stream *p[2];
  int64_t t0;

  ASSERT_OK(sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, 0, p)); /* 60 s timeout */
  t0 = sp_test_now_us();
  ASSERT_EQ(sp_stream_eof(p[1]), 0);
  ASSERT_LT(elapsed_ms(t0), 500);
  close_pair(p);
}

static void late_writer(void *arg) {
  usleep(50000);
  if (sp_stream_write(arg, "late\n", 5) != 5)
    _exit(1);
}

TEST(no_timeout_means_wait_for_data) {
  sp_stream *p[2];
  char buf[8];
  pid_t pid;

  ASSERT(open_cell(&cells[0], p));
  ASSERT_OK(sp_stream_set_timeout(p[1], -1));
  PUT(p[0], "now");
  ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 3);
  pid = spawn(late_writer, p[0]);
  EXPECT_GETS(p[1], 64, "late\n"); /* waits, however long */
  reap(pid);
  ASSERT_OK(sp_stream_set_timeout(p[1], INT64_MAX)); /* also "none" */
  pid = spawn(late_writer, p[0]);
  EXPECT_GETS(p[1], 64, "late\n");
  reap(pid);
  ASSERT_EQ(sp_stream_timed_out(p[1]), 0);
  close_pair(p);
}

/* ---- pipes ----------------------------------------------------------- */

static void open_pipe(sp_stream *p[2]) {
  int fds[2];

  ASSERT(pipe2(fds, O_CLOEXEC) == 0);
  ASSERT_OK(sp_stream_open(fds[0], &p[0])); /* read end */
  ASSERT_OK(sp_stream_open(fds[1], &p[1])); /* write end */
  ASSERT_OK(sp_stream_set_timeout(p[0], TEST_TIMEOUT_US));
  ASSERT_OK(sp_stream_set_timeout(p[1], TEST_TIMEOUT_US));
}

TEST(pipe_made_nonblocking_and_restored) {
  int fds[2];
  int dup_fd;
  sp_stream *s;

  ASSERT(pipe2(fds, O_CLOEXEC) == 0);
  dup_fd = dup(fds[0]); /* shares the open file description */
  ASSERT(dup_fd >= 0);
  ASSERT_OK(sp_stream_open(fds[0], &s));
  ASSERT(fcntl(dup_fd, F_GETFL) & O_NONBLOCK);
  ASSERT_OK(sp_stream_set_blocking(s, 0));
  ASSERT_OK(sp_stream_set_blocking(s, 1));
  ASSERT(fcntl(dup_fd, F_GETFL) & O_NONBLOCK); /* a pipe stays so */
  ASSERT_OK(sp_stream_close(s));
  ASSERT(!(fcntl(dup_fd, F_GETFL) & O_NONBLOCK)); /* given back */
  /* Already non-blocking: left alone. */
  ASSERT(fcntl(dup_fd, F_SETFL, O_NONBLOCK) == 0);
  fds[0] = dup(dup_fd);
  ASSERT_OK(sp_stream_open(fds[0], &s));
  ASSERT_OK(sp_stream_close(s));
  ASSERT(fcntl(dup_fd, F_GETFL) & O_NONBLOCK);
  ASSERT(close(dup_fd) == 0);
  ASSERT(close(fds[1]) == 0);
}

TEST(pipe_lines_and_eof) {
  sp_stream *p[2];
  char buf[64];

  open_pipe(p);
  PUT(p[1], "one\r\ntwo\0x\nthree");
  EXPECT_GETS(p[0], 64, "one\r\n");
  EXPECT_GETS(p[0], 4, "two");
  EXPECT_GETS(p[0], 64, "\0x\n");
  ASSERT_EQ(sp_stream_eof(p[0]), 0);
  ASSERT_OK(sp_stream_close(p[1]));
  EXPECT_GETS(p[0], 64, "three"); /* partial line at EOF */
  ASSERT_EQ(sp_stream_eof(p[0]), 1);
  ASSERT_ERR(sp_stream_gets(p[0], buf, 64), SP_EOF);
  ASSERT_ERR(sp_stream_shutdown(p[0], SP_SHUT_RD), SP_EOPNOTSUPP);
  ASSERT_OK(sp_stream_close(p[0]));
}

TEST(pipe_eof_query_after_writer_closes) {
  sp_stream *p[2];

  open_pipe(p);
  ASSERT_EQ(sp_stream_eof(p[0]), 0);
  ASSERT_OK(sp_stream_close(p[1]));
  ASSERT_EQ(sp_stream_eof(p[0]), 1);
  ASSERT_OK(sp_stream_close(p[0]));
}

TEST(pipe_timeout_and_nonblocking) {
  sp_stream *p[2];
  char buf[8];
  int64_t t0;
  int64_t ms;

  open_pipe(p);
  ASSERT_OK(sp_stream_set_timeout(p[0], 100 * 1000));
  PUT(p[1], "abc");
  t0 = sp_test_now_us();
  EXPECT_GETS(p[0], 8, "abc"); /* partial line at the timeout */
  ms = elapsed_ms(t0);
  ASSERT_GE(ms, 100);
  ASSERT_LT(ms, 2000);
  ASSERT_EQ(sp_stream_timed_out(p[0]), 1);
  ASSERT_OK(sp_stream_set_blocking(p[0], 0));
  t0 = sp_test_now_us();
  ASSERT_ERR(sp_stream_read(p[0], buf, sizeof(buf)), SP_EAGAIN);
  ASSERT_LT(elapsed_ms(t0), 500);
  PUT(p[1], "d\n");
  EXPECT_GETS(p[0], 8, "d\n");
  ASSERT_EQ(sp_stream_timed_out(p[0]), 0);
  close_pair(p);
}

TEST(pipe_nonblocking_write_is_partial) {
  sp_stream *p[2];
  size_t len = 4 * 1024 * 1024;
  char *data = calloc(1, len);
  ssize_t n;

  ASSERT(data);
  open_pipe(p);
  ASSERT_OK(sp_stream_set_blocking(p[1], 0));
  n = sp_stream_write(p[1], data, len);
  ASSERT_GT(n, 0);
  ASSERT_LT(n, (ssize_t)len);
  ASSERT_EQ(sp_stream_write(p[1], data, len), 0);
  ASSERT_OK(sp_stream_set_blocking(p[1], 1));
  ASSERT_OK(sp_stream_set_timeout(p[1], 50 * 1000));
  ASSERT_ERR(sp_stream_write(p[1], data, len), SP_ETIMEDOUT);
  free(data);
  close_pair(p);
}

static int sigpipe_pending(void) {
  sigset_t set;

  ASSERT(sigpending(&set) == 0);
  return sigismember(&set, SIGPIPE);
}

TEST(pipe_epipe_without_sigpipe) {
  sp_stream *p[2];
  sigset_t set;
  sigset_t mask;

  ASSERT(signal(SIGPIPE, SIG_DFL) != SIG_ERR); /* it would kill us */
  open_pipe(p);
  ASSERT_OK(sp_stream_close(p[0]));
  ASSERT_ERR(sp_stream_write(p[1], "x", 1), SP_EPIPE);
  ASSERT_ERR(sp_stream_write(p[1], "y", 1), SP_EPIPE);
  ASSERT(!sigpipe_pending());
  /* The caller's mask is restored. */
  ASSERT(pthread_sigmask(SIG_SETMASK, NULL, &mask) == 0);
  ASSERT(!sigismember(&mask, SIGPIPE));

  /* A SIGPIPE the application had pending (blocked) is not eaten. */
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  ASSERT(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
  ASSERT(raise(SIGPIPE) == 0);
  ASSERT(sigpipe_pending());
  ASSERT_ERR(sp_stream_write(p[1], "z", 1), SP_EPIPE);
  ASSERT(sigpipe_pending());
  ASSERT(pthread_sigmask(SIG_SETMASK, NULL, &mask) == 0);
  ASSERT(sigismember(&mask, SIGPIPE)); /* still blocked, as it was */
  {
    struct timespec zero = {0, 0};

    ASSERT_EQ(sigtimedwait(&set, NULL, &zero), SIGPIPE);
  }
  ASSERT(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0);
  ASSERT_OK(sp_stream_close(p[1]));
}

/* ---- failure paths through the fault seam ---------------------------- */

typedef struct inject {
  sp_call call;
  int nth; /* fail the nth such call (1-based); 0 = every one */
  int err;
  int seen;
} inject;

static int inject_hook(void *ctx, sp_call call, size_t *len) {
  inject *in = ctx;

  (void)len;
  if (call != in->call)
    return 0;
  in->seen++;
  if (in->nth == 0 || in->seen == in->nth)
    return in->err;
  return 0;
}

static void inject_on(inject *in, sp_call call, int nth, int err) {
  *in = (inject){call, nth, err, 0};
  sp_fault_set_hook(inject_hook, in);
}

static void inject_off(void) {
  sp_fault_set_hook(NULL, NULL);
}

TEST(open_failure_leaves_fd_untouched) {
  int fds[2];
  sp_stream *s = NULL;
  inject in;

  ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  inject_on(&in, SP_CALL_MALLOC, 0, ENOMEM);
  ASSERT_ERR(sp_stream_open(fds[0], &s), SP_ENOMEM);
  inject_off();
  inject_on(&in, SP_CALL_GETSOCKOPT, 0, EIO);
  ASSERT_ERR(sp_stream_open(fds[0], &s), SP_EIO);
  inject_off();
  inject_on(&in, SP_CALL_FCNTL, 0, EIO);
  ASSERT_ERR(sp_stream_open(fds[0], &s), SP_EIO);
  inject_off();
  ASSERT(s == NULL);
  ASSERT(fcntl(fds[0], F_GETFD) >= 0); /* still open */
  ASSERT(close(fds[0]) == 0);
  ASSERT(close(fds[1]) == 0);
  /* A pipe: making it O_NONBLOCK fails (F_GETFL, F_GETFL, F_SETFL). */
  ASSERT(pipe(fds) == 0);
  inject_on(&in, SP_CALL_FCNTL, 3, EIO);
  ASSERT_ERR(sp_stream_open(fds[0], &s), SP_EIO);
  inject_off();
  ASSERT(s == NULL);
  ASSERT(!(fcntl(fds[0], F_GETFL) & O_NONBLOCK)); /* untouched */
  ASSERT(close(fds[0]) == 0);
  ASSERT(close(fds[1]) == 0);
}

TEST(pair_failure_leaks_nothing) {
  sp_stream *p[2] = {NULL, NULL};
  inject in;

  for (int nth = 1; nth <= 2; nth++) {
    inject_on(&in, SP_CALL_MALLOC, nth, ENOMEM);
    ASSERT_ERR(sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, 0, p), SP_ENOMEM);
    inject_off();
    ASSERT(p[0] == NULL && p[1] == NULL); /* written only on success */
  }
  inject_on(&in, SP_CALL_MALLOC, 2, ENOMEM);
  ASSERT_ERR(sp_pair(SP_PF_INET, SP_SOCK_STREAM, 0, p), SP_ENOMEM);
  inject_off();
  inject_on(&in, SP_CALL_SOCKETPAIR, 0, EMFILE);
  ASSERT_ERR(sp_pair(SP_PF_UNIX, SP_SOCK_DGRAM, 0, p), SP_EMFILE);
  inject_off();
  /* The runner checks that no descriptor is left open. */
}

TEST(eintr_is_retried) {
  sp_stream *p[2];
  inject in;
  char buf[8];

  ASSERT(open_cell(&cells[0], p));
  inject_on(&in, SP_CALL_SEND, 1, EINTR);
  PUT(p[0], "a\n");
  inject_off();
  ASSERT_EQ(in.seen, 2);
  inject_on(&in, SP_CALL_RECV, 1, EINTR);
  EXPECT_GETS(p[1], 8, "a\n");
  inject_off();
  ASSERT_EQ(in.seen, 2);
  /* poll interrupted while waiting: retried with the time left. */
  ASSERT_OK(sp_stream_set_timeout(p[1], 50 * 1000));
  inject_on(&in, SP_CALL_POLL, 1, EINTR);
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
  inject_off();
  ASSERT_EQ(in.seen, 2);
  close_pair(p);
}

TEST(io_errors_are_reported_then_the_stream_goes_on) {
  sp_stream *p[2];
  inject in;
  char buf[8];

  ASSERT(open_cell(&cells[0], p));
  PUT(p[0], "x\n");
  inject_on(&in, SP_CALL_RECV, 0, ECONNRESET);
  ASSERT_ERR(sp_stream_gets(p[1], buf, 8), SP_ECONNRESET);
  inject_off();
  EXPECT_GETS(p[1], 8, "x\n"); /* nothing was lost */
  inject_on(&in, SP_CALL_SEND, 0, ENOBUFS);
  ASSERT_ERR(sp_stream_write(p[0], "y", 1), SP_ENOBUFS);
  inject_off();
  inject_on(&in, SP_CALL_POLL, 0, ENOMEM);
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ENOMEM);
  inject_off();
  inject_on(&in, SP_CALL_FCNTL, 0, EIO);
  ASSERT_ERR(sp_stream_set_blocking(p[1], 0), SP_EIO);
  inject_off();
  ASSERT_OK(sp_stream_set_timeout(p[1], 0));
  ASSERT_ERR(sp_stream_read(p[1], buf, sizeof(buf)), SP_ETIMEDOUT);
  inject_on(&in, SP_CALL_SHUTDOWN, 0, ENOTCONN);
  ASSERT_ERR(sp_stream_shutdown(p[1], SP_SHUT_WR), SP_ENOTCONN);
  inject_off();
  close_pair(p);
}

/* The first send is cut to 2 bytes, the second fails with EIO. */
static int short_then_fail(void *ctx, sp_call call, size_t *len) {
  int *sends = ctx;

  if (call != SP_CALL_SEND)
    return 0;
  if (++*sends == 1) {
    *len = 2;
    return 0;
  }
  return EIO;
}

TEST(partial_write_then_error_returns_the_count) {
  sp_stream *p[2];
  int sends = 0;
  char buf[8];

  ASSERT(open_cell(&cells[0], p));
  sp_fault_set_hook(short_then_fail, &sends);
  ASSERT_EQ(sp_stream_write(p[0], "abcd", 4), 2); /* the count, not EIO */
  sends = 0;
  ASSERT_EQ(sp_stream_write(p[0], "cd", 2), 2);
  ASSERT_ERR(sp_stream_write(p[0], "ef", 2), SP_EIO); /* now the error */
  inject_off();
  ASSERT_EQ(sp_stream_read(p[1], buf, sizeof(buf)), 4);
  ASSERT_MEM_EQ(buf, "abcd", 4);
  close_pair(p);
}

TEST(close_reports_an_error_and_frees) {
  sp_stream *p[2];
  inject in;

  ASSERT(open_cell(&cells[0], p));
  inject_on(&in, SP_CALL_CLOSE, 0, EIO);
  ASSERT_ERR(sp_stream_close(p[0]), SP_EIO);
  inject_off();
  ASSERT_OK(sp_stream_close(p[1]));
}
