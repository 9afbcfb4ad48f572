#!/usr/bin/env bash
# Installs everything the tests need on Debian/Ubuntu (as root or with sudo), then runs the whole suite:
# ruff, the import-linter contracts, mypy (strict on core, lookup and checks) and pytest (BIND lab, Qt offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v named >/dev/null 2>&1 || need_apt+=(bind9 bind9-utils)
# PowerDNS with its HTTP API stands in for a hosted DNS provider (the dns-lexicon publish path).
{ command -v pdns_server || [ -x /usr/sbin/pdns_server ]; } >/dev/null 2>&1 || need_apt+=(pdns-server)
[ -f /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ] || need_apt+=(pdns-backend-sqlite3)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need_apt+=(python3-venv)
# What Qt's offscreen and xcb platform plugins load (from `ldd` on the plugins, on a bare Debian 12; see the README).
QT_PACKAGES=(libglib2.0-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0
  libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1)
for lib in libglib-2.0.so.0 libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libxcb-icccm.so.4 \
  libxcb-keysyms.so.1 libxcb-cursor.so.0; do
  ldconfig -p | grep -q "$lib" || { need_apt+=("${QT_PACKAGES[@]}"); break; }
done
# PyInstaller (the slow build test) reads shared libraries with objdump.
command -v objdump >/dev/null 2>&1 || need_apt+=(binutils)
if [ ${#need_apt[@]} -gt 0 ]; then
  # The tests start their own BIND and PowerDNS on high ports: keep Debian from starting the packaged services
  # (on port 53) while installing them, unless the machine already has a policy of its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    trap '$SUDO rm -f "$policy"' EXIT  # removed even when an install fails
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  [ -z "$policy" ] || { $SUDO rm -f "$policy"; trap - EXIT; }
fi
# named lives in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# (this machine's pip configuration warns about missing local mirrors: not worth showing)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,build]' 2>&1 \
  | { grep -v '^WARNING: Location' || true; }

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "== lint-imports"
"$VENV/bin/lint-imports" --no-cache
echo "== mypy"
"$VENV/bin/mypy" wizard
echo "== pytest"
"$VENV/bin/python" -m pytest "$@"
