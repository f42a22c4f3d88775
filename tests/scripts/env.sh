#!/usr/bin/env bash
# scripts/env on a fake root where most files are missing: every missing
# value is "absent", nothing fails; present values are read from the root.
. "$(dirname "$0")/lib.sh"
root=$SCRATCH/root
mkdir -p "$root/proc/sys/kernel" "$root/proc/sys/net/core" \
  "$root/sys/devices/system/cpu/vulnerabilities"
echo 6.1.0-99-test >"$root/proc/sys/kernel/osrelease"
printf '4096\t131072\t6291456\n' >"$root/proc/sys/net/core/rmem_max"
echo 'Mitigation: PTI' >"$root/sys/devices/system/cpu/vulnerabilities/meltdown"
printf 'processor\t: 0\nmodel name\t: Fake CPU\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\nmodel name\t: Fake CPU\n' \
  >"$root/proc/cpuinfo"

expect_rc 0 "$REPO/scripts/env" --root "$root" --json --build "$SCRATCH/nobuild"
$PY - "$SCRATCH/out" <<'PY' || fail "env on a fake root"
import json, sys
e = json.load(open(sys.argv[1]))
A = "absent"
assert e["kernel"] == {"release": "6.1.0-99-test", "version": A, "cmdline": A}, e["kernel"]
assert e["cpu"] == {"model": "Fake CPU", "vcpus": 2, "online": A}, e["cpu"]
assert e["governor"] == A
assert e["virtualization"]["hypervisor"] == A
assert e["virtualization"]["cpuinfo_hypervisor_flag"] is True
# a fake root describes another system: no live probes
assert e["virtualization"]["systemd_detect_virt_vm"] == A
assert e["vulnerabilities"] == {"meltdown": "Mitigation: PTI"}
s = e["sysctls"]
assert s["net.core.rmem_max"] == "4096 131072 6291456", s
assert all(v == A for k, v in s.items() if k != "net.core.rmem_max"), s
assert set(s) == {"net.core.rmem_default", "net.core.rmem_max",
                  "net.core.wmem_default", "net.core.wmem_max",
                  "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
                  "net.unix.max_dgram_qlen", "fs.pipe-max-size"}, s
assert e["loadavg"] == A and e["host"] == A
assert e["build"]["source"] == A
assert "vm" not in e
assert e["timestamp_utc"].endswith("Z")
PY

# An empty root: everything absent, still exit 0.
mkdir -p "$SCRATCH/empty"
expect_rc 0 "$REPO/scripts/env" --root "$SCRATCH/empty" --json
$PY -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["vulnerabilities"]=="absent" and e["cpu"]["model"]=="absent"' "$SCRATCH/out" || fail "empty root"

# Compiler and flags from a CMakeCache, overridden by the caller.
mkdir -p "$SCRATCH/build"
cat >"$SCRATCH/build/CMakeCache.txt" <<'C'
CMAKE_BUILD_TYPE:STRING=Release
CMAKE_C_COMPILER:FILEPATH=/no/such/cc
CMAKE_C_FLAGS:STRING=-pipe
CMAKE_C_FLAGS_RELEASE:STRING=-O2 -DNDEBUG
SP_SANITIZE:BOOL=OFF
C
expect_rc 0 "$REPO/scripts/env" --root "$SCRATCH/empty" --json --build "$SCRATCH/build"
$PY - "$SCRATCH/out" <<'PY' || fail "env --build"
import json, sys
b = json.load(open(sys.argv[1]))["build"]
assert b["source"] == "CMakeCache.txt" and b["build_type"] == "Release", b
assert b["c_compiler"] == "/no/such/cc" and b["c_flags"] == "-pipe -O2 -DNDEBUG", b
assert b["c_compiler_version"] == "absent", b
PY
expect_rc 0 "$REPO/scripts/env" --root "$SCRATCH/empty" --json --cflags=-O3
grep -q '"c_flags": "-O3"' "$SCRATCH/out" || fail "--cflags"

# --merge adds a vm object (guest runs).
echo '{"vm": {"accelerator": "tcg", "qemu_version": "7.2.0"}}' >"$SCRATCH/vm.json"
expect_rc 0 "$REPO/scripts/env" --root "$SCRATCH/empty" --json --merge "$SCRATCH/vm.json"
grep -q '"accelerator": "tcg"' "$SCRATCH/out" || fail "--merge"
echo '[1]' >"$SCRATCH/bad.json"
expect_rc 65 "$REPO/scripts/env" --merge "$SCRATCH/bad.json"
expect_rc 64 "$REPO/scripts/env" --bogus
expect_rc 0 "$REPO/scripts/env" --help
# The live system, text form.
expect_rc 0 "$REPO/scripts/env"
grep -q "^kernel.release: $(uname -r)\$" "$SCRATCH/out" || fail "live kernel.release"
echo "env: all checks passed"
