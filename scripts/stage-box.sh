#!/usr/bin/env bash
# Stages what a box runs into DIR: the compiled core/, drivers/ and agent/, package.json, and the production
# dependencies only, with native code for one architecture. No lab/, test/, bench/, provisioning/ or central/ code:
# nothing on a box imports them (test/house/layers.test.ts), and test/house/box-tree.test.ts checks the staged tree
# and a bundle made of it. The central console's own dependencies (package.json "centralOnly": its database, its
# WebSocket server) are not the box's: dropped from the staged package.json and pruned (a package another one needs
# stays).
# For this machine's architecture the native modules are the ones built here (this tree's node_modules, pruned of
# dev dependencies). For another (--arch arm64 on amd64) the production dependencies are installed for it
# (npm ci --cpu, without scripts) and the addons are built in a Debian root of that architecture under
# qemu-user-static (scripts/deb/natives.sh). Either way only that architecture's addons stay: other platforms'
# prebuilt ones and the build's intermediate files go, and every addon left is checked to be for ARCH.
# Usage: scripts/stage-box.sh DIR [--arch amd64|arm64]   (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deb/lib.sh
out=${1:?usage: scripts/stage-box.sh DIR [--arch amd64|arm64]}
shift
host=$(node -p '({ x64: "amd64", arm64: "arm64" })[process.arch] ?? process.arch')
arch=$host
while [ $# -gt 0 ]; do
  case "$1" in
  --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
  *) die "unknown option \"$1\" (usage: scripts/stage-box.sh DIR [--arch amd64|arm64])" ;;
  esac
done
narch=$(node_arch "$arch")
[ -f dist/agent/cli.js ] || die "dist/agent/cli.js missing: run npm run build first"
[ -d node_modules ] || die "node_modules missing: run npm ci first"
rm -rf "$out"
mkdir -p "$out/dist"
for d in core drivers agent; do cp -r "dist/$d" "$out/dist/$d"; done
find "$out/dist" \( -name '*.map' -o -name '*.d.ts' \) -delete
cp package.json package-lock.json "$out/"
drop_central() {
  node -e 'const f=process.argv[1], p=JSON.parse(require("fs").readFileSync(f)); for (const d of p.centralOnly ?? []) delete p.dependencies[d]; require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n")' "$out/package.json"
  (cd "$out" && npm prune --omit=dev --ignore-scripts --os=linux --cpu="$narch" --libc=glibc --no-audit --no-fund --loglevel=error >/dev/null)
}
if [ "$arch" = "$host" ]; then
  cp -aH node_modules "$out/node_modules" # -H: node_modules may be a link (a worktree's, to the main checkout's)
  drop_central
else
  # npm ci wants package.json as the lock file has it: the console's dependencies are pruned after.
  (cd "$out" && npm ci --omit=dev --ignore-scripts --os=linux --cpu="$narch" --libc=glibc --no-audit --no-fund --loglevel=error >/dev/null)
  drop_central
  bash scripts/deb/natives.sh "$arch" "$out"
fi

# Prebuilt addons: only linux-<arch> (glibc) stays.
find "$out/node_modules" -type d -name prebuilds -prune | while read -r pre; do
  find "$pre" -mindepth 1 -maxdepth 1 -type d ! -name "linux-$narch" -exec rm -rf {} +
  find "$pre" -name '*.musl.node' -delete
done
# Built addons: only build/Release/*.node stays (what `bindings` and node-gyp-build load).
find "$out/node_modules" -type f -name binding.gyp | while read -r gyp; do
  b="$(dirname "$gyp")/build"
  [ -d "$b" ] || continue
  find "$b" -mindepth 1 \( -type f ! -regex "$b/Release/[^/]*\.node" -o -type l \) -delete
done
find "$out/node_modules" -mindepth 1 -type d -empty -delete
want=$([ "$narch" = x64 ] && echo x86-64 || echo aarch64)
find "$out/node_modules" -name '*.node' -type f | while read -r f; do
  file -b "$f" | grep -q "ELF 64-bit LSB shared object, .*$want" || die "$f is not an addon for $arch: $(file -b "$f")"
done
echo "stage-box: $out ($arch, $(du -sh "$out" | cut -f1))"
