#!/usr/bin/env bash
# Install the servers the server tests need (Debian/Ubuntu): redis-server.
# Idempotent and fast when already installed; scrapyd comes from the venv
# (the `server` extra). The tests start and stop their own instances on
# 127.0.0.1 with ephemeral ports; nothing is left running.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
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
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# (the package may start a system instance on :6379; the tests never use it)
command -v redis-server >/dev/null
echo "ci-services: $(redis-server --version)"
