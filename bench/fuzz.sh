#!/usr/bin/env bash
# bench/fuzz.sh [TARGET|all] [SECONDS]: builds the libFuzzer targets of
# tests/fuzz (clang, ASan+UBSan, in build-fuzz/) and runs TARGET (default
# all, one after another) for SECONDS each (default 600) on a corpus kept in
# build-fuzz/, seeded like the test suite's 20-second runs. Prints each
# target's executions, coverage and corpus size; a finding stops with the
# crash-* file named. Make a crash a regression input by copying it into
# tests/fuzz/corpus/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all} seconds=${2:-600}
CC=clang cmake -S . -B build-fuzz -DWSGATE_FUZZ=ON -DWSGATE_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DWSGATE_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
if [ "$target" = all ]; then
  regex='^fuzz\.'
else
  regex="^fuzz\.${target}\$"
fi
ctest --test-dir build-fuzz -R "$regex" --timeout $((seconds + 120)) -V 2>&1 |
  grep -E 'Test command|DONE|stat::number_of_executed_units|ERROR|SUMMARY|crash-|Passed|Failed' |
  sed -E 's#.*/(fuzz_[a-z_]+)" .*#== \1#'
