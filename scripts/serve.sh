#!/usr/bin/env bash
# Set up the runtime on a fresh machine and start the app on its committed weights.
# Extra arguments go to `lenet-vis serve` (e.g. --port 9000 --workers 2).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
echo "lenet-vis: open http://127.0.0.1:8000 (API docs at /docs)"
exec .venv/bin/lenet-vis serve "$@"
