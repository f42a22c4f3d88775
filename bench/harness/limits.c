/*
 * Whether a contention configuration fits this machine's limits, asked
 * before anything is started: descriptors (RLIMIT_NOFILE), tasks
 * (RLIMIT_NPROC, kernel.threads-max, kernel.pid_max, the cgroup's
 * pids.max). A configuration that does not fit is a documented skip that
 * names the limit and the number needed, not a failure half-way through.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crew.h"

#define FD_SLACK 64 /* stdio, the benchmark's own, the report pipes */

/* The first number in a file; -1 if absent or "max". */
static long read_long(const char *path) {
  FILE *f = fopen(path, "re");
  long v = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%ld", &v) != 1)
    v = -1;
  fclose(f);
  return v;
}

static long open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  long n = 0;
  if (!d)
    return 16; /* no /proc: a guess, the slack covers it */
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static int check_fds(long fds, char *why, size_t len) {
  struct rlimit rl;
  long need = open_fds() + fds + FD_SLACK;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      (long)rl.rlim_cur >= need)
    return 0;
  if (rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max >= need) {
    rl.rlim_cur = (rlim_t)need;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
      return 0;
  }
  snprintf(why, len,
           "skip: RLIMIT_NOFILE is %ld (hard %ld); this configuration needs "
           "%ld descriptors in one process (ulimit -n)",
           (long)rl.rlim_cur,
           rl.rlim_max == RLIM_INFINITY ? -1L : (long)rl.rlim_max, need);
  return -1;
}

/* Tasks (processes and threads) of this user, for RLIMIT_NPROC. */
static long user_tasks(void) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  uid_t uid = getuid();
  long n = 0;
  if (!d)
    return 0;
  while ((e = readdir(d))) {
    char path[300];
    struct stat st;
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
    if (stat(path, &st) == 0 && st.st_uid == uid)
      n += st.st_nlink > 2 ? (long)st.st_nlink - 2 : 1;
  }
  closedir(d);
  return n;
}

/* The tasks running system-wide: /proc/loadavg's "running/total". */
static long all_tasks(void) {
  FILE *f = fopen("/proc/loadavg", "re");
  long running = 0, total = -1;
  double a, b, c;
  if (!f)
    return -1;
  if (fscanf(f, "%lf %lf %lf %ld/%ld", &a, &b, &c, &running, &total) != 5)
    total = -1;
  fclose(f);
  return total;
}

/* The cgroup v2 pids.max / pids.current of this process. */
static int cgroup_pids(long *max, long *cur) {
  char line[512], path[600];
  FILE *f = fopen("/proc/self/cgroup", "re");
  int found = 0;
  if (!f)
    return -1;
  while (!found && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "0::", 3) != 0)
      continue;
    line[strcspn(line, "\n")] = 0;
    found = 1;
  }
  fclose(f);
  if (!found)
    return -1;
  snprintf(path, sizeof(path), "/sys/fs/cgroup%s/pids.max", line + 3);
  *max = read_long(path);
  snprintf(path, sizeof(path), "/sys/fs/cgroup%s/pids.current", line + 3);
  *cur = read_long(path);
  return *max < 0 || *cur < 0 ? -1 : 0;
}

static int check_tasks(long tasks, char *why, size_t len) {
  struct rlimit rl;
  long total = all_tasks(), max, cur;
  long tmax = read_long("/proc/sys/kernel/threads-max");
  long pmax = read_long("/proc/sys/kernel/pid_max");
  if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 &&
      rl.rlim_cur != RLIM_INFINITY) {
    long mine = user_tasks();
    if ((long)rl.rlim_cur < mine + tasks) {
      snprintf(why, len,
               "skip: RLIMIT_NPROC is %ld and this user runs %ld tasks; this "
               "configuration needs %ld more (ulimit -u)",
               (long)rl.rlim_cur, mine, tasks);
      return -1;
    }
  }
  for (int i = 0; i < 2 && total >= 0; i++) {
    long lim = i == 0 ? tmax : pmax;
    if (lim > 0 && total + tasks > lim) {
      snprintf(why, len,
               "skip: kernel.%s is %ld with %ld tasks running; this "
               "configuration needs %ld more",
               i == 0 ? "threads-max" : "pid_max", lim, total, tasks);
      return -1;
    }
  }
  if (cgroup_pids(&max, &cur) == 0 && cur + tasks > max) {
    snprintf(why, len,
             "skip: the cgroup's pids.max is %ld with %ld in use; this "
             "configuration needs %ld more",
             max, cur, tasks);
    return -1;
  }
  return 0;
}

int sh_crew_limits(enum sh_mode mode, long tasks, long fds, char *why,
                   size_t len) {
  (void)mode; /* the caller counts what one process holds in each mode */
  if (check_tasks(tasks, why, len) != 0)
    return -1;
  return check_fds(fds, why, len);
}
