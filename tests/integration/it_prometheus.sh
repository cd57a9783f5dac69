# run --metrics-listen, scraped by a real Prometheus (Debian's prometheus,
# setup.sh TEST_PACKAGES) every second during an 8 s run: while the run
# goes on, Prometheus already has the run's counters; after it, the last
# scrape (in the 2 s wsgate keeps serving after the load) holds the
# publishes of result.json, and histogram_quantile(0.95) over the exported
# buckets lands within one bucket of result.json's p95. Skipped (77) only
# when there is no prometheus binary.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers/prometheus.sh"
STEP="publish chat message"
WPID=""
stop_all() {
  for pid in $WPID $PROM_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  cleanup
}
trap stop_all EXIT

MPORT=$(free_port)
prometheus_start "127.0.0.1:$MPORT"
API=$PROM_API

# query PROMQL: prints the first result's value, or nothing
query() { curl -sf -G "$API/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }

sed -e 's/^name: chat-11s/name: prom-chat/' -e 's/duration: 11s/duration: 8s/' \
  "$DATA/it/chat-11s.yaml" >"$WORK/prom.yaml"
"$WSGATE" run "$WORK/prom.yaml" --serve --threads 2 --region 'eu "west"' \
  --metrics-listen "127.0.0.1:$MPORT" --out "$WORK/out" >"$WORK/stdout" 2>"$WORK/stderr" &
WPID=$!
sel="step=\"$STEP\",result=\"ok\""
during=""
for _ in $(seq 1 60); do
  kill -0 "$WPID" 2>/dev/null || break
  during=$(query "wsgate_step_total{$sel}")
  [ -n "$during" ] && [ "$during" != 0 ] && break
  sleep 0.2
done
kill -0 "$WPID" 2>/dev/null || fail "the run ended before Prometheus saw a publish: $(tail -3 "$PROM_LOG")"
[ -n "$during" ] && [ "$during" != 0 ] || fail "no publishes in Prometheus during the run"
# an empty label (shard: not sharded) is no label to Prometheus
info=$(curl -sf -G "$API/api/v1/query" --data-urlencode 'query=wsgate_run_info' | jq -c '.data.result[0].metric')
echo "$info" | jq -e '.spec == "prom-chat" and .region == "eu \"west\"" and (has("shard") | not)' >/dev/null \
  || fail "wsgate_run_info labels: $info"
set +e; wait "$WPID"; RC=$?; set -e
WPID=""
expect_rc 0
grep -qF "wsgate: metrics on http://127.0.0.1:$MPORT/metrics" "$WORK/stderr" || fail "no metrics address on stderr"

R="$WORK/out/result.json"
total=$(jqr "$R" ".steps[] | select(.name == \"$STEP\") | .ok")
check "$during <= $total"
# max over the run: after wsgate exits the series go stale, the samples stay
final=$(query "max_over_time(wsgate_step_total{$sel}[5m])")
[ "$final" = "$total" ] || fail "Prometheus' last publish count $final != result.json's $total (during: $during)"
sent=$(query "max_over_time(wsgate_messages_sent_total[5m])")
[ "$sent" = "$(jqr "$R" .messages.sent)" ] || fail "messages sent $sent != result.json's"
q=$(query "histogram_quantile(0.95, max_over_time(wsgate_step_latency_seconds_bucket{step=\"$STEP\"}[5m]))")
p95_us=$(jqr "$R" ".steps[] | select(.name == \"$STEP\") | .latency_us.p95")
[ -n "$q" ] || fail "no histogram_quantile result"
# the exported bounds (src/live/prom.c): both values must fall in the same or a neighbouring bucket
LES="0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60"
bucket() { awk -v v="$1" -v les="$LES" 'BEGIN { n = split(les, b, " "); for (i = 1; i <= n; i++) if (v <= b[i]) { print i; exit } print n + 1 }'; }
bq=$(bucket "$q")
bp=$(bucket "$(awk "BEGIN { print $p95_us / 1e6 }")")
check "($bq - $bp) <= 1 && ($bp - $bq) <= 1"
pass "prometheus: $during publishes during the run, $final after (result.json $total); p95 $q s vs $p95_us us"
