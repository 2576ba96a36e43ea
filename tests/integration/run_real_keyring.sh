#!/bin/sh
# Runs the keyring tests against a real Secret Service (gnome-keyring in a private D-Bus session with a
# throw-away HOME). On CI a missing gnome-keyring is a failure; on a developer machine it is skipped loudly.
PY="$1"
if ! command -v dbus-run-session >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then echo "real keyring test: dbus-run-session or gnome-keyring-daemon missing" >&2; exit 1; fi
  echo "real keyring test SKIPPED: install gnome-keyring and dbus to run it" >&2; exit 0
fi
ls tests/integration/test_keyring_real*.py >/dev/null 2>&1 || { echo "no real keyring tests yet"; exit 0; }
T=$(mktemp -d)
env -u DBUS_SESSION_BUS_ADDRESS HOME="$T" XDG_DATA_HOME="$T/share" XDG_RUNTIME_DIR="$T" CASCADE_REAL_KEYRING=1 \
  dbus-run-session -- sh -c "echo -n test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
  QT_QPA_PLATFORM=offscreen $PY -m pytest -q -p no:cacheprovider -m keyring_real tests/integration/ tests/gui/positions/" >"$T/out" 2>&1
rc=$?
grep -v "Failed to set fd limit" "$T/out"
rm -rf "$T"
exit $rc
