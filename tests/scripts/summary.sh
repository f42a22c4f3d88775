#!/usr/bin/env bash
# The summary tables of scripts/bench (scripts/lib/summary.py): medians of
# the committed default run, and unstable repetitions marked.
. "$(dirname "$0")/lib.sh"
RUN="$REPO/results/6.18.44-fc-v595/20261126T020732Z-vm.json"
expect_rc 0 $PY "$REPO/scripts/lib/summary.py" "$RUN"
out=$SCRATCH/out
grep -q '^| unix-stream | 9.0 | 12.3 | 2.66 |' "$out" || fail "latency row"
grep -q '^### Unstable repetitions (†): time CV > 20 % or bimodal' "$out" || fail "no stability table"
grep -q '^| BM_Floor/memcpy/bytes:4096 | 10 | bimodal (6 + 4 repetitions, 2.14x apart)' "$out" ||
  fail "the committed bimodal memcpy floor is not listed"
grep -q '^| memcpy 4096 B | .* † GB/s |' "$out" || fail "the memcpy floor is not marked"
grep -q '^| memcpy 64 B | [0-9.]* GB/s |' "$out" || fail "a stable floor is marked"
# A synthetic run with 5 % noise: nothing unstable.
$GEN "$SCRATCH/calm.json" --seed 1
expect_rc 0 $PY "$REPO/scripts/lib/summary.py" "$SCRATCH/calm.json"
grep -A2 '^### Unstable' "$out" | grep -q '^(none)' || fail "5 % noise called unstable"
expect_rc 64 $PY "$REPO/scripts/lib/summary.py"
echo "summary: all checks passed"
