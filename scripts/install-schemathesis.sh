#!/usr/bin/env bash
# Schemathesis (PyPI, pinned) in a virtualenv outside the clone, made once and reused: the API contract test
# (test/serving-layer/schemathesis.integration.test.ts) runs it against a real serve process.
# Prints the path of the `schemathesis` executable.
set -euo pipefail
VERSION=4.32.5
venv="${PLAYCOUNT_CACHE:-$HOME/.cache/playcount}/schemathesis-venv-$VERSION"
# The marker is written last, so an interrupted install is redone rather than half used.
if [ ! -f "$venv/.installed" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
  touch "$venv/.installed"
fi
echo "$venv/bin/schemathesis"
