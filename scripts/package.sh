#!/usr/bin/env bash
# Builds the Lambda zip with `zappa package` from a lean environment holding only the runtime requirements:
# Zappa packs the whole active virtualenv, and the dev one (moto, pytest, playwright) is far too big.
# The build is skipped when its inputs did not change: a stamp beside the zip holds the hash of the stage name,
# survey_app/**, pyproject.toml, zappa_settings.json and this script. FORCE=1 rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-production}"
LEAN=.cache/lambda-venv
OUT=dist/survey-app-lambda.zip
STAMP="$OUT.stamp"

mkdir -p dist
# Several test sessions may ask for the zip at once: one builds, the others wait and reuse it.
exec 9>dist/.package.lock
flock 9

# The gettext catalogs are compiled first (.po -> .mo, with Babel from its own venv): the zip ships the .mo files.
make --no-print-directory translations

inputs_hash() {
  { echo "stage=$STAGE"
    find survey_app -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum pyproject.toml zappa_settings.json scripts/package.sh scripts/precompile_zip.py
  } | sha256sum | cut -d' ' -f1
}
WANTED="$(inputs_hash)"
if [ "${FORCE:-0}" != 1 ] && [ -f "$OUT" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ]; then
  echo "$OUT is up to date (inputs unchanged since it was built; FORCE=1 rebuilds)"
  exit 0
fi

# The lean environment is rebuilt from the registry only when the dependencies (or this script) changed.
LEAN_WANTED="$(sha256sum pyproject.toml scripts/package.sh | sha256sum | cut -d' ' -f1)"
# (also rebuilt when it was made from another folder: its scripts' #! lines name that folder's python)
if ! head -1 "$LEAN/bin/zappa" 2>/dev/null | grep -qF "$PWD/$LEAN/bin/python" \
    || [ "$(cat "$LEAN/.stamp" 2>/dev/null)" != "$LEAN_WANTED" ]; then
  rm -rf "$LEAN"
  python3 -m venv "$LEAN"
  "$LEAN/bin/python" -m pip install --quiet --upgrade pip
  # The project's runtime dependencies only (then the project itself leaves: Zappa takes it from this folder).
  "$LEAN/bin/python" -m pip install --quiet . "zappa>=0.60"
  "$LEAN/bin/python" -m pip uninstall --quiet -y survey_app
  echo "$LEAN_WANTED" > "$LEAN/.stamp"
fi
rm -f "$OUT" "$STAMP"
# zappa needs a region but no credentials to package.
VIRTUAL_ENV="$PWD/$LEAN" PATH="$PWD/$LEAN/bin:$PATH" AWS_DEFAULT_REGION=ap-southeast-3 \
  "$LEAN/bin/zappa" package "$STAGE" -o "$OUT"
# Bytecode valid wherever Lambda unpacks it, compiled by the runtime's Python version (scripts/precompile_zip.py).
"$LEAN/bin/python" scripts/precompile_zip.py "$OUT"
# The hash of the inputs as they were when the build started: an edit during the build means a rebuild next time.
echo "$WANTED" > "$STAMP"
ls -l "$OUT"
