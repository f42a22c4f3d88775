/*
 * The clock, context-switch counts and percentiles. One convention: every
 * time in nanoseconds (int64_t), percentiles named by their percent
 * (0-100), taken by nearest rank.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "harness.h"

int64_t sh_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t csw(int who) {
  struct rusage ru;
  if (getrusage(who, &ru) != 0)
    return 0;
  return (int64_t)ru.ru_nvcsw + ru.ru_nivcsw;
}

int64_t sh_csw_self(void) {
  return csw(RUSAGE_SELF);
}

int64_t sh_csw_thread(void) {
  return csw(RUSAGE_THREAD);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int64_t sh_percentile(const int64_t *sorted, size_t n, double pct) {
  size_t k = (size_t)((pct / 100.0) * (double)n + 0.999999);
  if (n == 0)
    return 0;
  if (k < 1)
    k = 1;
  if (k > n)
    k = n;
  return sorted[k - 1];
}

void sh_stats_compute(int64_t *samples_ns, size_t n, struct sh_stats *out) {
  double sum = 0;
  out->p50 = out->p90 = out->p99 = out->p999 = out->max = 0;
  out->mean = 0;
  if (n == 0)
    return;
  qsort(samples_ns, n, sizeof(*samples_ns), cmp_i64);
  for (size_t i = 0; i < n; i++)
    sum += (double)samples_ns[i];
  out->p50 = sh_percentile(samples_ns, n, 50);
  out->p90 = sh_percentile(samples_ns, n, 90);
  out->p99 = sh_percentile(samples_ns, n, 99);
  out->p999 = sh_percentile(samples_ns, n, 99.9);
  out->max = samples_ns[n - 1];
  out->mean = sum / (double)n;
}
