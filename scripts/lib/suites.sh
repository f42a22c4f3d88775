# The benchmark suites, shared by scripts/bench (native) and scripts/kernel
# (in a VM): sp_suite NAME sets suite_flags for sockpair-bench. Every suite
# runs the canaries (--sp_canaries: BM_Canary/* at the start, middle and
# end of the run; scripts/compare reads the machine's drift from them).
#   default   scripts/bench's suite: repetitions enough for scripts/compare's
#             U-test (>= 9), random interleaving against drift
#   quick     every benchmark once, short (<= 60 s natively)
#   quick-vm  quick with a longer min time: under TCG, 0.03 s leaves the
#             cross-CPU benchmarks one or two iterations
sp_suite() {
  case "$1" in
    default)
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=10
        --benchmark_enable_random_interleaving=true) ;;
    quick) suite_flags=(--benchmark_min_time=0.03 --benchmark_repetitions=1) ;;
    quick-vm) suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=1) ;;
    *) echo "unknown suite '$1'" >&2; return 64 ;;
  esac
  suite_flags+=(--benchmark_context=suite="$1" --sp_canaries=true)
}
