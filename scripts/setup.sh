#!/usr/bin/env bash
# Installs what diemcau's tests and demo need and is not there yet: Debian packages (when root), then npm ci.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the broker, pty pairs, media tools, the SFU, a browser, netns and firewall tools, OpenSSL,
# ALSA elements (the box's room audio), espeak-ng (speech for the echo-cancellation tests), Mosquitto's plugin
# headers (the broker's client-id plugin, built by `diemcau-provision broker-plugin`), stress-ng (a CPU hog beside the
# suite, to show it passes on a busy machine), zbar-tools (zbarimg reads the QR codes the hall's TV shows), dpkg-dev
# and file (the Debian package's fast check, test/house/deb.test.ts), ejabberd (the clustered MQTT 5 broker of
# test/*/cluster-*.test.ts: the tests start their own nodes, never the packaged service), libfaketime (`npm run bench --
# faults` steps an agent's wall clock). `npm run check:package`
# needs more (mmdebstrap, systemd-container, qemu-user-static, ...): docs/install.md.
apt_pkgs=(mosquitto mosquitto-clients socat ffmpeg janus gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice chromium iproute2 nftables v4l-utils
  openssl util-linux fuse3 libfuse3-dev gcc pkg-config gstreamer1.0-alsa espeak-ng curl mosquitto-dev libmosquitto-dev
  stress-ng zbar-tools dpkg-dev file ejabberd libfaketime)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    # Packages' own services (ejabberd, mosquitto) are not started: a policy-rc.d that says no, where none is.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    echo "setup: missing Debian packages (run as root or install them): ${missing[*]}" >&2
    exit 1
  fi
fi

# npm packages: reinstall when package-lock.json is newer than what node_modules was installed from.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  npx tap build >/dev/null
fi
