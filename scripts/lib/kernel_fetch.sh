# shellcheck shell=bash
# Debian kernel images for scripts/kernel: names, the archive, the cache.
# Sourced; needs sp_kernel_die from scripts/kernel. Nothing is installed on
# the host: `apt-get download` fetches the .deb, only its /boot is kept.

SP_KERNEL_CACHE=${SP_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockpair/kernels}
SP_KERNEL_PATTERN='^linux-image-[0-9].*-cloud-amd64$'

# sp_kernel_release NAME: the release a user's NAME stands for
# (6.1.0-56-cloud-amd64, linux-image-6.1.0-56-cloud-amd64, 6.1.0-56 all give
# 6.1.0-56-cloud-amd64). A path to a file is not a release: handled by callers.
sp_kernel_release() {
  local name=${1#linux-image-}
  case "$name" in
    *-amd64) ;;
    *) name=$name-cloud-amd64 ;;
  esac
  [[ "$name" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] ||
    sp_kernel_die 64 "'$1' is neither a Debian kernel release nor a vmlinuz path"
  printf '%s\n' "$name"
}

# sp_kernel_offered: the cloud kernels the archive offers, one release each,
# with the package version (needs apt lists: `apt-get update` as root).
sp_kernel_offered() {
  local pkgs
  pkgs=$(apt-cache search --names-only "$SP_KERNEL_PATTERN" 2>/dev/null |
    awk '$1 ~ /^linux-image-[0-9]+\.[0-9]+\.[0-9]+/ {print $1}' | sort -V)
  [ -n "$pkgs" ] || return 0
  # shellcheck disable=SC2086 # one word per package
  apt-cache policy $pkgs | awk '
    /^[^ ].*:$/ {pkg = substr($1, 1, length($1) - 1); sub(/^linux-image-/, "", pkg)}
    $1 == "Candidate:" {print pkg, $2}' | sort -V
}

sp_kernel_cached() {
  local d
  [ -d "$SP_KERNEL_CACHE" ] || return 0
  for d in "$SP_KERNEL_CACHE"/*/; do
    [ -f "$d/vmlinuz" ] || continue
    printf '%s %s\n' "$(basename "$d")" "$(cat "$d/package" 2>/dev/null || echo '?')"
  done
}

# sp_kernel_fetch RELEASE: the cache directory holding vmlinuz, config and
# package ("NAME VERSION SHA256-of-deb"); downloads on a miss. Returns 69
# (after a message) when the archive does not have it or cannot be reached.
sp_kernel_fetch() {
  local rel=$1 dir=$SP_KERNEL_CACHE/$1 pkg=linux-image-$1 tmp deb
  if [ -f "$dir/vmlinuz" ]; then
    printf '%s\n' "$dir"
    return 0
  fi
  command -v apt-get >/dev/null || { echo "kernel: no apt-get to fetch $pkg" >&2; return 69; }
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "kernel: $pkg unknown to apt, running apt-get update" >&2
      apt-get update -qq >&2 || true
    fi
    apt-cache show "$pkg" >/dev/null 2>&1 ||
      { echo "kernel: the archive offers no $pkg (see: scripts/kernel list)" >&2; return 69; }
  fi
  mkdir -p "$SP_KERNEL_CACHE"
  tmp=$(mktemp -d "$SP_KERNEL_CACHE/.fetch-XXXXXX")
  echo "kernel: fetching $pkg" >&2
  if ! (cd "$tmp" && timeout 300 apt-get download -q "$pkg" >&2 2>"$tmp/apt.err"); then
    cat "$tmp/apt.err" >&2
    rm -rf "$tmp"
    echo "kernel: could not download $pkg" >&2
    return 69
  fi
  deb=$(ls "$tmp"/*.deb)
  mkdir "$tmp/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./boot
  mkdir "$tmp/k"
  mv "$tmp/x/boot/vmlinuz-$rel" "$tmp/k/vmlinuz" ||
    { rm -rf "$tmp"; echo "kernel: $pkg holds no boot/vmlinuz-$rel" >&2; return 69; }
  mv "$tmp/x/boot/config-$rel" "$tmp/k/config" 2>/dev/null || true
  printf '%s %s sha256:%s\n' "$(dpkg-deb -f "$deb" Package)" \
    "$(dpkg-deb -f "$deb" Version)" "$(sha256sum <"$deb" | cut -d' ' -f1)" \
    >"$tmp/k/package"
  # rename(2) makes the entry appear whole; a concurrent fetch of the same
  # kernel loses the race harmlessly.
  mv -T "$tmp/k" "$dir" 2>/dev/null || true
  rm -rf "$tmp"
  [ -f "$dir/vmlinuz" ] || { echo "kernel: cannot fill the cache $dir" >&2; return 73; }
  printf '%s\n' "$dir"
}
