#!/usr/bin/env bash
# Builds the benchmark helpers (not part of the main CMake build):
#   bench/epoll_client  (gcc -O2)
#   bench/build-release/wsgate  (CMAKE_BUILD_TYPE=Release, -O3)
set -euo pipefail
cd "$(dirname "$0")"
gcc -std=gnu11 -O2 -Wall -Wextra -o epoll_client epoll_client.c
cmake -S .. -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j2 --target wsgate >/dev/null
echo "built bench/epoll_client and bench/build-release/wsgate"
