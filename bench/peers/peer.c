/*
 * sockpair-peer: the two whole-process jobs that the PHP and Python
 * peers (bench/peers) do too, in C, for hyperfine to time side by side:
 *
 *   pingpong  PHP's manual ping-pong: a UNIX pair, a forked child; the
 *             parent writes "ping\n" and reads a line, the child reads a
 *             line and writes "pong\n", N round trips.
 *   bulk      the child writes N blocks of B bytes, the parent reads them
 *             with reads of B bytes.
 *
 * Each job in two APIs: raw (socketpair, read(2), write(2): the floor)
 * and stream (sp_pair, sp_stream_gets / sp_stream_read / sp_stream_write).
 * Usage: sockpair-peer pingpong|bulk raw|stream [--type stream|seqpacket]
 *        [--count N] [--size B]
 * Exit: 0 done, 64 usage, 65 the peer's bytes were not what was sent,
 *       71 a call failed (a one-line message on stderr).
 */
#include "sockpair.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_OSERR 71

struct opts {
  int bulk;   /* the job: 0 pingpong, 1 bulk */
  int stream; /* the API: 0 raw, 1 stream */
  int type;   /* SOCK_STREAM or SOCK_SEQPACKET */
  long count;
  size_t size;
};

/* One end: a descriptor, or the stream that owns it. */
struct end {
  int fd;
  sp_stream *s;
};

static int fail(int code, const char *what, long err) {
  fprintf(stderr, "sockpair-peer: %s: %s\n", what,
          err ? sp_strerror((int)err) : "unexpected data");
  return code;
}

static long raw_write_all(int fd, const char *p, size_t n) {
  size_t done = 0;

  while (done < n) {
    ssize_t r = write(fd, p + done, n - done);

    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    done += (size_t)r;
  }
  return (long)done;
}

static long end_write(struct end *e, const char *p, size_t n) {
  return e->s ? (long)sp_stream_write(e->s, p, n) : raw_write_all(e->fd, p, n);
}

/* One read of at most n bytes: the count, SP_EOF or -errno. */
static long end_read(struct end *e, char *p, size_t n) {
  ssize_t r;

  if (e->s)
    return (long)sp_stream_read(e->s, p, n);
  do
    r = read(e->fd, p, n);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  return r == 0 ? SP_EOF : (long)r;
}

/* A line (one in flight at a time, so a raw read never takes more). */
static long end_gets(struct end *e, char *buf, size_t size) {
  size_t got = 0;

  if (e->s)
    return (long)sp_stream_gets(e->s, buf, (ssize_t)size);
  while (got == 0 || buf[got - 1] != '\n') {
    long r = got + 1 < size ? end_read(e, buf + got, size - 1 - got) : 0;

    if (r <= 0)
      return got ? (long)got : r;
    got += (size_t)r;
  }
  buf[got] = '\0';
  return (long)got;
}

static int pingpong(struct end *e, const struct opts *o, int child) {
  const char *say = child ? "pong\n" : "ping\n";
  const char *hear = child ? "ping\n" : "pong\n";
  char line[64];

  for (long i = 0; i < o->count; i++) {
    long r = child ? 0 : end_write(e, say, 5);

    if (r >= 0)
      r = end_gets(e, line, sizeof(line));
    if (r == 5 && memcmp(line, hear, 5) == 0)
      r = child ? end_write(e, say, 5) : 0;
    else if (r >= 0)
      r = SP_EIO;
    if (r < 0)
      return fail(r == SP_EIO ? EX_DATAERR : EX_OSERR, "ping-pong", r);
  }
  return 0;
}

static int bulk(struct end *e, const struct opts *o, int child, char *buf) {
  long long left = (long long)o->count * (long long)o->size;

  while (left > 0) {
    long r = child ? end_write(e, buf, o->size) : end_read(e, buf, o->size);

    if (r <= 0)
      return fail(EX_OSERR, child ? "bulk write" : "bulk read", r ? r : EIO);
    left -= r;
  }
  return 0;
}

