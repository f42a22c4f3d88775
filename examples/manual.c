/*
 * The PHP manual's stream_socket_pair() example, in C: a parent and a
 * forked child talk over a UNIX stream pair.
 */
#include "sockpair.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_line(int fd, const char *line) {
  size_t len = strlen(line);

  while (len > 0) {
    ssize_t n = write(fd, line, len);

    if (n < 0)
      return -1;
    line += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Reads up to and including "\n" (one byte at a time: no read-ahead). */
static ssize_t read_line(int fd, char *buf, size_t size) {
  size_t n = 0;

  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, 1);

    if (r <= 0)
      break;
    if (buf[n++] == '\n')
      break;
  }
  buf[n] = '\0';
  return (ssize_t)n;
}

int main(void) {
  int fds[2];
  char line[128];
  char msg[64];
  pid_t pid;
  int err = sp_socketpair(SP_PF_UNIX, SP_SOCK_STREAM, SP_IPPROTO_IP, fds);

  if (err) {
    fprintf(stderr, "sp_socketpair: %s\n", sp_strerror(err));
    return 1;
  }
  pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid > 0) { /* parent */
    int status;

    close(fds[0]);
    snprintf(msg, sizeof(msg), "child PID: %d\n", (int)pid);
    write_line(fds[1], msg);
    read_line(fds[1], line, sizeof(line));
    fputs(line, stdout);
    close(fds[1]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
      return 1;
    return WEXITSTATUS(status);
  }
  close(fds[1]); /* child */
  write_line(fds[0], "message from child\n");
  read_line(fds[0], line, sizeof(line));
  fputs(line, stdout);
  close(fds[0]);
  return 0;
}
