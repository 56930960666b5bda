#!/usr/bin/env bash
# Re-pin the dependency tree after a change to pyproject.toml's dependencies (then commit both
# lock files). requirements-test.lock is everything CI installs (runtime, test extras and the
# build backend); requirements.lock is the runtime subset at the same versions (serve.sh,
# the Dockerfile, the wheel test). Both are universal (any OS, Python >= 3.11) with hashes.
# Pass --upgrade to move every pin to the newest release the ranges allow.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
[ -x .venv/bin/python ] || bash scripts/serve.sh --setup-only
if ! .venv/bin/python -m uv --version 2>/dev/null | grep -q "uv $UV_VERSION"; then
  echo "installing uv $UV_VERSION (the lock tool) into .venv..."
  .venv/bin/python -m pip install -q "uv==$UV_VERSION"
fi
# setuptools is pinned too: scripts install the project with --no-build-isolation
build_req="$(mktemp --suffix=.in)"
trap 'rm -f "$build_req"' EXIT
.venv/bin/python - "$build_req" <<'PY'
import sys, tomllib
reqs = tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]
open(sys.argv[1], "w").write("\n".join(reqs) + "\n")
PY
common=(--universal --python-version 3.11 --generate-hashes --quiet
        --custom-compile-command "bash scripts/lock.sh")
echo "pinning runtime + test + build into requirements-test.lock..."
.venv/bin/python -m uv pip compile "${common[@]}" "$@" pyproject.toml "$build_req" \
  --extra test -o requirements-test.lock
echo "pinning runtime + build into requirements.lock (same versions)..."
.venv/bin/python -m uv pip compile "${common[@]}" pyproject.toml "$build_req" \
  --constraint requirements-test.lock -o requirements.lock
sed -i "s|$build_req|pyproject.toml (build-system)|g" requirements-test.lock requirements.lock
echo "requirements-test.lock: $(grep -c '^[a-z0-9]' requirements-test.lock) packages;" \
  "requirements.lock: $(grep -c '^[a-z0-9]' requirements.lock) packages"
