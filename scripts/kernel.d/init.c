/* /init of the initramfs that scripts/kernel boots in qemu.
 *
 * As PID 1 it mounts /proc, /sys, /dev (devtmpfs) and /tmp, reopens
 * /dev/console on fds 0-2 (the archive has no /dev/console node), brings
 * `lo` up (the kernel then adds 127.0.0.1/8 and ::1 itself), runs the
 * directives of /sp/jobs and writes every result as a frame on /dev/ttyS1,
 * a raw serial line that qemu stores in a file on the host. It ends with
 * sync() and reboot(RB_POWER_OFF): qemu runs with -no-reboot, so PID 1
 * never returns.
 *
 * Run as any other PID (`init JOBS OUT`) it does the same work without
 * touching the system, writing the frames to OUT: this is how the tests
 * check the job runner and the framing without booting a kernel.
 *
 * /sp/jobs: one directive per line, fields separated by a TAB:
 *   run  NAME SECONDS ARGV0 [ARGV...]   stdout -> frame "out NAME";
 *                                        killed after SECONDS
 *   file PATH                            the file, or every file under the
 *                                        directory -> frames "file PATH"
 *   write PATH VALUE                     VALUE written to PATH (a sysctl)
 *                                        -> frame "write PATH", no payload
 * Frame: "SP1 KIND NAME STATUS LENGTH\n" LENGTH bytes "\n". STATUS is the
 * exit code, 128+signal, -1 on timeout, or -errno when the job or the file
 * could not be started/read. The stream ends with "SP1 done - 0 0\n".
 * scripts/lib/kernel_frames.py reads it back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64
#define MAX_LINE 4096
#define MAX_FILE (16 * 1024 * 1024) /* cap on what one frame carries */
#define MAX_DEPTH 8                 /* cap on directory recursion */

static const char *tmp_dir = "/tmp";

static void say(const char *msg, const char *arg) {
  fprintf(stderr, "sp-init: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int send_frame(int out, const char *kind, const char *name, long status,
                      const char *data, size_t len) {
  char head[MAX_LINE + 64];
  int n = snprintf(head, sizeof(head), "SP1 %s %s %ld %zu\n", kind, name,
                   status, len);
  if (n < 0 || (size_t)n >= sizeof(head))
    return -ENAMETOOLONG;
  int err = write_all(out, head, (size_t)n);
  if (!err)
    err = write_all(out, data, len);
  if (!err)
    err = write_all(out, "\n", 1);
  return err;
}

/* Reads a whole file (st_size is 0 for /proc and /sys files, so read to
 * EOF). Returns the length or -errno; *buf is malloc'ed on success. */
static long slurp(const char *path, char **buf) {
  size_t cap = 4096, len = 0;
  char *data = NULL;
  long ret = 0;
  int fd;
  do
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return -errno;
  data = malloc(cap);
  if (!data) {
    ret = -ENOMEM;
    goto out;
  }
  for (;;) {
    if (len == cap) {
      char *bigger = cap >= MAX_FILE ? NULL : realloc(data, cap * 2);
      if (!bigger) {
        ret = cap >= MAX_FILE ? -EFBIG : -ENOMEM;
        goto out;
      }
      data = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, data + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ret = -errno;
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  ret = (long)len;
out:
  close(fd);
  if (ret < 0)
    free(data);
  else
    *buf = data;
  return ret;
}

static int send_path(int out, const char *path, int depth);

static int send_dir(int out, const char *path, int depth) {
  DIR *dir = opendir(path);
  if (!dir)
    return send_frame(out, "file", path, -errno, "", 0);
  int err = 0;
  for (struct dirent *e = readdir(dir); e && !err; e = readdir(dir)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char sub[MAX_LINE];
    int n = snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
    if (n < 0 || (size_t)n >= sizeof(sub) || strpbrk(e->d_name, " \n"))
      continue; /* a name a frame header cannot carry */
    err = send_path(out, sub, depth + 1);
  }
  closedir(dir);
  return err;
}

/* A file -> one frame; a directory -> one frame per file under it.
 * Symlinks are not followed (sysfs is full of loops). Only an error writing
 * the frames is returned: an unreadable file is a frame with -errno. */
static int send_path(int out, const char *path, int depth) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return send_frame(out, "file", path, -errno, "", 0);
  if (S_ISDIR(st.st_mode))
    return depth < MAX_DEPTH ? send_dir(out, path, depth) : 0;
  if (!S_ISREG(st.st_mode))
    return 0;
  if (!(st.st_mode & 0444))
    return 0; /* write-only knobs (e.g. /proc/sys/net/ipv4/route/flush) */
  char *data = NULL;
  long len = slurp(path, &data);
  int err = len < 0 ? send_frame(out, "file", path, len, "", 0)
                    : send_frame(out, "file", path, 0, data, (size_t)len);
  free(data);
  return err;
}

static void child_exec(char **argv, const char *stdout_path) {
  setpgid(0, 0);
  int in = open("/dev/null", O_RDONLY);
  int fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || fd < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0)
    _exit(126);
  if (chdir(tmp_dir) < 0)
    _exit(126);
  execv(argv[0], argv);
  fprintf(stderr, "sp-init: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static long wait_bounded(pid_t pid, int seconds) {
  struct timespec tick = {0, 20 * 1000 * 1000};
  long waited_ms = 0;
  int status;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == pid)
      break;
    if (waited_ms >= seconds * 1000L) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      return -1;
    }
    nanosleep(&tick, NULL);
    waited_ms += 20;
  }
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static int run_job(int out, char **field, int nfield) {
  if (nfield < 4)
    return send_frame(out, "out", nfield > 1 ? field[1] : "-", -EINVAL, "", 0);
  const char *name = field[1];
  int seconds = atoi(field[2]);
  char stdout_path[MAX_LINE];
  snprintf(stdout_path, sizeof(stdout_path), "%s/sp-%s.out", tmp_dir, name);
  say("run", name);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return send_frame(out, "out", name, -errno, "", 0);
  if (pid == 0)
    child_exec(field + 3, stdout_path);
  long status = wait_bounded(pid, seconds > 0 ? seconds : 1);
  char *data = NULL;
  long len = slurp(stdout_path, &data);
  int err = send_frame(out, "out", name, status, len > 0 ? data : "",
                       len > 0 ? (size_t)len : 0);
  free(data);
  unlink(stdout_path);
  return err;
}

