# observe: a 4 s chat run scraping `wsgate serve`'s /metrics every 500 ms:
# result.json's server object holds each selected series (one sample a
# scrape, t rising, none at the planned end where the users close, the
# chat connections reaching the 4 users, the received
# messages counter matching the messages wsgate sent), the server.*
# assertions print like the others, and the steady window is the hold
# after the 1 s ramp. Scrapes that fail (refused, HTTP 404, a 200 that is
# not the format) are errors.observe with their reasons, never gaps, and
# count while the run goes on in --live's totals and /metrics; a bad
# observe: entry or an unknown server metric is a validate error with the
# spec's file:line (exit 2).
. "$(dirname "$0")/lib.sh"
HTTP_PID=""
CLOSED_PID=""
stop_all() {
  for pid in $HTTP_PID $CLOSED_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  cleanup
}
trap stop_all EXIT

start_server
observe_spec() { # observe_spec NAME OBSERVE-YAML ASSERTION...
  local name=$1 obs=$2; shift 2
  chat_spec "$name" "{users: 4, duration: 4s, ramp_up: 1s}" "$@" >"$WORK/$name.yaml"
  printf 'observe:\n%s\n' "$obs" >>"$WORK/$name.yaml"
}
observe_spec good '  - prometheus: "{{target_http}}/metrics"
    interval: 500ms
    metrics: [process_resident_memory_bytes, process_cpu_seconds_total,
              "wsgate_serve_connections{protocol=\"chat\"}", wsgate_serve_messages_received_total]' \
  'max(server.process_resident_memory_bytes) < 1GB' \
  'last(server.wsgate_serve_connections{protocol="chat"}) >= 4' \
  'rate(server.wsgate_serve_messages_received_total) > 10' \
  'drift(server.process_resident_memory_bytes) < 50%' \
  'errors.observe == 0'
run_wsgate "$WORK/out" run "$WORK/good.yaml"
expect_rc 0
R="$WORK/out/result.json"
[ "$(jqr "$R" '.server.window_start_s')" = 1 ] && [ "$(jqr "$R" '.server.window_end_s')" = 4 ] \
  || fail "steady window $(jq -c '.server | [.window_start_s, .window_end_s]' "$R"), expected [1, 4]"
n=$(jqr "$R" '.server.series[0].samples | length')
check "$n >= 6 && $n <= 8"
# no scrape at the planned end (4 s), when the users close: the last one
# saw every user still connected
last_t=$(jqr "$R" '.server.series[0].samples[-1][0]')
check "$last_t < 4"
jq -e '[.server.series[] | .samples | length] | unique | length == 1' "$R" >/dev/null || fail "series of different lengths"
jq -e '.server.series[0].samples | [.[][0]] | . == sort and .[0] < 0.2' "$R" >/dev/null || fail "t not rising from 0"
jq -e '.server.scrapes == '"$n"' and .server.scrape_errors == 0 and .errors.observe.count == 0' "$R" >/dev/null \
  || fail "scrape counts: $(jq -c '.server | [.scrapes, .scrape_errors]' "$R")"
conns=$(jq -c '.server.series[2].samples | [.[][1]] | max' "$R")
[ "$conns" = 4 ] || fail "chat connections peaked at $conns, expected 4"
recv_last=$(jqr "$R" '.server.series[3].samples[-1][1]')
check "$recv_last > 0 && $recv_last <= $(jqr "$R" .messages.sent)"
grep -qF 'PASS  drift(server.process_resident_memory_bytes) < 50%  (observed ' "$WORK/stdout" \
  || fail "no drift line on stdout: $(cat "$WORK/stdout")"
grep -qF 'max(server.process\_resident\_memory\_bytes) \< 1GB' "$WORK/out/summary.md" || fail "not in summary.md"
grep -qE "^\| process\\\\_resident\\\\_memory\\\\_bytes \| $n \| [0-9.e+]+ \| [0-9.e+]+ \| [-+][0-9.]+% \|$" "$WORK/out/summary.md" \
  || fail "no server row in summary.md: $(grep -A6 Server "$WORK/out/summary.md")"
grep -qF 'drift(server.process_resident_memory_bytes)' "$WORK/out/junit.xml" || fail "not in junit.xml"
H="$WORK/out/report.html"
for k in 0 1 2 3; do
  grep -A40 "<svg id=\"chart-server-$k\"" "$H" | grep -q '<polyline class="value"' || fail "no chart of series $k in report.html"
done
grep -qF '<h3>Server: wsgate_serve_connections{protocol=&quot;chat&quot;}</h3>' "$H" || fail "chart title"

