#!/usr/bin/env bash
# The offline demo in one command: `bash scripts/demo.sh`
# Creates .venv if missing, installs gazette, serves data/demo-site/ on 127.0.0.1,
# crawls it with the real spiders, pipelines and export, and prints a summary.
# Needs no network but the package index (for the first install).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# the package and its runtime dependencies (Scrapy, spidermon, scrapy-redis, OpenCC ...)
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! .venv/bin/python -m pip install -q -e . >.venv/pip-install.log 2>&1; then
  cat .venv/pip-install.log >&2
  exit 1
fi
exec .venv/bin/python -m gazette.demo "$@"
