#!/usr/bin/env bash
# scripts/bench --ab (scripts/lib/ab.py): two identical commands run
# interleaved over two rounds → both sides stored whole under
# <results>/<kernel>/ab/<stamp>-<host>/{a,b}/, compare's verdict and exit
# status, no drift band (the sides were interleaved); a failing or hanging
# command stores nothing. Kept small: one floor benchmark, the canaries, ≤ 90 s.
# Args: REPO BUILD SOCKPAIR_BENCH
. "$(dirname "$0")/lib.sh"
BENCH=$3
[ -x "$BENCH" ] || fail "no $BENCH"
res=$SCRATCH/results
ab() {
  $PY "$REPO/scripts/lib/ab.py" --bench "$BENCH" --results "$res" --rounds 2 \
    --timeout 40 "$@" --benchmark_min_time=0.005 --benchmark_repetitions=4 \
    --benchmark_enable_random_interleaving=true --benchmark_context=suite=ab-test \
    --sp_canaries=true '--benchmark_filter=^BM_Floor/getppid$'
}
start=$(date +%s)
# Which verdict an A/A gets is chance (a false positive at rate alpha, more
# on a loaded machine), so it is not asserted here; that the verdict is
# compare's, over one benchmark, with compare's exit status, is.
rc=0
ab '$SP_BENCH' "$BENCH" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
echo "A/A in $(($(date +%s) - start)) s, exit $rc: $(grep '^overall' "$SCRATCH/out" || true)"
overall='^overall: 1 benchmarks — worse [01], better [01], same [01], inconclusive [01];'
[[ $(grep '^overall' "$SCRATCH/out") =~ $overall ]] || {
  tail -20 "$SCRATCH/err" >&2; fail "A/A: no verdict over one benchmark"; }
# A worse within the threshold is no regression: compare exits 3 exactly when
# it prints a REGRESSION line.
want=0; grep -q '^REGRESSION: ' "$SCRATCH/out" && want=3
[ "$rc" -eq "$want" ] || fail "A/A exited $rc, want compare's $want"
grep -q '^drift band: .*not applied: the sides ran interleaved' "$SCRATCH/out" || fail "band applied to --ab"
grep -q '^ab: round 2/2: [AB] then [AB]$' "$SCRATCH/err" || fail "no round line"
dirs=("$res"/*/ab/*-*)
[ ${#dirs[@]} -eq 1 ] && [ -d "${dirs[0]}/a" ] || fail "not one stored set: ${dirs[*]}"
[ -z "$(find "$res" -name '.*')" ] || fail "a hidden directory left: $(find "$res" -name '.*')"
$PY - "${dirs[0]}" <<'PY' || fail "the stored runs"
import glob, json, os, sys
for side in "ab":
    files = sorted(glob.glob(os.path.join(sys.argv[1], side, "round-*.json")))
    assert [os.path.basename(f) for f in files] == ["round-01.json", "round-02.json"], files
    for n, f in enumerate(files, 1):
        ctx = json.load(open(f))["context"]
        ab = ctx["sockpair_ab"]
        assert ab["side"] == side and ab["round"] == n and ab["rounds"] == 2, ab
        assert ab["repetitions_per_round"] == 2 and sorted(ab["order"]) == ["a", "b"], ab
        assert isinstance(ctx["sockpair_env"], dict) and ctx["ab_side"] == side
PY
# A command that fails, or hangs: its status, nothing stored (seed 1: A
# runs first).
expect_rc 70 ab --seed 1 'sh -c "exit 2"' '$SP_BENCH'
grep -q "^ab: 'sh -c \"exit 2\"' exited 2" "$SCRATCH/err" || fail "no message for a failing command"
expect_rc 75 $PY "$REPO/scripts/lib/ab.py" --bench "$BENCH" --results "$res" --rounds 1 \
  --timeout 1 --seed 1 'sleep 30 #' '$SP_BENCH'
expect_rc 65 ab 'true' 'true'
[ "$(find "$res" -mindepth 3 -maxdepth 3 | wc -l)" -eq 1 ] && [ -z "$(find "$res" -name '.*')" ] ||
  fail "a failed run left something: $(find "$res" -mindepth 3)"
# Usage errors, before anything runs.
expect_rc 64 ab '$SP_BENCH'
expect_rc 64 "$REPO/scripts/bench" --ab '$SP_BENCH'
expect_rc 64 "$REPO/scripts/bench" --ab-rounds 3
echo "ab: all checks passed in $(($(date +%s) - start)) s"
