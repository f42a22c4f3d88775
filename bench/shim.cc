// The only C++ in sockpair: Google Benchmark 1.7.1 seen from C (shim.h).
// Kept as thin as possible; every benchmark lives in a .c file.
#include "shim.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Set when a benchmark fails for a reason other than a documented skip.
bool g_failed = false;

// With random interleaving, 1.7.1 prints a benchmark only once all its
// repetitions are done: most of a run would pass in silence. A heartbeat
// on stderr every 10 s shows it is alive and where it is.
using Clock = std::chrono::steady_clock;
Clock::time_point g_start, g_last;
unsigned long g_calls = 0;

void heartbeat(const char *name) {
  Clock::time_point now = Clock::now();
  g_calls++;
  if (now - g_last < std::chrono::seconds(10))
    return;
  g_last = now;
  std::fprintf(stderr, "sockpair-bench: %3.0f s, %lu runs, now %s\n",
               std::chrono::duration<double>(now - g_start).count(), g_calls,
               name);
}

benchmark::internal::Benchmark *B(sb_bench *b) {
  return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

benchmark::State &S(sb_state *st) {
  return *reinterpret_cast<benchmark::State *>(st);
}

} // namespace

long sb_run_with_canaries(); // shim_canary.cc

extern "C" {

sb_bench *sb_register(const char *name, sb_fn fn, void *arg) {
  std::string n(name);
  auto *b =
      benchmark::RegisterBenchmark(name, [fn, arg, n](benchmark::State &st) {
        fn(reinterpret_cast<sb_state *>(&st), arg);
        heartbeat(n.c_str());
      });
  return reinterpret_cast<sb_bench *>(b);
}

void sb_args(sb_bench *b, const int64_t *args, int n) {
  B(b)->Args(std::vector<int64_t>(args, args + n));
}

void sb_arg_names(sb_bench *b, const char *const *names, int n) {
  B(b)->ArgNames(std::vector<std::string>(names, names + n));
}

void sb_use_manual_time(sb_bench *b) {
  B(b)->UseManualTime();
}

void sb_iterations(sb_bench *b, int64_t n) {
  B(b)->Iterations(n);
}

void sb_unit(sb_bench *b, int unit) {
  static const benchmark::TimeUnit units[] = {
      benchmark::kNanosecond, benchmark::kMicrosecond, benchmark::kMillisecond};
  if (unit >= 0 && unit <= SB_MS)
    B(b)->Unit(units[unit]);
}

int sb_keep_running(sb_state *st) {
  return S(st).KeepRunning() ? 1 : 0;
}

int64_t sb_range(sb_state *st, int i) {
  return S(st).range(static_cast<std::size_t>(i));
}

int64_t sb_max_iterations(sb_state *st) {
  return S(st).max_iterations;
}

int64_t sb_iterations_done(sb_state *st) {
  return S(st).iterations();
}

void sb_set_iteration_time(sb_state *st, double seconds) {
  S(st).SetIterationTime(seconds);
}

void sb_counter(sb_state *st, const char *name, double value, int flags) {
  S(st).counters[name] =
      benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void sb_bytes_processed(sb_state *st, int64_t bytes) {
  S(st).SetBytesProcessed(bytes);
}

void sb_items_processed(sb_state *st, int64_t items) {
  S(st).SetItemsProcessed(items);
}

void sb_label(sb_state *st, const char *label) {
  S(st).SetLabel(label);
}

void sb_skip_with_error(sb_state *st, const char *msg) {
  if (std::strncmp(msg, "skip:", 5) != 0)
    g_failed = true;
  S(st).SkipWithError(msg);
}

int sb_error_occurred(sb_state *st) {
  return S(st).error_occurred() ? 1 : 0;
}

int sb_main(int argc, char **argv) {
  g_start = g_last = Clock::now();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 64;
  // 1.7.1 says "Failed to match any benchmarks" and returns 0 matches
  // without failing: a filter that selects nothing is a usage error here.
  long n = sb_run_with_canaries();
  benchmark::Shutdown();
  if (n < 0)
    return 74;
  if (n == 0) {
    std::fprintf(stderr, "sockpair-bench: no benchmark matches the filter\n");
    return 64;
  }
  return g_failed ? 1 : 0;
}

} // extern "C"
