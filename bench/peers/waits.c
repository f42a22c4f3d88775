/*
 * sockpair-waits: the candidate ways for a stream to wait, in raw C, each
 * against a plain blocking read(2)/write(2) loop, interleaved round by
 * round (A, B, C, ... then the reverse order), so that a noisy machine
 * moves all of them alike. What docs/performance.md chose the stream
 * layer's path from.
 *
 *   sockpair-waits pingpong unix-stream|unix-seqpacket|pipe [options]
 *     PHP's line ping-pong (5-byte lines, forked child, both on CPU 0
 *     unless --unpinned), one candidate for both sides' reads and writes.
 *   sockpair-waits bulk unix-stream [options]
 *     a child writes 64 KiB blocks, the parent reads them with blocking
 *     reads; the candidates are the writer's.
 * Options: --count N (round trips or blocks, 20000), --rounds R (7),
 *          --unpinned.
 * Prints, per candidate, the median over rounds of its speed against the
 * blocking loop of the same round (> 1: faster) and every round's value.
 * Exit: 0, 64 usage, 71 a call failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 64
#define BLOCK (64 * 1024)

enum cand {
  C_BLOCKING,   /* read(2) / write(2) that block: the floor */
  C_RECV_FIRST, /* recv(MSG_DONTWAIT), on EAGAIN poll + recv */
  C_POLL_FIRST, /* poll + recv(MSG_DONTWAIT): PHP's way */
  C_RCVTIMEO,   /* recv that blocks, bounded by SO_RCVTIMEO */
  C_PEEK_RECV,  /* datagrams: blocking MSG_PEEK|MSG_TRUNC (size), recv */
  C_PIPE_MASK,  /* pipes: read first, write inside the signal-mask dance */
  C_PIPE_POLL,  /* pipes: poll first, write inside the dance */
  C_PIPE_IGN,   /* pipes: poll first, write after asking SIGPIPE's action */
  C_SEND_POLL,  /* bulk writer: send(MSG_DONTWAIT), on EAGAIN poll */
  C_SNDTIMEO,   /* bulk writer: send that blocks, bounded by SO_SNDTIMEO */
  C__COUNT
};

static const char *const names[C__COUNT] = {
    "blocking read/write",
    "recv first, poll on EAGAIN",
    "poll, then recv",
    "recv in the kernel (SO_RCVTIMEO)",
    "peek in the kernel, then recv",
    "pipe: read first; write in mask dance",
    "pipe: poll first; write in mask dance",
    "pipe: poll first; write after sigaction",
    "send, poll on EAGAIN",
    "send in the kernel (SO_SNDTIMEO)"};

struct job {
  int bulk;
  int type; /* SOCK_STREAM, SOCK_SEQPACKET, or 0 for pipes */
  long count;
};

struct ends {
  int rd, wr; /* this side's read and write descriptors */
};

static int die(const char *what) {
  fprintf(stderr, "sockpair-waits: %s: %s\n", what, strerror(errno));
  exit(71);
}

static int64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wait_for(int fd, short events) {
  struct pollfd pfd = {fd, events, 0};

  if (poll(&pfd, 1, 60000) != 1)
    die("poll");
}

static ssize_t cand_read(enum cand c, int fd, char *buf, size_t n) {
  ssize_t r;

  switch (c) {
  case C_RECV_FIRST:
    r = recv(fd, buf, n, MSG_DONTWAIT);
    if (r >= 0 || errno != EAGAIN)
      return r;
    wait_for(fd, POLLIN);
    return recv(fd, buf, n, MSG_DONTWAIT);
  case C_POLL_FIRST:
    wait_for(fd, POLLIN);
    return recv(fd, buf, n, MSG_DONTWAIT);
  case C_PEEK_RECV:
    if (recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC) < 0)
      return -1;
    return recv(fd, buf, n, MSG_DONTWAIT | MSG_TRUNC);
  case C_PIPE_MASK:
    r = read(fd, buf, n);
    if (r >= 0 || errno != EAGAIN)
      return r;
    wait_for(fd, POLLIN);
    return read(fd, buf, n);
  case C_PIPE_POLL:
  case C_PIPE_IGN:
    wait_for(fd, POLLIN);
    return read(fd, buf, n);
  default:
    return read(fd, buf, n);
  }
}

