#!/usr/bin/env bash
# Set everything up and open the dashboard on the sample data (http://localhost:8501).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
# Streamlit runs every rerun on a new thread; glibc gives threads their own malloc arenas (up to 8 per
# core), and memory freed in one is rarely handed back. Two arenas keep the server's RSS near what it uses
# (docs/load.md was measured with this setting). Override by setting MALLOC_ARENA_MAX yourself.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec .venv/bin/streamlit run app.py "$@"
