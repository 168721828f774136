#!/usr/bin/env bash
# Install the servers the server tests need (Debian/Ubuntu): redis-server; and
# chromium with a CJK font (fonts-wqy-microhei) for the dataset report test, which
# skips without it (a failed chromium install does not fail this script).
# Idempotent and fast when already installed; scrapyd comes from the venv
# (the `server` extra). The tests start and stop their own instances on
# 127.0.0.1 with ephemeral ports; nothing is left running.
set -euo pipefail
have_redis() { command -v redis-server >/dev/null 2>&1; }
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
if have_redis && have_chromium; then
  exit 0
fi
SUDO=""
if have_redis && { [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; }; then
  echo "ci-services: chromium missing (apt-get install chromium fonts-wqy-microhei); the report screenshot test will skip" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ci-services: redis-server missing and not root (no sudo); install it: apt-get install redis-server" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-services: redis-server missing and apt-get unavailable; install redis-server yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if ! have_redis; then
  $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
if ! have_chromium; then
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null ||
    echo "ci-services: chromium not installed; the report screenshot test will skip" >&2
fi
# (the package may start a system instance on :6379; the tests never use it)
command -v redis-server >/dev/null
echo "ci-services: $(redis-server --version)"
