#!/usr/bin/env bash
# The suite, as `npm test` runs it after setup and build: every file three at a time (most wait on brokers,
# processes and timers more than they compute), except the media files that measure real time (a frame rate, a
# latency, loss, an echo canceller settling, a level heard through the bridge): those run afterwards one at a time,
# because two of them on two cores starve each other's encoder and audio pipeline and the measurement, not the
# product, fails. Any other file must pass beside any other.
set -uo pipefail
cd "$(dirname "$0")/.."
alone=(echo-calibrate audio-erle heard commissioning recovery whip uplink cascade local-view demo-meeting page-preview
  console-preview)
solo=()
for f in "${alone[@]}"; do
  [ -f "dist/test/media/$f.test.js" ] || { echo "scripts/test.sh: dist/test/media/$f.test.js: no such test (the list here is out of date)" >&2; exit 1; }
  solo+=("dist/test/media/$f.test.js")
done
# test/package needs a built package and a systemd container: `npm run check:package` runs it.
folders=(lab core house agent drivers provisioning central media)
for d in dist/test/*/; do
  d=$(basename "$d")
  [[ " ${folders[*]} package " == *" $d "* ]] || { echo "scripts/test.sh: test/$d is not in the suite's folders: add it to folders=() here" >&2; exit 1; }
done
paired=()
for f in $(printf 'dist/test/%s/*.test.js ' "${folders[@]}"); do
  [[ " ${solo[*]} " == *" $f "* ]] || paired+=("$f")
done
tap --jobs=3 "${paired[@]}"
s=$?
tap --jobs=1 "${solo[@]}" || s=1
exit $s
