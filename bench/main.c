/*
 * sockpair-bench: every family registered, then Google Benchmark's own
 * main (every --benchmark_* flag works unchanged). See docs/benchmarks.md.
 */
#include "bench.h"

int main(int argc, char **argv) {
  int canaries = bm_canary_wanted(&argc, argv);
  int err = bm_contention_flags(&argc, argv);

  if (canaries < 0)
    return 64;
  if (err != 0)
    return err;
  sh_signals_init();
  bt_test_hooks_init();
  bm_latency_register();
  bm_throughput_register();
  bm_create_register();
  bm_stream_register();
  bm_floors_register();
  bm_messaging_register();
  bm_pairs_register();
  if (canaries)
    bm_canary_register();
  return sb_main(argc, argv);
}
