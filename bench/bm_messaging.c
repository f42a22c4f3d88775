/*
 * Family: messaging under contention, hackbench's semantics (perf bench
 * sched messaging) over every transport: per group 20 senders and 20
 * receivers, each receiver owning one channel, every sender writing
 * `loops` 100-byte messages to every receiver of its group. One iteration
 * is one round, timed from releasing every task to the last receiver's
 * last message (the harness: harness/messaging.c).
 *
 *   BM_Messaging/<transport>/<process|thread>/groups:<g>/manual_time
 *
 * Counters: items_per_second (messages delivered / s), bytes_per_second,
 * p50_us p90_us p99_us p99.9_us mean_us (per-message delivery latency:
 * the sender's CLOCK_MONOTONIC time in the message, read at receipt),
 * csw_per_msg (context switches of every task per message delivered),
 * fairness (slowest / fastest receiver's completion time, mean over the
 * rounds), loss_pct (UDP: messages sent and never delivered).
 *
 * This file also reads the contention families' own flags (--sp_*, see
 * bm_contention_flags) before Google Benchmark sees the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "messaging.h"

#define FDS 20             /* hackbench's senders and receivers per group */
#define MSG_SIZE 100       /* hackbench's DATASIZE */
#define LAT_CAP (4L << 20) /* latency samples kept per benchmark run */

struct bm_contention_opts bm_contention = {
    .groups = {1, 2, 4, 8},
    .ngroups = 4,
    .loops = 100,
    .pairs = {1, 2, 4, 8, 32, 128},
    .npairs = 6,
    .window_ms = 20,
};

/* Transports in the order hackbench users read them: its two first. */
static const char *const transports[] = {
    "unix-stream", "pipe", "unix-seqpacket", "unix-dgram",
    "tcp4",        "tcp6", "udp4",           "udp6"};
#define NTRANSPORTS (sizeof(transports) / sizeof(transports[0]))

static struct bm_contention_case cases[NTRANSPORTS * 2];

/* What a run adds up over its rounds. */
struct totals {
  int64_t expected, delivered, rounds;
  int64_t csw;
  double fairness;
  int64_t *lat; /* ns */
  size_t nlat, cap;
};

static void add_round(struct totals *t, const struct sh_msg_result *r) {
  t->expected += r->expected;
  t->delivered += r->delivered;
  t->csw += r->csw;
  t->fairness += r->fairness;
  t->rounds++;
  if (t->lat && t->nlat + r->nlat <= t->cap) {
    memcpy(t->lat + t->nlat, r->lat, r->nlat * sizeof(int64_t));
    t->nlat += r->nlat;
  }
}

static void report(sb_state *st, const struct bm_contention_case *c,
                   struct totals *t, const struct sh_msg_config *cfg) {
  struct sh_stats s;
  char label[64];
  double d = (double)t->delivered;
  sh_stats_compute(t->lat, t->nlat, &s);
  bt_stats_report(st, &s);
  sb_items_processed(st, t->delivered);
  sb_bytes_processed(st, t->delivered * (int64_t)cfg->size);
  sb_counter(st, "csw_per_msg", d > 0 ? (double)t->csw / d : 0, 0);
  sb_counter(st, "fairness", t->fairness / (double)t->rounds, 0);
  if (c->t->may_drop)
    sb_counter(
        st, "loss_pct",
        100.0 * (double)(t->expected - t->delivered) / (double)t->expected, 0);
  snprintf(label, sizeof(label), "loops=%d tasks=%ld", cfg->loops,
           sh_msg_tasks(cfg));
  sb_label(st, label);
}

/* The tasks of the last run, kept for the next run of the same benchmark:
 * its repetitions, back to back, start no process again (a fork costs
 * milliseconds on a paravirtualized guest). Another benchmark, a failure
 * or the program's end ends them. */
static struct {
  const struct bm_contention_case *c;
  int groups, loops;
  struct sh_msg *m;
} kept;

static void drop_kept(void) {
  char why[320];
  if (kept.m && sh_msg_close(kept.m, why, sizeof(why)) != 0)
    fprintf(stderr, "sockpair-bench: BM_Messaging/%s: %s\n", kept.c->t->name,
            why);
  kept.m = NULL;
}

static struct sh_msg *take(const struct bm_contention_case *c,
                           const struct sh_msg_config *cfg, char *why,
                           size_t len) {
  if (kept.m && kept.c == c && kept.groups == cfg->groups &&
      kept.loops == cfg->loops)
    return kept.m;
  drop_kept();
  if (sh_msg_open(&kept.m, cfg, why, len) != 0)
    return NULL;
  kept.c = c;
  kept.groups = cfg->groups;
  kept.loops = cfg->loops;
  return kept.m;
}

static void run(sb_state *st, const struct bm_contention_case *c,
                const struct sh_msg_config *cfg, struct totals *t) {
  struct sh_msg_result res;
  char why[320];
  struct sh_msg *m = take(c, cfg, why, sizeof(why));
  if (!m) {
    sb_skip_with_error(st, why);
    return;
  }
  while (sb_keep_running(st)) {
    if (sh_msg_round(m, &res, why, sizeof(why)) != 0) {
      sb_skip_with_error(st, why);
      sh_msg_free(m); /* its tasks are gone already */
      kept.m = NULL;
      return;
    }
    sb_set_iteration_time(st, (double)res.span_ns * 1e-9);
    add_round(t, &res);
  }
  report(st, c, t, cfg);
}

