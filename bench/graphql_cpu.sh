#!/usr/bin/env bash
# issue 13: client CPU (user+sys) per GraphQL mutation round trip (subscribe
# -> first next) with protocol: graphql against the same exchange written by
# hand with protocol: json (connection_init, subscribe with a fresh id per
# iteration, expect type == "next"), same graphql-ws server, same run,
# alternating, medians. Target: graphql <= 1.3x json.
#
#   bench/graphql_cpu.sh                 3 reps x 10 s x 20 users per protocol
#   REPS=5 DURATION=20 USERS=50 bench/graphql_cpu.sh
#   ORDER="json graphql" ...   the order within a repetition
#
# Needs node and tests/servers/graphql/node_modules (./setup.sh test).
# Bounded: every run under `timeout DURATION+60`; the server stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}; DURATION=${DURATION:-10}; USERS=${USERS:-20}
WSGATE=${WSGATE:-build/wsgate}
[ -x "$WSGATE" ] || { echo "build first: cmake --build build" >&2; exit 2; }
[ -d tests/servers/graphql/node_modules ] || { echo "run ./setup.sh test (npm ci)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/wsgate-gqlcpu.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "raw: $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

node tests/servers/graphql/server.js 0 >"$WORK/srv.out" 2>&1 &
SRV=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/srv.out" && break; sleep 0.1; done
port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/srv.out" | head -1 | cut -d: -f2)
[ -n "$port" ] || { echo "server did not start: $(cat "$WORK/srv.out")" >&2; exit 1; }

MUT='mutation { post(text: \"x\") { ts } }'
cat >"$WORK/graphql.yaml" <<YAML
version: 1
name: graphql cpu
target: ws://127.0.0.1:$port
load: {users: $USERS, duration: ${DURATION}s}
scenarios:
  - name: poster
    protocol: graphql
    connect: {url: "{{target}}/graphql"}
    tasks:
      - name: t
        steps:
          - graphql: {subscribe: 'mutation { post(text: "x") { ts } }', as: publish, timeout: 5s}
YAML
cat >"$WORK/json.yaml" <<YAML
version: 1
name: json cpu
target: ws://127.0.0.1:$port
load: {users: $USERS, duration: ${DURATION}s}
scenarios:
  - name: poster
    connect: {url: "{{target}}/graphql", subprotocol: graphql-transport-ws}
    on_start:
      - send: '{"type":"connection_init"}'
        expect: {match: 'type == "connection_ack"', timeout: 5s}
    tasks:
      - name: t
        steps:
          - name: publish
            send: '{"id":"{{vu.iteration}}","type":"subscribe","payload":{"query":"$MUT"}}'
            expect: {match: 'type == "next"', timeout: 5s}
YAML

# warm-up (unmeasured): the server's JIT makes whichever runs first slower
sed "s/duration: ${DURATION}s/duration: 3s/" "$WORK/json.yaml" >"$WORK/warm.yaml"
timeout 60 "$WSGATE" run "$WORK/warm.yaml" --out "$WORK/out-warm" --quiet >/dev/null 2>&1 || true

printf '%-4s %-8s %10s %10s %10s\n' rep protocol roundtrips cpu_s us/rt
: >"$WORK/rows"
for rep in $(seq 1 "$REPS"); do
  for p in ${ORDER:-graphql json}; do
    rm -rf "$WORK/out-$p"
    /usr/bin/time -f '%U %S' -o "$WORK/time" timeout $((DURATION + 60)) \
      "$WSGATE" run "$WORK/$p.yaml" --out "$WORK/out-$p" --quiet >/dev/null 2>"$WORK/err" || true
    rt=$(jq '[.steps[] | select(.name == "publish") | .ok] | add // 0' "$WORK/out-$p/result.json")
    errs=$(jq '[.errors[] | .count] | add' "$WORK/out-$p/result.json")
    cpu=$(tail -1 "$WORK/time" | awk '{printf "%.3f", $1 + $2}')
    printf '%-4s %-8s %10d %10s %10.2f  (errors %s)\n' "$rep" "$p" "$rt" "$cpu" \
      "$(awk -v c="$cpu" -v r="$rt" 'BEGIN{print r ? c * 1e6 / r : 0}')" "$errs" | tee -a "$WORK/rows"
    sleep 1
  done
done
med() { awk -v p="$1" '$2 == p {print $5}' "$WORK/rows" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
g=$(med graphql); j=$(med json)
echo "median us/rt: graphql $g, json $j, ratio $(awk -v g="$g" -v j="$j" 'BEGIN{printf "%.2f", j ? g / j : 0}') (target <= 1.3)"
