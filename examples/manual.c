/*
 * The PHP manual's stream_socket_pair() example, in C: a parent and a
 * forked child talk over a UNIX stream pair with fwrite / fgets, here
 * sp_stream_write / sp_stream_gets.
 */
#include "sockpair.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* fwrite + fgets + echo, one side of the conversation. */
static int talk(sp_stream *s, const char *msg) {
  char line[128];
  ssize_t n = sp_stream_write(s, msg, strlen(msg));

  if (n < 0) {
    fprintf(stderr, "sp_stream_write: %s\n", sp_strerror((int)n));
    return 1;
  }
  n = sp_stream_gets(s, line, sizeof(line));
  if (n < 0) {
    fprintf(stderr, "sp_stream_gets: %s\n", sp_strerror((int)n));
    return 1;
  }
  fputs(line, stdout);
  return 0;
}

int main(void) {
  sp_stream *pair[2];
  char msg[64];
  pid_t pid;
  int err = sp_pair(SP_PF_UNIX, SP_SOCK_STREAM, SP_IPPROTO_IP, pair);
  int rc;

  if (err) {
    fprintf(stderr, "sp_pair: %s\n", sp_strerror(err));
    return 1;
  }
  fflush(stdout);
  pid = fork();
  if (pid < 0) {
    perror("fork");
    sp_stream_close(pair[0]);
    sp_stream_close(pair[1]);
    return 1;
  }
  if (pid > 0) { /* parent */
    int status;

    sp_stream_close(pair[0]);
    snprintf(msg, sizeof(msg), "child PID: %d\n", (int)pid);
    rc = talk(pair[1], msg);
    sp_stream_close(pair[1]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
      return 1;
    return rc ? rc : WEXITSTATUS(status);
  }
  sp_stream_close(pair[1]); /* child */
  rc = talk(pair[0], "message from child\n");
  sp_stream_close(pair[0]);
  return rc;
}
