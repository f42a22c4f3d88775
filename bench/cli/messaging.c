/*
 * sockpair messaging: hackbench (perf bench sched messaging) over any
 * transport, the same code as BM_Messaging (bench/harness/messaging.c).
 * Groups of --fds senders and --fds receivers; every sender writes --loops
 * messages of --size bytes to every receiver of its group. One round; the
 * summary is one line of key=value pairs: elapsed_s is release to the last
 * receiver's last message, reaped_s release to every task gone (what perf
 * prints as "Total time"), then rates, per-message latency percentiles,
 * context switches per message, fairness and (UDP) loss.
 */
#include "cli.h"
#include "messaging.h"
#include "sockpair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS 100000

/* One "--name value" (or --thread): 0, or the usage error's exit code. */
static int parse_value(void *ctx, const char *a, const char *val) {
  struct sh_msg_config *c = ctx;
  static const struct {
    const char *flag;
    long long min, max;
  } lim[] = {{"--groups", 1, 10000},
             {"--fds", 1, 1000},
             {"--loops", 1, 10000000},
             {"--size", SH_MSG_HEADER, 65507},
             {"--timeout", 1, 3600}};
  long long v;
  if (!val) { /* the one bare flag */
    c->mode = SH_THREAD;
    return 0;
  }
  if (!strcmp(a, "--transport")) {
    c->t = sh_transport_find(val);
    if (!c->t || c->t->create == SH_EVENTFDS)
      return cli_usage_error("messaging: unknown transport '%s'", val);
    return 0;
  }
  for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
    if (strcmp(a, lim[i].flag) != 0)
      continue;
    if (cli_parse_ll(val, lim[i].min, lim[i].max, &v) != 0)
      return cli_usage_error("messaging: %s wants %lld..%lld, not '%s'", a,
                             lim[i].min, lim[i].max, val);
    if (i == 0)
      c->groups = (int)v;
    else if (i == 1)
      c->fds = (int)v;
    else if (i == 2)
      c->loops = (int)v;
    else if (i == 3)
      c->size = (size_t)v;
    else
      c->timeout_s = (unsigned)v;
    return 0;
  }
  return cli_usage_error("messaging: unknown option '%s'", a);
}

/* 0, -1 after --help, or 64. */
static int parse(int argc, char **argv, struct sh_msg_config *c) {
  static const char *const bare[] = {"--thread", NULL};
  int err = cli_parse_opts(argc, argv, "messaging", bare, parse_value, c);
  if (err)
    return err;
  if (sh_msg_tasks(c) > MAX_TASKS)
    return cli_usage_error("messaging: %ld tasks: at most %d", sh_msg_tasks(c),
                           MAX_TASKS);
  return 0;
}

static void report(const struct sh_msg_config *c, struct sh_msg_result *r,
                   int64_t reaped_ns) {
  struct sh_stats s;
  double span = (double)r->span_ns * 1e-9;
  double d = (double)r->delivered;
  sh_stats_compute(r->lat, r->nlat, &s);
  fprintf(cli_out,
          "messaging transport=%s mode=%s groups=%d fds=%d loops=%d size=%zu "
          "tasks=%ld messages=%lld delivered=%lld loss_pct=%.2f "
          "elapsed_s=%.3f reaped_s=%.3f msgs_per_s=%.0f mb_per_s=%.2f "
          "lat_p50_us=%.1f lat_p90_us=%.1f lat_p99_us=%.1f lat_p999_us=%.1f "
          "lat_mean_us=%.1f csw_per_msg=%.3f fairness=%.3f\n",
          c->t->name, c->mode == SH_THREAD ? "thread" : "process", c->groups,
          c->fds, c->loops, c->size, sh_msg_tasks(c), (long long)r->expected,
          (long long)r->delivered,
          100.0 * (double)(r->expected - r->delivered) / (double)r->expected,
          span, (double)reaped_ns * 1e-9, d / span,
          d * (double)c->size / span / 1e6, (double)s.p50 / 1e3,
          (double)s.p90 / 1e3, (double)s.p99 / 1e3, (double)s.p999 / 1e3,
          s.mean / 1e3, (double)r->csw / d, r->fairness);
}

static int fail(const char *why) {
  fprintf(cli_err, "sockpair: messaging: %s\n", why);
  return CLI_EXIT_OSERR;
}

int cli_messaging(int argc, char **argv) {
  /* perf bench sched messaging's defaults */
  struct sh_msg_config c = {
      sh_transport_find("unix-stream"), SH_PROCESS, 10, 20, 100, 100, 0};
  struct sh_msg *m;
  struct sh_msg_result r;
  char why[320];
  int rc = parse(argc, argv, &c);
  if (rc)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if (cli_parse_only)
    return CLI_EXIT_OK;
  sh_signals_init(); /* SIGPIPE ignored; the deadlines' SIGALRM caught */
  if (sh_msg_open(&m, &c, why, sizeof(why)) != 0)
    return fail(why);
  if (sh_msg_round(m, &r, why, sizeof(why)) != 0 ||
      sh_msg_stop(m, why, sizeof(why)) != 0) {
    sh_msg_free(m);
    return fail(why);
  }
  report(&c, &r, sh_now_ns() - r.t_release);
  sh_msg_free(m);
  return CLI_EXIT_OK;
}
