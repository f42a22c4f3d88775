/*
 * sockpair pingpong: lmbench-style round trips between two processes over
 * one transport. The parent sends --size bytes, the forked child echoes
 * them, --count times; every round trip is timed, and the summary is one
 * line of key=value pairs (percentiles, context switches per round trip).
 * The run is the harness's ping-pong (sh_pingpong_run), the one
 * BM_Latency/<transport>/process runs.
 */
#include "cli.h"
#include "sockpair.h"

#include <stdlib.h>

#define DEFAULT_COUNT 10000
#define MAX_COUNT 10000000

static void report(const cli_ipc_opts *o, struct sh_pingpong *pp) {
  struct sh_stats s;

  sh_stats_compute(pp->rtt_ns, (size_t)pp->done, &s);
  fprintf(cli_out,
          "pingpong transport=%s size=%zu count=%lld pin=%s "
          "rtt_p50_us=%.2f rtt_p90_us=%.2f rtt_p99_us=%.2f rtt_p999_us=%.2f "
          "rtt_mean_us=%.2f rtt_max_us=%.2f ctxsw_per_rt=%.2f elapsed_s=%.3f "
          "api=%s\n",
          o->t->name, o->size, o->count, cli_pin_name(o->pin),
          (double)s.p50 / 1e3, (double)s.p90 / 1e3, (double)s.p99 / 1e3,
          (double)s.p999 / 1e3, s.mean / 1e3, (double)s.max / 1e3,
          (double)(pp->csw_self + pp->csw_peer) / (double)pp->done,
          (double)pp->elapsed_ns / 1e9, sh_api_names[o->api]);
}

static int run(const cli_ipc_opts *o, struct sh_pingpong *pp) {
  int64_t deadline = sh_now_ns() + (int64_t)o->timeout_s * 1000000000;
  struct sh_cpus cpus;
  struct sh_chan c;
  int rc, err;

  rc = cli_ipc_setup(o, &cpus, &c);
  if (rc)
    return rc;
  cli_run_init(o, &cpus, &pp->run);
  sh_deadline_arm(deadline);
  err = sh_pingpong_run(pp, &c);
  sh_deadline_disarm(); /* stdio is not EINTR-safe: print without it */
  sh_chan_close(&c);
  if (err)
    return cli_run_failed(o, &pp->run, err);
  report(o, pp);
  return CLI_EXIT_OK;
}

int cli_pingpong(int argc, char **argv) {
  cli_ipc_opts o = {.cmd = "pingpong",
                    .count = DEFAULT_COUNT,
                    .max_count = MAX_COUNT,
                    .size = 64,
                    .pin = SH_PIN_NONE,
                    .timeout_s = 60};
  struct sh_pingpong pp = {0};
  int rc;

  rc = cli_ipc_parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if (cli_parse_only)
    return CLI_EXIT_OK;
  pp.mode = SH_PROCESS;
  pp.hang_after = -1;
  pp.rtt_ns = malloc((size_t)o.count * sizeof(*pp.rtt_ns));
  if (!pp.rtt_ns)
    return cli_ipc_fail(o.cmd, "allocating", SP_ENOMEM);
  rc = run(&o, &pp);
  free(pp.rtt_ns);
  return rc;
}
