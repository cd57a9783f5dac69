#!/usr/bin/env bash
# bench/fuzz.sh [TARGET|all] [SECONDS]: builds the libFuzzer targets of
# tests/fuzz (clang, ASan+UBSan, in build-fuzz/) and runs TARGET (default
# all, one after another) for SECONDS each (default 600) on a corpus kept in
# build-fuzz/, seeded like the test suite's 20-second runs. Prints one line
# per target from libFuzzer's final lines:
#   fuzz_NAME: ok|FAILED executions N exec/s N cov N ft N corpus FILES/SIZE findings ...
# (findings: the crash-*, leak-* or timeout-* files written in
# build-fuzz/tests/fuzz/corpus/, or none); the whole output is in
# build-fuzz/fuzz.log. Make a finding a regression input by copying it into
# tests/fuzz/corpus/NAME/. Exit status: non-zero when a target failed.
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
status=0
ctest --test-dir build-fuzz -R "$regex" -V >build-fuzz/fuzz.log 2>&1 || status=$?
# ctest -V prefixes a test's output with "N: "; its result line ends the target.
awk '
  function reset() { execs = eps = cov = ft = corp = "?"; found = "" }
  BEGIN { reset() }
  /Test command:/ && match($0, /fuzz_[a-z_]+/) { name = substr($0, RSTART, RLENGTH) }
  /DONE +cov:/ {
    for (i = 1; i < NF; i++) {
      if ($i == "cov:") cov = $(i + 1)
      if ($i == "ft:") ft = $(i + 1)
      if ($i == "corp:") corp = $(i + 1)
      if ($i == "exec/s:") eps = $(i + 1)
    }
  }
  /stat::number_of_executed_units:/ { execs = $NF }
  /stat::average_exec_per_sec:/ { eps = $NF }
  /Test unit written to/ { found = found " " $NF }
  /Test +#[0-9]+: fuzz\./ {
    verdict = ($0 ~ /Passed/) ? "ok" : "FAILED"
    printf "%s: %s executions %s exec/s %s cov %s ft %s corpus %s findings%s\n", \
      name, verdict, execs, eps, cov, ft, corp, (found == "" ? " none" : found)
    reset()
  }
' build-fuzz/fuzz.log
exit "$status"
