# Shared by the scripts tests: a scratch directory in the build tree, and
# assertions. Sourced; $1 of the test is the repository, $2 the build dir.
set -euo pipefail
REPO=$(cd "$1" && pwd)
SCRATCH=$2/scripts-tests/$(basename "$0" .sh)
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
PY=/usr/bin/python3
GEN="$PY $REPO/scripts/lib/gen_gbench.py"
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_rc RC CMD...: runs CMD (stdout/stderr to $SCRATCH/out, err).
expect_rc() {
  local want=$1 rc=0; shift
  "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    sed 's/^/  stdout: /' "$SCRATCH/out" | tail -20 >&2
    sed 's/^/  stderr: /' "$SCRATCH/err" | tail -20 >&2
    fail "'$*' exited $rc, want $want"
  fi
}
