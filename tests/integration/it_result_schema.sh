# Machine-readable results on real runs of every kind (passing, failing
# with null latencies, open model, two shards and their merges, with a
# baseline, aborted, interrupted; the passing one observes the server):
# each result.json validates against
# docs/result.schema.json (itself valid 2020-12); tools/wsgate_hist.py
# decodes every histogram to exactly the figures the C code wrote; `report
# --format csv` and `gitlab-load-performance` agree with the result. A
# tampered result must fail each check, so the checks do check.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
python3 -c "from jsonschema import Draft202012Validator" 2>/dev/null ||
  { echo "skip: python3-jsonschema is not installed"; exit 77; }
start_server
LOAD="{users: 4, duration: 2s}"
chat_spec pass "$LOAD" "p99(ping) < 2s" >"$WORK/pass.yaml"
# and it observes the server (result.json's server object)
printf '%s\n' 'observe:' '  - prometheus: "{{target_http}}/metrics"' '    interval: 500ms' \
  '    metrics: [process_resident_memory_bytes, "wsgate_serve_connections{protocol=\"chat\"}"]' >>"$WORK/pass.yaml"
# the upgrade without a token is refused (HTTP 401): no sample anywhere
chat_spec fail "$LOAD" "connect.success_rate == 100%" | sed 's/?token=t{{vu.id}}//' >"$WORK/fail.yaml"
chat_spec abort "{users: 4, duration: 10s}" "connections.peak < 1, abort_on_fail" >"$WORK/abort.yaml"
chat_spec interrupt "{users: 4, duration: 10s}" >"$WORK/interrupt.yaml"
chat_spec open "{arrival_rate: {rate: 10/s, duration: 2s, max_users: 20, session: {iterations: 2, duration: 5s}}}" >"$WORK/open.yaml"

# run NAME ARGS...: `wsgate run` into $WORK/NAME in the background, its
# exit status checked by finish NAME STATUS.
declare -A PIDS
run() { local name=$1; shift; "$WSGATE" run "$@" --out "$WORK/$name" --quiet >"$WORK/$name.log" 2>&1 & PIDS[$name]=$!; }
finish() {
  local rc=0; wait "${PIDS[$1]}" || rc=$?
  [ "$rc" -eq "$2" ] || fail "$1: exit $rc, want $2: $(cat "$WORK/$1.log")"
}
run pass "$WORK/pass.yaml"
run fail "$WORK/fail.yaml"
run open "$WORK/open.yaml"
run abort "$WORK/abort.yaml"
run s1 "$WORK/pass.yaml" --shard 1/2 --region eu --users 4 --var tag=ci
run s2 "$WORK/pass.yaml" --shard 2/2 --region us --users 4 --var tag=ci
run interrupt "$WORK/interrupt.yaml"
sleep 1.5
kill -INT "${PIDS[interrupt]}"
for name in pass open s1 s2; do finish "$name" 0; done
finish fail 1; finish abort 1; finish interrupt 130
run baseline "$WORK/pass.yaml" --baseline "$WORK/pass/result.json"
finish baseline 0
"$WSGATE" merge "$WORK/s1/result.json" "$WORK/s2/result.json" --out "$WORK/merged" --quiet >/dev/null ||
  fail "merge exit $?"
"$WSGATE" merge "$WORK/s1/result.json" --allow-partial --out "$WORK/partial" --quiet >/dev/null || true
KINDS="pass fail open abort interrupt s1 merged partial baseline"
DIRS=()
for k in $KINDS; do DIRS+=("$WORK/$k"); done

# every kind is what it should be, so the schema sees each shape
R() { jqr "$WORK/$1/result.json" "$2"; }
[ "$(R fail '.steps[0].latency_us.p50')" = null ] || fail "fail run has connect samples"
[ "$(R pass '.server.series | length')/$(R pass '.server.series[1].samples | length > 2')" = 2/true ] ||
  fail "pass: server $(jq -c .server "$WORK/pass/result.json")"
[ "$(jq -c .server "$WORK/merged/result.json")" = null ] || fail "merged: a server object"
[ "$(R open '.load.model')/$(R open '.load.session_s')" = open/5 ] || fail "open model: $(jq -c .load "$WORK/open/result.json")"
[ "$(R abort '.verdict')" = aborted ] && [ "$(R interrupt '.stop_signal')" = SIGINT ] || fail "abort or interrupt"
[ "$(R merged '.shards | length')/$(R merged '.missing_shards')" = 2/null ] || fail "merged shards"
[ "$(R partial '.missing_shards')" = "2 of 2" ] || fail "partial merge"
[ "$(R merged '.overrides.vars.tag')/$(R pass '.overrides')" = ci/null ] || fail "overrides"
[ "$(R baseline '.baseline.path')" = "$WORK/pass/result.json" ] || fail "baseline"

for k in $KINDS; do
  "$WSGATE" report "$WORK/$k/result.json" --format csv >"$WORK/$k/report.csv"
  "$WSGATE" report "$WORK/$k/result.json" --format gitlab-load-performance >"$WORK/$k/gitlab.json"
done
# hard cases for the percentile rule, their figures computed by the C code
mkdir "$WORK/crafted"
python3 "$SRC/tests/integration/result_checks.py" craft "$WORK/pass/result.json" "$WORK/crafted.json"
"$WSGATE" report "$WORK/crafted.json" --format json >"$WORK/crafted/result.json"
DIRS+=("$WORK/crafted")
cmp "$WORK/pass/report.csv" "$WORK/pass/results.csv" || fail "run --out wrote another results.csv"
for f in "$WORK"/pass/*; do
  case ${f##*/} in result.json|junit.xml|summary.md|report.html|results.csv|report.csv|gitlab.json) ;;
    *) fail "run --out wrote ${f##*/}" ;; esac
done
# the schema, histograms, csv and gitlab figures of each; the first result
# tampered with must fail each check
python3 "$SRC/tests/integration/result_checks.py" "$SRC/docs/result.schema.json" "${DIRS[@]}" ||
  fail "results disagree with docs/result.schema.json, tools/wsgate_hist.py or their reports"
pass "${#DIRS[@]} results fit the schema; histograms, csv and gitlab figures agree"
