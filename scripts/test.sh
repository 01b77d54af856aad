#!/usr/bin/env bash
# Set up (dev requirements, chromium for the browser test, nginx for the serve.sh test) and run the test suite.
# Benchmarks are not tests: see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=1 WITH_NGINX=1 bash scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest -q "$@"
