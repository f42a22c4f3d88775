# The benchmark suites, shared by scripts/bench (native) and scripts/kernel
# (in a VM): sp_suite NAME sets suite_flags for sockpair-bench.
#   default   scripts/bench's suite: repetitions enough for scripts/compare's
#             U-test (>= 9), random interleaving against drift
#   quick     every benchmark once, short (<= 60 s natively)
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
sp_suite() {
  case "$1" in
    default)
      suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=10
        --benchmark_enable_random_interleaving=true) ;;
    quick) suite_flags=(--benchmark_min_time=0.03 --benchmark_repetitions=1) ;;
    quick-vm) suite_flags=(--benchmark_min_time=0.05 --benchmark_repetitions=1) ;;
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
    default|quick|quick-vm) suite_flags+=("--benchmark_filter=-/io:") ;;
  esac
  suite_flags+=(--benchmark_context=suite="$1")
}
