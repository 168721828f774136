#!/usr/bin/env bash
# Set up everything and run the whole test suite: `bash scripts/test.sh [pytest args]`.
# Without arguments it also runs ruff (check + format) and mypy on gazette/.
# Creates .venv (if needed), installs the package with every extra, installs the
# Debian redis-server the distributed-crawl tests start (and chromium + a CJK font
# for the dataset report test) (when missing; needs root
# or sudo, else those tests skip outside CI), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,server,bench,analyst,docs]'
if ! bash scripts/ci-services.sh; then
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "test.sh: redis-server unavailable; the Redis tests will skip" >&2
fi
if [ $# -eq 0 ]; then  # the whole gate: lint, format, types, then every test
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/mypy gazette
fi
.venv/bin/python -m pytest "$@"
