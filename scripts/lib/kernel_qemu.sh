# shellcheck shell=bash
# Booting a kernel + initramfs in qemu for scripts/kernel. Sourced.
#
# Every qemu run is bounded by `timeout` (KVM here can hang paused forever)
# and holds /tmp/sp-heavy.lock (TCG keeps both host CPUs busy).
# Guest ttyS0 is the console (a log file), ttyS1 the results (a file).

SP_QEMU=${SP_QEMU:-qemu-system-x86_64}
SP_KERNEL_LOCK=${SP_KERNEL_LOCK:-/tmp/sp-heavy.lock}
SP_KERNEL_LOCK_WAIT=${SP_KERNEL_LOCK_WAIT:-1800}
SP_KERNEL_CMDLINE=${SP_KERNEL_CMDLINE:-'console=ttyS0 quiet panic=-1'}

# The flags that shape what the guest measures, without the file names of
# one run: this string is what results record as vm.qemu_flags, so two runs
# with the same settings compare equal.
sp_qemu_flags() { # ACCEL SMP MEMORY_MB
  local accel
  case "$1" in
    kvm) accel='-accel kvm -cpu host' ;;
    tcg) accel="-accel tcg,thread=${SP_TCG_THREAD:-multi}" ;;
  esac
  printf '%s\n' "-nodefaults -no-user-config -display none -no-reboot -nic none $accel -smp $2 -m $3"
}

sp_qemu_version() {
  "$SP_QEMU" --version 2>/dev/null | head -n1 | sed 's/^QEMU emulator version //'
}

# True when the heavy lock is held by one of our ancestors (e.g. a ctest run
# under `flock /tmp/sp-heavy.lock`): taking it again would wait for
# ourselves. /proc/locks names the holder's PID and the file's inode.
sp_lock_held_by_ancestor() {
  local ino holder pid
  ino=$(stat -c %i "$SP_KERNEL_LOCK" 2>/dev/null) || return 1
  holder=$(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, d, ":");
    if (d[n] == ino) print $5 }' /proc/locks 2>/dev/null | head -n1)
  [ -n "$holder" ] || return 1
  pid=$$
  while [ "$pid" -gt 1 ]; do
    [ "$pid" = "$holder" ] && return 0
    pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || return 1
  done
  return 1
}

# sp_lock_take: holds the heavy lock from here to sp_lock_release (the KVM
# probe and the boot under one wait in the queue). Nothing to do when an
# ancestor holds it already. Returns 75 when the wait times out.
sp_lock_take() {
  sp_lock_held_by_ancestor && return 0
  exec {sp_lock_fd}>>"$SP_KERNEL_LOCK"
  flock -w "$SP_KERNEL_LOCK_WAIT" "$sp_lock_fd" && return 0
  echo "kernel: waited ${SP_KERNEL_LOCK_WAIT}s for $SP_KERNEL_LOCK in vain" >&2
  return 75
}

sp_lock_release() {
  [ -n "${sp_lock_fd:-}" ] || return 0
  exec {sp_lock_fd}>&-
  sp_lock_fd=
}

# sp_qemu_boot ACCEL SMP MEM SECONDS VMLINUZ INITRD CONSOLE_LOG RESULTS
# Call it between sp_lock_take and sp_lock_release.
# Returns qemu's status (124 on timeout, 134 when KVM aborts).
sp_qemu_boot() {
  local accel=$1 smp=$2 mem=$3 secs=$4 vmlinuz=$5 initrd=$6 log=$7 res=$8
  local -a flags
  read -r -a flags <<<"$(sp_qemu_flags "$accel" "$smp" "$mem")"
  : >"$res"
  timeout -k 5 "$secs" "$SP_QEMU" "${flags[@]}" \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$SP_KERNEL_CMDLINE" \
    -serial "file:$log" -serial "file:$res" </dev/null >>"$log.qemu" 2>&1
}

# sp_qemu_accel MODE VMLINUZ PROBE_INITRD WORKDIR: prints kvm or tcg.
# auto: kvm only when a bounded boot under KVM reaches the end of the probe
# initramfs (here KVM aborts with rc 134 "failed to set MSR", or stops with
# "KVM internal error" and hangs paused: the timeout catches that).
sp_qemu_accel() {
  local mode=$1 vmlinuz=$2 initrd=$3 work=$4 rc=0
  [ "$mode" = tcg ] && { echo tcg; return 0; }
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    sp_qemu_boot kvm 1 256 "${SP_KVM_PROBE_SECONDS:-20}" "$vmlinuz" "$initrd" \
      "$work/probe.log" "$work/probe.out" || rc=$?
    if [ "$rc" -eq 0 ] && grep -q '^SP1 done' "$work/probe.out"; then
      echo kvm
      return 0
    fi
    echo "kernel: KVM does not work here (qemu rc $rc$(grep -ho 'KVM internal error\|failed to set MSR[^"]*' \
      "$work/probe.log.qemu" 2>/dev/null | head -n1 | sed 's/^/: /'))" >&2
  else
    echo "kernel: /dev/kvm is not usable" >&2
  fi
  [ "$mode" = kvm ] && { echo "kernel: --accel kvm asked for: giving up" >&2; return 69; }
  echo "kernel: using TCG" >&2
  echo tcg
}
