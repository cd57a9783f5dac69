#!/usr/bin/env bash
# issue 14, item 8: TLS at scale. One `wsgate run` holds USERS idle wss://
# connections against `wsgate serve --tls` (its throwaway certificate,
# trusted with tls.ca_file) and prints the memory each costs (RSS at the
# end of the ramp minus the RSS of a 1-user run, divided by USERS) and the
# client's CPU per TLS handshake (wsgate's CPU during the ramp / connects).
# Then a reconnect phase: RC_USERS users each run `reconnect: true` every
# RC_PAUSE for RC_HOLD seconds, once with connect.tls_resume true (the
# default) and once false, printing wsgate's CPU per reconnect, the
# reconnect p50 and how many handshakes resumed. Below ~1,000 users the RSS
# figure still holds the handshakes' freed memory (the engine gives it back
# only after the open connections moved by 1,000: worker.c trim_after_ramp).
#
#   bench/tls_connections.sh [USERS]          19,500 users (default)
#   QUICK=1 bench/tls_connections.sh          2,000 users
#   RATE=2000 HOLD=5 RC_USERS=200 RC_PAUSE=100ms RC_HOLD=10 bench/tls_connections.sh 5000
#
# Bounded: each run's duration plus 60 s; everything started here is killed on exit.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
if [ -n "${QUICK:-}" ]; then USERS=${USERS:-2000}; fi
USERS=${1:-${USERS:-19500}}
RATE=${RATE:-2000}; HOLD=${HOLD:-5}
RC_USERS=${RC_USERS:-200}; RC_PAUSE=${RC_PAUSE:-100ms}; RC_HOLD=${RC_HOLD:-10}
SERVER_THREADS=${SERVER_THREADS:-2}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
WSGATE=${WSGATE:-build-release/wsgate}
[ -x "$WSGATE" ] || ./build.sh
RAMP=$(( (USERS + RATE - 1) / RATE )) # whole seconds, for durations
RAMP_MS=$(( USERS * 1000 / RATE ))
WORK=$(mktemp -d /tmp/wsgate-tls.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_serve --tls --tls-cert-out "$WORK/server.pem" --threads "$SERVER_THREADS"
PIDS+=("$SRV")

idle_task="      - name: heartbeat
        pause: 600s
        send: '{\"action\":\"ping\"}'
        expect: {match: 'type == \"pong\"', timeout: 10s}"
spec() { # users ramp_ms duration_s [tls_resume [task yaml]]
  cat <<YAML
version: 1
name: tls-connections
target: wss://127.0.0.1:$port
load: {users: $1, ramp_up: ${2}ms, duration: ${3}s}
tls: {ca_file: $WORK/server.pem}
scenarios:
  - name: tls
    connect: {url: "{{target}}/ws/chat?token=bench-{{vu.id}}", timeout: 30s${4:+, tls_resume: $4}}
    tasks:
${5:-$idle_task}
YAML
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TCK=$(getconf CLK_TCK)
step() { jq -r --arg n "$2" '.steps[] | select(.name==$n) | '"$3" "$1"; }

# start_run NAME SPEC SECONDS [run options]: wsgate in the background; sets P
# (timeout) and W (wsgate)
start_run() {
  timeout $(($3 + 60)) "$WSGATE" run "$2" --source-addrs "$SOURCES" --out "$WORK/$1" --quiet "${@:4}" \
    >"$WORK/$1.log" 2>&1 &
  P=$!; PIDS+=("$P")
  for _ in $(seq 1 50); do W=$(pgrep -P "$P" | head -1 || true); [ -n "$W" ] && break; sleep 0.02; done
}
finish_run() { # NAME: waits, fails loudly without a result
  set +e; wait "$P"; local rc=$?; set -e
  [ -f "$WORK/$1/result.json" ] || { echo "wsgate run $1 failed (exit $rc):"; cat "$WORK/$1.log"; exit 3; }
}

# Baseline: one user, its RSS once connected.
spec 1 1000 6 >"$WORK/one.yaml"
start_run one "$WORK/one.yaml" 6; sleep 4; rss_one=$(rss_kb "$W"); finish_run one

# Hold: USERS users ramped at RATE/s; once every connect has ended (ok or
# failed, from the --live feed), HOLD s more (the trim after the ramp), then
# the RSS, and SIGINT ends the run. The heartbeat's pause outlasts it.
LIMIT=$((RAMP + 120 + HOLD))
spec "$USERS" "$RAMP_MS" "$LIMIT" >"$WORK/hold.yaml"
start_run hold "$WORK/hold.yaml" "$LIMIT" --live "$WORK/hold.live"
sleep 0.5 # the process and its contexts are up, no user yet (ramp starts at t0)
cpu0=$(cpu_ticks "$W"); done_at=; ended=0
for _ in $(seq 1 $(( (RAMP + 120) * 10 ))); do
  ended=$(tail -n 1 "$WORK/hold.live" 2>/dev/null | jq -r 'select(.event == "second") | .total.connects_ok + .total.connects_failed' 2>/dev/null || true)
  [ "${ended:-0}" -ge "$USERS" ] && { done_at=1; break; }
  kill -0 "$P" 2>/dev/null || break
  sleep 0.1
done
cpu1=$(cpu_ticks "$W")
sleep "$HOLD"
rss_hold=$(rss_kb "$W")
kill -INT "$W" 2>/dev/null || true
finish_run hold
R="$WORK/hold/result.json"

# Reconnects: with and without resumption (a build without tls_resume: n/a).
rc_task="      - name: again
        pause: $RC_PAUSE
        steps: [{name: reconnect, reconnect: true}]"
live_ok() { # LIVE STEP: the step's ok so far, from the last second line of the --live feed
  grep '"second"' "$1" 2>/dev/null | tail -n 1 | jq -r --arg n "$2" '.steps[$n].ok_total // 0' 2>/dev/null || echo 0
}
reconnects() { # NAME RESUME: prints "cpu_us_per_reconnect reconnects p50_ms resumed"
  spec "$RC_USERS" 1000 $((RC_HOLD + 6)) "$2" "$rc_task" >"$WORK/$1.yaml"
  if ! "$WSGATE" validate "$WORK/$1.yaml" >/dev/null 2>&1; then echo "n/a"; return; fi
  start_run "$1" "$WORK/$1.yaml" $((RC_HOLD + 6)) --live "$WORK/$1.live"
  sleep 3 # the ramp (1 s) is over: every user connected once
  local c0 c1 k0 k1
  c0=$(cpu_ticks "$W"); k0=$(live_ok "$WORK/$1.live" reconnect)
  sleep "$RC_HOLD"
  c1=$(cpu_ticks "$W"); k1=$(live_ok "$WORK/$1.live" reconnect)
  finish_run "$1"
  local f="$WORK/$1/result.json"
  # the feed's counts lag the CPU samples by up to a second, the same at both ends
  awk -v c=$((c1 - c0)) -v t="$TCK" -v n=$((k1 - k0)) \
      -v p50="$(step "$f" reconnect '.latency_us.p50 / 1000')" -v r="$(jq -r '.connections.tls_resumed // "n/a"' "$f")" \
      -v hs="$(jq -r '.connections.tls_handshakes // "n/a"' "$f")" \
      'BEGIN{ printf "%.0f %d %s %s/%s\n", (n > 0 ? c * 1e6 / t / n : 0), n, p50, r, hs }'
}
read -r rc_on_cpu rc_on_n rc_on_p50 rc_on_res < <(reconnects rc-default "")
read -r rc_off_cpu rc_off_n rc_off_p50 rc_off_res < <(reconnects rc-full false)

echo
printf '%-44s %s\n' "users / ramp / server threads" "$USERS / ${RAMP_MS} ms / $SERVER_THREADS"
printf '%-44s %s\n' "connect ok / failed" "$(step "$R" connect '"\(.ok) / \(.failed)"')"
printf '%-44s %s%s\n' "connects ended when measured" "${ended:-0}" "$([ -n "$done_at" ] && echo " (all)" || echo " (gave up waiting)")"
printf '%-44s %s\n' "wsgate RSS, 1-user run / held" "$rss_one KiB / $rss_hold KiB"
awk -v a="$rss_hold" -v o="$rss_one" -v n="$USERS" -v k="$(step "$R" connect .ok)" -v c=$((cpu1 - cpu0)) -v t="$TCK" 'BEGIN{
  printf "%-44s %.2f KiB (target <= 8)\n", "RSS per wss:// connection", (a - o) / n
  printf "%-44s %.0f us (%.2f s CPU for %d connects)\n", "client CPU per TLS handshake (ramp)", c * 1e6 / t / k, c / t, k }'
printf '%-44s %s\n' "reconnect, default: CPU / p50 / resumed/all" "${rc_on_cpu} us / ${rc_on_p50:-} ms / ${rc_on_res:-} (${rc_on_n:-} timed)"
printf '%-44s %s\n' "reconnect, tls_resume false: CPU/p50/res./all" "${rc_off_cpu} us / ${rc_off_p50:-} ms / ${rc_off_res:-} (${rc_off_n:-} timed)"