static void bm_messaging(sb_state *st, void *arg) {
  const struct bm_contention_case *c = arg;
  struct sh_msg_config cfg = {
      c->t,     c->mode, (int)sb_range(st, 0), FDS, bm_contention.loops,
      MSG_SIZE, 0};
  struct totals t;
  struct sh_chan probe;
  size_t per = (size_t)cfg.groups * FDS * FDS * (size_t)cfg.loops;
  int64_t iters = sb_max_iterations(st);
  /* A transport the kernel refuses: skipped with its reason. */
  if (bt_chan_open_st(st, c->t, &probe) != 0)
    return;
  sh_chan_close(&probe);
  /* The latencies of as many rounds as LAT_CAP holds (one at least). */
  memset(&t, 0, sizeof(t));
  t.cap = per * (size_t)(iters < 1 ? 1 : iters);
  if (t.cap > (size_t)LAT_CAP)
    t.cap = per > (size_t)LAT_CAP ? per : (size_t)LAT_CAP / per * per;
  t.lat = malloc(t.cap * sizeof(int64_t));
  if (!t.lat) {
    bt_fail(st, "malloc", -ENOMEM);
    return;
  }
  if (getenv("SP_BENCH_WATCHDOG_S"))
    cfg.timeout_s = bt_deadline_s(0, 0);
  run(st, c, &cfg, &t);
  free(t.lat);
}

void bm_contention_add(const char *family, struct bm_contention_case *c,
                       sb_fn fn, const char *arg, const int64_t *vals, int n) {
  char name[128];
  snprintf(name, sizeof(name), "%s/%s/%s", family, c->t->name,
           c->mode == SH_THREAD ? "thread" : "process");
  for (int i = 0; i < n; i++) {
    sb_bench *b = sb_register(name, fn, c);
    sb_args(b, &vals[i], 1);
    sb_arg_names(b, &arg, 1);
    sb_use_manual_time(b);
    sb_unit(b, SB_MS);
  }
}

void bm_messaging_register(void) {
  size_t n = 0;
  atexit(drop_kept);
  for (size_t i = 0; i < NTRANSPORTS; i++) {
    const struct sh_transport *t = sh_transport_find(transports[i]);
    for (int mode = SH_PROCESS; t && mode <= SH_THREAD; mode++) {
      cases[n] = (struct bm_contention_case){t, mode};
      bm_contention_add("BM_Messaging", &cases[n++], bm_messaging, "groups",
                        bm_contention.groups, bm_contention.ngroups);
    }
  }
}

/* ---- the --sp_* flags ------------------------------------------------ */

/* "1,2,4,8" into out (at most BM_CONTENTION_MAX values in [1, max]). */
static int parse_list(const char *s, int64_t *out, int *n, long max) {
  int k = 0;
  while (*s) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || v < 1 || v > max || k == BM_CONTENTION_MAX ||
        (*end && *end != ','))
      return -1;
    out[k++] = v;
    s = *end ? end + 1 : end;
  }
  if (k == 0)
    return -1;
  *n = k;
  return 0;
}

static int parse_int(const char *s, int *out, long max) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

/* One option (flag value or environment variable): 0 or -1. */
static int set_option(const char *key, const char *val) {
  struct bm_contention_opts *o = &bm_contention;
  if (!strcmp(key, "messaging_groups"))
    return parse_list(val, o->groups, &o->ngroups, 4096);
  if (!strcmp(key, "messaging_loops"))
    return parse_int(val, &o->loops, 1000000);
  if (!strcmp(key, "pairs"))
    return parse_list(val, o->pairs, &o->npairs, 4096);
  if (!strcmp(key, "pairs_window_ms"))
    return parse_int(val, &o->window_ms, 60000);
  return -1;
}

static const char *const env_names[][2] = {
    {"SP_BENCH_GROUPS", "messaging_groups"},
    {"SP_BENCH_LOOPS", "messaging_loops"},
    {"SP_BENCH_PAIRS", "pairs"},
    {"SP_BENCH_PAIRS_WINDOW_MS", "pairs_window_ms"},
};

int bm_contention_flags(int *argc, char **argv) {
  int out = 1;
  for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++) {
    const char *v = getenv(env_names[i][0]);
    if (v && set_option(env_names[i][1], v) != 0) {
      fprintf(stderr, "sockpair-bench: bad %s='%s'\n", env_names[i][0], v);
      return 64;
    }
  }
  for (int i = 1; i < *argc; i++) {
    char key[64];
    const char *eq = strchr(argv[i], '=');
    size_t klen = eq ? (size_t)(eq - argv[i]) - 5 : 0;
    if (strncmp(argv[i], "--sp_", 5) != 0) {
      argv[out++] = argv[i];
      continue;
    }
    if (!eq || klen >= sizeof(key)) {
      fprintf(stderr, "sockpair-bench: %s wants a value (--sp_x=v)\n", argv[i]);
      return 64;
    }
    memcpy(key, argv[i] + 5, klen);
    key[klen] = 0;
    if (set_option(key, eq + 1) != 0) {
      fprintf(stderr, "sockpair-bench: bad or unknown flag '%s'\n", argv[i]);
      return 64;
    }
  }
  *argc = out;
  argv[out] = NULL;
  return 0;
}
