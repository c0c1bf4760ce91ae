#!/usr/bin/env bash
# Package the rep's phone app: scripts/build-phone.sh apk|aab|ipa [flet build options...]
#   scripts/build-phone.sh --stage-only   stage build/phone/ and stop (what the tests check)
#
# Stages mobile/pyproject.toml, mobile/main.py and the packages the phone runs (client, sync, shared) with
# assets/ into build/phone/, then runs `flet build` there. `flet build` needs the Flutter SDK, the Android SDK
# (apk/aab) or macOS with Xcode (ipa), and downloads its build template: see docs/deploy.md, "The phone app".
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/build-phone.sh apk|aab|ipa|--stage-only [flet build options]}"
shift
stage="${PHONE_STAGE:-build/phone}"
rm -rf "$stage"
mkdir -p "$stage"
cp mobile/pyproject.toml mobile/main.py "$stage"/
for package in client sync shared assets; do
  cp -r "$package" "$stage/$package"
done
find "$stage" -name __pycache__ -type d -prune -exec rm -rf {} +
if [ "$target" = "--stage-only" ]; then
  echo "staged $stage"
  exit 0
fi
PY="${PY:-.venv/bin/python}"
"$PY" -m pip install --quiet "flet-cli==1.0.5"
cd "$stage"
exec "$(dirname "$PY")/flet" build "$target" --yes "$@"
