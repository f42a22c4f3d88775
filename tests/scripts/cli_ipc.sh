#!/usr/bin/env bash
# sockpair pingpong / stream: usage errors exit 64 with the usage on
# stderr; a tiny real run over every transport prints one summary line.
. "$(dirname "$0")/lib.sh"
cli=$3
for cmd in pingpong stream; do
  expect_rc 64 "$cli" $cmd --bogus 1
  grep -q '^usage: sockpair' "$SCRATCH/err" || fail "$cmd: no usage on stderr"
  [ -s "$SCRATCH/out" ] && fail "$cmd: usage error wrote to stdout"
  expect_rc 64 "$cli" $cmd --transport sctp
  expect_rc 64 "$cli" $cmd --count
  expect_rc 64 "$cli" $cmd --count 0
  expect_rc 64 "$cli" $cmd --count 12x
  expect_rc 64 "$cli" $cmd --size -1
  expect_rc 64 "$cli" $cmd --size 999999999999
  expect_rc 64 "$cli" $cmd --pin other
  expect_rc 64 "$cli" $cmd --timeout 0
  expect_rc 64 "$cli" $cmd --api stdio
  grep -q -- "--api wants raw or stream, not 'stdio'" "$SCRATCH/err" ||
    fail "$cmd: bad --api not named"
  expect_rc 64 "$cli" $cmd --api stream --transport eventfd
  expect_rc 0 "$cli" $cmd --help
done
# A datagram larger than the transport takes: the system says no (71).
expect_rc 71 "$cli" stream --transport udp4 --size 70000 --count 3
grep -q EMSGSIZE "$SCRATCH/err" || fail "EMSGSIZE not named"

# Bounded in time: a run longer than --timeout ends with 71, not a hang.
for cmd in "pingpong --count 10000000" "stream --count 100000000 --size 4096" \
    "stream --transport udp4 --count 100000000 --size 4096"; do
  t0=$(date +%s)
  expect_rc 71 "$cli" $cmd --timeout 1
  grep -q ETIMEDOUT "$SCRATCH/err" || fail "$cmd: no ETIMEDOUT"
  [ $(($(date +%s) - t0)) -le 10 ] || fail "$cmd: not bounded by --timeout"
done

for t in unix-stream unix-dgram unix-seqpacket tcp4 tcp6 udp4 udp6 pipe; do
  expect_rc 0 "$cli" pingpong --transport $t --count 200 --size 100 --pin same --timeout 20
  grep -Eq "^pingpong transport=$t size=100 count=200 pin=same rtt_p50_us=[0-9.]+ .*ctxsw_per_rt=[0-9.]+ elapsed_s=" \
    "$SCRATCH/out" || fail "pingpong $t: $(cat "$SCRATCH/out")"
  expect_rc 0 "$cli" stream --transport $t --count 500 --size 1000 --timeout 20
  grep -Eq "^stream transport=$t size=1000 count=500 pin=none sent=500 received=[0-9]+ loss_pct=[0-9.]+ bytes_per_s=[0-9]+ msgs_per_s=[0-9]+ elapsed_s=" \
    "$SCRATCH/out" || fail "stream $t: $(cat "$SCRATCH/out")"
  case $t in udp*) ;; *)
    grep -q "received=500 loss_pct=0.00" "$SCRATCH/out" || fail "stream $t lost data" ;;
  esac
done
# --api stream: the library's stream layer on both ends, same summary line.
for t in unix-stream unix-seqpacket tcp4 pipe; do
  for a in raw stream; do
    expect_rc 0 "$cli" pingpong --transport $t --count 200 --size 100 --pin same --timeout 20 --api $a
    grep -Eq "^pingpong transport=$t size=100 count=200 pin=same rtt_p50_us=[0-9.]+ .* elapsed_s=[0-9.]+ api=$a\$" \
      "$SCRATCH/out" || fail "pingpong $t api $a: $(cat "$SCRATCH/out")"
    expect_rc 0 "$cli" stream --transport $t --count 500 --size 1000 --timeout 20 --api $a
    grep -Eq "^stream transport=$t .* received=500 loss_pct=0.00 .* elapsed_s=[0-9.]+ api=$a\$" \
      "$SCRATCH/out" || fail "stream $t api $a: $(cat "$SCRATCH/out")"
  done
done
t0=$(date +%s)
expect_rc 71 "$cli" pingpong --count 10000000 --api stream --timeout 1
grep -q ETIMEDOUT "$SCRATCH/err" || fail "api stream: no ETIMEDOUT"
[ $(($(date +%s) - t0)) -le 10 ] || fail "api stream: not bounded by --timeout"

# A byte stream carries messages larger than one socket buffer.
expect_rc 0 "$cli" stream --transport unix-stream --count 4 --size 4194304 --timeout 20
grep -q "received=4 loss_pct=0.00" "$SCRATCH/out" || fail "large stream"
expect_rc 0 "$cli" pingpong --transport tcp4 --count 3 --size 1048576 --timeout 20
if [ "$(nproc)" -ge 2 ]; then
  expect_rc 0 "$cli" pingpong --count 100 --pin diff --timeout 20
  grep -q "pin=diff" "$SCRATCH/out" || fail "pin diff"
else
  expect_rc 71 "$cli" pingpong --count 100 --pin diff --timeout 20
fi
echo "cli_ipc: all checks passed"
