#!/usr/bin/env bash
# Builds the Lambda zip with `zappa package` from a lean environment holding only the runtime requirements:
# Zappa packs the whole active virtualenv, and the dev one (moto, pytest, playwright) is far too big.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${1:-production}"
LEAN=.cache/lambda-venv
OUT=dist/survey-app-lambda.zip

rm -rf "$LEAN"
python3 -m venv "$LEAN"
"$LEAN/bin/python" -m pip install --quiet --upgrade pip
# The project's runtime dependencies only (then the project itself leaves: Zappa takes it from this folder).
"$LEAN/bin/python" -m pip install --quiet . "zappa>=0.60"
"$LEAN/bin/python" -m pip uninstall --quiet -y survey_app
mkdir -p dist
rm -f "$OUT"
# zappa needs a region but no credentials to package.
VIRTUAL_ENV="$PWD/$LEAN" PATH="$PWD/$LEAN/bin:$PATH" AWS_DEFAULT_REGION=ap-southeast-3 \
  "$LEAN/bin/zappa" package "$STAGE" -o "$OUT"
ls -l "$OUT"
