# shellcheck shell=bash
# The guest's initramfs for scripts/kernel. Sourced.
#
# sp_kernel_initramfs OUT INIT JOBS FILE...
#   OUT    the gzip'ed newc cpio to write (atomically: OUT.tmp + rename)
#   INIT   the static /init (scripts/kernel.d/init.c)
#   JOBS   its directives, stored as /sp/jobs
#   FILE   programs, stored as /bin/<basename>, each with the shared
#          libraries `ldd` names and the loader, at the same absolute paths
#          (the loader's built-in search path and any RUNPATH then work
#          without an ld.so.cache)
# Empty /dev /proc /sys /tmp are created for init to mount on. Returns 66 if
# an input is missing, 65 if a program is not a dynamic or static ELF ldd can
# read.
sp_kernel_initramfs() {
  local out=$1 init=$2 jobs=$3 stage f lib rc=0
  shift 3
  for f in "$init" "$jobs" "$@"; do
    [ -f "$f" ] || { echo "kernel: initramfs input '$f' missing" >&2; return 66; }
  done
  stage=$(mktemp -d "${TMPDIR:-/tmp}/sp-initramfs.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys,tmp,sp}
  install -m 0755 "$init" "$stage/init"
  install -m 0644 "$jobs" "$stage/sp/jobs"
  for f in "$@"; do
    install -m 0755 "$f" "$stage/bin/$(basename "$f")"
    sp_kernel_libs "$f" >"$stage/.libs" || { rc=65; break; }
    while read -r lib; do
      [ -e "$stage$lib" ] && continue
      mkdir -p "$stage$(dirname "$lib")"
      cp -L "$lib" "$stage$lib"
    done <"$stage/.libs"
    rm -f "$stage/.libs"
  done
  if [ "$rc" -eq 0 ]; then
    (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
      cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 >"$out.tmp" &&
      mv -f "$out.tmp" "$out" || rc=73
  fi
  rm -rf "$stage" "$out.tmp"
  return "$rc"
}

# sp_kernel_libs PROGRAM: the absolute paths of the shared objects it loads
# (libraries and the loader), none for a static program.
sp_kernel_libs() {
  local text
  text=$(LC_ALL=C ldd "$1" 2>&1) || {
    case "$text" in
      *"not a dynamic executable"*) return 0 ;;
    esac
    echo "kernel: ldd $1: $text" >&2
    return 65
  }
  case "$text" in
    *"statically linked"*) return 0 ;;
    *"not found"*) echo "kernel: $1 needs a library ldd cannot find:" >&2
      echo "$text" >&2; return 65 ;;
  esac
  # "libc.so.6 => /lib/.../libc.so.6 (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)"
  printf '%s\n' "$text" | awk '$2 == "=>" && $3 ~ /^\// {print $3; next}
                               $1 ~ /^\// {print $1}'
}
