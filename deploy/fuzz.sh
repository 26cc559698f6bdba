#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/, cmake/fuzz.cmake) with clang as libFuzzer binaries
# (-fsanitize=fuzzer,address,undefined) in build-fuzz/ and runs each for a while on its corpus.
#
#   deploy/fuzz.sh [SECONDS] [TARGET...]     SECONDS per target (default 60); TARGETs default to all
#
# Environment: BUILD_DIR (default build-fuzz), CC/CXX (default clang/clang++), JOBS (default 2),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=65536 -workers=2").
# Each target keeps a growing corpus in build-fuzz/fuzz-corpus/<target>/ (seeded from its shared
# samples and generated seeds) and writes crashes to build-fuzz/fuzz-artifacts/<target>/.
# Exit status: non-zero when any target found a crash. The short deterministic run of the same
# targets is part of the default test suite (ctest -L fuzz).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER="${1:-60}"
shift || true
JOBS="${JOBS:-2}"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC="${CC:-clang}" CXX="${CXX:-clang++}" cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUB_FUZZ=ON "${launcher[@]}" >/dev/null

manifest="$BUILD/fuzz/targets.txt"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cut -d'|' -f1 "$manifest")
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets in $manifest" >&2; exit 1; }
echo "fuzz.sh: building ${targets[*]}"
cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}"

failed=()
for t in "${targets[@]}"; do
  line="$(grep "^$t|" "$manifest" || true)"
  [ -n "$line" ] || { echo "fuzz.sh: $t is not a fuzz target" >&2; exit 1; }
  IFS='|' read -r _ dict corpus <<<"$line"
  work="$BUILD/fuzz-corpus/$t"
  artifacts="$BUILD/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  seeds=()
  IFS=',' read -ra seeds <<<"$corpus"
  args=(-max_total_time="$SECONDS_PER" -artifact_prefix="$artifacts/" -print_final_stats=1)
  [ -n "$dict" ] && args+=(-dict="$dict")
  # shellcheck disable=SC2206
  args+=(${FUZZ_ARGS:-})
  echo "fuzz.sh: $t for ${SECONDS_PER}s (corpus $work, seeds ${seeds[*]})"
  # The first directory is the one libFuzzer adds new inputs to; the seeds are read only.
  if ! "$BUILD/bin/$t" "${args[@]}" "$work" "${seeds[@]}"; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in ${failed[*]} (inputs in $BUILD/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash"
