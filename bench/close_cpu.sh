#!/usr/bin/env bash
# The CPU of closing many connections at once, on either side (issue 14
# items 3 and 4). Two binaries alternate (A then B, B then A):
#   SIDE=client  the client differs: USERS idle users (a heartbeat every
#                30 s, never due) connect to NEW's `wsgate serve --drop-at`,
#                which closes them all at one moment, SETTLE s after the
#                ramp (the run goes on 4 s more; each user reconnects 1 s
#                after its close, so the client's CPU is read at most 0.95 s
#                after the closes began)
#   SIDE=server  the server differs: NEW's client, USERS idle users, to
#                `wsgate serve` of A or B; the run ends SETTLE s after the
#                ramp and every user closes (the end of the run)
# Per run: cpu_s = the CPU seconds (user + system, /proc/PID/stat) of the
# side that differs, from 0.3 s before the closes until no connection to
# the port is ESTABLISHED (polled every 0.1 s) plus 0.5 s; us/close = that
# over the connections closed; closed_s = seconds from the closes until
# none is ESTABLISHED (or 0.95 s, SIDE=client); closed = the connections
# ESTABLISHED 0.3 s before the closes less those still open at the end of
# the measure. Then medians.
# SIDE=client is limited by the server: `wsgate serve` closes through
# libwebsockets, which arms a sorted timeout per connection on the server
# side too, so 19,500 closes at once leave it at about 2,300 a second and
# the client never sees them as one burst.
# The server runs under an open-file hard limit of HARD (default 1048576,
# Docker's default, when this shell may raise it; else the current one).
#
#   SIDE=client USERS=19500 RAMP=10 SETTLE=3 REPS=3 bench/close_cpu.sh OLD NEW
#   SIDE=server USERS=19500 RAMP=10 SETTLE=3 REPS=3 bench/close_cpu.sh OLD NEW
#
# Bounded: each run is killed RAMP + SETTLE + 60 s after it started;
# everything started here is killed on exit.
set -euo pipefail
A=$(realpath "${1:?usage: bench/close_cpu.sh A_BINARY B_BINARY}")
B=$(realpath "${2:?usage: bench/close_cpu.sh A_BINARY B_BINARY}")
cd "$(dirname "$0")"
. ./lib.sh
SIDE=${SIDE:-client}; USERS=${USERS:-19500}; RAMP=${RAMP:-10}; SETTLE=${SETTLE:-3}; REPS=${REPS:-2}
SOURCES=${SOURCES:-127.0.0.1-127.0.0.8}
case "$SIDE" in client | server) ;; *) echo "SIDE must be client or server" >&2; exit 2 ;; esac
WORK=$(mktemp -d /tmp/wsgate-closecpu.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; work_cleanup; }
trap cleanup EXIT
HARD=${HARD:-1048576}
ulimit -Hn "$HARD" 2>/dev/null || HARD=$(ulimit -Hn)
ulimit -n "$HARD" 2>/dev/null || true
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
# sleep_until T: sleeps until the epoch time T
sleep_until() { local d; d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; print (d > 0 ? d : 0) }'); sleep "$d"; }
established() { ss -Htn state established "( dport = :$1 )" | wc -l; }

spec() { # port duration_ms
  cat <<YAML
version: 1
name: close-cpu
target: ws://127.0.0.1:$1
load: {users: $USERS, ramp_up: ${RAMP}s, duration: ${2}ms}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws/chat?token=bench-{{vu.id}}", timeout: 20s}
    tasks:
      - name: heartbeat
        pause: 30s
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 10s}
YAML
}

