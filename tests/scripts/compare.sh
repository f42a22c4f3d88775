#!/usr/bin/env bash
# scripts/compare on Google Benchmark JSON with known distributions
# (scripts/lib/gen_gbench.py: 5 % gaussian noise, or a committed run
# resampled) and on the committed runs.
. "$(dirname "$0")/lib.sh"
"$REPO/scripts/env" --json >"$SCRATCH/env.json"
g() { $GEN "$SCRATCH/$1" --env "$SCRATCH/env.json" "${@:2}"; }
g a.json --seed 1
g a2.json --seed 2
g shift.json --seed 3 --scale 1.2
g few_a.json --seed 4 --reps 3
g few_b.json --seed 5 --reps 3 --scale 1.2
g small.json --seed 6 --scale 1.05
g tcg.json --seed 7 --vm tcg --ctx 3.7
g sysctl.json --seed 8 --sysctl net.core.rmem_max=212992
overall() { grep '^overall:' "$SCRATCH/out"; }
row() { grep -E "^  $1 " "$SCRATCH/out"; }

# Identical inputs: nothing changed, every benchmark "same", exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json"
overall | grep -q 'worse 0, better 0, same 3, inconclusive 0' || fail "identical inputs: $(overall)"
grep -q '^warning' "$SCRATCH/out" && fail "identical inputs: a warning"
grep -q 'compare.py' "$SCRATCH/out" && fail "compare.py output without --compare-py"
# The family table: median ± CI, ~ for no change, p and n.
row 'unix-stream/64 ' | grep -E -q '[0-9.]+ µs +± [0-9]+% .* ~ +1\.000 +10/10 +same' ||
  fail "no benchstat-style row: $(row 'unix-stream/64 ')"
grep -q '^== BM_PingPong — 2 benchmark(s)' "$SCRATCH/out" || fail "no family title"
grep -q '^  geomean ' "$SCRATCH/out" || fail "no geomean row"
# Google Benchmark's compare.py, on request.
if [ -f /usr/share/benchmark/compare.py ] && $PY -c 'import scipy' 2>/dev/null; then
  expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json" --compare-py
  grep -q "U Test, Repetitions: 10 vs 10" "$SCRATCH/out" || fail "no compare.py output"
fi
# Same distribution, other seed: nothing called worse or better.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a2.json"
overall | grep -q 'worse 0, better 0' || fail "A/A: $(overall)"
# A 20 % shift with 10 repetitions: worse, a regression, exit 3; the rate
# falls with it; p99 is worse but never gated.
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json"
overall | grep -q 'worse 3, better 0' || fail "20 % shift: $(overall)"
row 'pipe/64 ' | grep -E -q '\+[12][0-9]\.[0-9]%.*REGRESSION' || fail "no regression row: $(row 'pipe/64 ')"
grep -q '^REGRESSION: BM_PingPong/pipe/64/manual_time: time .*bytes_per_second' "$SCRATCH/out" ||
  fail "no time and rate regression line"
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json" --all
grep -E -q '^ +p99 .* worse' "$SCRATCH/out" || fail "p99 not called worse"
grep -E -q '^ +p99 .*REGRESSION' "$SCRATCH/out" && fail "p99 gated"
# Reversed, it is an improvement: exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/shift.json" "$SCRATCH/a.json"
overall | grep -q 'worse 0, better 3' || fail "no improvement: $(overall)"
# A higher threshold lets it pass (still worse, not a regression).
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json" --threshold 30
# 5 % shift: perhaps worse, but within the 10 % threshold: exit 0.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/small.json"
# Three repetitions: the U test cannot reach 0.05, so inconclusive, with
# the repetitions a 10 % change needs; no interval of the median (n < 6).
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/few_a.json" "$SCRATCH/few_b.json"
overall | grep -q 'worse 0, better 0, same 0, inconclusive 3' || fail "3 reps: $(overall)"
row 'pipe/64 ' | grep -E -q '± ∞ .*inconclusive: needs n=[0-9]+' || fail "3 reps: $(row 'pipe/64 ')"
# Directories pool their runs (20 repetitions each side); --json says so.
mkdir -p "$SCRATCH/ka" "$SCRATCH/kb"
cp "$SCRATCH/a.json" "$SCRATCH/ka/1.json"; cp "$SCRATCH/a2.json" "$SCRATCH/ka/2.json"
cp "$SCRATCH/shift.json" "$SCRATCH/kb/1.json"
echo '{"results": []}' >"$SCRATCH/kb/hyperfine-x.json"   # ignored
echo '{"partial' >"$SCRATCH/kb/.record-1.tmp"            # ignored
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/ka" "$SCRATCH/kb" --json "$SCRATCH/t.json"
grep -q ' 20/10 ' "$SCRATCH/out" || fail "directory runs not pooled"
$PY - "$SCRATCH/t.json" <<'PY' || fail "--json"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["exit_status"] == 3 and len(t["benchmarks"]) == 3, t["exit_status"]
b = {x["name"]: x for x in t["benchmarks"]}["BM_PingPong/pipe/64/manual_time"]
p = b["primary"]
assert b["verdict"] == "worse" and p["regression"], b["verdict"]
assert p["a"]["n"] == 20 and p["a"]["ci_lo"] < p["a"]["median"] < p["a"]["ci_hi"]
assert 1.1 < p["ratio_ci"][1] < p["ratio_ci"][0] < p["ratio_ci"][2] < 1.3, p["ratio_ci"]
assert t["families"][0]["counts"]["worse"] == 2, t["families"]
PY
# Markdown for a mail or a pull request.
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/shift.json" --markdown
grep -q '^### BM_PingPong — ' "$SCRATCH/out" || fail "--markdown: no family heading"
grep -q '^| pipe/64 | ' "$SCRATCH/out" || fail "--markdown: no table row"
# Environment differences other than the kernel are warned about.
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/sysctl.json"
grep -q '^warning: sysctls.net.core.rmem_max differs' "$SCRATCH/out" || fail "no sysctl warning"
# Across accelerators: timings refused, the kernel's counters compared.
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/tcg.json" --all
grep -q 'timing comparison REFUSED' "$SCRATCH/out" || fail "no refusal"
grep -E -q '^(BM_[^ ]+)? +time ' "$SCRATCH/out" && fail "a time row across accelerators"
grep -E -q 'ctx_switches_per_rt .*REGRESSION' "$SCRATCH/out" || fail "ctx switches not compared"
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/tcg.json" --force --all
grep -E -q '^(BM_[^ ]+)? +time ' "$SCRATCH/out" || fail "--force compares no time"
# Missing counters on one side are reported, not a failure.
$PY - "$SCRATCH/a.json" "$SCRATCH/nocounter.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for e in j["benchmarks"]:
    e.pop("p99")
