# The benchmark suites, shared by scripts/bench (native) and scripts/kernel
# (in a VM): sp_suite NAME sets suite_flags for sockpair-bench, and
# contention_flags for the contention families' own pass. Every suite
# runs the canaries (--sp_canaries: BM_Canary/* at the start, middle and
# end of the run; scripts/compare reads the machine's drift from them).
#   default   scripts/bench's suite: repetitions enough for scripts/compare's
#             U-test (>= 9), random interleaving against drift
#   quick     every benchmark once, short (<= 60 s natively); the
#             contention families at groups 1-2 and pairs 1, 2, 8
#   quick-vm  quick with a longer min time: under TCG, 0.03 s leaves the
#             cross-CPU benchmarks one or two iterations
#   io        the I/O-path dimension (io:uring, io:mmsg, zero-copy) against
#             the io:syscall rows it compares with, interleaved (<= 5 min)
#   io-vm     io, once each, for scripts/kernel
# default, quick and quick-vm leave the io: rows out (sp_io_filter).
sp_io_filter='^BM_Latency/[^/]+/process/(same|diff)-cpu/(io:uring/)?bytes:64/'
sp_io_filter+='|^BM_Throughput/[^/]+/same-cpu/buf:default/'
sp_io_filter+='(io:(uring|mmsg)/batch:(8|64)/)?bytes:(64|65536)/'
sp_io_filter+='|^BM_Throughput/tcp4/same-cpu/buf:4MiB/'
sp_io_filter+='(io:(uring|uring-zc)/batch:8/|io:zerocopy/)?bytes:(65536|1048576)/'
# The contention families (BM_Messaging, BM_Pairs) start up to 320 tasks
# per run: 10 repetitions of them would take the default suite past its
# budget. Their sizes are --sp_* flags inside suite_flags (so a consumer
# that runs one command line, like scripts/kernel, gets them too), and
# sp_suite_run runs them as a second pass with contention_flags (fewer
# repetitions, a min time that one round or one window meets: the tasks
# are started once per benchmark run, not once more for Google
# Benchmark's iteration estimate; repetitions back to back, which reuse a
# benchmark's tasks) when those are set. Benchmark names do not change
# with either.
SP_IO_RE='/io:'
sp_suite() {
  contention_flags=()
  case "$1" in
    default)
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=10
        --benchmark_enable_random_interleaving=true
        --sp_messaging_loops=20 --sp_pairs_window_ms=15)
      contention_flags=(--benchmark_repetitions=3
        --benchmark_min_time=0.01
        --benchmark_enable_random_interleaving=false) ;;
    quick)
      # Every benchmark once; the contention families at their smaller
      # sizes (a fork costs milliseconds here: 320 tasks, a second).
      suite_flags=(--benchmark_min_time=0.03 --benchmark_repetitions=1
        --sp_messaging_groups=1,2 --sp_messaging_loops=10
        --sp_pairs=1,2,8 --sp_pairs_window_ms=15)
      contention_flags=(--benchmark_min_time=0.001) ;;
    quick-vm)
      # Under TCG a fork costs milliseconds: fewer groups and pairs.
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=1
        --sp_messaging_groups=1,2 --sp_messaging_loops=10
        --sp_pairs=1,2,8 --sp_pairs_window_ms=50)
      contention_flags=() ;;
    io)
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=5
        --benchmark_enable_random_interleaving=true
        "--benchmark_filter=$sp_io_filter") ;;
    io-vm)
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=1
        "--benchmark_filter=$sp_io_filter") ;;
    *) echo "unknown suite '$1'" >&2; return 64 ;;
  esac
  case "$1" in
    default|quick|quick-vm) suite_flags+=("--benchmark_filter=-$SP_IO_RE") ;;
  esac
  suite_flags+=(--benchmark_context=suite="$1" --sp_canaries=true)
}

# sp_suite_run BIN OUT_JSON [FLAGS...]: runs the suite set by sp_suite
# (FLAGS last, so they win) into OUT_JSON; returns sockpair-bench's status
# (two passes: the worse one). With contention_flags and no
# --benchmark_filter among FLAGS, the contention families run in a second
# pass and the two JSON files are merged into one run.
SP_CONTENTION_RE='^BM_(Messaging|Pairs)/'
sp_suite_run() {
  local bin=$1 out=$2 a s1=0 s2=0
  shift 2
  local split=${#contention_flags[@]}
  for a in "$@"; do
    case "$a" in --benchmark_filter=*) split=0 ;; esac
  done
  if [ "$split" -eq 0 ]; then
    "$bin" "${suite_flags[@]}" --benchmark_out="$out" \
      --benchmark_out_format=json "$@" || return
    return 0
  fi
  # One negative filter may stand (the last wins): leave out both.
  "$bin" "${suite_flags[@]}" --benchmark_filter="-$SP_IO_RE|$SP_CONTENTION_RE" \
    --benchmark_out="$out.rest" --benchmark_out_format=json "$@" || s1=$?
  [ "$s1" -le 1 ] || return "$s1"
  # The canaries ran in the first pass: once in a run.
  "$bin" "${suite_flags[@]}" "${contention_flags[@]}" --sp_canaries=false \
    --benchmark_filter="$SP_CONTENTION_RE" \
    --benchmark_out="$out.contention" --benchmark_out_format=json "$@" || s2=$?
  [ "$s2" -le 1 ] || return "$s2"
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/merge_runs.py" \
    "$out" "$out.rest" "$out.contention" || return
  rm -f "$out.rest" "$out.contention"
  return $((s1 > s2 ? s1 : s2))
}
