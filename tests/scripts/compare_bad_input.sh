#!/usr/bin/env bash
# Bad input to scripts/compare and the summary: one line on stderr that
# names the file and the problem, exit 65, never a traceback.
. "$(dirname "$0")/lib.sh"
$GEN "$SCRATCH/good.json" --seed 1
for kind in malformed not-gb no-cpu-time nan empty no-name; do
  $GEN "$SCRATCH/$kind.json" --break "$kind"
done
# bad_input WHAT FILE PATTERN CMD...: exit 65, one stderr line naming FILE
# and matching PATTERN.
bad_input() {
  local what=$1 file=$2 pattern=$3; shift 3
  expect_rc 65 "$@"
  [ "$(wc -l <"$SCRATCH/err")" -eq 1 ] || fail "$what: not one line: $(cat "$SCRATCH/err")"
  grep -q -F "$file" "$SCRATCH/err" || fail "$what: the file is not named: $(cat "$SCRATCH/err")"
  grep -q -E "$pattern" "$SCRATCH/err" || fail "$what: '$(cat "$SCRATCH/err")' does not say $pattern"
}
cmp() { bad_input "$1" "$2" "$3" "$REPO/scripts/compare" "$SCRATCH/good.json" "$2"; }
cmp malformed "$SCRATCH/malformed.json" 'not valid JSON: .* line 1 column'
cmp not-gb "$SCRATCH/not-gb.json" 'not Google Benchmark JSON'
cmp no-cpu-time "$SCRATCH/no-cpu-time.json" 'benchmark BM_X/1 has no cpu_time'
cmp nan "$SCRATCH/nan.json" 'benchmark BM_X/1: real_time is NaN'
cmp empty "$SCRATCH/empty.json" 'an empty run'
cmp no-name "$SCRATCH/no-name.json" 'entry 0 of "benchmarks" has no name'
cmp missing "$SCRATCH/none.json" 'does not exist'
# The same on side A, and inside a directory or a list of files.
bad_input "A side" "$SCRATCH/nan.json" 'NaN' \
  "$REPO/scripts/compare" "$SCRATCH/nan.json" "$SCRATCH/good.json"
mkdir -p "$SCRATCH/d"
cp "$SCRATCH/good.json" "$SCRATCH/d/1.json"; cp "$SCRATCH/malformed.json" "$SCRATCH/d/2.json"
bad_input "directory" "$SCRATCH/d/2.json" 'not valid JSON' \
  "$REPO/scripts/compare" "$SCRATCH/good.json" "$SCRATCH/d"
bad_input "list" "$SCRATCH/empty.json" 'an empty run' \
  "$REPO/scripts/compare" "$SCRATCH/good.json" "$SCRATCH/good.json,$SCRATCH/empty.json"
# Directories without runs.
mkdir -p "$SCRATCH/emptydir" "$SCRATCH/hf"
bad_input "empty directory" "$SCRATCH/emptydir" 'without results files' \
  "$REPO/scripts/compare" "$SCRATCH/good.json" "$SCRATCH/emptydir"
echo '{"results": [{"command": "true", "mean": 0.001}]}' >"$SCRATCH/hf/hyperfine-x.json"
bad_input "directory of other JSON" "$SCRATCH/hf" 'without benchmark runs' \
  "$REPO/scripts/compare" "$SCRATCH/good.json" "$SCRATCH/hf"
# Mixed suites: A ran one suite, B another.
$GEN "$SCRATCH/quick.json" --seed 2 --suite quick
$GEN "$SCRATCH/default.json" --seed 3 --suite default
bad_input "mixed suites" "$SCRATCH/quick.json" "suite 'quick', but .*suite 'default'" \
  "$REPO/scripts/compare" "$SCRATCH/quick.json" "$SCRATCH/default.json"
# A committed run whose cv aggregates hold NaN (a counter 0 in every
# repetition) is good input: only repetitions and medians are read.
expect_rc 0 "$REPO/scripts/compare" "$REPO/results/6.18.44-fc-v595/20261126T020732Z-vm.json" \
  "$REPO/results/6.18.44-fc-v595/20261126T020732Z-vm.json"
# The summary of scripts/bench reads runs with the same loader.
for kind in malformed not-gb no-cpu-time nan empty; do
  bad_input "summary $kind" "$SCRATCH/$kind.json" '.' \
    $PY "$REPO/scripts/lib/summary.py" "$SCRATCH/$kind.json"
done
grep -r -l Traceback "$SCRATCH" && fail "a traceback"
echo "compare_bad_input: all checks passed"
