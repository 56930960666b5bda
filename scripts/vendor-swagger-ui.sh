#!/usr/bin/env bash
# Vendor Swagger UI's browser files (for /docs) from the npm registry's swagger-ui-dist package,
# pinned by version and by the registry's sha512 integrity, into lenet_vis/static/vendor/.
# Usage: bash scripts/vendor-swagger-ui.sh [VERSION INTEGRITY]   (then commit the files)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-5.35.0}"
INTEGRITY="${2:-sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==}"
FILES=(swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt)
DEST=lenet_vis/static/vendor/swagger-ui

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetching swagger-ui-dist@$VERSION from the npm registry..."
(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tarball="$work/swagger-ui-dist-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "integrity mismatch: expected $INTEGRITY, got $got" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do cp "$work/package/$f" "$DEST/$f"; done
{
  echo "swagger-ui-dist $VERSION"
  echo "integrity $INTEGRITY"
  (cd "$DEST" && sha256sum "${FILES[@]}")
} >"$DEST/MANIFEST"
echo "vendored into $DEST:"
cat "$DEST/MANIFEST"