static ssize_t masked_write(int fd, const char *buf, size_t n) {
  sigset_t pipe_set;
  sigset_t old;
  ssize_t r;

  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  r = write(fd, buf, n);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return r;
}

static ssize_t cand_write(enum cand c, int fd, const char *buf, size_t n) {
  struct sigaction sa;

  switch (c) {
  case C_PIPE_MASK:
  case C_PIPE_POLL:
    return masked_write(fd, buf, n);
  case C_PIPE_IGN:
    sigaction(SIGPIPE, NULL, &sa);
    return sa.sa_handler == SIG_IGN ? write(fd, buf, n)
                                    : masked_write(fd, buf, n);
  case C_BLOCKING:
    return write(fd, buf, n);
  case C_SNDTIMEO:
    return send(fd, buf, n, MSG_NOSIGNAL);
  default:
    return send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

/* The bulk writer: all of one block, in the candidate's way. */
static void write_block(enum cand c, int fd, const char *buf) {
  size_t done = 0;

  while (done < BLOCK) {
    ssize_t r = cand_write(c, fd, buf + done, BLOCK - done);

    if (r > 0)
      done += (size_t)r;
    else if (r < 0 && errno == EAGAIN)
      wait_for(fd, POLLOUT);
    else if (!(r < 0 && errno == EINTR))
      die("write");
  }
}

static void pingpong_side(enum cand c, const struct ends *e, long n,
                          int child) {
  char buf[64];

  for (long i = 0; i < n; i++) {
    if (!child && cand_write(c, e->wr, "ping\n", 5) != 5)
      die("write");
    if (cand_read(c, e->rd, buf, sizeof(buf)) != 5)
      die("read");
    if (child && cand_write(c, e->wr, "pong\n", 5) != 5)
      die("write");
  }
}

static void bulk_reader(int fd, long n) {
  static char buf[BLOCK];
  long long left = (long long)n * BLOCK;

  while (left > 0) {
    ssize_t r = read(fd, buf, sizeof(buf));

    if (r <= 0)
      die("read");
    left -= r;
  }
}

static void set_timeo(int fd, int opt) {
  struct timeval tv = {60, 0};

  if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)))
    die("setsockopt");
}

/* Both sides' descriptors: [0] the parent's, [1] the child's. */
static void open_ends(const struct job *j, enum cand c, struct ends e[2]) {
  int a[2];
  int b[2];

  if (j->type == 0) {
    if (pipe(a) || pipe(b))
      die("pipe");
    e[0] = (struct ends){b[0], a[1]};
    e[1] = (struct ends){a[0], b[1]};
    if (c != C_BLOCKING)
      for (int i = 0; i < 4; i++)
        fcntl(i < 2 ? a[i] : b[i - 2], F_SETFL, O_NONBLOCK);
    return;
  }
  if (socketpair(AF_UNIX, j->type, 0, a))
    die("socketpair");
  e[0] = (struct ends){a[0], a[0]};
  e[1] = (struct ends){a[1], a[1]};
  for (int i = 0; i < 2; i++) {
    if (c == C_RCVTIMEO || c == C_PEEK_RECV)
      set_timeo(a[i], SO_RCVTIMEO);
    if (c == C_SNDTIMEO)
      set_timeo(a[i], SO_SNDTIMEO);
  }
}

static void close_ends(const struct job *j, struct ends e[2]) {
  close(e[0].rd);
  close(e[1].rd);
  if (j->type == 0) {
    close(e[0].wr);
    close(e[1].wr);
  }
}

