#!/usr/bin/env bash
# Power of scripts/compare: the same-CPU latency benchmarks of two socket
# transports and of pipe and eventfd, A plain and B with every
# send/sendto/sendmsg delayed by a known amount (tests/delay_send/, an
# LD_PRELOAD shim; write(2) untouched), in alternating rounds so that the
# machine's drift falls on both sides. Both socket transports must be
# called a regression (exit 3; on time, or on p50 when a neighbour's load
# spikes blur the mean round trip), pipe and eventfd not. (Their verdict
# may say worse or better by a few percent: the shim's process differs and
# a significant small shift is real; a regression also needs a change
# beyond the threshold, and that is what must not happen.)
# Args: REPO BUILD SOCKPAIR_BENCH DELAY_SHIM
. "$(dirname "$0")/lib.sh"
BENCH=$3
SHIM=$4
DELAY_US=50   # per send; a same-CPU round trip has two: +100 µs on ~10 µs
ROUNDS=5      # x 2 repetitions = 10 per side
FILTER='^BM_Latency/(unix-stream|unix-dgram|pipe|eventfd)/process/same-cpu/bytes:(64|8)/'
[ -x "$BENCH" ] && [ -f "$SHIM" ] || fail "no $BENCH or $SHIM"
[ "$(nproc)" -ge 1 ] || fail "nproc"

run() { # run SIDE ROUND: one round of one side
  local side=$1 r=$2 pre=()
  [ "$side" = b ] && pre=(env "LD_PRELOAD=$SHIM" "SP_DELAY_SEND_US=$DELAY_US")
  timeout 60 "${pre[@]}" "$BENCH" --benchmark_filter="$FILTER" \
    --benchmark_repetitions=2 --benchmark_min_time=0.02 \
    --benchmark_context=suite=power \
    --benchmark_out="$SCRATCH/$side$r.json" --benchmark_out_format=json \
    >"$SCRATCH/$side$r.log" 2>&1 || fail "round $r side $side: $(tail -3 "$SCRATCH/$side$r.log")"
}
start=$(date +%s)
a=() b=()
for r in $(seq 1 $ROUNDS); do
  if [ $((r % 2)) -eq 1 ]; then run a "$r"; run b "$r"; else run b "$r"; run a "$r"; fi
  a+=("$SCRATCH/a$r.json"); b+=("$SCRATCH/b$r.json")
done
echo "$ROUNDS rounds in $(($(date +%s) - start)) s"
A=$(IFS=,; echo "${a[*]}")
B=$(IFS=,; echo "${b[*]}")
expect_rc 3 "$REPO/scripts/compare" "$A" "$B" --rows 0
cat "$SCRATCH/out"
grep -q '^overall: 4 benchmarks' "$SCRATCH/out" || fail "not the 4 benchmarks"
for t in unix-stream unix-dgram; do
  grep -q "^REGRESSION: BM_Latency/$t/process/same-cpu/bytes:64/manual_time: " "$SCRATCH/out" ||
    fail "$t with a delayed send not called a regression"
done
for t in pipe/process/same-cpu/bytes:64 eventfd/process/same-cpu/bytes:8; do
  grep -q "^REGRESSION: BM_Latency/$t/" "$SCRATCH/out" &&
    fail "$t called a regression; nothing sends on it"
done
echo "compare_power: all checks passed"
