#!/usr/bin/env bash
# Installs what bench/peer_pages.py needs, when missing: the peers' survey renderers and Lighthouse, pinned,
# into .cache/peers (never a test path). Debian's chromium is used as the browser (CHROME_PATH); nothing here
# downloads a browser.
set -eu
cd "$(dirname "$0")/.."

PEERS_DIR=.cache/peers
PACKAGES=(
  "survey-core@2.5.38"
  "survey-js-ui@2.5.38"
  "@formbricks/surveys@1.99.0"
  "lighthouse@12.2.3"
)

missing=0
for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  manifest="$PEERS_DIR/node_modules/$name/package.json"
  if [ ! -f "$manifest" ] || ! grep -q "\"version\": \"$version\"" "$manifest"; then
    missing=1
  fi
done
[ "$missing" = 0 ] && exit 0

command -v npm >/dev/null 2>&1 || { echo "npm is missing: cannot install the peers for bench/peer_pages.py" >&2; exit 1; }
mkdir -p "$PEERS_DIR"
[ -f "$PEERS_DIR/package.json" ] || echo '{"name": "peer-pages-bench", "private": true}' > "$PEERS_DIR/package.json"
echo "Installing ${PACKAGES[*]} into $PEERS_DIR..."
# PUPPETEER_SKIP_DOWNLOAD: lighthouse's dependencies must not fetch a browser of their own.
( cd "$PEERS_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --save-exact --no-audit --no-fund --loglevel=error "${PACKAGES[@]}" )
