# Shared by scripts/serve.sh, scripts/test.sh and .ci/run (sourced, not run): the system
# packages, the project's .venv and the pinned dependencies, each set up once and repaired when
# broken. Long steps print progress. The caller has cd'd to the repository root.

say() { printf 'lenet-vis: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
is_ci() { [ "${CI:-}" = "true" ]; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

APT_UPDATED=""
# apt_install PKG...: Debian packages, with `apt-get update` first (once), no recommends, and
# no service started by the install (nginx would otherwise claim port 80 system-wide).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || { say "no apt-get here: install $* yourself"; return 1; }
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "need root (or sudo) to install $*"; return 1
  fi
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      | awk '{ printf "  %s\n", $0; fflush() }' >&2 || return 1
    APT_UPDATED=1
  fi
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$guard" >/dev/null && as_root chmod 755 "$guard"
  fi
  say "apt-get install $* (a minute or two when chromium is among them)..."
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    --no-upgrade -o Dpkg::Use-Pty=0 "$@" 2>&1 | awk '
      /newly installed/ || /^Need to get/ { printf "  %s\n", $0; fflush() }
      /^Get:/ { sub(/^Get:/, "", $1); printf "  fetched %s: %s\n", $1, $5; fflush() }
      /^Setting up/ { n++; if (n % 10 == 1) { printf "  setting up %s (%d)\n", $3, n; fflush() } }
      /^E:/ { print; fflush() }' >&2 || rc=$?
  [ -n "$guard" ] && as_root rm -f "$guard"
  return "$rc"
}

# The Python to build .venv from: $PYTHON, else the newest python3.x >= 3.11 on PATH.
find_python() {
  local c
  for c in ${PYTHON:-} python3 python3.14 python3.13 python3.12 python3.11; do
    if command -v "$c" >/dev/null 2>&1 \
      && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

# A usable .venv: a real venv of Python >= 3.11 with pip, made for this checkout.
venv_ok() {
  [ -f .venv/pyvenv.cfg ] && [ -x .venv/bin/python ] && .venv/bin/python -c '
import sys, pip
sys.exit(sys.prefix == sys.base_prefix or sys.version_info < (3, 11))' >/dev/null 2>&1 \
    && [ "$(cat .venv/.lenet-vis-root 2>/dev/null)" = "$PWD" ]
}

ensure_venv() {
  venv_ok && return 0
  if [ -e .venv ]; then
    say "repairing .venv (broken, half-made or made for another folder): making it anew"
    rm -rf .venv
  fi
  local py out
  if ! py="$(find_python)"; then
    say "no Python >= 3.11 found; trying Debian's python3"
    apt_install python3 || die "needs Python >= 3.11 (set PYTHON=/path/to/python3.11)"
    py="$(find_python)" || die "needs Python >= 3.11 (set PYTHON=/path/to/python3.11)"
  fi
  say "creating .venv with $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))..."
  if ! out="$("$py" -m venv .venv 2>&1)"; then
    rm -rf .venv
    local ver
    ver="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    say "python3 -m venv failed (${out##*$'\n'}); installing Debian's python3-venv"
    local pkgs=(python3-venv)
    apt-cache show "python$ver-venv" >/dev/null 2>&1 && pkgs+=("python$ver-venv")
    apt_install "${pkgs[@]}" || die "cannot create .venv: install python3-venv (apt-get install python3-venv)"
    "$py" -m venv .venv || { rm -rf .venv; die "cannot create .venv even with python3-venv"; }
  fi
  printf '%s\n' "$PWD" >.venv/.lenet-vis-root
  venv_ok || { rm -rf .venv; die "the new .venv does not work (no pip?)"; }
}

# The hash that says what a profile installed: its lock file and pyproject.toml.
lock_hash() { cat "$1" pyproject.toml | sha256sum | cut -c1-16; }

STAMP=.venv/.lenet-vis-installed
installed() { grep -qx "$1 $(lock_hash "$2")" "$STAMP" 2>/dev/null; }

# How many lines of a lock apply to this Python and platform (for "[n/N]" progress).
count_lock() {
  .venv/bin/python - "$1" <<'PY' 2>/dev/null || echo "?"
import sys
from pip._vendor.packaging.requirements import Requirement

n = 0
for line in open(sys.argv[1]):
    if line[:1].isalnum():
        req = Requirement(line.split(" \\")[0].strip())
        n += req.marker is None or req.marker.evaluate()
print(n)
PY
}

# ensure_deps PROFILE LOCK: the pinned tree (hashes checked) and the project itself (editable,
# so edits need no reinstall), unless the stamp says this lock and pyproject are in already.
ensure_deps() {
  local profile="$1" lock="$2"
  if installed "$profile" "$lock"; then
    say ".venv is up to date with $lock (nothing to install)"
    return 0
  fi
  local total log
  total="$(count_lock "$lock")"
  log=.venv/pip-install.log
  say "installing $total pinned packages from $lock into .venv (once; cached afterwards)..."
: >"$log"
  .venv/bin/python -m pip install --disable-pip-version-check --require-hashes -r "$lock" \
    >"$log" 2>&1 </dev/null &
  local pid=$!
  tail -n +1 -f "$log" --pid "$pid" 2>/dev/null | awk -v total="$total" '
    /^(Collecting|Processing) / || /^Requirement already satisfied: / {
      n++; name = ($1 == "Requirement") ? $4 : $2; sub(/.*\//, "", name)
      printf "  [%d/%s] %s\n", n, total, name; fflush() }
    /^ *Downloading / { printf "        downloading %s%s\n", $(NF-1), $NF; fflush() }
    /^Installing collected packages/ { print "  unpacking into .venv..."; fflush() }' >&2
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    die "pip install -r $lock failed (whole log: $log)"
  fi
  say "installing lenet-vis itself (editable)..."
  .venv/bin/python -m pip install --disable-pip-version-check -q --no-deps \
    --no-build-isolation -e . >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "pip install -e . failed"; }
  if ! .venv/bin/python -m pip check >>"$log" 2>&1; then
    tail -n 5 "$log" >&2
    die "pyproject.toml and $lock disagree: run bash scripts/lock.sh and commit the locks"
  fi
  grep -v "^$profile " "$STAMP" 2>/dev/null >"$STAMP.new" || true
  printf '%s %s\n' "$profile" "$(lock_hash "$lock")" >>"$STAMP.new"
  mv "$STAMP.new" "$STAMP"
}
