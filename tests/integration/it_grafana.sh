# docs/grafana/wsgate.json against a real Prometheus (Debian's prometheus)
# scraping two shards of one run, each on its own --metrics-listen, with the
# scrape config of docs/grafana.md: every panel query, its variables filled
# in as Grafana would (All, or one shard), gives series while the load
# runs, the shard selection picks that shard alone, and the template
# queries list both shards and their regions. (test_grafana checks the
# metric names against a scrape; this checks that the PromQL works.)
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers/prometheus.sh"
W1=""
W2=""
stop_all() {
  for pid in $W1 $W2 $PROM_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  cleanup
}
trap stop_all EXIT

M1=$(free_port); M2=$(free_port)
[ "$M1" != "$M2" ] || M2=$(free_port)
prometheus_start "127.0.0.1:$M1" "127.0.0.1:$M2"
API=$PROM_API

start_server
chat_spec grafana "{users: 4, duration: 20s}" >"$WORK/spec.yaml"
"$WSGATE" run "$WORK/spec.yaml" --shard 1/2 --region eu --metrics-listen "127.0.0.1:$M1" --quiet \
  --out "$WORK/s1" >/dev/null 2>"$WORK/s1.err" &
W1=$!
"$WSGATE" run "$WORK/spec.yaml" --shard 2/2 --region us --metrics-listen "127.0.0.1:$M2" --quiet \
  --out "$WORK/s2" >/dev/null 2>"$WORK/s2.err" &
W2=$!

# series QUERY: how many series the instant query gives ("" on an error)
series() { curl -sf -G "$API/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result | length'; }
# fill EXPR SHARD: the expression with Grafana's variables filled in
fill() {
  local e=$1 shard=$2
  e=${e//\$__rate_interval/5s}
  e=${e//\$spec/.*}; e=${e//\$region/.*}; e=${e//\$step/.*}
  echo "${e//\$shard/$shard}"
}
# wait until both shards' steps have a few seconds in Prometheus
for _ in $(seq 1 60); do
  [ "$(series 'rate(wsgate_step_latency_seconds_count{step="ping"}[5s]) > 0')" = 2 ] && break
  sleep 0.25
done
[ "$(series 'rate(wsgate_step_latency_seconds_count{step="ping"}[5s]) > 0')" = 2 ] ||
  fail "Prometheus never saw both shards ping: $(tail -3 "$PROM_LOG")"

D="$SRC/docs/grafana/wsgate.json"
# the shard selection: by-shard panels show one series per shard, one when picked
E=$(jq -r '.panels[] | select(.title == "Connections open by shard") | .targets[0].expr' "$D")
[ "$(series "$(fill "$E" '.*')")" = 2 ] || fail "connections by shard: not 2 series"
[ "$(series "$(fill "$E" '2/2')")" = 1 ] || fail "shard 2/2 alone: not 1 series"
labels=$(curl -sf -G "$API/api/v1/query" --data-urlencode "query=$(fill "$E" '2/2')" | jq -c '.data.result[0].metric')
echo "$labels" | jq -e '.shard == "2/2" and .region == "us" and .spec == "grafana"' >/dev/null ||
  fail "shard 2/2 series labels: $labels"
# the generator's own health, per shard (the Generator row)
[ "$(series 'wsgate_generator_resident_memory_bytes > 1000000')" = 2 ] || fail "generator RSS: not 2 shards"
[ "$(series 'rate(wsgate_generator_cpu_seconds_total[5s]) > 0')" = 2 ] || fail "generator CPU: not 2 shards"
[ "$(series 'wsgate_generator_loop_lag_limit_seconds > 0')" = 2 ] || fail "generator lag limit: not 2 shards"
n=0
while IFS= read -r expr; do
  case $expr in *"> 0") continue ;; esac # errors by kind: empty while nothing fails
  all=$(series "$(fill "$expr" '.*')")
  [ -n "$all" ] && [ "$all" -ge 1 ] || fail "no series for: $(fill "$expr" '.*')"
  n=$((n + 1))
done < <(jq -r '.panels[].targets[]?.expr' "$D")
check "$n >= 21"
# the template queries: label_values(wsgate_run_info, shard) lists both
shards=$(curl -sf "$API/api/v1/label/shard/values?match[]=wsgate_run_info" | jq -r '.data | join(",")')
[ "$shards" = "1/2,2/2" ] || fail "shard values: $shards"
for pid in $W1 $W2; do
  set +e; wait "$pid"; RC=$?; set -e
  expect_rc 0
done
W1=""; W2=""
pass "grafana: $n panel queries give series on a real Prometheus scraping two shards; the shard variable selects"
