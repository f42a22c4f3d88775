#!/usr/bin/env bash
# The guest initramfs, without booting: what the archive holds (cpio -t),
# that /init is static, that every library the program needs and the loader
# are inside at their absolute paths, and that bad inputs are refused.
set -euo pipefail
script=$1
cli=$2
command -v cpio >/dev/null || { echo "no cpio: skipped"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export SP_KERNEL_BUILD=$t/build

printf 'run\tmatrix\t60\t/bin/sockpair\tmatrix\t--json\n' >"$t/jobs"
"$script" initramfs "$t/initrd.gz" "$t/jobs" "$cli" || fail "initramfs exited $?"
gzip -t "$t/initrd.gz" || fail "not gzip"
gzip -dc "$t/initrd.gz" | cpio -it --quiet >"$t/list"
for want in init sp/jobs bin/sockpair dev proc sys tmp; do
  grep -qx "$want" "$t/list" || fail "no $want in the archive"
done
# Every shared object ldd names, and the loader, at the same path.
ldd "$cli" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
  while read -r lib; do
    grep -qx "${lib#/}" "$t/list" || fail "no ${lib#/} (needed by the CLI)"
  done
grep -q 'ld-linux' "$t/list" || fail "no loader"
# Owned by root, whoever builds it.
gzip -dc "$t/initrd.gz" | cpio -itv --quiet | awk '$3 != "root" || $4 != "root"' |
  grep . && fail "entries not owned by root:root"
# Contents: /sp/jobs as given, /init a static executable, the CLI unchanged.
mkdir "$t/x"
(cd "$t/x" && gzip -dc "$t/initrd.gz" | cpio -id --quiet)
cmp "$t/jobs" "$t/x/sp/jobs" || fail "/sp/jobs differs"
cmp "$cli" "$t/x/bin/sockpair" || fail "/bin/sockpair differs"
[ -x "$t/x/init" ] || fail "/init not executable"
LC_ALL=C readelf -l "$t/x/init" | grep -q 'Requesting program interpreter' &&
  fail "/init is dynamically linked"
# Bad inputs: a missing program or jobs file is 66, nothing left behind.
rc=0; "$script" initramfs "$t/bad.gz" "$t/jobs" /no/such/prog 2>/dev/null || rc=$?
[ "$rc" -eq 66 ] || fail "missing program: exit $rc, want 66"
rc=0; "$script" initramfs "$t/bad.gz" "$t/nojobs" "$cli" 2>/dev/null || rc=$?
[ "$rc" -eq 66 ] || fail "missing jobs: exit $rc, want 66"
[ ! -e "$t/bad.gz" ] && [ ! -e "$t/bad.gz.tmp" ] || fail "a failed build left a file"
echo "kernel initramfs: all checks passed"
