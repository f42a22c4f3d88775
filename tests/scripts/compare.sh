#!/usr/bin/env bash
# scripts/compare on synthetic Google Benchmark JSON with known
# distributions (scripts/lib/gen_gbench.py: 5 % gaussian noise).
. "$(dirname "$0")/lib.sh"
$PY -c 'import scipy' 2>/dev/null || { echo "python3-scipy missing: skipped"; exit 77; }
"$REPO/scripts/env" --json >"$SCRATCH/env.json"
g() { $GEN "$SCRATCH/$1" --env "$SCRATCH/env.json" "${@:2}"; }
g a.json --seed 1
g a2.json --seed 2
g shift.json --seed 3 --scale 1.2
g few_a.json --seed 4 --reps 5
g few_b.json --seed 5 --reps 5 --scale 1.2
g small.json --seed 6 --scale 1.05
g tcg.json --seed 7 --vm tcg --ctx 3.7
g sysctl.json --seed 8 --sysctl net.core.rmem_max=212992
sig_count() { # the number of benchmarks whose time is significant
  sed -n 's/.*(time: \([0-9]*\) of \([0-9]*\) benchmarks).*/\1/p' "$SCRATCH/out"
}

# Identical inputs: nothing significant, exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json"
grep -q ' 0 with p < 0.05' "$SCRATCH/out" || fail "identical inputs: something significant"
grep -q '^warning' "$SCRATCH/out" && fail "identical inputs: a warning"
if [ -f /usr/share/benchmark/compare.py ]; then
  grep -q "U Test, Repetitions: 10 vs 10" "$SCRATCH/out" || fail "no compare.py output"
fi
# Same distribution, other seed: no time difference flagged.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a2.json"
[ "$(sig_count)" = 0 ] || fail "A/A: $(sig_count) significant"
# A 20 % shift with 10 repetitions: significant, a regression, exit 3.
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json"
[ "$(sig_count)" = 3 ] || fail "20 % shift: $(sig_count) of 3 significant"
grep -q '^REGRESSION: BM_PingPong/pipe/64/manual_time time' "$SCRATCH/out" || fail "no time regression line"
grep -q '^REGRESSION: .* bytes_per_second' "$SCRATCH/out" || fail "a falling rate is no regression"
grep -E -q 'p99 .*worse \(not gated\)' "$SCRATCH/out" || fail "p99 gated or unreported"
# Reversed, it is an improvement: exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/shift.json" "$SCRATCH/a.json"
grep -q 'better' "$SCRATCH/out" || fail "no improvement reported"
# A higher threshold lets it pass.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json" --threshold 30
# 5 % shift: significant perhaps, but within the 10 % threshold: exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/small.json"
# Too few repetitions: not judged, exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/few_a.json" "$SCRATCH/few_b.json"
grep -q 'n<9' "$SCRATCH/out" || fail "few repetitions not marked"
# Directories pool their runs (20 repetitions each side).
mkdir -p "$SCRATCH/ka" "$SCRATCH/kb"
cp "$SCRATCH/a.json" "$SCRATCH/ka/1.json"; cp "$SCRATCH/a2.json" "$SCRATCH/ka/2.json"
cp "$SCRATCH/shift.json" "$SCRATCH/kb/1.json"
echo '{"results": []}' >"$SCRATCH/kb/hyperfine-x.json"   # ignored
echo '{"partial' >"$SCRATCH/kb/.record-1.tmp"            # ignored
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/ka" "$SCRATCH/kb" --json "$SCRATCH/t.json"
grep -q '20/10' "$SCRATCH/out" || fail "directory runs not pooled"
$PY -c 'import json,sys; t=json.load(open(sys.argv[1])); assert len(t["benchmarks"])==3' "$SCRATCH/t.json" || fail "--json"
# Environment differences other than the kernel are warned about.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/sysctl.json"
grep -q '^warning: sysctls.net.core.rmem_max differs' "$SCRATCH/out" || fail "no sysctl warning"
# Across accelerators: timings refused, the kernel's counters compared.
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/tcg.json"
grep -q 'timing comparison REFUSED' "$SCRATCH/out" || fail "no refusal"
grep -q 'Google Benchmark compare.py' "$SCRATCH/out" && fail "compare.py ran across accelerators"
grep -E -q '^\s*time \(' "$SCRATCH/out" && fail "a time row across accelerators"
grep -q 'ctx_switches_per_rt .*REGRESSION' "$SCRATCH/out" || fail "ctx switches not compared"
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/tcg.json" --force
grep -q 'time (ns)' "$SCRATCH/out" || fail "--force compares no time"
# Missing counters on one side are reported, not a failure.
$PY - "$SCRATCH/a.json" "$SCRATCH/nocounter.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for e in j["benchmarks"]:
    e.pop("p99")
json.dump(j, open(sys.argv[2], "w"))
PY
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/nocounter.json"
grep -q 'missing in B' "$SCRATCH/out" || fail "missing counter"
# Matrices: differences listed.
$PY - "$SCRATCH" <<'PY'
import json, sys
cell = {"domain": 2, "domain_name": "AF_INET", "type": 1, "type_name": "SOCK_STREAM",
        "protocol": 0, "protocol_name": "IPPROTO_IP", "ok": True, "method": "emulated-tcp"}
json.dump({"cells": [cell]}, open(sys.argv[1] + "/ka/matrix.json", "w"))
cell = dict(cell, ok=False, errno="EAFNOSUPPORT")
json.dump({"cells": [cell]}, open(sys.argv[1] + "/kb/matrix.json", "w"))
PY
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/ka" "$SCRATCH/kb"
grep -q 'AF_INET SOCK_STREAM IPPROTO_IP: A ok (emulated-tcp), B EAFNOSUPPORT' "$SCRATCH/out" || fail "matrix diff"
# Suites are not pooled: a side mixing them is cut to "default".
mkdir -p "$SCRATCH/sa" "$SCRATCH/sb"
g sa/d.json --seed 11 --suite default
g sa/q.json --seed 12 --suite quick --scale 1.5
g sb/d.json --seed 13 --suite default
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/sa" "$SCRATCH/sb"
grep -q '^suite: A default; B default' "$SCRATCH/out" || fail "suite not chosen"
grep -q '10/10' "$SCRATCH/out" || fail "quick run pooled"
expect_rc 65 "$REPO/scripts/compare" "$SCRATCH/sa" "$SCRATCH/sb" --suite quick
# Usage and data errors.
expect_rc 64 "$REPO/scripts/compare"
expect_rc 64 "$REPO/scripts/compare" "$SCRATCH/a.json"
expect_rc 64 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json" --threshold x
expect_rc 65 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/none.json"
mkdir -p "$SCRATCH/emptydir"
expect_rc 65 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/emptydir"
expect_rc 0 "$REPO/scripts/compare" --help
echo "compare: all checks passed"
