#!/usr/bin/env bash
# Prints the directory of a cached, pristine Debian 12 root (scripts/deb/lib.sh, cached_root), made on first use.
# The package checks (test/package/) copy it before installing anything.
# Usage: scripts/deb/root.sh NAME amd64|arm64 PACKAGE[,PACKAGE...]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/deb/lib.sh
[ $# -eq 3 ] || die "usage: scripts/deb/root.sh NAME amd64|arm64 PACKAGE[,PACKAGE...]"
node_arch "$2" >/dev/null
cached_root "$1" "$2" "$3"
