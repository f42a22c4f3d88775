# Debian packages the project needs, and a function that installs the
# missing ones (as root, --no-install-recommends). Sourced by scripts/*.
# Groups: add a package to the group of the script that needs it.
SP_DEPS_BUILD="cmake ninja-build make gcc g++ libbenchmark-dev liburing-dev pkg-config"
SP_DEPS_TEST="$SP_DEPS_BUILD clang libclang-rt-14-dev llvm-14 clang-format clang-tidy valgrind python3 libbenchmark-tools python3-scipy gnuplot-nox hyperfine linux-perf strace"
# scripts/compare --html is rendered in headless Chromium by its ctest.
SP_DEPS_TEST="$SP_DEPS_TEST chromium"
SP_DEPS_BENCH="$SP_DEPS_BUILD libbenchmark-tools python3-scipy"
SP_DEPS_TOOLS="hyperfine gnuplot-nox linux-perf"
SP_DEPS_KERNEL="qemu-system-x86 cpio gcc libc6-dev python3"
# scripts/hyperfine --peers: PHP with pcntl and posix (Python is python3).
SP_DEPS_PEERS="php8.2-cli"

# sp_install_deps PKG...: installs those not yet installed.
sp_install_deps() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 &&
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