static int write_value(int out, const char *path, const char *value) {
  int fd;
  do
    fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
  while (fd < 0 && errno == EINTR);
  int err = fd < 0 ? -errno : write_all(fd, value, strlen(value));
  if (fd >= 0)
    close(fd);
  return send_frame(out, "write", path, err, "", 0);
}

static int split_tabs(char *line, char **field, int max) {
  int n = 0;
  for (char *tok = strtok(line, "\t\n"); tok && n < max - 1;
       tok = strtok(NULL, "\t\n"))
    field[n++] = tok;
  field[n] = NULL;
  return n;
}

static int run_jobs(const char *jobs_path, int out) {
  FILE *jobs = fopen(jobs_path, "r");
  if (!jobs) {
    say("cannot open", jobs_path);
    return -errno;
  }
  char line[MAX_LINE];
  int err = 0;
  while (!err && fgets(line, sizeof(line), jobs)) {
    char *field[MAX_ARGS];
    int n = split_tabs(line, field, MAX_ARGS);
    if (n == 0 || field[0][0] == '#')
      continue;
    if (!strcmp(field[0], "run"))
      err = run_job(out, field, n);
    else if (!strcmp(field[0], "file") && n == 2)
      err = send_path(out, field[1], 0);
    else if (!strcmp(field[0], "write") && n == 3)
      err = write_value(out, field[1], field[2]);
    else
      say("bad directive:", field[0]);
  }
  fclose(jobs);
  if (!err)
    err = write_all(out, "SP1 done - 0 0\n", 15);
  return err;
}

static void mount_or_say(const char *src, const char *dir, const char *type) {
  mkdir(dir, 0755);
  if (mount(src, dir, type, 0, NULL) < 0 && errno != EBUSY)
    say("mount failed:", dir);
}

static void open_console(void) {
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0)
    return;
  dup2(fd, 0);
  dup2(fd, 1);
  dup2(fd, 2);
  if (fd > 2)
    close(fd);
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    goto fail;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
    goto fail;
  close(s);
  return;
fail:
  say("cannot bring lo up:", strerror(errno));
  if (s >= 0)
    close(s);
}

/* The results line: raw, or every "\n" arrives as "\r\n". */
static int open_results_port(void) {
  int fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  struct termios tio;
  if (fd < 0 || tcgetattr(fd, &tio) < 0) {
    say("cannot open /dev/ttyS1:", strerror(errno));
    return fd;
  }
  cfmakeraw(&tio);
  cfsetspeed(&tio, B115200);
  if (tcsetattr(fd, TCSANOW, &tio) < 0)
    say("cannot set /dev/ttyS1 raw:", strerror(errno));
  return fd;
}

static void power_off(void) {
  sync();
  reboot(RB_POWER_OFF);
  for (;;)
    pause(); /* PID 1 must not exit: that panics the kernel */
}

static int as_pid1(void) {
  mount_or_say("devtmpfs", "/dev", "devtmpfs");
  open_console();
  mount_or_say("proc", "/proc", "proc");
  mount_or_say("sysfs", "/sys", "sysfs");
  mount_or_say("tmpfs", "/tmp", "tmpfs");
  setenv("PATH", "/bin", 1);
  setenv("HOME", "/tmp", 1);
  loopback_up();
  int out = open_results_port();
  if (out >= 0) {
    int err = run_jobs("/sp/jobs", out);
    if (err)
      say("writing results failed:", strerror(-err));
    tcdrain(out);
    close(out);
  }
  say("done, powering off", NULL);
  power_off();
  return 0;
}

int main(int argc, char **argv) {
  if (getpid() == 1)
    return as_pid1();
  if (argc != 3) {
    fprintf(stderr, "usage: %s JOBS OUT   (as PID 1: /sp/jobs -> ttyS1)\n",
            argv[0]);
    return 64;
  }
  const char *t = getenv("TMPDIR");
  if (t && *t)
    tmp_dir = t;
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    perror(argv[2]);
    return 73;
  }
  int err = run_jobs(argv[1], out);
  close(out);
  return err ? 1 : 0;
}
