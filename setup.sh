#!/usr/bin/env bash
# One entry point for people and CI:
#   ./setup.sh demo   install what is missing, build, run the chat demo
#   ./setup.sh test   install what is missing, build with -Werror, run every
#                     test (once normally, the unit tests of a clang build,
#                     once under ASan+UBSan, then the fuzz targets and the
#                     ThreadSanitizer runs of tests/tsan)
#   ./setup.sh build  install what is missing and build build/wsgate (for CI templates)
#   ./setup.sh package  install what is missing, build a release in
#                     build-package/ and write dist/wsgate_VERSION_amd64.deb and
#                     dist/wsgate-VERSION-linux-x86_64.tar.gz (CPack)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config
          libwebsockets-dev libssl-dev libcyaml-dev libyaml-dev libxml2-dev
          libev-dev libcjson-dev libcmocka-dev jq libxml2-utils clang-format python3 iproute2 openssl)
# only for `test`: the independent peer server of it_foreign_server.sh,
# strace for it_syscalls.sh (system calls per message), clang with its
# libFuzzer runtime for tests/fuzz, the Prometheus server that scrapes
# run --metrics-listen in it_prometheus.sh (queried with curl),
# python3-jsonschema for it_result_schema.sh (docs/result.schema.json), and
# RabbitMQ (Web-STOMP) for it_stomp.sh; npm installs the Socket.IO and GraphQL
# servers of it_socketio.sh and it_graphql.sh (tests/servers/socketio, graphql)
TEST_PACKAGES=(nodejs node-ws strace clang libclang-rt-14-dev prometheus curl python3-jsonschema
               rabbitmq-server)
# only for `package`: CPack's DEB generator runs file and dpkg-shlibdeps;
# packaging/bundle-libs.sh sets the tarball's RUNPATHs with patchelf
PACKAGE_PACKAGES=(file dpkg-dev patchelf)

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

# -Werror only in `test` (CI), where a warning is ours to fix; `build`,
# `demo` and `package` are users' builds, which a newer compiler's new
# warning must not break (always passed: the cache would keep the last one).
WERROR=OFF

# build DIR [cmake options...]
build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DWSGATE_WERROR="$WERROR" "$@" >/dev/null
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

# npm_ci DIR: the npm packages of a test server (exact versions in
# DIR/package-lock.json), installed when node_modules is missing or was
# installed from another lock.
npm_ci() {
  local dir=$1
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.wsgate-lock" 2>/dev/null; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.wsgate-lock"
  fi
}

cmd_test() {
  install_missing "${TEST_PACKAGES[@]}"
  command -v npm >/dev/null || install_missing npm # Debian's nodejs comes without it
  npm_ci tests/servers/socketio
  npm_ci tests/servers/graphql
  WERROR=ON
  build build
  ctest --test-dir build --output-on-failure -j 2
  echo "setup: everything again with clang (-Werror), then its unit tests"
  CC=clang build build-clang
  ctest --test-dir build-clang -L unit -j 2 --output-on-failure
  echo "setup: the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  build build-asan -DWSGATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  # These integration tests only repeat client paths the others cover (the
  # specs against another server; the progress line's timing) or spend their
  # time in a third-party server (RabbitMQ's start, Prometheus three times,
  # once started again on a taken port in it_peer_ports) or in Python
  # schema checks of the same files: the sanitizer pass leaves them out to
  # keep CI short (the STOMP parser runs under ASan in unit.stomp and fuzz).
  # it_knobs turns the server's fault knobs on one by one (43 s): the client
  # paths it drives run under ASan in it_specs and the it_push_* tests.
  # it_soak judges the server's resident memory, which ASan's shadow memory
  # and allocator caches reshape (a clean server drifted 3.4% under ASan,
  # 0.05% without); its leak path runs under ASan in it_serve_metrics.
  # Seven more judge a number the code path of another test already produces
  # under ASan: the system calls per round trip (it_syscalls, strace), the
  # reported latency against a server delay (it_ack_delay, it_push_delay),
  # the per-second series' sums (it_series), the open-file limit (it_fd_limit),
  # source addresses seen by `ss` (it_source_addrs) and a connect timeout
  # against SYN-SENT (it_connect_syn_sent; timeouts run in it_connect_abandoned).
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j 2 \
    -E 'integration\.it_(foreign_server|progress|stomp|prometheus|grafana|peer_ports|result_schema|soak|knobs|syscalls|ack_delay|push_delay|series|fd_limit|source_addrs|connect_syn_sent)$'
  echo "setup: every fuzz target for 20 s on its corpus (clang libFuzzer, ASan+UBSan)"
  CC=clang build build-fuzz -DWSGATE_FUZZ=ON -DWSGATE_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug
  ctest --test-dir build-fuzz -L fuzz -j 2 --output-on-failure
  echo "setup: the threaded paths under ThreadSanitizer (tests/tsan/run.sh, about 25 s)"
  build build-tsan -DWSGATE_TSAN=ON -DWSGATE_TESTS=OFF
  ctest --test-dir build-tsan -L tsan --output-on-failure
}

# The .deb's Depends names (dpkg-shlibdeps) must be the list the Dockerfile's
# runtime stage installs; a new library needs a line there.
check_depends() {
  local deb=$1 want got
  want=$(grep -E '^[a-z0-9]' packaging/runtime-packages.txt | sort)
  got=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | sort -u)
  if [ "$want" != "$got" ]; then
    echo "setup: $deb depends on:" $got >&2
    echo "setup: packaging/runtime-packages.txt lists:" $want >&2
    echo "setup: make them equal (and the Dockerfile's runtime stage)" >&2
    exit 1
  fi
}

cmd_package() {
  install_missing "${PACKAGE_PACKAGES[@]}"
  # RelWithDebInfo (-O2), the build the tests run; CPack strips the binary.
  build build-package -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGATE_TESTS=OFF
  rm -rf dist
  (cd build-package && cpack)
  local version deb
  version=$(./build-package/wsgate --version | awk '{print $2}')
  deb=dist/wsgate_${version}_amd64.deb
  check_depends "$deb"
  echo "setup: $deb (Depends: $(dpkg-deb -f "$deb" Depends))"
  echo "setup: dist/wsgate-${version}-linux-x86_64.tar.gz"
}

case "${1:-}" in
  demo) cmd_demo ;;
  test) cmd_test ;;
  build) cmd_build ;;
  package) cmd_package ;;
  *) echo "usage: ./setup.sh demo|test|build|package" >&2; exit 2 ;;
esac
