# Shared by the packaging scripts (sourced). Debian roots are made with mmdebstrap and cached between runs under
# $DIEMCAU_ROOTS (default /var/tmp/diemcau-roots, outside the repo); commands run in them with systemd-nspawn
# (qemu-user-static through binfmt_misc for arm64).
DIEMCAU_ROOTS=${DIEMCAU_ROOTS:-/var/tmp/diemcau-roots}
SUITE=bookworm

die() { echo "$(basename "$0"): $*" >&2; exit 2; }

# Debian architecture -> Node's process.arch.
node_arch() { case "$1" in amd64) echo x64 ;; arm64) echo arm64 ;; *) die "unsupported architecture \"$1\" (amd64 or arm64)" ;; esac; }

need() { # need COMMAND APT-PACKAGE: fail in one line naming the package to install
  command -v "$1" >/dev/null || die "$1 is missing: apt-get install $2"
}

# Lets this machine run arm64 binaries (qemu-user-static registers itself with binfmt_misc; a machine without
# systemd as PID 1 may not have binfmt_misc mounted yet).
enable_foreign() {
  [ "$1" = "$(dpkg --print-architecture)" ] && return 0
  need qemu-aarch64-static qemu-user-static
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 ||
    die "cannot register qemu-aarch64 with binfmt_misc (apt-get install binfmt-support qemu-user-static)"
}

# cached_root NAME ARCH PACKAGES: prints the directory of a pristine Debian root with PACKAGES, made once
# (mmdebstrap) and kept until its recipe changes. Callers copy it before changing anything in it.
cached_root() {
  local name=$1 arch=$2 pkgs=$3 dir="$DIEMCAU_ROOTS/$1" recipe
  recipe="$SUITE $arch variant=apt include=$pkgs"
  if [ "$(cat "$dir.recipe" 2>/dev/null)" != "$recipe" ]; then
    need mmdebstrap mmdebstrap
    enable_foreign "$arch"
    rm -rf "$dir" "$dir.recipe"
    mkdir -p "$DIEMCAU_ROOTS"
    echo "roots: making $dir ($recipe)" >&2
    mmdebstrap --quiet --architectures="$arch" --variant=apt --include="$pkgs" "$SUITE" "$dir" >&2 ||
      die "mmdebstrap failed for $dir"
    echo "$recipe" >"$dir.recipe"
  fi
  enable_foreign "$arch"
  echo "$dir"
}

# in_root DIR [nspawn options] -- COMMAND...: runs COMMAND in the root (not booted), with this machine's network.
in_root() {
  local dir=$1; shift
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  need systemd-nspawn systemd-container
  systemd-nspawn --quiet --register=no --keep-unit --console=pipe --resolv-conf=replace-host --timezone=off -D "$dir" "${opts[@]}" "$@"
}
