#!/usr/bin/env bash
# The drift band of scripts/compare, on synthetic runs with canaries
# (scripts/lib/gen_gbench.py --canaries: BM_Canary/* at start, mid, end):
# a uniform shift of every benchmark and every canary is not called worse;
# one transport shifted beyond the canaries is; --no-drift-band, runs
# without canaries, two kernels, the JSON, HTML and the summary.
. "$(dirname "$0")/lib.sh"
"$REPO/scripts/env" --json >"$SCRATCH/env.json"
g() { $GEN "$SCRATCH/$1" --env "$SCRATCH/env.json" "${@:2}"; }
g a.json --seed 1 --canaries
g a2.json --seed 2 --canaries
g up.json --seed 3 --canaries --scale 1.2
g pipe.json --seed 4 --canaries --scale 1.2 --shift 'pipe/64=1.5'
g old.json --seed 5
# Scaling rows (across CPUs) and the cross-CPU canary 50 % slower, nothing
# else: the band of the rows across CPUs holds them; a same-CPU row slowed as
# much is not covered by that canary and is worse.
g s.json --seed 7 --canaries --scaling
g s2.json --seed 8 --canaries --scaling --shift 'BM_Messaging|BM_Pairs|BM_Canary/pipe-xcpu=1.5'
g s3.json --seed 9 --canaries --scaling --shift 'BM_Messaging|BM_Pairs|BM_Canary/pipe-xcpu|BM_PingPong/pipe=1.5'
$PY - "$SCRATCH/env.json" "$SCRATCH/env2.json" <<'PY'
import json, sys
env = json.load(open(sys.argv[1]))
env["kernel"]["release"] = "6.1.0-test"
json.dump(env, open(sys.argv[2], "w"))
PY
$GEN "$SCRATCH/k2.json" --env "$SCRATCH/env2.json" --seed 6 --canaries --scale 1.2
overall() { grep '^overall:' "$SCRATCH/out"; }
C="$REPO/scripts/compare"

# Every benchmark and every canary 20 % slower: the machine moved, nothing
# is worse (inconclusive (drift)), exit 0; the band says where it came from.
expect_rc 0 "$C" "$SCRATCH/a.json" "$SCRATCH/up.json"
grep -q '^drift: the machine moved: syscall floor +[12][0-9] %, memcpy 64 KiB +[12][0-9] %, pipe ping-pong +[12][0-9] %, pipe ping-pong across CPUs +[12][0-9] %, pipe 1 MiB transfer +[12][0-9] % (canaries, B vs A)' \
  "$SCRATCH/out" || fail "no drift line: $(grep '^drift' "$SCRATCH/out")"
grep -q '^drift band: time ±[23][0-9]\.[0-9] % (' "$SCRATCH/out" || fail "no band line"
grep -q '^warning: the canaries moved by up to more than the 10 % threshold' "$SCRATCH/out" ||
  fail "no warning for a band beyond the threshold"
overall | grep -q 'worse 0, better 0, same 0, inconclusive 3 (drift 3)' || fail "uniform shift: $(overall)"
grep -q 'inconclusive (drift; without the band: REGRESSION)' "$SCRATCH/out" || fail "no verdict both ways"
grep -q '^without the drift band: worse 3' "$SCRATCH/out" || fail "no counts without the band"
expect_rc 0 "$C" "$SCRATCH/a.json" "$SCRATCH/up.json" --all
grep -E -q '(worse|better) +(mde|$)' "$SCRATCH/out" && fail "uniform shift: a metric called changed"
# A canary that bands only some rows: its line, and only those rows held.
expect_rc 0 "$C" "$SCRATCH/s.json" "$SCRATCH/s2.json"
grep -q '^drift band of the rows across CPUs (diff-cpu, unpinned, BM_Messaging, BM_Pairs): also time ±[4-9][0-9]\.[0-9] % (pipe ping-pong across CPUs)' \
  "$SCRATCH/out" || fail "no scoped band line: $(grep '^drift band' "$SCRATCH/out")"
grep -q '^drift band of the bulk rows' "$SCRATCH/out" || fail "no bulk band line"
overall | grep -q 'worse 0, better 0, same 3, inconclusive 18 (drift 18)' || fail "scoped band: $(overall)"
expect_rc 3 "$C" "$SCRATCH/s.json" "$SCRATCH/s3.json"
grep -q '^REGRESSION: BM_PingPong/pipe/64/manual_time: time ' "$SCRATCH/out" ||
  fail "a same-CPU row held by the cross-CPU canary's band"
