#!/usr/bin/env bash
# One entry point for people and CI:
#   ./setup.sh demo   install what is missing, build, run the chat demo
#   ./setup.sh test   install what is missing, build, run every test
#                     (once normally, once under ASan+UBSan, then the fuzz
#                     targets and the ThreadSanitizer runs of tests/tsan)
#   ./setup.sh build  install what is missing and build build/wsgate (for CI templates)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config
          libwebsockets-dev libssl-dev libcyaml-dev libyaml-dev libxml2-dev
          libev-dev libcjson-dev libcmocka-dev jq libxml2-utils clang-format python3 iproute2 openssl)
# only for `test`: the independent peer server of it_foreign_server.sh,
# strace for it_syscalls.sh (system calls per message), clang with its
# libFuzzer runtime for tests/fuzz, and RabbitMQ (Web-STOMP) for it_stomp.sh
TEST_PACKAGES=(nodejs node-ws strace clang libclang-rt-14-dev rabbitmq-server)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# install_missing [more packages...]: PACKAGES and those, when not installed
install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# build DIR [cmake options...]
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DWSGATE_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

cmd_build() {
  install_missing
  build build
  echo "setup: built build/wsgate"
}

cmd_demo() {
  install_missing
  build build
  echo "setup: running specs/chat.yaml against the embedded server (about 20 s)"
  ./build/wsgate run specs/chat.yaml --serve --out out/demo
  echo "setup: reports in out/demo/ (result.json, junit.xml, summary.md)"
}

cmd_test() {
  install_missing "${TEST_PACKAGES[@]}"
  build build
  ctest --test-dir build --output-on-failure -j 2
  echo "setup: the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  build build-asan -DWSGATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  # Two integration tests only repeat client paths the others cover (the five
  # specs against another server; the progress line's timing) and take a
  # minute together: the sanitizer pass leaves them out to keep CI short.
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j 2 \
    -E 'integration\.it_(foreign_server|progress)$'
  echo "setup: every fuzz target for 20 s on its corpus (clang libFuzzer, ASan+UBSan)"
  CC=clang build build-fuzz -DWSGATE_FUZZ=ON -DWSGATE_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug
  ctest --test-dir build-fuzz -L fuzz -j 2 --output-on-failure
  echo "setup: the threaded paths under ThreadSanitizer (tests/tsan/run.sh, about 25 s)"
  build build-tsan -DWSGATE_TSAN=ON -DWSGATE_TESTS=OFF
  ctest --test-dir build-tsan -L tsan --output-on-failure
}

case "${1:-}" in
  demo) cmd_demo ;;
  test) cmd_test ;;
  build) cmd_build ;;
  *) echo "usage: ./setup.sh demo|test|build" >&2; exit 2 ;;
esac
