#!/usr/bin/env bash
# Refresh the vendored three.js from the npm registry (no CDN, no build step).
#   scripts/vendor-three.sh [version]      (default: the pinned version in VERSION)
# Takes build/three.module.min.js and LICENSE from `npm pack three@<version>`, writes them to
# lenet_vis/static/vendor/three/ and records the version and SHA-256 in VERSION, which
# tests/app/test_vendor.py checks. Versions from r171 split the build into three.core.js and
# three.module.js (and drop the .min files), so 0.170.0 is the last one-file module build.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=lenet_vis/static/vendor/three
VERSION=${1:-$(sed -n 's/^version: //p' "$DEST/VERSION")}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "vendor-three: npm pack three@$VERSION"
(cd "$TMP" && npm pack --silent "three@$VERSION" >/dev/null && tar xzf "three-$VERSION.tgz")
SRC="$TMP/package/build/three.module.min.js"
if [ ! -f "$SRC" ]; then
  echo "vendor-three: three@$VERSION has no build/three.module.min.js (split build?); not vendored" >&2
  exit 1
fi
if grep -q "from['\"]\|from ['\"]" "$SRC"; then
  echo "vendor-three: three@$VERSION imports other files; not a single-file build" >&2
  exit 1
fi

mkdir -p "$DEST"
cp "$SRC" "$DEST/three.module.min.js"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
SHA=$(sha256sum "$DEST/three.module.min.js" | cut -d' ' -f1)
cat >"$DEST/VERSION" <<EOF
version: $VERSION
file: three.module.min.js
sha256: $SHA
source: npm registry, three@$VERSION, build/three.module.min.js
EOF
echo "vendor-three: three@$VERSION -> $DEST/three.module.min.js"
echo "vendor-three: sha256 $SHA"
