#!/usr/bin/env bash
# Start the app on its committed weights. The first run makes .venv and installs the pinned
# runtime (requirements.lock); later runs start at once unless the lock or pyproject changed.
# Arguments go to `lenet-vis serve` (e.g. --port 9000 --host 0.0.0.0 --workers 2);
# --setup-only sets up .venv and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

setup_only=""
host=127.0.0.1
port=8000
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --setup-only) setup_only=1 ;;
    --host) host="${2:?--host needs a value}"; args+=("$1" "$2"); shift ;;
    --host=*) host="${1#--host=}"; args+=("$1") ;;
    --port) port="${2:?--port needs a value}"; args+=("$1" "$2"); shift ;;
    --port=*) port="${1#--port=}"; args+=("$1") ;;
    *) args+=("$1") ;;
  esac
  shift
done

ensure_venv
# the test profile is a superset at the same versions, so either stamp will do
if ! installed test requirements-test.lock; then
  ensure_deps runtime requirements.lock
fi
[ -n "$setup_only" ] && exit 0

case "$host" in
  0.0.0.0) shown="http://127.0.0.1:$port (listening on every interface)" ;;
  ::) shown="http://[::1]:$port (listening on every interface)" ;;
  *:*) shown="http://[$host]:$port" ;;
  *) shown="http://$host:$port" ;;
esac
say "open $shown in a browser (API docs at /docs); Ctrl-C stops it"
exec .venv/bin/lenet-vis serve ${args[@]+"${args[@]}"}
