/*
 * A program outside the project, built against an installed sockpair: a
 * descriptor pair and a stream pair, one round trip each. Prints the
 * library's version; exits 0 only if everything worked.
 */
#include <sockpair.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "consumer: %s: %s (%s)\n", what, sp_strerror(err),
          sp_err_name(err));
  return 1;
}

static int descriptors(void) {
  char buf[8];
  int fds[2];
  int err = sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, fds);
  int ok;

  if (err)
    return fail("sp_socketpair", err);
  ok = write(fds[0], "ping", 4) == 4 && read(fds[1], buf, 4) == 4 &&
       !memcmp(buf, "ping", 4);
  close(fds[0]);
  close(fds[1]);
  if (!ok)
    fprintf(stderr, "consumer: no round trip over the TCP pair\n");
  return !ok;
}

static int streams(void) {
  sp_stream *pair[2];
  char line[16] = "";
  ssize_t n;
  int err = sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, SP_IPPROTO_IP, pair);

  if (err)
    return fail("sp_pair", err);
  n = sp_stream_write(pair[0], "hello\n", 6);
  if (n == 6)
    n = sp_stream_gets(pair[1], line, sizeof(line));
  sp_stream_close(pair[0]);
  sp_stream_close(pair[1]);
  if (n < 0)
    return fail("sp_stream_write / sp_stream_gets", (int)n);
  if (strcmp(line, "hello\n")) {
    fprintf(stderr, "consumer: got \"%s\" over the stream pair\n", line);
    return 1;
  }
  return 0;
}

int main(void) {
  if (strcmp(sp_version(), SP_VERSION_STRING)) {
    fprintf(stderr, "consumer: header %s, library %s\n", SP_VERSION_STRING,
            sp_version());
    return 1;
  }
  if (descriptors() || streams())
    return 1;
  printf("sockpair %s\n", sp_version());
  return 0;
}
