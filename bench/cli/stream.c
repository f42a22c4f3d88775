/*
 * sockpair stream: lmbench-style one-way throughput between two processes.
 * The parent sends --count messages of --size bytes; the forked child reads
 * them and reports what arrived and when the last byte did. Over UDP the
 * kernel drops datagrams when the receiver falls behind, so the summary
 * always carries the loss rate beside the rate. The run is the harness's
 * one-way run (sh_oneway_run), the one BM_Throughput runs.
 */
#include "cli.h"
#include "sockpair.h"

#define DEFAULT_COUNT 100000
#define MAX_COUNT 100000000

static void report(const cli_ipc_opts *o, const struct sh_oneway *ow) {
  const struct sh_report *r = &ow->rep;
  /* A byte stream's reads are not messages: count whole messages. */
  long long received =
      o->t->bytestream ? r->bytes / (long long)o->size : r->msgs;
  double s = (double)((r->msgs ? r->t_last : ow->t_sent) - ow->t_first) / 1e9;
  double loss = 100.0 * (double)(o->count - received) / (double)o->count;

  fprintf(cli_out,
          "stream transport=%s size=%zu count=%lld pin=%s sent=%lld "
          "received=%lld loss_pct=%.2f bytes_per_s=%.0f msgs_per_s=%.0f "
          "elapsed_s=%.3f api=%s\n",
          o->t->name, o->size, o->count, cli_pin_name(o->pin), o->count,
          received, loss < 0 ? 0.0 : loss, s > 0 ? (double)r->bytes / s : 0.0,
          s > 0 ? (double)received / s : 0.0, s, sh_api_names[o->api]);
}

int cli_stream(int argc, char **argv) {
  cli_ipc_opts o = {.cmd = "stream",
                    .count = DEFAULT_COUNT,
                    .max_count = MAX_COUNT,
                    .size = 64,
                    .pin = SH_PIN_NONE,
                    .timeout_s = 60};
  struct sh_oneway ow = {0};
  struct sh_cpus cpus;
  struct sh_chan c;
  int64_t deadline;
  int rc, err;

  rc = cli_ipc_parse(argc, argv, &o);
  if (rc)
    return rc < 0 ? CLI_EXIT_OK : rc;
  if (cli_parse_only)
    return CLI_EXIT_OK;
  deadline = sh_now_ns() + (int64_t)o.timeout_s * 1000000000;
  rc = cli_ipc_setup(&o, &cpus, &c);
  if (rc)
    return rc;
  cli_run_init(&o, &cpus, &ow.run);
  sh_deadline_arm(deadline);
  err = sh_oneway_run(&ow, &c);
  sh_deadline_disarm(); /* stdio is not EINTR-safe: print without it */
  sh_chan_close(&c);
  if (err)
    return cli_run_failed(&o, &ow.run, err);
  report(&o, &ow);
  return CLI_EXIT_OK;
}
