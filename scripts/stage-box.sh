#!/usr/bin/env bash
# Stages what a box runs into DIR: the compiled core/, drivers/ and agent/, package.json, and the production
# dependencies only (this tree's node_modules, pruned of dev dependencies and of the central console's: the native
# modules as built here, for this architecture). No lab/, test/, bench/, provisioning/ or central/ code: nothing on a
# box imports them (test/house/layers.test.ts), and test/house/box-tree.test.ts checks the staged tree and a bundle
# made of it.
# Usage: scripts/stage-box.sh DIR   (after npm run build)
set -euo pipefail
out=${1:?usage: scripts/stage-box.sh DIR}
cd "$(dirname "$0")/.."
[ -f dist/agent/cli.js ] || { echo "stage-box: dist/agent/cli.js missing: run npm run build first" >&2; exit 2; }
[ -d node_modules ] || { echo "stage-box: node_modules missing: run npm ci first" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out/dist"
for d in core drivers agent; do cp -r "dist/$d" "$out/dist/$d"; done
find "$out/dist" \( -name '*.map' -o -name '*.d.ts' \) -delete
cp package.json package-lock.json "$out/"
# The central console's own dependencies (package.json "centralOnly": its database, its WebSocket server) are not
# the box's: dropped from the staged package.json, the prune below removes them (a package another one needs stays).
node -e 'const f=process.argv[1], p=JSON.parse(require("fs").readFileSync(f)); for (const d of p.centralOnly ?? []) delete p.dependencies[d]; require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n")' "$out/package.json"
cp -a node_modules "$out/node_modules"
(cd "$out" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
find "$out/node_modules" -mindepth 1 -type d -empty -delete
echo "stage-box: $out ($(du -sh "$out" | cut -f1))"
