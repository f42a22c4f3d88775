#!/usr/bin/env bash
# fuzz/build.sh — builds every fuzz target into $OUT, the OSS-Fuzz way.
#
# The one build of the fuzzers: OSS-Fuzz and ClusterFuzzLite run it (their
# build.sh calls it) and so does scripts/fuzz. It honours the environment of
# the OSS-Fuzz builder: $CC $CXX $CFLAGS $CXXFLAGS (sanitizer and coverage
# flags), $LIB_FUZZING_ENGINE (-fsanitize=fuzzer, or a driver library for
# AFL++ / honggfuzz), $OUT (where the results go) and $WORK (scratch: the
# CMake build goes in $WORK/sockpair-fuzz; default a temporary directory,
# removed afterwards). SP_WERROR=ON makes warnings errors (scripts/fuzz);
# SP_JOBS sets the build's parallelism (default: the number of CPUs).
# Puts in $OUT, for each fuzz/fuzz_*.c: the binary, <target>.dict,
# <target>.options and <target>_seed_corpus.zip (fuzz/corpus/<target>/ and
# fuzz/regressions/<target>/).
#
# Unset, CC/CFLAGS/LIB_FUZZING_ENGINE give the project's own fuzzing build
# (clang, libFuzzer, ASan + UBSan without its alignment check, every UBSan
# finding fatal); SP_FUZZ_ALIGNMENT=ON keeps the alignment check (the build
# scripts/fuzz replays a run's inputs with). This file is the one place
# those flags are written. Try it: OUT=/tmp/out fuzz/build.sh
set -euo pipefail

case "${1-}" in
  -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  '') ;;
  *) echo "fuzz/build.sh: takes no argument (see --help)" >&2; exit 64 ;;
esac

cd "$(dirname "$0")/.."
: "${OUT:?fuzz/build.sh: set OUT to the output directory}"
CC=${CC:-clang}
CXX=${CXX:-clang++}
# UBSan checks the alignment of every pointer a field is read or written
# through with an integer comparison, and the coverage traces every integer
# comparison for the mutator (trace-cmp): those calls were a fifth of
# fuzz_lines' time, and tell the mutator nothing. Like OSS-Fuzz's UBSan
# set, the fuzzing build leaves that check out; scripts/fuzz replays every
# input a run keeps, and ctest every committed one, with it.
case "${SP_FUZZ_ALIGNMENT:-OFF}" in
  OFF) ubsan_alignment=-fno-sanitize=alignment ;;
  ON) ubsan_alignment= ;;
  *) echo "fuzz/build.sh: SP_FUZZ_ALIGNMENT is ON or OFF, not '$SP_FUZZ_ALIGNMENT'" >&2; exit 64 ;;
esac
CFLAGS=${CFLAGS:-"-fsanitize=fuzzer-no-link,address,undefined $ubsan_alignment -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
if [ -n "${WORK-}" ]; then
  work=$WORK
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
build=$work/sockpair-fuzz

mkdir -p "$OUT"
# CMAKE_BUILD_TYPE=None: no -O2 of our own on top of the builder's flags.
# The flags are also given as cache entries: CMake reads CFLAGS only when
# it first configures a build directory, and a reused $WORK must follow.
CC=$CC CXX=$CXX CFLAGS=$CFLAGS CXXFLAGS=$CXXFLAGS \
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSP_BUILD_FUZZ=ON -DSP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DSP_WERROR="${SP_WERROR:-OFF}" -DSP_BUILD_TESTS=OFF -DSP_BUILD_BENCH=OFF \
  >/dev/null
cmake --build "$build" --target fuzzers -j "${SP_JOBS:-$(nproc)}"

# A zip of the seed corpus with python3 (zip(1) is not always installed).
zip_corpus() { # ZIP DIR...
  python3 - "$@" <<'PY'
import os, sys, zipfile
dest, dirs = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(dest + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not name.startswith(".") and os.path.isfile(path):
                # corpus and regression files may share a name
                z.write(path, os.path.basename(d.rstrip("/")) + "-" + name)
os.replace(dest + ".tmp", dest)
PY
}

for src in fuzz/fuzz_*.c; do
  t=$(basename "$src" .c)
  [ -x "$build/bin/$t" ] || { echo "fuzz/build.sh: $t was not built" >&2; exit 1; }
  # a rename, not a copy over: a running fuzzer keeps its binary
  cp "$build/bin/$t" "$OUT/$t.tmp"
  mv -f "$OUT/$t.tmp" "$OUT/$t"
  cp "fuzz/$t.dict" "fuzz/$t.options" "$OUT/"
  zip_corpus "$OUT/${t}_seed_corpus.zip" "fuzz/corpus/$t" "fuzz/regressions/$t"
  echo "fuzz/build.sh: $OUT/$t"
done
