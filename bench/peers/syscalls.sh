#!/usr/bin/env bash
# bench/peers/syscalls.sh — syscalls per round trip (ping-pong) or per block
# (bulk), per side, of each peer: strace -ff counts every call of the parent
# and of the child, at N and at 2N; the difference over N is the cost of one
# round trip (start-up and exit cancel out).
# Usage: bench/peers/syscalls.sh [--peer PATH] [--count N] [--php PATH]
#                                [--python PATH]
#   --peer    the sockpair-peer binary (default build/rel/bin/sockpair-peer)
#   --count   N round trips / blocks (default 2000)
# Prints one line per job, implementation and side:
#   <job> <impl> <side> <calls per round trip> <name=count ...>
# A missing interpreter is skipped with a message. Exit: 0, 64 usage,
# 69 strace or the peer missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=$here/../../build/rel/bin/sockpair-peer
count=2000
php=php
python=/usr/bin/python3
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "syscalls.sh: $1 needs a value" >&2; exit 64; }
  case "$1" in
    --peer) peer=$2 ;;
    --count) count=$2 ;;
    --php) php=$2 ;;
    --python) python=$2 ;;
    *) echo "syscalls.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift 2
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "syscalls.sh: bad --count" >&2; exit 64; }
command -v strace >/dev/null || { echo "syscalls.sh: strace missing" >&2; exit 69; }
[ -x "$peer" ] || { echo "syscalls.sh: no sockpair-peer at $peer" >&2; exit 69; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-syscalls.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# counts DIR: "parent|child name count" lines; the parent is the lowest pid.
counts() {
  local f side=parent
  for f in $(ls "$1" | sort -t. -k2 -n); do
    awk -v side=$side '
      /^[a-z_0-9]+\(/ { sub(/\(.*/, ""); n[$0]++ }
      / resumed>/ { next }
      END { for (k in n) print side, k, n[k] }' "$1/$f"
    side=child
  done
}

# measure JOB IMPL CMD...: runs CMD with @N@ replaced by N, then by 2N.
measure() {
  local job=$1 impl=$2 k
  shift 2
  for k in 1 2; do
    local n=$((count * k)) argv=()
    for a in "$@"; do argv+=("${a//@N@/$n}"); done
    rm -rf "$tmp/$k" && mkdir "$tmp/$k"
    strace -ff -qq -o "$tmp/$k/t" "${argv[@]}" >/dev/null
    counts "$tmp/$k" >"$tmp/c$k"
  done
  awk -v job="$job" -v impl="$impl" -v n="$count" '
    FNR == NR { one[$1 " " $2] = $3; next }
    { d = ($3 - one[$1 " " $2]) / n
      if (d >= 0.05) { tot[$1] += d; list[$1] = list[$1] sprintf(" %s=%.2f", $2, d) } }
    END { for (s in tot) printf "%-24s %-16s %-6s %6.2f %s\n", job, impl, s, tot[s], list[s] }
  ' "$tmp/c1" "$tmp/c2" | sort -k3,3r
}

have_php=1
if ! command -v "$php" >/dev/null ||
  ! "$php" -m 2>/dev/null | grep -x pcntl >/dev/null; then
  echo "syscalls.sh: skipping PHP ($php with pcntl not found)" >&2
  have_php=0
fi
have_py=1
[ -x "$python" ] || { echo "syscalls.sh: skipping Python ($python)" >&2; have_py=0; }

for type in stream seqpacket; do
  job="pingpong unix-$type"
  measure "$job" "raw C" "$peer" pingpong raw --count @N@ --type $type
  measure "$job" "sockpair stream" "$peer" pingpong stream --count @N@ --type $type
  [ $have_php = 0 ] || measure "$job" PHP "$php" "$here/pingpong.php" @N@ $type
  [ $have_py = 0 ] || measure "$job" Python "$python" "$here/pingpong.py" @N@ $type
done
job="bulk unix-stream"
measure "$job" "raw C" "$peer" bulk raw --count @N@
measure "$job" "sockpair stream" "$peer" bulk stream --count @N@
[ $have_php = 0 ] || measure "$job" PHP "$php" "$here/bulk.php" @N@ 65536
[ $have_py = 0 ] || measure "$job" Python "$python" "$here/bulk.py" @N@ 65536
