#!/usr/bin/env bash
# Smoke-test the frozen bundle built by packaging/build.sh (what `make package-smoke` runs):
# resources present, --version from the bundle, the demo window drawn offscreen to PNG, start-up time.
#   bash packaging/smoke.sh [path/to/frozen/cascade] [--keep shot.png]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
# The checker reads the PNG with the venv's PySide6 and compares --version with the venv's metadata.
QT_QPA_PLATFORM=offscreen exec "$BIN/python" packaging/smoke.py "$@"
