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

# start_listener NAME COMMAND...: starts a server COMMAND in the background
# (stdout in $WORK/NAME.out, stderr in $WORK/NAME.err) as SERVER_PID, which
# stop_server and the exit trap stop; waits until it prints "listening on
# [SCHEME://]127.0.0.N:PORT" and sets LISTEN_PORT. Fails if the server
# exits first or prints no address within 10 s.
start_listener() {
  local name=$1; shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    LISTEN_PORT=$(grep -oE 'listening on ([a-z]+://)?127\.0\.0\.[0-9]+:[0-9]+' "$WORK/$name.out" 2>/dev/null \
      | head -n1 | grep -oE '[0-9]+$' || true)
    [ -n "$LISTEN_PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "$name ($*) exited: $(cat "$WORK/$name.err")"
    sleep 0.05
  done
  fail "$name ($*) did not print its address: $(cat "$WORK/$name.out" "$WORK/$name.err")"
}

# start_server [serve options...]: starts `wsgate serve --port 0` with the
# options (start_listener) and sets SERVER_PORT.
start_server() {
  start_listener serve "$WSGATE" serve --port 0 "$@"
  SERVER_PORT=$LISTEN_PORT
}

# start_hostile MODE [options...]: starts peers/hostile_server.py MODE on a
# free port (start_listener, output in $WORK/peer.out and peer.err) and
# sets PEER_PORT.
start_hostile() {
  start_listener peer python3 "$SRC/tests/integration/peers/hostile_server.py" "$@"
  PEER_PORT=$LISTEN_PORT
}

# chat_spec NAME LOAD [ASSERTION...]: prints the chat spec NAME against the
# server of start_server: one scenario, "chatter", whose users send a ping
# every 100 ms (step "ping", a pong within 2 s), under LOAD (a YAML flow
# map such as "{users: 5, duration: 3s}"), with the assertions given.
chat_spec() {
  local name=$1 load=$2; shift 2
  cat <<YAML
version: 1
name: $name
target: ws://127.0.0.1:$SERVER_PORT
load: $load
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    tasks:
      - name: ping
        pause: 100ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
YAML
  [ $# -eq 0 ] || echo "assertions:"
  local a
  for a in "$@"; do echo "  - $a"; done
}

# serve_chat FILE NAME LOAD [ASSERTION...] [-- SERVE-OPTION...]: starts
# `wsgate serve` with the options after -- (start_server), then writes
# FILE, the chat_spec NAME against it.
serve_chat() {
  local file=$1 name=$2 load=$3; shift 3
  local asserts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do asserts+=("$1"); shift; done
  [ $# -eq 0 ] || shift
  start_server "$@"
  chat_spec "$name" "$load" ${asserts[@]+"${asserts[@]}"} >"$file"
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

# free_port: prints a TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# jqr FILE FILTER: prints the filter's raw value.
jqr() { jq -er "$2" "$1"; }

expect_rc() {
  [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1; stderr: $(head -c 2000 "$WORK/stderr")"
}

# float comparison helper: check "EXPR" with awk, e.g. check "$p50 > 250"
check() { awk "BEGIN { exit !($1) }" || fail "expected $1"; }
