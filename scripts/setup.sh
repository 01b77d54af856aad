#!/usr/bin/env bash
# Set up a virtual environment in .venv with everything Lead Funnel needs (idempotent).
# System packages (CJK font for chart/PDF export, chromium for the browser test, poppler for PDF checks,
# nginx for scripts/serve.sh)
# are installed with apt-get when we are root on Debian/Ubuntu; otherwise a note says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "${1:-requirements.txt}"
need=()
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ "${WITH_BROWSER:-0}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ "${WITH_NGINX:-0}" = 1 ]; then  # scripts/serve.sh and its smoke test (Debian's nginx)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "note: install these system packages for chart/PDF export with Chinese text: ${need[*]}" >&2
  fi
fi
