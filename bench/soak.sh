#!/usr/bin/env bash
# The soak (issue 16 item 6): USERS chat users for DURATION against one
# `wsgate serve` process whose /metrics the spec's observe: scrapes every
# 5 s. Each user subscribes to a room of about ten (room:1..USERS/10),
# publishes to it every 2 to 5 s and waits for message_ack (the guide's
# chat pacing; each publish fans out to the room). Prints, over the hold
# (after the ramp), the drift of wsgate's own RSS and CPU (result.json's
# generator.series, one sample a second) and of the server's (server.series):
# least-squares slope x hold length / mean, the rule drift() uses. Goals:
# wsgate's RSS drift < 2%, CPU flat within 10%.
#
#   bench/soak.sh [DURATION [USERS]]      (default 30m 10000; e.g. 3m 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DURATION=${1:-30m}
USERS=${2:-10000}
WSGATE=${WSGATE:-build/wsgate}
WORK=$(mktemp -d /tmp/wsgate-soak.XXXXXX)
dur_s=$(python3 -c "import sys; u={'s':1,'m':60,'h':3600}; d=sys.argv[1]; print(int(float(d[:-1])*u[d[-1]]) if d[-1] in u else int(d))" "$DURATION")
ramp_s=$(( USERS / 200 > 10 ? USERS / 200 : 10 ))
[ "$dur_s" -gt $((ramp_s + 30)) ] || { echo "soak: DURATION must exceed the ${ramp_s}s ramp by 30 s" >&2; exit 2; }
rooms=$(( USERS / 10 > 1 ? USERS / 10 : 1 ))
SRV=""
trap '[ -z "$SRV" ] || { kill $SRV 2>/dev/null || true; wait $SRV 2>/dev/null || true; }; work_cleanup' EXIT
start_serve
cat >"$WORK/soak.yaml" <<YAML
version: 1
name: soak
target: ws://127.0.0.1:$port
load: {users: $USERS, ramp_up: ${ramp_s}s, duration: ${dur_s}s}
observe:
  - prometheus: "{{target_http}}/metrics"
    interval: 5s
    metrics: [process_resident_memory_bytes, process_cpu_seconds_total,
              'wsgate_serve_connections{protocol="chat"}']
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=soak-{{vu.id}}", timeout: 20s}
    on_start:
      - name: subscribe room
        send: '{"action":"subscribe","channel":"room:{{random.int(1, $rooms)}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 10s}
    tasks:
      - name: publish
        pause: between(2s, 5s)
        send: '{"action":"publish","channel":"room:{{random.int(1, $rooms)}}","message":{"id":"{{random.string(8)}}","text":"soak"}}'
        expect: {match: 'type == "message_ack"', timeout: 10s}
assertions:
  - drift(server.process_resident_memory_bytes) < 5%
  - last(server.wsgate_serve_connections{protocol="chat"}) >= $USERS
  - errors.total == 0
YAML
echo "soak: $USERS users, ${dur_s}s (ramp ${ramp_s}s), server on port $port (KEEP=1 keeps $WORK)" >&2
set +e
timeout $((dur_s + 120)) "$WSGATE" run "$WORK/soak.yaml" --out "$WORK/out" --quiet
rc=$?
set -e
python3 - "$WORK/out/result.json" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
srv = r["server"]
w0, w1 = srv["window_start_s"], srv["window_end_s"]

def drift(pts):
    pts = [(t, v) for t, v in pts if w0 <= t <= w1 and v is not None]
    n = len(pts)
    if n < 2:
        return float("nan"), float("nan")
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    den = sum((t - mt) ** 2 for t, _ in pts)
    slope = sum((t - mt) * (v - mv) for t, v in pts) / den
    return 100 * slope * (w1 - w0) / mv if mv else float("nan"), mv

def halves(pts):
    pts = [v for t, v in pts if w0 <= t <= w1]
    h = len(pts) // 2
    a, b = sum(pts[:h]) / max(h, 1), sum(pts[h:]) / max(len(pts) - h, 1)
    return 100 * (b - a) / ((a + b) / 2) if a + b else float("nan")

gen = r["generator"]["series"]
g_rss = [(s["t"] + 0.5, s["rss_mb"]) for s in gen]
g_cpu = [(s["t"] + 0.5, s["cpu_pct"]) for s in gen]
series = {s["metric"]: s["samples"] for s in srv["series"]}
s_rss = series["process_resident_memory_bytes"]
cpu = series["process_cpu_seconds_total"]
s_cpu = [((t0 + t1) / 2, 100 * (v1 - v0) / (t1 - t0)) for (t0, v0), (t1, v1) in zip(cpu, cpu[1:])]
pub = next(s for s in r["steps"] if s["name"] == "publish")
print(f"soak: {r['users_planned']} users, hold {w0:.0f}-{w1:.0f} s, publishes {pub['ok']} ok "
      f"{pub['failed']} failed, p99 {pub['latency_us']['p99'] / 1000 if pub['latency_us'] else float('nan'):.1f} ms, "
      f"errors {sum(e['count'] for e in r['errors'].values())}, verdict {r['verdict']} (exit {sys.argv[2]})")
print(f"{'':8} {'RSS drift':>10} {'RSS mean':>10} {'CPU drift':>10} {'CPU halves':>11} {'CPU mean':>10}")
for name, rss, c, scale in (("wsgate", g_rss, g_cpu, 1), ("server", s_rss, s_cpu, 1 / 1048576)):
    rd, rm = drift(rss)
    cd, cm = drift(c)
    print(f"{name:8} {rd:9.2f}% {rm * scale:8.1f}MB {cd:9.2f}% {halves(c):10.2f}% {cm:9.1f}%")
# what the connection check saw: its last scrape (before the planned end,
# when the users close) and the fewest over the hold
conn = series.get('wsgate_serve_connections{protocol="chat"}', [])
hold = [v for t, v in conn if w0 <= t <= w1]
if conn:
    print(f"server chat connections: last scrape {conn[-1][1]:.0f} of {r['users_planned']} at "
          f"{conn[-1][0]:.1f} s (planned end {r['duration_s']:.0f} s), fewest over the hold "
          f"{min(hold) if hold else float('nan'):.0f}, scrapes failed {srv.get('scrape_errors', 0)}")
for a in r["assertions"]:
    if not a["passed"]:
        print(f"FAIL {a['text']}: observed {a['observed_text']}, expected {a['expected_text']}")
PY
