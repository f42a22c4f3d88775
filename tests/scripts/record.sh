#!/usr/bin/env bash
# scripts/record: the layout results/<kernel>/<stamp>-<host>.json, the
# environment inside the context, and atomicity: a writer killed with
# SIGKILL at any moment leaves no partial file under the results dir.
. "$(dirname "$0")/lib.sh"
res=$SCRATCH/results
$GEN "$SCRATCH/raw.json" --seed 1
"$REPO/scripts/env" --json >"$SCRATCH/env.json"
cat >"$SCRATCH/check.py" <<'PY'
# Every visible file under the results dir is a complete results file.
import json, os, sys
n = 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.startswith("."):
            continue
        j = json.load(open(os.path.join(d, f)))  # raises on a partial file
        if f.endswith(".matrix.json"):
            assert isinstance(j["cells"], list), f
            continue
        assert isinstance(j["context"]["sockpair_env"], dict), f
        assert len(j["benchmarks"]) > 0, f
        n += 1
print(n)
PY

# Layout, and the environment in the context.
expect_rc 0 "$REPO/scripts/record" "$SCRATCH/raw.json" --env "$SCRATCH/env.json" \
  --results "$res" --kernel 6.1.0-test --host box
path=$(cat "$SCRATCH/out")
[[ $path =~ ^$res/6\.1\.0-test/[0-9]{8}T[0-9]{6}Z-box\.json$ ]] || fail "path $path"
$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["context"]["sockpair_env"]["kernel"]["release"]; assert j["context"]["host_name"]=="synthetic"' "$path" || fail "context"
# Same second, same host: a new name, never a replaced file.
expect_rc 0 "$REPO/scripts/record" "$SCRATCH/raw.json" --env "$SCRATCH/env.json" \
  --results "$res" --kernel 6.1.0-test --host box
[ "$(cat "$SCRATCH/out")" = "${path%.json}-2.json" ] || fail "no -2 suffix: $(cat "$SCRATCH/out")"
# Defaults from the environment: kernel release and host.
expect_rc 0 "$REPO/scripts/record" "$SCRATCH/raw.json" --env "$SCRATCH/env.json" --results "$res"
[[ $(cat "$SCRATCH/out") == "$res/$(uname -r)/"* ]] || fail "default kernel dir"

# A matrix stored beside, same name.
build_cli=$3
"$build_cli" matrix --json >"$SCRATCH/matrix.json"
expect_rc 0 "$REPO/scripts/record" "$SCRATCH/raw.json" --env "$SCRATCH/env.json" \
  --results "$res" --kernel m --matrix "$SCRATCH/matrix.json"
mpath=$(cat "$SCRATCH/out")
[ -s "${mpath%.json}.matrix.json" ] || fail "no matrix beside $mpath"
cmp -s <($PY -m json.tool "$SCRATCH/matrix.json") <($PY -m json.tool "${mpath%.json}.matrix.json") || fail "matrix altered"
expect_rc 65 "$REPO/scripts/record" "$SCRATCH/raw.json" --results "$res" --matrix "$SCRATCH/raw.json"

# Errors.
expect_rc 64 "$REPO/scripts/record"
expect_rc 64 "$REPO/scripts/record" "$SCRATCH/raw.json" --bogus
expect_rc 64 "$REPO/scripts/record" "$SCRATCH/raw.json" --kernel
expect_rc 65 "$REPO/scripts/record" "$SCRATCH/nope.json" --results "$res"
echo '{"context": {}}' >"$SCRATCH/bad.json"
expect_rc 65 "$REPO/scripts/record" "$SCRATCH/bad.json" --results "$res"
expect_rc 64 "$REPO/scripts/record" "$SCRATCH/raw.json" --results "$res" --kernel ..
expect_rc 0 "$REPO/scripts/record" --help

# Killed half-way through the write (deterministic: the test hook stalls
# there): nothing visible, and the next run removes the dead writer's file.
kdir=$res/killed
SP_RECORD_TEST_STALL=30 "$REPO/scripts/record" "$SCRATCH/raw.json" \
  --env "$SCRATCH/env.json" --results "$res" --kernel killed \
  >/dev/null 2>"$SCRATCH/stall.err" &
pid=$!
for _ in $(seq 100); do
  grep -q stalled "$SCRATCH/stall.err" 2>/dev/null && break
  sleep 0.1
done
grep -q stalled "$SCRATCH/stall.err" || fail "the writer never stalled"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ -z "$(find "$kdir" -type f ! -name '.*')" ] || fail "a killed writer left a visible file"
expect_rc 0 "$REPO/scripts/record" "$SCRATCH/raw.json" --env "$SCRATCH/env.json" \
  --results "$res" --kernel killed
[ -z "$(find "$kdir" -name '.*' -type f)" ] || fail "stale temporary file not removed"

# Killed at random moments over the whole life of a writer of a large file
# (a few MB): from start-up to after the rename.
$GEN "$SCRATCH/big.json" --seed 2 --reps 3000
t0=$(date +%s%N)
"$REPO/scripts/record" "$SCRATCH/big.json" --env "$SCRATCH/env.json" \
  --results "$res" --kernel random >/dev/null
span_ms=$((($(date +%s%N) - t0) / 1000000 * 12 / 10 + 1))
for i in $(seq 12); do
  "$REPO/scripts/record" "$SCRATCH/big.json" --env "$SCRATCH/env.json" \
    --results "$res" --kernel random >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((RANDOM % span_ms / 1000)) $((RANDOM % span_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  $PY "$SCRATCH/check.py" "$res" >/dev/null || fail "partial file after a kill (round $i)"
done
echo "record: $($PY "$SCRATCH/check.py" "$res") complete files, all checks passed"
