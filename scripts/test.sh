#!/usr/bin/env bash
# Set up what the tests need on this machine (Debian's chromium, nodejs and nginx where
# missing; .venv from requirements-test.lock, once), then ruff and the whole test suite.
# Arguments go to pytest (e.g. bash scripts/test.sh tests/model -x).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
started=$SECONDS
step() { say "[$1/4] $2 ($((SECONDS - started)) s so far)"; }

step 1 "system packages: chromium, nodejs, nginx"
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if ! apt_install "${missing[@]}"; then
    is_ci && die "could not install ${missing[*]}"
    say "could not install ${missing[*]}: the tests that need them will be skipped"
  fi
else
  say "chromium, node and nginx are here"
fi

step 2 ".venv with the pinned test dependencies"
ensure_venv
ensure_deps test requirements-test.lock

step 3 "ruff check and ruff format --check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step 4 "pytest"
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
say "finished in $((SECONDS - started)) s"
exit "$rc"
