#!/usr/bin/env bash
# The installed package as a user gets it: `cmake --install BUILD --prefix P`
# into a temporary P, then one check (MODE):
#   layout        exactly the files of a package: the shared and static
#                 libraries, sockpair.h alone under include/, the CMake
#                 package, sockpair.pc and bin/sockpair (which runs); the
#                 shared library exports exactly the functions sockpair.h
#                 declares (nm -D), all sp_*
#   find_package  consumer/ configured with CMake against P only, built
#                 against the shared and the static library, run; it fails
#                 to configure if an internal header is reachable
#   pkg_config    consumer/consumer.c built by hand with the flags of
#                 `pkg-config sockpair` (shared, then -Bstatic), run; an
#                 internal header must not compile with those flags
# Usage: run.sh MODE BUILD_DIR LIBDIR VERSION CC [CFLAG...]
#   LIBDIR is CMAKE_INSTALL_LIBDIR, CFLAGS those of the build (sanitizers).
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,19p' "$0" >&2; exit 64; }
mode=$1 build=$2 libdir=$3 version=$4 cc=$5
shift 5
cflags=("$@")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
internal=(internal.h sys.h fault.h linebuf.h stream_internal.h)

fail() { echo "FAIL: $*" >&2; exit 1; }

# run_consumer EXE: it must print the version and exit 0.
run_consumer() {
  local out
  out=$("$1") || fail "$1 exited $?"
  [ "$out" = "sockpair $version" ] || fail "$1 printed '$out'"
  echo "ok: $(basename "$1"): $out"
}

check_layout() {
  local got want so=$prefix/$libdir/libsockpair.so exported declared
  got=$(cd "$prefix" && find . -type f -o -type l | sed 's|^\./||' |
    sed 's/sockpairTargets-[a-z]*\.cmake$/sockpairTargets-CONFIG.cmake/' | sort)
  want=$(printf '%s\n' bin/sockpair include/sockpair.h \
    "$libdir/libsockpair.a" "$libdir/libsockpair.so" \
    "$libdir/libsockpair.so.${version%%.*}" "$libdir/libsockpair.so.$version" \
    "$libdir/cmake/sockpair/sockpairConfig.cmake" \
    "$libdir/cmake/sockpair/sockpairConfigVersion.cmake" \
    "$libdir/cmake/sockpair/sockpairTargets.cmake" \
    "$libdir/cmake/sockpair/sockpairTargets-CONFIG.cmake" \
    "$libdir/pkgconfig/sockpair.pc" | sort)
  diff <(echo "$want") <(echo "$got") >&2 ||
    fail "installed files differ from a package's (< wanted, > installed)"
  echo "ok: $(echo "$got" | wc -l) files, include/ holds sockpair.h only"

  exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
  declared=$(grep '^SP_EXTERN' "$prefix/include/sockpair.h" |
    grep -o 'sp_[a-z0-9_]*(' | tr -d '(' | sort)
  [ -n "$declared" ] || fail "no SP_EXTERN function found in sockpair.h"
  diff <(echo "$declared") <(echo "$exported") >&2 ||
    fail "libsockpair.so exports other than sockpair.h declares (< declared, > exported)"
  echo "$exported" | grep -qv '^sp_[a-z]' && fail "an export is not sp_*"
  echo "ok: libsockpair.so exports the $(echo "$exported" | wc -l) functions of sockpair.h, all sp_*"

  [ "$("$prefix/bin/sockpair" --version)" = "sockpair $version" ] ||
    fail "bin/sockpair --version"
  echo "ok: bin/sockpair --version"
}

check_find_package() {
  local log=$tmp/cmake.log
  cmake -S "$here/consumer" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${cflags[*]}" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$log" 2>&1 ||
    { cat "$log" >&2; fail "the consumer does not configure"; }
  grep -q "^sockpair_DIR:PATH=$prefix/" "$tmp/build/CMakeCache.txt" ||
    fail "find_package found a sockpair outside the prefix"
  cmake --build "$tmp/build" >"$log" 2>&1 ||
    { cat "$log" >&2; fail "the consumer does not build"; }
  run_consumer "$tmp/build/consumer"
  run_consumer "$tmp/build/consumer_static"
  readelf -d "$tmp/build/consumer" | grep -q 'NEEDED.*libsockpair\.so' ||
    fail "consumer is not linked to libsockpair.so"
  readelf -d "$tmp/build/consumer_static" | grep -q 'NEEDED.*libsockpair' &&
    fail "consumer_static needs libsockpair.so"
  echo "ok: find_package(sockpair 0.1 CONFIG), sockpair::sockpair and sockpair::sockpair_static"
}

check_pkg_config() {
  local pc_cflags pc_libs pc_static pc_libdir h src=$here/consumer/consumer.c
  export PKG_CONFIG_LIBDIR=$prefix/$libdir/pkgconfig PKG_CONFIG_PATH=
  [ "$(pkg-config --modversion sockpair)" = "$version" ] ||
    fail "pkg-config --modversion sockpair"
  pc_cflags=$(pkg-config --cflags sockpair)
  pc_libs=$(pkg-config --libs sockpair)
  pc_static=$(pkg-config --static --libs sockpair)
  pc_libdir=$(pkg-config --variable=libdir sockpair)
  [ "$(realpath "$pc_libdir")" = "$(realpath "$prefix/$libdir")" ] ||
    fail "libdir $pc_libdir is not under the prefix"
  [ "$(realpath "$(pkg-config --variable=includedir sockpair)")" = \
    "$(realpath "$prefix/include")" ] || fail "includedir is not the prefix's"
  # shellcheck disable=SC2086 # pkg-config's output is a list of flags
  "$cc" "${cflags[@]}" "$src" $pc_cflags $pc_libs -Wl,-rpath,"$pc_libdir" \
    -o "$tmp/consumer_pc"
  run_consumer "$tmp/consumer_pc"
  # shellcheck disable=SC2086
  "$cc" "${cflags[@]}" "$src" $pc_cflags -Wl,-Bstatic \
    $pc_static -Wl,-Bdynamic -o "$tmp/consumer_pc_static"
  run_consumer "$tmp/consumer_pc_static"
  for h in "${internal[@]}"; do
    # shellcheck disable=SC2086
    if (cd "$tmp" && printf '#include "%s"\n' "$h" |
      "$cc" -fsyntax-only $pc_cflags -x c - 2>/dev/null); then
      fail "the internal $h compiles with pkg-config's flags"
    fi
  done
  echo "ok: pkg-config sockpair $version, shared and static; no internal header reachable"
}

case "$mode" in
  layout|find_package|pkg_config) ;;
  *) echo "run.sh: unknown mode '$mode'" >&2; exit 64 ;;
esac
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
"check_$mode"
