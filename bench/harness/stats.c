/*
 * Clocks, context-switch counts, percentiles and the failure messages the
 * families share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "sockpair.h"

int64_t bt_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t csw(int who) {
  struct rusage ru;
  if (getrusage(who, &ru) != 0)
    return 0;
  return (int64_t)ru.ru_nvcsw + ru.ru_nivcsw;
}

int64_t bt_csw_self(void) {
  return csw(RUSAGE_SELF);
}

int64_t bt_csw_thread(void) {
  return csw(RUSAGE_THREAD);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p % of them <= it. */
static double rank(const double *sorted, size_t n, double p) {
  size_t k = (size_t)((p / 100.0) * (double)n + 0.999999);
  if (k < 1)
    k = 1;
  if (k > n)
    k = n;
  return sorted[k - 1];
}

void bt_stats_compute(double *samples, size_t n, struct bt_stats *out) {
  double sum = 0;
  if (n == 0) {
    out->p50 = out->p90 = out->p99 = out->p999 = out->mean = 0;
    return;
  }
  qsort(samples, n, sizeof(*samples), cmp_double);
  for (size_t i = 0; i < n; i++)
    sum += samples[i];
  out->p50 = rank(samples, n, 50);
  out->p90 = rank(samples, n, 90);
  out->p99 = rank(samples, n, 99);
  out->p999 = rank(samples, n, 99.9);
  out->mean = sum / (double)n;
}

void bt_stats_report(sb_state *st, const struct bt_stats *s) {
  sb_counter(st, "p50_us", s->p50 * 1e6, SB_COUNTER_DEFAULT);
  sb_counter(st, "p90_us", s->p90 * 1e6, SB_COUNTER_DEFAULT);
  sb_counter(st, "p99_us", s->p99 * 1e6, SB_COUNTER_DEFAULT);
  sb_counter(st, "p99.9_us", s->p999 * 1e6, SB_COUNTER_DEFAULT);
  sb_counter(st, "mean_us", s->mean * 1e6, SB_COUNTER_DEFAULT);
}

static void message(sb_state *st, const char *kind, const char *what, int err) {
  char buf[256];
  if (err == -ETIMEDOUT)
    snprintf(buf, sizeof(buf), "%s: %s: the watchdog's deadline passed", kind,
             what);
  else if (err == -ECHILD)
    snprintf(buf, sizeof(buf), "%s: %s: the peer died without answering", kind,
             what);
  else if (err == -ENODATA)
    snprintf(buf, sizeof(buf), "%s: %s: the peer closed early", kind, what);
  else
    snprintf(buf, sizeof(buf), "%s: %s: %s (%s)", kind, what, sp_err_name(err),
             sp_strerror(err));
  sb_skip_with_error(st, buf);
}

void bt_fail(sb_state *st, const char *what, int err) {
  message(st, "error", what, err);
}

void bt_skip(sb_state *st, const char *what, int err) {
  message(st, "skip", what, err);
}
