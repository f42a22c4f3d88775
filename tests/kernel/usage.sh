#!/usr/bin/env bash
# scripts/kernel's command line: help, and exit 64 on every usage error
# (before anything is fetched, built or booted).
set -euo pipefail
script=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # RC ARGS...
  local want=$1 rc=0
  shift
  "$script" "$@" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] || fail "scripts/kernel $* exited $rc, want $want"
}
"$script" --help | grep -q '^  run \[OPTS\] KERNEL' || fail "--help shows no run"
expect 0 --help
expect 64
expect 64 no-such-command
expect 64 run
expect 64 run --accel warp 6.1.0-56-cloud-amd64
expect 64 run --timeout 0 6.1.0-56-cloud-amd64
expect 64 run --bogus 6.1.0-56-cloud-amd64
expect 64 matrix 6.1.0-56-cloud-amd64 --quick
expect 64 fetch
expect 64 fetch 'bad name!'
expect 64 list extra
expect 64 initramfs only-one
expect 66 run /no/such/vmlinuz
expect 66 run --cli /no/such/cli 6.1.0-56-cloud-amd64
echo "kernel usage: all checks passed"
