#!/usr/bin/env bash
# sockpair-bench --sp_canaries: the canaries run at the start, between the
# two halves of the other benchmarks and at the end, all in one valid
# Google Benchmark JSON document; without the flag there are none.
# Args: REPO BUILD SOCKPAIR_BENCH
. "$(dirname "$0")/lib.sh"
BENCH=$3
[ -x "$BENCH" ] || fail "no $BENCH"
FILTER='^BM_Floor/clock_gettime$|^BM_Create/raw-pipe2$'
run() { # OUT FLAGS...: a small run, bounded
  local out=$1; shift
  timeout 60 "$BENCH" --benchmark_filter="$FILTER" --benchmark_min_time=0.01 \
    --benchmark_repetitions=2 --benchmark_out="$out" --benchmark_out_format=json "$@"
}
expect_rc 0 run "$SCRATCH/c.json" --sp_canaries
grep -q '^BM_Canary/syscall/at:mid ' "$SCRATCH/out" || fail "no canary on the console"
$PY - "$SCRATCH/c.json" <<'PY' || fail "the canaries' JSON"
import json, re, sys
run = json.load(open(sys.argv[1]))          # one document
assert isinstance(run["context"], dict)
order = []
for e in run["benchmarks"]:
    if e["run_type"] == "iteration" and e["name"] not in order:
        order.append(e["name"])
can = re.compile(r"^BM_Canary/(syscall|memcpy|pipe-pingpong|pipe-xcpu|pipe-bulk)/at:(start|mid|end)")
pos = [can.match(n).group(2) if can.match(n) else "run" for n in order]
# start x5, one half, mid x5, the other half, end x5
assert pos == ["start"] * 5 + ["run"] + ["mid"] * 5 + ["run"] + ["end"] * 5, pos
names = {n for n in order if can.match(n)}
for at in ("start", "mid", "end"):
    assert "BM_Canary/syscall/at:%s" % at in names, names
    assert "BM_Canary/memcpy/at:%s/bytes:65536" % at in names, names
    assert "BM_Canary/pipe-pingpong/at:%s/bytes:64/manual_time" % at in names, names
    assert "BM_Canary/pipe-xcpu/at:%s/bytes:64/manual_time" % at in names, names
    assert "BM_Canary/pipe-bulk/at:%s/bytes:1048576/manual_time" % at in names, names
reps = {}
for e in run["benchmarks"]:
    if e["run_type"] == "iteration":
        reps[e["name"]] = reps.get(e["name"], 0) + 1
for n, k in reps.items():
    assert k == (5 if can.match(n) else 2), (n, k)
fams = {}
for e in run["benchmarks"]:
    fams.setdefault(e["family_index"], set()).add(e["run_name"])
assert all(len(v) == 1 for v in fams.values()), fams   # one family each
PY
# The summary reports their drift.
expect_rc 0 $PY "$REPO/scripts/lib/summary.py" "$SCRATCH/c.json"
grep -q '^| pipe ping-pong | .* % |$' "$SCRATCH/out" || fail "no canary drift in the summary"
# Off: no canary; a bad value: exit 64.
expect_rc 0 run "$SCRATCH/n.json" --sp_canaries=false
grep -q BM_Canary "$SCRATCH/n.json" && fail "canaries without --sp_canaries"
expect_rc 64 run "$SCRATCH/x.json" --sp_canaries=maybe
grep -q 'want --sp_canaries' "$SCRATCH/err" || fail "no message for a bad value"
expect_rc 64 "$BENCH" --sp_canaries --benchmark_filter=nothing-matches-this
expect_rc 74 run /nonexistent-dir/c.json --sp_canaries
echo "canary: all checks passed"