/* One timed run of candidate c: seconds. */
static double run(const struct job *j, enum cand c) {
  static char block[BLOCK];
  struct ends e[2];
  int64_t t0;
  int status;
  pid_t pid;

  open_ends(j, c, e);
  t0 = now_ns();
  pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    for (long i = 0; j->bulk && i < j->count; i++)
      write_block(c, e[1].wr, block);
    if (!j->bulk)
      pingpong_side(c, &e[1], j->count, 1);
    _exit(0);
  }
  if (j->bulk)
    bulk_reader(e[0].rd, j->count);
  else
    pingpong_side(c, &e[0], j->count, 0);
  if (waitpid(pid, &status, 0) != pid || status != 0)
    die("child");
  close_ends(j, e);
  return (double)(now_ns() - t0) * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;

  return (x > y) - (x < y);
}

/* The candidates that apply to a job, the blocking loop first. */
static int candidates(const struct job *j, enum cand *out) {
  int n = 0;

  out[n++] = C_BLOCKING;
  if (j->bulk) {
    out[n++] = C_SEND_POLL;
    out[n++] = C_SNDTIMEO;
  } else if (j->type == 0) {
    out[n++] = C_PIPE_MASK;
    out[n++] = C_PIPE_POLL;
    out[n++] = C_PIPE_IGN;
  } else {
    out[n++] = C_RECV_FIRST;
    out[n++] = C_POLL_FIRST;
    out[n++] = C_RCVTIMEO;
    if (j->type == SOCK_SEQPACKET)
      out[n++] = C_PEEK_RECV;
  }
  return n;
}

static void report(const enum cand *cs, int nc, double t[][MAX_ROUNDS],
                   int rounds) {
  for (int i = 0; i < nc; i++) {
    double ratio[MAX_ROUNDS];

    printf("%-42s", names[cs[i]]);
    for (int r = 0; r < rounds; r++)
      ratio[r] = t[0][r] / t[i][r];
    for (int r = 0; r < rounds; r++)
      printf(" %.2f", ratio[r]);
    qsort(ratio, (size_t)rounds, sizeof(ratio[0]), cmp_double);
    printf("  median %.3f\n", ratio[rounds / 2]);
  }
}

static int usage(void) {
  fputs("usage: sockpair-waits pingpong unix-stream|unix-seqpacket|pipe\n"
        "       sockpair-waits bulk unix-stream\n"
        "       [--count N] [--rounds R] [--unpinned]\n",
        stderr);
  return 64;
}

static int parse(int argc, char **argv, struct job *j, int *rounds,
                 int *pinned) {
  *j = (struct job){0, SOCK_STREAM, 20000};
  *rounds = 7;
  *pinned = 1;
  if (argc < 3)
    return -1;
  j->bulk = strcmp(argv[1], "bulk") == 0;
  if (!j->bulk && strcmp(argv[1], "pingpong") != 0)
    return -1;
  if (strcmp(argv[2], "unix-seqpacket") == 0 && !j->bulk)
    j->type = SOCK_SEQPACKET;
  else if (strcmp(argv[2], "pipe") == 0 && !j->bulk)
    j->type = 0;
  else if (strcmp(argv[2], "unix-stream") != 0)
    return -1;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--unpinned") == 0)
      *pinned = 0;
    else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
      j->count = atol(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      *rounds = atoi(argv[++i]);
    else
      return -1;
  }
  return j->count > 0 && *rounds > 0 && *rounds <= MAX_ROUNDS ? 0 : -1;
}

int main(int argc, char **argv) {
  static double t[C__COUNT][MAX_ROUNDS];
  enum cand cs[C__COUNT];
  struct job j;
  int rounds;
  int pinned;
  int nc;

  if (parse(argc, argv, &j, &rounds, &pinned))
    return usage();
  signal(SIGPIPE, SIG_IGN); /* as PHP and the benchmarks */
  if (pinned) {
    cpu_set_t cpu0;

    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
      die("sched_setaffinity");
  }
  nc = candidates(&j, cs);
  for (int r = 0; r < rounds; r++)
    for (int k = 0; k < nc; k++) {
      int i = r % 2 ? nc - 1 - k : k;

      t[i][r] = run(&j, cs[i]);
    }
  report(cs, nc, t, rounds);
  return 0;
}
