#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/cascade/ with PyInstaller and print its size.
#   bash packaging/build.sh            (what `make package` runs)
# Uses .venv (created if missing) with the `package` extra, i.e. PyInstaller, installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
VENV=${VENV:-.venv}
BIN="$VENV/bin"
GOAL_MB=250

case "$(uname)" in
  Linux) command -v objdump >/dev/null || { echo "PyInstaller needs objdump/objcopy: apt-get install binutils" >&2; exit 1; } ;;
esac
test -x "$BIN/python" || "$PY" -m venv "$VENV"
mkdir -p build
# setuptools' editable-install warnings are noise here: keep them in a log, show it only on failure.
if ! "$BIN/python" -m pip install --quiet --disable-pip-version-check -e ".[package]" >build/pip-package.log 2>&1; then
  cat build/pip-package.log >&2; exit 1
fi

# --clean: a stale build/ cache can keep modules the spec now excludes.
"$BIN/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/cascade.spec

size_mb=$("$BIN/python" - <<'PY'
import os
total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk("dist/cascade") for f in fs
            if not os.path.islink(os.path.join(d, f)))
print(f"{total / 1e6:.1f} {total / 2**20:.1f}")
PY
)
set -- $size_mb
echo "bundle: dist/cascade $1 MB ($2 MiB; goal <= ${GOAL_MB} MB)"
if [ "$(uname)" = Darwin ] && [ -d dist/Cascade.app ]; then echo "app: dist/Cascade.app"; fi
awk -v s="$1" -v g="$GOAL_MB" 'BEGIN { if (s > g) { print "bundle is over the size goal" > "/dev/stderr"; exit 1 } }'
