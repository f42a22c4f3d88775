#!/usr/bin/env bash
# fuzz/build.sh — OSS-Fuzz / ClusterFuzzLite build script.
#
# Honours the environment of the OSS-Fuzz builder: $CC $CXX $CFLAGS
# $CXXFLAGS (sanitizer and coverage flags), $LIB_FUZZING_ENGINE (the engine:
# -fsanitize=fuzzer, or a driver library for AFL++ / honggfuzz), $OUT
# (where the results go), $WORK (scratch; default a temporary directory).
# Puts in $OUT, for each fuzz/fuzz_*.c target: the binary, <target>.dict,
# <target>.options and <target>_seed_corpus.zip (fuzz/corpus/<target>/ and
# fuzz/regressions/<target>/).
#
# Outside OSS-Fuzz: OUT=/tmp/out fuzz/build.sh uses clang with libFuzzer,
# ASan and UBSan.
set -euo pipefail

case "${1-}" in
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  '') ;;
  *) echo "fuzz/build.sh: takes no argument (see --help)" >&2; exit 64 ;;
esac

cd "$(dirname "$0")/.."
: "${OUT:?fuzz/build.sh: set OUT to the output directory}"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-"-fsanitize=fuzzer-no-link $san -g -O1"}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
work=${WORK:-$(mktemp -d)}
build=$work/sockpair-fuzz

mkdir -p "$OUT"
# CMAKE_BUILD_TYPE=None: no -O2 of our own on top of the builder's flags.
CC=$CC CXX=$CXX CFLAGS=$CFLAGS CXXFLAGS=$CXXFLAGS \
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None \
  -DSP_BUILD_FUZZ=ON -DSP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DSP_BUILD_TESTS=OFF -DSP_BUILD_BENCH=OFF
cmake --build "$build" --target fuzzers -j "$(nproc)"

# A zip of the seed corpus with python3 (zip(1) is not always installed).
zip_corpus() { # ZIP DIR...
  python3 - "$@" <<'EOF'
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
EOF
}

for bin in "$build"/bin/fuzz_*; do
  t=$(basename "$bin")
  cp "$bin" "$OUT/$t"
  cp "fuzz/$t.dict" "fuzz/$t.options" "$OUT/"
  zip_corpus "$OUT/${t}_seed_corpus.zip" "fuzz/corpus/$t" "fuzz/regressions/$t"
  echo "fuzz/build.sh: $OUT/$t"
done
