#!/usr/bin/env bash
# System packages the project needs beyond Node, Go, a JDK with Maven and Python (all on the machine image):
# Debian's Chromium for the dashboard's end-to-end test, and kcat for the test that a producer other than the
# collector lands a listener's events in the same partition (README, "Producing to the topic directly").
# Each is skipped when present.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: install them with 'sudo apt-get install -y ${missing[*]}' (the dashboard and partitioner tests need them)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
