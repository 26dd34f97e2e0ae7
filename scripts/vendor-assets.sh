#!/usr/bin/env bash
# The command center's browser libraries, installed from npm at the versions of
# pages/command/package-lock.json (`npm ci`) and copied into pages/command/static/vendor/, which
# is committed: `make run` and the city's offline intranet need no node and no CDN. Run it (or
# `make assets`) after changing package.json, then commit package-lock.json and static/vendor/.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cmd="$here/pages/command"
out="$cmd/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v npm >/dev/null || { echo "vendor-assets: npm is needed (apt-get install npm)" >&2; exit 1; }
cp "$cmd/package.json" "$cmd/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --silent)
nm="$work/node_modules"
rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/markercluster" "$out/socket.io" "$out/chart.js"
cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$nm/leaflet/LICENSE" "$out/leaflet/"
cp "$nm/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$nm/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.css" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.Default.css" \
   "$nm/leaflet.markercluster/MIT-LICENCE.txt" "$out/markercluster/"
cp "$nm/socket.io-client/dist/socket.io.min.js" "$nm/socket.io-client/LICENSE" "$out/socket.io/"
cp "$nm/chart.js/dist/chart.umd.js" "$nm/chart.js/LICENSE.md" "$out/chart.js/"
# Which versions were copied, for the licences' sake and for review.
(cd "$work" && node -e '
  const lock = require("./package-lock.json").packages;
  for (const name of ["leaflet", "leaflet.markercluster", "socket.io-client", "chart.js"])
    console.log(name + " " + lock["node_modules/" + name].version + " " + lock["node_modules/" + name].license);
') > "$out/VERSIONS.txt"
echo "vendor-assets: copied into $out:" >&2
cat "$out/VERSIONS.txt" >&2