# failed scrapes: refused, 404, a 200 that is not the format
mkdir -p "$WORK/www" && printf '<html>hello</html>\n' >"$WORK/www/page.html"
# (ports the servers hold from the start: none picked free and bound later)
python3 - "$WORK/www" >"$WORK/http.out" 2>"$WORK/http.log" <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print(s.server_port, flush=True)
s.serve_forever()
PY
HTTP_PID=$!
# a port bound and never listened on: connects are refused for the whole run
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$WORK/closed.out" &
CLOSED_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/http.out" ] && [ -s "$WORK/closed.out" ] && break; sleep 0.1; done
HPORT=$(cat "$WORK/http.out")
CLOSED=$(cat "$WORK/closed.out")
curl -sf "http://127.0.0.1:$HPORT/page.html" >/dev/null || fail "the page server on '$HPORT' does not answer"
observe_spec bad "  - prometheus: \"http://127.0.0.1:$CLOSED/metrics\"
    interval: 1s
    metrics: [a]
  - prometheus: \"{{target_http}}/nope\"
    interval: 1s
    metrics: [b]
  - prometheus: \"http://127.0.0.1:$HPORT/page.html\"
    interval: 1s
    metrics: [c]
  - prometheus: \"{{target_http}}/metrics\"
    interval: 1s
    metrics: [not_a_metric_of_serve]" 'errors.observe == 0'
# while it runs: failed scrapes count in --live's totals and /metrics like
# any error kind (a scrape of /metrics 2.5 s in, before the end)
set +e
"$WSGATE" run "$WORK/bad.yaml" --live "$WORK/bad.ndjson" --metrics-listen "127.0.0.1:0" \
  --out "$WORK/bad" >"$WORK/stdout" 2>"$WORK/stderr" &
WPID=$!
sleep 2.5
MPORT=$(grep -oE 'metrics on http://127\.0\.0\.1:[0-9]+' "$WORK/stderr" | grep -oE '[0-9]+$')
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/mid.prom"
wait "$WPID"
RC=$?
set -e
expect_rc 1
mid=$(awk '$1 == "wsgate_errors_total{kind=\"observe\"}" { print $2 }' "$WORK/mid.prom")
[ -n "$mid" ] && check "$mid >= 4" || fail "/metrics mid-run: errors observe '$mid'"
jq -s -e '[.[] | select(.event == "second" and .t <= 2) | .total.errors.observe] | (length == 3) and (.[2] >= 4)' \
  "$WORK/bad.ndjson" >/dev/null || fail "--live: errors.observe not counted while running: $(head -c 600 "$WORK/bad.ndjson")"
B="$WORK/bad/result.json"
errs=$(jqr "$B" .errors.observe.count)
[ "$errs" = "$(jqr "$B" .server.scrape_errors)" ] && [ "$errs" = "$(jqr "$B" .server.scrapes)" ] \
  || fail "every scrape failed, yet errors.observe $errs, scrapes $(jqr "$B" .server.scrapes)"
check "$errs >= 12" # 4 endpoints scraped at 0, 1, 2 and 3 s (none at the 4 s end)
jq -e '[.server.series[].samples | length] == [0, 0, 0, 0]' "$B" >/dev/null || fail "samples from failed scrapes"
# three samples kept: the first three distinct reasons
jq -r '.errors.observe.samples[]' "$B" >"$WORK/reasons"
grep -q "127.0.0.1:$CLOSED/metrics: connect: Connection refused" "$WORK/reasons" || fail "no refused: $(cat "$WORK/reasons")"
grep -q "/nope: HTTP status 404" "$WORK/reasons" || fail "no 404: $(cat "$WORK/reasons")"
grep -q "page.html: not the Prometheus text format: line 1: expected a metric name" "$WORK/reasons" \
  || fail "no parse error: $(cat "$WORK/reasons")"
grep -q "errors.observe == 0" "$WORK/stdout" || fail "assertion not printed"

# validate: file:line errors, exit 2
observe_spec unk '  - prometheus: "{{target_http}}/metrics"
    metrics: [process_resident_memory_bytes]' 'max(server.process_resident_memory_byte) < 1GB'
set +e; "$WSGATE" validate "$WORK/unk.yaml" >"$WORK/v.out" 2>&1; RC=$?; set -e
expect_rc 2
line=$(grep -n 'process_resident_memory_byte)' "$WORK/unk.yaml" | cut -d: -f1)
grep -qF "unk.yaml:$line: assertion \"max(server.process_resident_memory_byte) < 1GB\": unknown metric \"server.process_resident_memory_byte\"; observed: server.process_resident_memory_bytes" "$WORK/v.out" \
  || fail "unknown metric: $(cat "$WORK/v.out")"
observe_spec sel '  - prometheus: "{{target_http}}/metrics"
    metrics: ["x{a!=\"1\"}"]'
set +e; "$WSGATE" validate "$WORK/sel.yaml" >"$WORK/v.out" 2>&1; RC=$?; set -e
expect_rc 2
grep -qE "sel.yaml:[0-9]+: observe\[0\]\.metrics\[0\]: a label is written" "$WORK/v.out" || fail "selector: $(cat "$WORK/v.out")"
set +e; "$WSGATE" validate --block-hosts "127.0.0.1:$HPORT" "$WORK/bad.yaml" >"$WORK/v.out" 2>&1; RC=$?; set -e
expect_rc 2
grep -qE "bad.yaml:[0-9]+: observe\[2\]\.prometheus: 127.0.0.1:$HPORT is blocked by --block-hosts" "$WORK/v.out" \
  || fail "blocked host: $(cat "$WORK/v.out")"
pass "observe: $n scrapes, chat connections up to $conns; $errs failed scrapes counted"