grep -q '^REGRESSION: BM_\(Messaging\|Pairs\)' "$SCRATCH/out" && fail "a row across CPUs beyond its band"
# --no-drift-band: the old verdicts, a regression.
expect_rc 3 "$C" "$SCRATCH/a.json" "$SCRATCH/up.json" --no-drift-band
overall | grep -q 'worse 3, better 0' || fail "--no-drift-band: $(overall)"
grep -q '^drift band: .*not applied (--no-drift-band)' "$SCRATCH/out" || fail "--no-drift-band not said"
# One transport 50 % beyond the canaries' 20 %: worse, a regression; the
# others inconclusive (drift).
expect_rc 3 "$C" "$SCRATCH/a.json" "$SCRATCH/pipe.json"
grep -q '^REGRESSION: BM_PingPong/pipe/64/manual_time: time ' "$SCRATCH/out" || fail "pipe not a regression"
grep -q '^REGRESSION: BM_PingPong/unix-stream' "$SCRATCH/out" && fail "unix-stream called a regression"
overall | grep -q 'worse 1, better 0, same 0, inconclusive 2 (drift 2)' || fail "one transport: $(overall)"
# Same machine state: a narrow band, nothing changed.
expect_rc 0 "$C" "$SCRATCH/a.json" "$SCRATCH/a2.json"
grep -q '^drift: the machine held still' "$SCRATCH/out" || fail "A/A: $(grep '^drift' "$SCRATCH/out")"
overall | grep -q 'worse 0, better 0' || fail "A/A: $(overall)"
# A run without canaries (older runs) still compares, without a band.
expect_rc 3 "$C" "$SCRATCH/old.json" "$SCRATCH/up.json"
grep -q '^drift: no canaries in A ' "$SCRATCH/out" || fail "no line for a side without canaries"
grep -q 'BM_Canary' "$SCRATCH/out" && fail "canaries listed as benchmarks"
expect_rc 0 "$C" "$SCRATCH/old.json" "$SCRATCH/old.json"
grep -q '^drift: no canaries in A and B' "$SCRATCH/out" || fail "no line for old runs"
# Two kernels: the canaries may move for the kernel too; both ways.
expect_rc 0 "$C" "$SCRATCH/a.json" "$SCRATCH/k2.json"
grep -q '^note: A and B ran different kernels: a canary may move for a kernel reason too' "$SCRATCH/out" ||
  fail "no kernel note"
grep -q '^without the band also REGRESSION: BM_PingPong/pipe/64/manual_time' "$SCRATCH/out" ||
  fail "kernels: the regressions without the band not listed"
# JSON, Markdown and HTML carry it.
expect_rc 0 "$C" "$SCRATCH/a.json" "$SCRATCH/up.json" --json "$SCRATCH/r.json" \
  --html "$SCRATCH/r.html" --markdown
grep -q '^- drift: the machine moved' "$SCRATCH/out" || fail "no drift in the Markdown"
$PY - "$SCRATCH/r.json" <<'PY' || fail "JSON drift block"
import json, sys
r = json.load(open(sys.argv[1]))
d = r["drift"]
assert d["applied"] and not d["missing"] and not d["interleaved"], d
assert 20 <= d["bands"]["time"]["pct"] < 40, d["bands"]
assert {c["canary"] for c in d["changes"]} == {"syscall", "memcpy", "pipe-pingpong", "pipe-xcpu", "pipe-bulk"}
assert set(d["scoped"]) == {"pipe-xcpu", "pipe-bulk"}, d["scoped"]
assert all(x["band_pct"] is not None for b in r["benchmarks"] for x in b["rows"] if x["metric"] == "time")
assert len(d["within"]["A"]["runs"]) == 1
assert set(d["within"]["A"]["runs"][0]["canaries"]["syscall"]) >= {"start", "mid", "end", "range"}
rows = [x for b in r["benchmarks"] for x in b["rows"]]
assert not [x for x in rows if x["verdict"] in ("worse", "better")]
assert any(x["drift"] and x["without_band"]["verdict"] == "worse" for x in rows)
assert r["overall"]["counts"]["drift"] == 3 and r["regressions"] == []
assert len(r["regressions_without_band"]) > 0
PY
grep -q '<h2 id=drift>Drift: the canaries</h2>' "$SCRATCH/r.html" || fail "no drift section in the HTML"
grep -q 'stroke-dasharray="4,3"' "$SCRATCH/r.html" || fail "no drift band in the forest plot"
# The summary: the canaries at the three positions and their drift.
expect_rc 0 $PY "$REPO/scripts/lib/summary.py" "$SCRATCH/a.json"
grep -q '^| syscall floor | [0-9]* ns | [0-9]* ns | [0-9]* ns | [0-9.]* ns | [0-9.]* % |' "$SCRATCH/out" ||
  fail "no canary row in the summary"
grep -q 'BM_Canary' "$SCRATCH/out" && fail "canaries in the summary's other tables"
echo "drift: all checks passed"
