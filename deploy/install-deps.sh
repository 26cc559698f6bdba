#!/usr/bin/env bash
# Installs every Debian package zhkh-hub needs to build, test and run, then builds into build/.
# Idempotent; runs as root (or via sudo) on a fresh Debian 12 with no prompts.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libpoco-dev
  libboost-dev libboost-filesystem-dev
  libxml2-dev libxml2-utils libxslt1-dev xsltproc
  libxmlsec1-dev libxmlsec1-openssl xmlsec1
  libssl-dev openssl libengine-gost-openssl
  libpqxx-dev libpq-dev postgresql postgresql-contrib
  libyaml-cpp-dev
  libjemalloc-dev  # the hub's and the GIS ZhKH emulator's allocator (hub_allocator, hub/CMakeLists.txt)
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # deploy/fuzz.sh: libFuzzer targets (-fsanitize=fuzzer)
  curl procps
)

missing=()
# node and npm ship with the machine image (a newer npm than Debian's, which conflicts with it);
# Debian's are installed only where neither is present.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js helpers: interop tests (tests/interop/, e.g. the `soap` client) and benchmark peers
# (bench/node/, e.g. pg-boss). Each folder with a package.json gets its node_modules from the
# npm registry, pinned by its package-lock.json.
for dir in tests/interop bench/node; do
  [ -f "$dir/package.json" ] || continue
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
done

BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${launcher[@]}"
cmake --build build -j"$(nproc)"
echo "install-deps: built; executables in build/bin/, plugins in build/plugins/"
