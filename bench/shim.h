/*
 * A C face for Google Benchmark (1.7.1): the only C++ in the project lives
 * behind this header, in shim.cc. Everything the benchmarks need and
 * nothing more: registration with arguments and their names, the state
 * loop, manual time, counters, labels, skip-with-error and a main.
 */
#ifndef SP_BENCH_SHIM_H
#define SP_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_bench sb_bench; /* a registered benchmark */
typedef struct sb_state sb_state; /* one run of a benchmark function */
typedef void (*sb_fn)(sb_state *st, void *arg);

/* Counter flags: Google Benchmark's Counter::Flags. */
#define SB_COUNTER_DEFAULT 0
#define SB_COUNTER_RATE 1           /* value / seconds */
#define SB_COUNTER_AVG_ITERATIONS 8 /* value / iterations */
#define SB_COUNTER_ITER_INVARIANT 4 /* value * iterations */

/* Time units for sb_unit(). */
#define SB_NS 0
#define SB_US 1
#define SB_MS 2

/* Registers fn(state, arg) under name; arg lives as long as the program. */
sb_bench *sb_register(const char *name, sb_fn fn, void *arg);
/* One set of arguments (state ranges), named "name:value" in the name. */
void sb_args(sb_bench *b, const int64_t *args, int n);
void sb_arg_names(sb_bench *b, const char *const *names, int n);
void sb_use_manual_time(sb_bench *b);
void sb_iterations(sb_bench *b, int64_t n);
void sb_unit(sb_bench *b, int unit);

/* The state loop: while (sb_keep_running(st)) { ... } */
int sb_keep_running(sb_state *st);
int64_t sb_range(sb_state *st, int i);
/* The iteration count this run will do (known before the loop). */
int64_t sb_max_iterations(sb_state *st);
int64_t sb_iterations_done(sb_state *st);
void sb_set_iteration_time(sb_state *st, double seconds);
void sb_counter(sb_state *st, const char *name, double value, int flags);
void sb_bytes_processed(sb_state *st, int64_t bytes);
void sb_items_processed(sb_state *st, int64_t items);
void sb_label(sb_state *st, const char *label);
/* Marks the run as failed with msg (Google Benchmark's SkipWithError);
 * the state loop then stops. Messages starting with "skip:" are the
 * documented skips (the kernel refused, a size the type cannot carry, one
 * CPU); anything else counts as a failure and makes sb_main exit 1. */
void sb_skip_with_error(sb_state *st, const char *msg);
int sb_error_occurred(sb_state *st);

/* A canary (shim_canary.cc): the benchmark instance first registered whose
 * full name (arguments and /manual_time included) matches the POSIX
 * extended regex pattern also runs, briefly (5 repetitions of 0.05 s), before
 * the others, between their two halves and after them, whatever the filter;
 * reported as <name>/at:start, /at:mid, /at:end followed by the instance's
 * arguments. Call before sb_main. */
void sb_canary(const char *name, const char *pattern);

/* Initialize + RunSpecifiedBenchmarks + Shutdown, every flag of Google
 * Benchmark accepted (with canaries: in phases, into one report). Returns
 * the exit status: 0; 1 if a benchmark failed (not a documented skip); 64
 * for an unknown argument or a filter that matches nothing; 74 when the
 * --benchmark_out file cannot be written. */
int sb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* SP_BENCH_SHIM_H */
