#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (driven by playwright-core), when
# the `chromium` command is missing. Idempotent: does nothing when it is on the PATH already.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
t=$SECONDS
sudo=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
$sudo apt-get update
$sudo apt-get install -y chromium
echo "== chromium installed: $((SECONDS - t))s"
