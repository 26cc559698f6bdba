#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL cluster, then stops it.
#   deploy/test.sh                 all tests
#   deploy/test.sh -R router       extra arguments go to ctest
# BUILD_DIR selects the build tree (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR="${BUILD_DIR:-build}"
source deploy/lib-pg.sh

[ -d "$BUILD_DIR" ] || { echo "test.sh: $BUILD_DIR/ missing; run deploy/install-deps.sh first" >&2; exit 2; }
cmake --build "$BUILD_DIR" -j"$(nproc)"

TMP=$(mktemp -d /tmp/zhkh-test.XXXXXX)
chmod 755 "$TMP"
cleanup() { pg_stop "$TMP/pg"; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
PORT=$(pg_start "$TMP/pg")
export ZHKH_TEST_PG="host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
export ZHKH_SOURCE_DIR="$ROOT"
echo "test.sh: PostgreSQL on 127.0.0.1:$PORT"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
