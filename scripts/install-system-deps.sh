#!/usr/bin/env bash
# System packages the project needs beyond Node, Go, a JDK with Maven and Python (all on the machine image):
# Debian's Chromium for the dashboard's end-to-end test. Skipped when present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: install it with 'sudo apt-get install -y chromium' (the dashboard test needs it)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
