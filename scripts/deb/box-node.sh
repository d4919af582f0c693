#!/usr/bin/env bash
# Prints the directory of the Node.js the package ships for ARCH (bin/node, include/node, LICENSE): the official
# build of the version deb/node.json names, as the npm registry's node-linux-<arch> package carries it (nodejs.org
# is not reachable from every build machine; the registry is), checked against the integrity recorded there.
# Downloaded once into $DIEMCAU_ROOTS/cache. docs/install.md says why the package ships its own Node.
# Usage: scripts/deb/box-node.sh amd64|arm64
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/deb/lib.sh
arch=$(node_arch "${1:?usage: box-node.sh amd64|arm64}")
read -r version pkgname integrity < <(node -e '
  const n = require("./deb/node.json"); const a = process.argv[1];
  console.log(n.version, n.npmPackage.replace("{arch}", a), n.integrity[a] ?? "");' "$arch")
[ -n "$integrity" ] || die "deb/node.json has no integrity for $arch"
cache="$DIEMCAU_ROOTS/cache"
tgz="$cache/$pkgname-$version.tgz"
dir="$cache/$pkgname-$version"
mkdir -p "$cache"
if [ ! -f "$tgz" ]; then
  npm pack "$pkgname@$version" --pack-destination "$cache" --silent >/dev/null || die "npm pack $pkgname@$version failed"
fi
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[ "$got" = "$integrity" ] || die "$tgz: integrity $got is not the one deb/node.json records ($integrity)"
if [ ! -x "$dir/bin/node" ]; then
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  tar -xzf "$tgz" -C "$dir.tmp" --strip-components=1 package/bin/node package/include package/LICENSE
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir"
