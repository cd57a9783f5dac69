# Three shards of one spec run at once against one server and merge into
# the whole: user ids disjoint and complete, counts and histograms added,
# per-shard and per-region rows, assertions evaluated on the merged data;
# missing or foreign results are refused (exit 2) unless --allow-partial.
. "$(dirname "$0")/lib.sh"
start_server
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: shards
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 10, ramp_up: 1s, duration: 3s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}"}
    on_start:
      - name: hello
        send: '{"action":"subscribe","channel":"u{{vu.id}}"}'
        expect: {match: 'type == "subscription_confirmed"', timeout: 2s}
    tasks:
      - name: ping
        pause: 200ms
        send: '{"action":"publish","channel":"u{{vu.id}}","message":{"id":"x"}}'
        expect: {match: 'type == "message_ack"', timeout: 2s}
assertions:
  - connect.success_rate == 100%
  - hello.count == 10
  - p99(ping) < 1s
YAML
start_at=$(( $(date +%s) + 2 ))
pids=()
for k in 1 2 3; do
  "$WSGATE" run "$WORK/spec.yaml" --shard $k/3 --region "r$(( (k - 1) % 2 ))" --start-at "$start_at" \
    --out "$WORK/s$k" --quiet >"$WORK/s$k.log" 2>&1 &
  pids+=($!)
done
for k in 1 2 3; do
  set +e; wait "${pids[$((k - 1))]}"; rc=$?; set -e
  # one shard alone cannot hold hello.count == 10: exit 1 is expected
  [ "$rc" -eq 1 ] || fail "shard $k exit $rc: $(cat "$WORK/s$k.log")"
done
users=$(jq -s '[.[].users_planned] | add' "$WORK"/s*/result.json)
[ "$users" = 10 ] || fail "shards planned $users users, want 10"
[ "$(jqr "$WORK/s2/result.json" '.shard.index')/$(jqr "$WORK/s2/result.json" '.shard.total')" = 2/3 ] || fail "shard field"
# started together: each within 1 s of the agreed time
for k in 1 2 3; do
  late=$(jqr "$WORK/s$k/result.json" '.start_late_s'); check "$late < 1"
done
# user ids are disjoint and complete: every user publishes on a channel of
# its own id, so a shared id would bring broadcasts on top of the replies
"$WSGATE" merge "$WORK"/s*/result.json --out "$WORK/m" >"$WORK/merge.out" 2>&1 || fail "merge exit $?: $(cat "$WORK/merge.out")"
M="$WORK/m/result.json"
[ "$(jqr "$M" '.steps[] | select(.name=="hello") | .ok')" = 10 ] || fail "merged hello count"
[ "$(jqr "$M" '.steps[] | select(.name=="connect") | .ok')" = 10 ] || fail "merged connects"
pings=$(jq -s '[.[].steps[] | select(.name=="ping") | .ok] | add' "$WORK"/s*/result.json)
[ "$(jqr "$M" '.steps[] | select(.name=="ping") | .latency_us.count')" = "$pings" ] || fail "merged ping histogram count"
[ "$(jqr "$M" '.messages.sent')" = "$(jq -s '[.[].messages.sent] | add' "$WORK"/s*/result.json)" ] || fail "merged messages"
[ "$(jqr "$M" '.messages.received')" = "$((10 + pings))" ] || fail "received $(jqr "$M" '.messages.received') messages, want 10 confirmations + $pings acks: ids collide?"
[ "$(jqr "$M" '.verdict')" = pass ] || fail "merged verdict"
[ "$(jqr "$M" '.shards | length')" = 3 ] || fail "shard rows"
[ "$(jqr "$M" '[.shards[].region] | sort | join(",")')" = "r0,r0,r1" ] || fail "regions"
[ "$(jqr "$M" '[.series[].sent] | add')" = "$(jqr "$M" '.messages.sent')" ] || fail "merged series"
grep -q '| 2/3 | r1 |' "$WORK/m/summary.md" || fail "summary lacks the shard table"
# by region: r0 holds shards 1 and 3
r0=$(jq -s '[.[] | select(.region=="r0") | .messages.sent] | add' "$WORK"/s*/result.json)
r0=$(echo "$r0" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta') # counts print as 12,000
grep -E "^\| r0 \| 2 \| [0-9,]+ \| $r0 \|" "$WORK/m/summary.md" >/dev/null || fail "summary lacks the region table (r0 sent $r0): $(grep '^| r' "$WORK/m/summary.md")"
"$WSGATE" report "$M" --format json | cmp -s - "$M" || fail "merged result does not re-render"
# missing shard
set +e; "$WSGATE" merge "$WORK/s1/result.json" "$WORK/s3/result.json" --out "$WORK/p" 2>"$WORK/err"; RC=$?; set -e
expect_rc 2
grep -q 'shards 2 of 3 are missing' "$WORK/err" || fail "missing shard message: $(cat "$WORK/err")"
[ ! -e "$WORK/p" ] || fail "a refused merge wrote files"
run_wsgate "$WORK/p" merge "$WORK/s1/result.json" "$WORK/s3/result.json" --allow-partial --quiet
expect_rc 1
[ "$(jqr "$WORK/p/result.json" '.missing_shards')" = "2 of 3" ] || fail "missing_shards"
# another spec
sed 's/^name: shards/name: other/' "$WORK/spec.yaml" >"$WORK/other.yaml"
"$WSGATE" run "$WORK/other.yaml" --shard 2/3 --out "$WORK/o" --quiet >/dev/null 2>&1 || true
set +e; "$WSGATE" merge "$WORK/s1/result.json" "$WORK/o/result.json" "$WORK/s3/result.json" 2>"$WORK/err"; RC=$?; set -e
expect_rc 2
grep -q 'different specs' "$WORK/err" || fail "foreign result message: $(cat "$WORK/err")"
pass "3 shards merged: 10 users, $pings pings"