json.dump(j, open(sys.argv[2], "w"))
PY
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/nocounter.json" --all
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
grep -q ' 10/10 ' "$SCRATCH/out" || fail "quick run pooled"
expect_rc 65 "$REPO/scripts/compare" "$SCRATCH/sa" "$SCRATCH/sb" --suite quick
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/sa" "$SCRATCH/sb" --suite-a quick --suite-b default
grep -q '^warning: suite: A quick; B default' "$SCRATCH/out" || fail "forced suites not said"

# Two default-suite runs (the committed run resampled, one transport made
# 30 % slower): one screen, the slower rows first and called worse, and
# nothing else called worse or better.
RUN="$REPO/results/6.18.44-fc-v595/20261126T020732Z-vm.json"
$GEN "$SCRATCH/da.json" --from "$RUN" --seed 21
$GEN "$SCRATCH/db.json" --from "$RUN" --seed 22 --shift 'unix-stream/process/same-cpu=1.3'
expect_rc 3 "$REPO/scripts/compare" "$SCRATCH/da.json" "$SCRATCH/db.json"
lines=$(wc -l <"$SCRATCH/out")
[ "$lines" -le 80 ] || fail "default view of two default runs: $lines lines"
sed -n '/^== BM_Latency/{n;n;p;q}' "$SCRATCH/out" | grep -q 'unix-stream/process/same-cpu/.*REGRESSION' ||
  fail "the slower rows are not first"
overall | grep -q 'worse 3, better 0' || fail "30 % shift of 3 benchmarks: $(overall)"
# Resampled A/A of the same run: at most 5 % called worse or better.
$GEN "$SCRATCH/dc.json" --from "$RUN" --seed 23
expect_rc 0 "$REPO/scripts/compare" "$SCRATCH/da.json" "$SCRATCH/dc.json"
$PY - "$SCRATCH/out" <<'PY' || fail "resampled A/A: $(overall)"
import re, sys
m = re.search(r"^overall: (\d+) benchmarks — worse (\d+), better (\d+)", open(sys.argv[1]).read(), re.M)
n, w, b = map(int, m.groups())
assert w + b <= 0.05 * n, (n, w, b)
PY
# The committed kernel comparison: one screen; the bimodal memcpy floor of
# the committed default run is marked unstable.
expect_rc 0 "$REPO/scripts/compare" "$REPO/results/6.1.0-56-cloud-amd64" "$REPO/results/6.12.117+deb12-cloud-amd64"
lines=$(wc -l <"$SCRATCH/out")
[ "$lines" -le 80 ] || fail "6.1 vs 6.12: $lines lines"
expect_rc 0 "$REPO/scripts/compare" "$RUN" "$RUN" --all --filter 'memcpy/bytes:4096'
grep -E -q '^BM_Floor/memcpy/bytes:4096 +time .*A unstable: bimodal' "$SCRATCH/out" || fail "bimodal memcpy not flagged"

# Usage errors.
expect_rc 64 "$REPO/scripts/compare"
expect_rc 64 "$REPO/scripts/compare" "$SCRATCH/a.json"
expect_rc 64 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json" --threshold x
expect_rc 64 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json" --filter '('
expect_rc 74 "$REPO/scripts/compare" "$SCRATCH/a.json" "$SCRATCH/a.json" --json "$SCRATCH/no/such/dir/t.json"
grep -q "^compare: cannot write $SCRATCH/no/such/dir/t.json" "$SCRATCH/err" || fail "exit 74 without its line"
expect_rc 0 "$REPO/scripts/compare" --help
echo "compare: all checks passed"
