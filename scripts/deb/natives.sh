#!/usr/bin/env bash
# Builds the native addons of a staged tree (installed with --ignore-scripts) for ARCH: `npm rebuild` in a Debian
# root of that architecture (build-essential, python3; arm64 runs under qemu-user-static), with the Node the
# package ships for ARCH and its headers (scripts/deb/box-node.sh), so the addons match the Node that loads them.
# The cached root stays read-only; only TREE is written. Called by scripts/stage-box.sh --arch.
# Usage: scripts/deb/natives.sh ARCH TREE
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/deb/lib.sh
arch=${1:?usage: natives.sh ARCH TREE}
tree=$(realpath "${2:?usage: natives.sh ARCH TREE}")
root=$(cached_root "build-$arch" "$arch" build-essential,python3)
nodedir=$(bash scripts/deb/box-node.sh "$arch")
npmdir=$(dirname "$(dirname "$(realpath "$(command -v npm)")")")
[ -f "$npmdir/bin/npm-cli.js" ] || die "cannot find npm's own directory (looked in $npmdir)"
mkdir -p "$root/build" "$root/opt/node" "$root/opt/npm" # mount points (the root is mounted read-only)
in_root "$root" --read-only --bind="$tree:/build" --bind-ro="$nodedir:/opt/node" --bind-ro="$npmdir:/opt/npm" \
  --chdir=/build -E HOME=/tmp -E npm_config_nodedir=/opt/node -E npm_config_cache=/tmp/npm-cache \
  -E PATH=/opt/node/bin:/usr/sbin:/usr/bin:/sbin:/bin -- \
  /opt/node/bin/node /opt/npm/bin/npm-cli.js rebuild --no-audit --no-fund --no-progress --loglevel=error >&2
