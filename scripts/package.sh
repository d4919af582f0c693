#!/usr/bin/env bash
# `npm run package`: builds diemcau_<version>_amd64.deb and diemcau_<version>_arm64.deb into dist/deb/ (after
# npm run build): the staged agent tree for each architecture (scripts/stage-box.sh --arch: arm64's addons are
# built in an arm64 Debian root under qemu-user-static), the Node the package ships (scripts/deb/box-node.sh),
# assembled with dpkg-deb (scripts/deb/build-deb.sh). Roots and downloads are cached in $DIEMCAU_ROOTS
# (/var/tmp/diemcau-roots). `npm run check:package` installs and runs what this builds (test/package/).
# Usage: scripts/package.sh [--arch amd64|arm64]... [--version V] [--out DIR] [--compress xz|gzip|none]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deb/lib.sh
archs=() extra=() out=dist/deb
while [ $# -gt 0 ]; do
  case "$1" in
  --arch) archs+=("${2:?--arch needs amd64 or arm64}"); shift 2 ;;
  --out) out=${2:?--out needs a directory}; shift 2 ;;
  --version | --compress) extra+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
  *) die "unknown option \"$1\" (usage: scripts/package.sh [--arch amd64|arm64]... [--version V] [--out DIR] [--compress xz|gzip|none])" ;;
  esac
done
[ ${#archs[@]} -gt 0 ] || archs=(amd64 arm64)
[ -f dist/agent/cli.js ] || die "dist/agent/cli.js missing: run npm run build first"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for arch in "${archs[@]}"; do
  start=$SECONDS
  bash scripts/stage-box.sh "$work/tree-$arch" --arch "$arch" >&2
  node=$(bash scripts/deb/box-node.sh "$arch")
  deb=$(bash scripts/deb/build-deb.sh --tree "$work/tree-$arch" --node "$node" --arch "$arch" --out "$out" "${extra[@]}")
  echo "package: $deb ($(du -h "$deb" | cut -f1), $((SECONDS - start)) s)" >&2
  echo "$deb"
done
