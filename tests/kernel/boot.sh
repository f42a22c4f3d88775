#!/usr/bin/env bash
# One real boot: a Debian cloud kernel (cached, or fetched from the archive)
# under qemu runs `sockpair matrix --json`; the matrix comes back over the
# second serial port. Skipped (77) without qemu, cpio or the archive.
set -euo pipefail
script=$1
cli=$2
kernel=${SP_TEST_KERNEL:-6.1.0-56-cloud-amd64}
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in qemu-system-x86_64 cpio; do
  command -v "$tool" >/dev/null || { echo "no $tool: skipped"; exit 77; }
done
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export SP_KERNEL_BUILD=$t/build
export SP_KERNEL_LOCK_WAIT=${SP_KERNEL_LOCK_WAIT:-180}
rc=0
"$script" matrix --timeout 120 --cli "$cli" "$kernel" >"$t/matrix.json" 2>"$t/err" || rc=$?
cat "$t/err" >&2
[ "$rc" -eq 69 ] && { echo "kernel $kernel or qemu unavailable: skipped"; exit 77; }
if [ "$rc" -eq 75 ] && grep -q 'in vain' "$t/err"; then
  echo "the heavy-jobs lock stayed taken: skipped"
  exit 77
fi
[ "$rc" -eq 0 ] || fail "scripts/kernel matrix exited $rc"
/usr/bin/python3 - "$t/matrix.json" "$kernel" <<'PY' || fail "guest matrix"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["kernel"]["release"] == sys.argv[2], m["kernel"]
cells = {(c["domain"], c["type"], c["protocol"]): c for c in m["cells"]}
assert len(cells) == 75, len(cells)
assert cells[(1, 1, 0)]["ok"] and cells[(1, 1, 0)]["method"] == "native"
# Emulated over the guest's loopback: proves /init brought lo up.
for d in (2, 10):
    assert cells[(d, 1, 6)]["ok"] and cells[(d, 1, 6)]["method"].startswith("emulated"), cells[(d, 1, 6)]
    assert cells[(d, 2, 17)]["ok"], cells[(d, 2, 17)]
print("guest", m["kernel"]["release"], "ok:", sum(c["ok"] for c in m["cells"]), "cells")
PY
echo "kernel boot: all checks passed"
