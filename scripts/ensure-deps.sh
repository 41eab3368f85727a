#!/usr/bin/env bash
# Installs the locked dependencies when node_modules is missing or older than the lockfile,
# so `npm start` and `npm test` work on a fresh clone without a separate install step.
# With --test-tools also the system tools the tests drive: Debian's `chromium` (the console's
# browser test; playwright-core cannot download a browser here) and `promtool` (from Debian's
# `prometheus`, to check the metrics exposition).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing locked dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
[ "${1:-}" = "--test-tools" ] || exit 0

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
apt_get=(apt-get)
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt_get=(sudo -n apt-get)
  else
    echo "[deps] missing ${missing[*]} and cannot install it (not root, no password-less sudo):" >&2
    echo "[deps] run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[deps] missing ${missing[*]}: install it with your system's package manager" >&2
  exit 1
fi
echo "[deps] installing ${missing[*]} (apt-get)"
# The prometheus package ships a server that its maintainer script would start: only promtool
# is wanted, so services are kept from starting during the install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"
