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
if [ -x .venv/bin/gazette ]; then
  echo "demo.sh: checking the installation in .venv ..." >&2
else
  echo "demo.sh: installing gazette and its dependencies into .venv (the first time: about a minute) ..." >&2
fi
started=$SECONDS
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! .venv/bin/python -m pip install -q -e . >.venv/pip-install.log 2>&1; then
  cat .venv/pip-install.log >&2
  exit 1
fi
echo "demo.sh: installed ($((SECONDS - started)) s); serving and crawling the demo sites ..." >&2
exec .venv/bin/python -m gazette.demo "$@"
