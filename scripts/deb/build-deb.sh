#!/usr/bin/env bash
# Assembles diemcau_<version>_<arch>.deb with dpkg-deb from a staged tree (scripts/stage-box.sh --arch ARCH) and
# the Node for that architecture (scripts/deb/box-node.sh). What goes where on the box (docs/install.md):
#   /usr/lib/diemcau/agent/        the staged tree: the launcher systemd runs, and what postinst copies into slot a
#   /usr/lib/diemcau/node/         the Node it runs on (bin/node, LICENSE)
#   /usr/bin/diemcau               the command (deb/diemcau)
#   /lib/systemd/system/           systemd/diemcau.service
#   /usr/share/diemcau/config.json the default config, copied to /etc/diemcau/config.json on a box without one
#   /usr/share/doc/diemcau/        copyright, changelog.gz, install.md
# Nothing under /opt, /etc or /var: those are the box's (postinst makes them; the agent and updates write them).
# Usage: scripts/deb/build-deb.sh --tree DIR --node DIR --arch amd64|arm64 --out DIR [--version V] [--compress xz|gzip|none]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/deb/lib.sh
usage="usage: scripts/deb/build-deb.sh --tree DIR --node DIR --arch amd64|arm64 --out DIR [--version V] [--compress xz|gzip|none]"
tree='' nodedir='' arch='' out='' version='' compress=xz
while [ $# -gt 0 ]; do
  case "$1" in
  --tree | --node | --arch | --out | --version | --compress)
    [ $# -ge 2 ] || die "$1 needs a value ($usage)"
    case "$1" in --tree) tree=$2 ;; --node) nodedir=$2 ;; --arch) arch=$2 ;; --out) out=$2 ;; --version) version=$2 ;; --compress) compress=$2 ;; esac
    shift 2 ;;
  *) die "unknown option \"$1\" ($usage)" ;;
  esac
done
[ -n "$tree" ] && [ -n "$nodedir" ] && [ -n "$arch" ] && [ -n "$out" ] || die "$usage"
node_arch "$arch" >/dev/null
[ -f "$tree/dist/agent/update/launcher.js" ] || die "$tree is not a staged tree (no dist/agent/update/launcher.js): run scripts/stage-box.sh"
[ -x "$nodedir/bin/node" ] || die "$nodedir/bin/node missing: run scripts/deb/box-node.sh $arch"
case "$compress" in xz | gzip | none) ;; *) die "--compress: xz, gzip or none (got \"$compress\")" ;; esac
[ -n "$version" ] || version=$(node -p 'require(process.argv[1]).version' "$(realpath "$tree")/package.json")
[[ "$version" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "--version \"$version\" is not a Debian version for a native package"
host=$(node -p '({ x64: "amd64", arm64: "arm64" })[process.arch] ?? process.arch')
strip=strip
if [ "$arch" != "$host" ]; then
  strip=$([ "$arch" = arm64 ] && echo aarch64-linux-gnu-strip || echo x86_64-linux-gnu-strip)
  need "$strip" "binutils-$([ "$arch" = arm64 ] && echo aarch64 || echo x86-64)-linux-gnu"
fi
need dpkg-deb dpkg

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
lib=$r/usr/lib/diemcau
doc=$r/usr/share/doc/diemcau
install -d "$r/DEBIAN" "$lib" "$r/usr/bin" "$r/lib/systemd/system" "$r/usr/share/diemcau" "$doc"
cp -a "$tree" "$lib/agent"
# The tree's package.json is what `diemcau version` and the slot's .installed say: the package's version.
node -e 'const f = process.argv[1], p = require(f); p.version = process.argv[2]; require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n")' \
  "$lib/agent/package.json" "$version"
install -D -m 0755 "$nodedir/bin/node" "$lib/node/bin/node"
install -m 0644 "$nodedir/LICENSE" "$lib/node/LICENSE"
install -m 0755 deb/diemcau "$r/usr/bin/diemcau"
install -m 0644 systemd/diemcau.service "$r/lib/systemd/system/diemcau.service"
install -m 0644 deb/config.json "$r/usr/share/diemcau/config.json"
install -m 0644 deb/copyright docs/install.md "$doc/"
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
{
  echo "diemcau ($version) $SUITE; urgency=medium"
  echo
  echo "  * Built from diemcau $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)'); the changes are in git."
  echo
  echo " -- diemcau maintainers <maintainers@diemcau.vn>  $(date -u -R -d "@$epoch")"
} | gzip -9n >"$doc/changelog.gz"

# What lintian refuses in a package: npm's and eslint's dot files, unstripped ELF files. What it cannot be
# without (Node and libwebrtc carry their own zlib and libsrtp) is overridden, with the reason, in deb/lintian-overrides.
find "$lib" \( -name .npmignore -o -name '.eslintrc*' \) -delete
rm -rf "$lib/agent/node_modules/.bin" # links to modules' CLIs: nothing on a box runs them
find "$lib" -type f \( -name '*.node' -o -path "$lib/node/bin/node" \) -exec "$strip" --strip-unneeded {} +
install -D -m 0644 deb/lintian-overrides "$r/usr/share/lintian/overrides/diemcau"
# Files root-owned (dpkg-deb --root-owner-group) and 0644; the two programs 0755. The tree's own scripts (a
# module's CLI, cli.js) are not run as programs on the box: the launcher and deb/diemcau run them with this Node.
chmod -R u=rwX,go=rX "$r"
find "$r" -type f -perm /111 ! -path "$r/DEBIAN/*" ! -path "$lib/node/bin/node" ! -path "$r/usr/bin/diemcau" -exec chmod 0644 {} +

size=$(du -sk --apparent-size --exclude=DEBIAN "$r" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" deb/control.in >"$r/DEBIAN/control"
install -m 0755 deb/postinst deb/prerm deb/postrm "$r/DEBIAN/"
(cd "$r" && find . -path ./DEBIAN -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum | sed 's| \./| |') >"$r/DEBIAN/md5sums"
chmod 0644 "$r/DEBIAN/control" "$r/DEBIAN/md5sums"
find "$r" -newermt "@$epoch" -exec touch -h -d "@$epoch" {} +

mkdir -p "$out"
deb="$out/diemcau_${version}_${arch}.deb"
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Z"$compress" --build "$r" "$deb" >/dev/null
echo "$deb"