static int open_pair(const struct opts *o, struct end e[2]) {
  int fds[2];
  sp_stream *p[2];
  int err;

  memset(e, 0, 2 * sizeof(*e));
  if (o->stream) {
    err = sp_pair(SP_PF_UNIX, o->type, 0, p);
    for (int i = 0; !err && i < 2; i++)
      e[i] = (struct end){sp_stream_fd(p[i]), p[i]};
  } else {
    err = socketpair(AF_UNIX, o->type, 0, fds) ? -errno : 0;
    for (int i = 0; !err && i < 2; i++)
      e[i].fd = fds[i];
  }
  return err;
}

static void end_close(struct end *e) {
  if (e->s)
    sp_stream_close(e->s);
  else if (e->fd >= 0)
    close(e->fd);
  e->s = NULL;
  e->fd = -1;
}

static int job(struct end *e, const struct opts *o, int child, char *buf) {
  return o->bulk ? bulk(e, o, child, buf) : pingpong(e, o, child);
}

static int run(const struct opts *o) {
  struct end e[2];
  char *buf = calloc(1, o->size);
  int status = 0;
  int rc;
  pid_t pid;
  int fork_err;

  if (!buf)
    return fail(EX_OSERR, "malloc", SP_ENOMEM);
  rc = open_pair(o, e);
  if (rc) {
    free(buf);
    return fail(EX_OSERR, "pair", rc);
  }
  pid = fork();
  fork_err = errno;
  if (pid == 0) {
    end_close(&e[0]);
    rc = job(&e[1], o, 1, buf);
    end_close(&e[1]);
    _exit(rc);
  }
  end_close(&e[1]);
  rc = pid < 0 ? fail(EX_OSERR, "fork", -fork_err) : job(&e[0], o, 0, buf);
  end_close(&e[0]); /* a child still writing sees EPIPE and ends */
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  free(buf);
  if (!rc && pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : EX_OSERR;
  return rc;
}

static int usage(const char *why) {
  fprintf(stderr,
          "sockpair-peer: %s\n"
          "usage: sockpair-peer pingpong|bulk raw|stream "
          "[--type stream|seqpacket] [--count N] [--size B]\n",
          why);
  return EX_USAGE;
}

static int number(const char *s, long max, long *out) {
  char *end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > max)
    return -1;
  *out = v;
  return 0;
}

static int parse(int argc, char **argv, struct opts *o) {
  long v;

  *o = (struct opts){0, 0, SOCK_STREAM, 100000, 65536};
  if (argc < 3)
    return usage("a job and an API are needed");
  o->bulk = strcmp(argv[1], "bulk") == 0;
  o->stream = strcmp(argv[2], "stream") == 0;
  if (!o->bulk && strcmp(argv[1], "pingpong") != 0)
    return usage("the job is pingpong or bulk");
  if (!o->stream && strcmp(argv[2], "raw") != 0)
    return usage("the API is raw or stream");
  for (int i = 3; i < argc; i += 2) {
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;

    if (!val)
      return usage("a flag needs a value");
    if (strcmp(argv[i], "--type") == 0 && strcmp(val, "stream") == 0)
      o->type = SOCK_STREAM;
    else if (strcmp(argv[i], "--type") == 0 && strcmp(val, "seqpacket") == 0)
      o->type = SOCK_SEQPACKET;
    else if (strcmp(argv[i], "--count") == 0 && !number(val, 1L << 40, &v))
      o->count = v;
    else if (strcmp(argv[i], "--size") == 0 && !number(val, 1L << 26, &v))
      o->size = (size_t)v;
    else
      return usage("unknown flag or bad value");
  }
  return 0;
}

int main(int argc, char **argv) {
  struct opts o;
  int rc = parse(argc, argv, &o);

  return rc ? rc : run(&o);
}