# one_run BIN LABEL: one table row; appends "LABEL cpu_s us closed_s" to $WORK/rows
one_run() {
  local bin=$1 label=$2 out="$WORK/$2" srv_bin=$B cli_bin=$B drop=() dur_ms
  if [ "$SIDE" = client ]; then
    cli_bin=$bin
    drop=(--drop-at "$((1 + RAMP + SETTLE))s") # from the server's start; the run starts 1 s later
    dur_ms=$(((RAMP + SETTLE + 4) * 1000))     # the closes fall inside the run whatever its start-up
  else
    srv_bin=$bin
    dur_ms=$(((RAMP + SETTLE) * 1000))
  fi
  port=$(free_port)
  local ts
  ts=$(now)
  "$srv_bin" serve --port "$port" --threads 1 "${drop[@]}" >"$out.serve.log" 2>&1 &
  local S=$!
  PIDS+=("$S")
  sleep_until "$(awk -v t="$ts" 'BEGIN { printf "%.3f", t + 1 }')"
  kill -0 "$S" || { cat "$out.serve.log"; exit 3; }
  spec "$port" "$dur_ms" >"$out.yaml"
  local t0
  t0=$(now)
  timeout $((RAMP + SETTLE + 60)) "$cli_bin" run "$out.yaml" --source-addrs "$SOURCES" --quiet \
    --out "$out" >"$out.log" 2>&1 &
  local P=$! W=
  PIDS+=("$P")
  for _ in $(seq 1 100); do W=$(pgrep -P "$P" | head -n1 || true); [ -n "$W" ] && break; sleep 0.02; done
  local who t_close t_cap
  if [ "$SIDE" = client ]; then
    who=$W
    t_close=$(awk -v t="$ts" -v d=$((1 + RAMP + SETTLE)) 'BEGIN { printf "%.3f", t + d }')
    # each user reconnects 1 s after its close: measure no later than that
    t_cap=$(awk -v t="$t_close" 'BEGIN { printf "%.3f", t + 0.95 }')
  else
    who=$S
    t_close=$(awk -v t="$t0" -v d="$dur_ms" 'BEGIN { printf "%.3f", t + d / 1000 }')
    t_cap=$(awk -v t="$t_close" 'BEGIN { printf "%.3f", t + 60 }')
  fi
  sleep_until "$(awk -v t="$t_close" 'BEGIN { printf "%.3f", t - 0.3 }')"
  local c0 c1 t_done left open0
  open0=$(established "$port")
  c0=$(ticks "$who")
  sleep_until "$t_close"
  while [ "$(established "$port")" -gt 0 ] && [ "$(now)" \< "$t_cap" ]; do sleep 0.1; done
  t_done=$(now)
  left=$(established "$port")
  if [ "$left" -eq 0 ]; then
    sleep_until "$(awk -v t="$t_done" -v c="$t_cap" 'BEGIN { d = t + 0.5; printf "%.3f", (d < c ? d : c) }')"
  fi
  c1=$(ticks "$who")
  wait "$P" || true
  kill "$S" 2>/dev/null || true
  wait "$S" 2>/dev/null || true
  local closed=$((open0 - left))
  awk -v l="$label" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v n="$closed" -v tc="$t_close" -v td="$t_done" -v left="$left" 'BEGIN {
    cpu = (c1 - c0) / hz
    printf "%-6s %8d %8.2f %10.1f %9.2f%s\n", l, n, cpu, (n > 0 ? cpu * 1e6 / n : 0), td - tc, (left ? "  (" left " still open)" : "") }' |
    tee -a "$WORK/rows"
}

echo "side=$SIDE users=$USERS ramp=${RAMP}s settle=${SETTLE}s hard limit $HARD (A=$A B=$B)"
printf '%-6s %8s %8s %10s %9s\n' run closed cpu_s us/close closed_s
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for v in $order; do
    bin=$A; [ "$v" = B ] && bin=$B
    one_run "$bin" "$v$rep"
  done
done
for v in A B; do
  awk -v v="$v" 'substr($1, 1, 1) == v { print $3, $4, $5 }' "$WORK/rows" | awk -v v="$v" '
    { c[NR] = $1; u[NR] = $2; s[NR] = $3 }
    function med(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { if (NR) printf "median of %d, %s: cpu %.2f s, %.1f us per close, closed in %.2f s\n", NR, v, med(c, NR), med(u, NR), med(s, NR) }'
done
