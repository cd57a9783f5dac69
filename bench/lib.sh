# Shared by the bench scripts. Sourced, not run.

# publish_spec NAME PORT USERS RAMP_S DURATION_S PAUSE ROOM: prints a spec in
# which each user subscribes to its own room, then publishes to ROOM (a
# template, e.g. room:bench or room:{{vu.id}}) and waits for message_ack,
# pausing PAUSE (e.g. 1s or "between(2s, 5s)") between publishes.
publish_spec() {
  cat <<YAML
version: 1
name: $1
target: ws://127.0.0.1:$2
load: {users: $3, ramp_up: ${4}s, duration: ${5}s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=x", timeout: 20s}
    on_start:
      - name: subscribe room
        send: '{"action":"subscribe","channel":"room:{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 10s}
    tasks:
      - name: publish
        pause: $6
        send: '{"action":"publish","channel":"$7","message":{"id":"m1","text":"hello"}}'
        expect: {match: 'type == "message_ack"', timeout: 10s}
YAML
}

# work_cleanup: for the exit trap, after the processes are stopped:
# removes $WORK, or with KEEP=1 keeps it (the raw files: specs, result.json,
# logs) and says where it is.
work_cleanup() {
  [ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
  if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi
}

# free_port: a loopback port nobody listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_serve [serve options...]: starts "$WSGATE" serve on a port it picks
# itself (--port 0: no free port that another process takes before the
# bind) in the background, logging to $WORK/serve.log; sets port (from its
# "listening on" line) and SRV (the caller kills SRV on exit). Exits 3 when
# the server does not start listening within 10 s or does not stay up.
start_serve() {
  "$WSGATE" serve --port 0 "$@" >"$WORK/serve.log" 2>&1 &
  SRV=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -oE 'listening on ([a-z]+://)?127\.0\.0\.1:[0-9]+' "$WORK/serve.log" | head -n1 | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] || ! kill -0 "$SRV" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  [ -n "$port" ] && kill -0 "$SRV" || { cat "$WORK/serve.log"; exit 3; }
}

# field FILE KEY: the value of KEY=VALUE in bench/epoll_client's output line
# (0 when absent).
field() {
  local v; v=$(grep -o "\(^\| \)$2=[0-9.]*" "$1" 2>/dev/null | head -1 | sed 's/.*=//')
  echo "${v:-0}"
}
