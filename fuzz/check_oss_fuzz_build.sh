#!/usr/bin/env bash
# fuzz/check_oss_fuzz_build.sh — the ctest fuzz_build.oss_fuzz: runs
# fuzz/build.sh as OSS-Fuzz's and ClusterFuzzLite's builder does (CC=clang,
# ASan and -fsanitize=fuzzer-no-link in CFLAGS/CXXFLAGS,
# LIB_FUZZING_ENGINE=-fsanitize=fuzzer, OUT and WORK temporary
# directories), then checks that every fuzz/fuzz_*.c target, its .dict,
# .options and seed zip (every corpus and regression file) land in OUT, and
# that each target runs 100 inputs from its seeds. Bounded: the build by
# SP_OSS_FUZZ_BUILD_S (default 600 s), each target by 120 s.
# Exit: 0 pass, 1 fail, 77 skipped (no clang).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "no clang: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export CC=clang CXX=clang++ LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS=$CFLAGS OUT=$tmp/out WORK=$tmp/work SP_JOBS=${SP_JOBS:-2}
if ! timeout "${SP_OSS_FUZZ_BUILD_S:-600}" fuzz/build.sh >"$tmp/build.log" 2>&1; then
  tail -40 "$tmp/build.log"
  echo "FAIL: fuzz/build.sh"
  exit 1
fi

fail=0
check() { # CONDITION-TEXT, then the test as arguments
  local what=$1; shift
  if ! "$@"; then
    echo "FAIL: $what"
    fail=1
  fi
}

# The zip holds every file of fuzz/corpus/T/ and fuzz/regressions/T/.
zip_complete() { # TARGET
  local want
  want=$(find "fuzz/corpus/$1" "fuzz/regressions/$1" -maxdepth 1 -type f \
    ! -name '.*' 2>/dev/null | wc -l)
  [ "$want" -gt 0 ] && [ "$(python3 -c 'import sys, zipfile
print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$OUT/$1_seed_corpus.zip")" -eq "$want" ]
}

runs_100() { # TARGET: 100 inputs, the seeds first, then mutations
  local t=$1 seeds=$tmp/seeds-$1
  mkdir -p "$seeds"
  python3 -c 'import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$OUT/${t}_seed_corpus.zip" "$seeds"
  timeout 120 "$OUT/$t" -runs=100 -dict="$OUT/$t.dict" \
    -artifact_prefix="$tmp/" "$seeds" >"$tmp/$t.log" 2>&1 &&
    done_runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$tmp/$t.log") &&
    # -runs=100 counts the seeds' own runs: a corpus of more than 100 files
    # is read whole first.
    [ "${done_runs:-0}" -ge 100 ] ||
    { tail -20 "$tmp/$t.log"; return 1; }
}

n=0
for src in fuzz/fuzz_*.c; do
  t=$(basename "$src" .c)
  n=$((n + 1))
  check "$t: binary in OUT" test -x "$OUT/$t"
  check "$t: .dict in OUT" test -s "$OUT/$t.dict"
  check "$t: .options in OUT" test -s "$OUT/$t.options"
  check "$t: seed zip holds every corpus and regression file" zip_complete "$t"
  check "$t: runs 100 inputs" runs_100 "$t"
done
[ "$fail" -eq 0 ] && echo "PASS: $n targets built the OSS-Fuzz way, each ran 100 inputs"
exit "$fail"
