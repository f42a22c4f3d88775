/*
 * CPU pinning for the benchmarks: same-cpu, diff-cpu or unpinned. The
 * CPUs are the first ones the program was allowed to run on, so a
 * taskset around the binary is honoured.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

const char *const bt_pin_names[3] = {"same-cpu", "diff-cpu", "unpinned"};

static cpu_set_t initial;
static int initial_ok;

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

int bt_cpus_pick(enum bt_pin pin, struct bt_cpus *cpus, char *why, size_t len) {
  int cpu[2];
  int n = allowed_cpus(cpu);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  cpus->self = cpus->peer = -1;
  if (pin == BT_PIN_NONE)
    return 0;
  if (n < 1) {
    snprintf(why, len, "error: sched_getaffinity failed");
    return -1;
  }
  cpus->self = cpus->peer = cpu[0];
  if (pin == BT_PIN_SAME)
    return 0;
  if (n < 2 || online < 2) {
    snprintf(why, len,
             "skip: diff-cpu needs 2 CPUs; %ld online, %d allowed here", online,
             n);
    return -1;
  }
  cpus->peer = cpu[1];
  return 0;
}

int bt_pin_self(int cpu) {
  cpu_set_t set;
  if (cpu < 0)
    return 0;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    return -errno;
  return 0;
}

void bt_unpin_self(void) {
  int cpu[2];
  if (allowed_cpus(cpu) > 0)
    (void)sched_setaffinity(0, sizeof(initial), &initial);
}

void bt_cpus_label(const struct bt_cpus *cpus, char *buf, size_t len) {
  if (cpus->self < 0)
    snprintf(buf, len, "cpus=any");
  else
    snprintf(buf, len, "cpus=%d,%d", cpus->self, cpus->peer);
}
