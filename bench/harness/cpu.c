/*
 * CPU pinning: both ends on one CPU, on two, or left to the scheduler. The
 * CPUs are the first ones the program was allowed to run on, so a taskset
 * around it is honoured.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

const char *const sh_pin_names[3] = {"same-cpu", "diff-cpu", "unpinned"};

static cpu_set_t initial;
static int initial_ok;

/* The first two allowed CPUs into out: how many, or -errno. */
static int allowed_cpus(int out[2]) {
  int n = 0;
  if (!initial_ok) {
    CPU_ZERO(&initial);
    if (sched_getaffinity(0, sizeof(initial), &initial) != 0)
      return -errno;
    initial_ok = 1;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
    if (CPU_ISSET(cpu, &initial))
      out[n++] = cpu;
  return n;
}

int sh_cpus_pick(enum sh_pin pin, struct sh_cpus *cpus, char *why, size_t len) {
  int cpu[2];
  int n;
  cpus->self = cpus->peer = -1;
  if (pin == SH_PIN_NONE)
    return 0;
  n = allowed_cpus(cpu);
  if (n < 0) {
    snprintf(why, len, "sched_getaffinity failed");
    return n;
  }
  cpus->self = cpus->peer = cpu[0];
  if (pin == SH_PIN_SAME)
    return 0;
  if (n < 2) {
    snprintf(why, len, "diff-cpu needs 2 CPUs; %ld online, %d allowed here",
             sysconf(_SC_NPROCESSORS_ONLN), n);
    cpus->self = cpus->peer = -1;
    return -EINVAL;
  }
  cpus->peer = cpu[1];
  return 0;
}

int sh_pin_self(int cpu) {
  cpu_set_t set;
  if (cpu < 0)
    return 0;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    return -errno;
  return 0;
}

void sh_unpin_self(void) {
  int cpu[2];
  if (allowed_cpus(cpu) > 0)
    (void)sched_setaffinity(0, sizeof(initial), &initial);
}

void sh_cpus_label(const struct sh_cpus *cpus, char *buf, size_t len) {
  if (cpus->self < 0)
    snprintf(buf, len, "cpus=any");
  else
    snprintf(buf, len, "cpus=%d,%d", cpus->self, cpus->peer);
}
