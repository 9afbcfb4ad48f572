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
# Qt's offscreen platform still loads these shared libraries.
for lib in libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libGL.so.1; do
  ldconfig -p | grep -q "$lib" || { need_apt+=(libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libgl1); break; }
done
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# named lives in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# (this machine's pip configuration warns about missing local mirrors: not worth showing)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 \
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
