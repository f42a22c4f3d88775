#!/usr/bin/env bash
# scripts/plot: PNG and SVG from a synthetic results file named like the
# bench's benchmarks, beside it; A vs B; errors.
. "$(dirname "$0")/lib.sh"
command -v gnuplot >/dev/null || { echo "gnuplot missing: skipped"; exit 77; }
mkdir -p "$SCRATCH/k1" "$SCRATCH/k2"
$PY - "$SCRATCH/k1/run.json" "$SCRATCH/k2/run.json" <<'PY'
import json, sys
def run(kernel, scale, vm=None):
    b = []
    for t in ("unix-stream", "pipe", "udp4"):
        for pin in ("same-cpu", "diff-cpu"):
            n = "BM_Latency/%s/process/%s/bytes:64/manual_time" % (t, pin)
            for i in range(3):
                b.append({"name": n, "run_name": n, "run_type": "iteration",
                          "real_time": 20 * scale, "cpu_time": 5, "time_unit": "us",
                          "p50_us": 20.0 * scale + i, "p99_us": 80.0 * scale})
        for size in (64, 4096, 65536):
            n = "BM_Throughput/%s/same-cpu/buf:default/bytes:%d/manual_time" % (t, size)
            e = {"name": n, "run_name": n, "run_type": "iteration", "real_time": 10,
                 "cpu_time": 5, "time_unit": "us", "bytes_per_second": size * 1e5 / scale}
            if t == "udp4":
                e["loss_pct"] = 50.0
            b.append(e)
    env = {"kernel": {"release": kernel}}
    if vm:
        env["vm"] = {"accelerator": vm}
    return {"context": {"sockpair_env": env}, "benchmarks": b}
json.dump(run("6.1.0-test", 1.0), open(sys.argv[1], "w"))
json.dump(run("6.12.0-test", 1.3, "tcg"), open(sys.argv[2], "w"))
PY
expect_rc 0 "$REPO/scripts/plot" "$SCRATCH/k1/run.json"
for f in run-latency.png run-latency.svg run-throughput.png run-throughput.svg; do
  [ -s "$SCRATCH/k1/$f" ] || fail "$f not written"
  grep -q "$SCRATCH/k1/$f" "$SCRATCH/out" || fail "$f not printed"
done
head -c 8 "$SCRATCH/k1/run-latency.png" | od -c | grep -q 'P   N   G' || fail "not a PNG"
grep -q '<svg' "$SCRATCH/k1/run-throughput.svg" || fail "not an SVG"
grep -q 'udp4 (loss up to 50 %)' "$SCRATCH/k1/run-throughput.svg" || fail "no UDP loss in the title"
expect_rc 0 "$REPO/scripts/plot" "$SCRATCH/k1" "$SCRATCH/k2"
[ -s "$SCRATCH/k2/plots/6.1.0-test-vs-6.12.0-test_tcg_.png" ] || fail "A vs B: $(cat "$SCRATCH/out")"
[ -z "$(find "$SCRATCH" -name '.*tmp*')" ] || fail "temporary files left"
expect_rc 0 "$REPO/scripts/plot" "$SCRATCH/k1" --out "$SCRATCH/elsewhere"
[ -s "$SCRATCH/elsewhere/all-latency.svg" ] || fail "--out"
expect_rc 64 "$REPO/scripts/plot"
expect_rc 64 "$REPO/scripts/plot" a b c
expect_rc 65 "$REPO/scripts/plot" "$SCRATCH/none.json"
echo '{"benchmarks": [{"name": "BM_Other", "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]}' >"$SCRATCH/other.json"
expect_rc 65 "$REPO/scripts/plot" "$SCRATCH/other.json"
expect_rc 0 "$REPO/scripts/plot" --help
echo "plot: all checks passed"
