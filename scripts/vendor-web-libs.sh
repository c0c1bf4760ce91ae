#!/usr/bin/env bash
# The web view's vendored libraries (assets/web/vendor/): ECharts for the dashboard's trend charts and
# Leaflet for a rep's day map. Served from /static like our own files: no CDN, nothing fetched by browsers.
#
#   scripts/vendor-web-libs.sh                         (the versions pinned below)
#   ECHARTS=6.2.0 LEAFLET=1.9.5 scripts/vendor-web-libs.sh   (to update: then fix the integrity lines)
#
# `npm pack` downloads each package's published tarball into a temporary folder (no install scripts run,
# no node_modules in the repo); the tarball's sha512 must match the one pinned here, then only the files the
# pages load are copied, with their licence files. Update assets/web/vendor/README.md with the versions.
set -euo pipefail
cd "$(dirname "$0")/.."

ECHARTS=${ECHARTS:-6.1.0}
LEAFLET=${LEAFLET:-1.9.4}
HASH_WASM=${HASH_WASM:-4.13.0}  # Argon2id for the rep's PWA (client/storage/crypto.py, docs/pwa.md)
# The registry's integrity of the pinned versions (`npm view echarts@6.1.0 dist.integrity`).
declare -A INTEGRITY=(
  [echarts@6.1.0]=sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==
  [hash-wasm@4.13.0]=sha512-GrWl7wsV46fKIXQZB5ebskLZLAmKL6d9RS0fspCxDeQyjoNu1AfTJTMLPOJyfzaQm0ldFiwFN21/w+sE/kgEFQ==
  [leaflet@1.9.4]=sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==
)
VENDOR=assets/web/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch <name> <version>: unpacks the package into $work/<name>/package
  local spec="$1@$2" got
  got=$(cd "$work" && npm pack "$spec" --json --silent | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["integrity"])')
  if [[ -n ${INTEGRITY[$spec]:-} && $got != "${INTEGRITY[$spec]}" ]]; then
    echo "$spec: integrity $got is not the pinned ${INTEGRITY[$spec]}" >&2
    exit 1
  fi
  [[ -n ${INTEGRITY[$spec]:-} ]] || echo "$spec is not pinned: its integrity is $got (add it to INTEGRITY)" >&2
  mkdir -p "$work/$1"
  tar -xzf "$work/$1-$2.tgz" -C "$work/$1"
}

fetch echarts "$ECHARTS"
fetch leaflet "$LEAFLET"
fetch hash-wasm "$HASH_WASM"

rm -rf "$VENDOR/echarts" "$VENDOR/leaflet" "$VENDOR/hash-wasm"
mkdir -p "$VENDOR/echarts" "$VENDOR/leaflet/images" "$VENDOR/hash-wasm"
src="$work/echarts/package"
cp "$src/dist/echarts.min.js" "$src/LICENSE" "$src/NOTICE" "$VENDOR/echarts/"
cp "$src/licenses/LICENSE-d3" "$VENDOR/echarts/"
src="$work/leaflet/package"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$src/LICENSE" "$VENDOR/leaflet/"
cp "$src"/dist/images/*.png "$VENDOR/leaflet/images/"
src="$work/hash-wasm/package"
cp "$src/dist/argon2.umd.min.js" "$src/LICENSE" "$VENDOR/hash-wasm/"
echo "vendored echarts $ECHARTS, leaflet $LEAFLET and hash-wasm $HASH_WASM into $VENDOR"
