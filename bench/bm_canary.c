/*
 * Canaries: five of the other families' benchmarks, run again briefly at
 * the start, in the middle and at the end of a run (sb_canary: the shim
 * runs them in phases around the others), so that a run shows whether the
 * machine moved while it ran and two runs whether it moved between them:
 * one syscall (BM_Floor/getppid), one copy (BM_Floor/memcpy at 64 KiB), one
 * IPC round trip on one CPU (BM_Latency/pipe, processes, 64 B), the same
 * round trip across the two CPUs, and one bulk transfer (BM_Throughput/pipe,
 * 1 MiB writes). The last two are there because a shared host moves
 * cross-CPU wakeups and bulk transfers on their own, without the three
 * others seeing it (scripts/lib/drift.py bands only those rows with them).
 * The same code as those benchmarks, registered once: only the name
 * differs.
 *
 *   BM_Canary/syscall/at:<start|mid|end>
 *   BM_Canary/memcpy/at:<...>/bytes:65536
 *   BM_Canary/pipe-pingpong/at:<...>/bytes:64/manual_time
 *   BM_Canary/pipe-xcpu/at:<...>/bytes:64/manual_time
 *   BM_Canary/pipe-bulk/at:<...>/bytes:1048576/manual_time
 *
 * Only with --sp_canaries (scripts/lib/suites.sh passes it); scripts/compare
 * reads them as the run's drift.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const char flag[] = "--sp_canaries";

static const struct {
  const char *name, *pattern;
} canaries[] = {
    {"BM_Canary/syscall", "^BM_Floor/getppid$"},
    {"BM_Canary/memcpy", "^BM_Floor/memcpy/bytes:65536$"},
    /* (.*\/)? : whatever other dimensions the latency names grow */
    {"BM_Canary/pipe-pingpong",
     "^BM_Latency/pipe/process/same-cpu/(.*/)?bytes:64/manual_time$"},
    {"BM_Canary/pipe-xcpu",
     "^BM_Latency/pipe/process/diff-cpu/(.*/)?bytes:64/manual_time$"},
    {"BM_Canary/pipe-bulk",
     "^BM_Throughput/pipe/same-cpu/(.*/)?buf:default/(.*/)?bytes:1048576/"
     "manual_time$"},
};

/* 1 for "", "=true", "=1", "=yes"; 0 for "=false", "=0", "=no"; else -1. */
static int flag_value(const char *v) {
  static const char *const yes[] = {"", "=true", "=1", "=yes"};
  static const char *const no[] = {"=false", "=0", "=no"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
    if (strcmp(v, yes[i]) == 0)
      return 1;
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
    if (strcmp(v, no[i]) == 0)
      return 0;
  return -1;
}

int bm_canary_wanted(int *argc, char **argv) {
  int want = 0, kept = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, flag, sizeof(flag) - 1) != 0 ||
        (a[sizeof(flag) - 1] != '\0' && a[sizeof(flag) - 1] != '=')) {
      argv[kept++] = argv[i];
      continue;
    }
    want = flag_value(a + sizeof(flag) - 1);
    if (want < 0) {
      fprintf(stderr, "sockpair-bench: %s: want %s, %s=true or %s=false\n", a,
              flag, flag, flag);
      return -1;
    }
  }
  *argc = kept;
  argv[kept] = NULL;
  return want;
}

void bm_canary_register(void) {
  for (size_t i = 0; i < sizeof(canaries) / sizeof(canaries[0]); i++)
    sb_canary(canaries[i].name, canaries[i].pattern);
}
