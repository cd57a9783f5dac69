# Shared helpers for integration tests. Each test is run by CTest as
#   bash it_NAME.sh PATH/TO/wsgate SOURCE_DIR
set -euo pipefail
WSGATE=$1
SRC=$2
DATA="$SRC/tests/data"
WORK=$(mktemp -d /tmp/wsgate-it.XXXXXX)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_server [serve options...]: starts `wsgate serve --port 0` in the
# background and sets SERVER_PORT from the address it prints.
start_server() {
  "$WSGATE" serve --port 0 "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    SERVER_PORT=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/serve.out" 2>/dev/null | head -n1 | cut -d: -f2 || true)
    [ -n "$SERVER_PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "wsgate serve exited: $(cat "$WORK/serve.err")"
    sleep 0.05
  done
  fail "wsgate serve did not print its address"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# run_wsgate OUTDIR args...: runs wsgate, stores its exit status in RC.
run_wsgate() {
  local out=$1; shift
  set +e
  "$WSGATE" "$@" --out "$out" >"$WORK/stdout" 2>"$WORK/stderr"
  RC=$?
  set -e
}

# jqr FILE FILTER: prints the filter's raw value.
jqr() { jq -er "$2" "$1"; }

expect_rc() {
  [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1; stderr: $(head -c 2000 "$WORK/stderr")"
}

# float comparison helper: check "EXPR" with awk, e.g. check "$p50 > 250"
check() { awk "BEGIN { exit !($1) }" || fail "expected $1"; }
