# connect.compression: deflate against `wsgate serve --deflate` (the quotes
# stream: compressible JSON).
#  1. deflate offered and accepted on every connect; the quotes came in on
#     fewer bytes than their inflated payloads (wire.bytes_received well
#     under wire.payload_received), 0 errors; the Markdown report says so.
#  2. the same spec without compression offers nothing: on the wire at
#     least the payload (frame headers), nothing offered or accepted.
#  3. every parameter set (both no-context-takeover flags, windows of 9
#     and 10 bits), then server_no_context_takeover alone, with sends both
#     ways: each echo and quote inflates, 0 errors (lws 4.1's server applies
#     the two flags as a client would, which serve's deflate.c turns round;
#     without it, with server_no_context_takeover alone, the server's second
#     quote fails to inflate and every connection drops).
#  4. a server without --deflate declines the offer: the run still works,
#     uncompressed, deflate_accepted 0.
#  5. a server that answers permessage-deflate to a connect that did not
#     offer it: the connect fails as protocol (RFC 6455 9.1), exit 1, both
#     in a run where no scenario compresses (libwebsockets refuses the
#     answer) and beside a scenario that does (wsgate refuses it).
# ctest: parallel
. "$(dirname "$0")/lib.sh"

# quotes_spec NAME CONNECT_KEYS: 3 users for 2 s subscribed to three
# symbols at 50 quotes a second per connection; every 20 ms a subscribe is sent again
# (a compressible client message answered by "subscribed").
quotes_spec() {
  cat <<YAML
version: 1
name: $1
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 3, duration: 2s}
scenarios:
  - name: quotes
    connect:
      url: "{{target}}/ws/quotes"
$2
    on_start:
      - name: subscribe
        send: '{"op":"subscribe","streams":["quotes.NASDAQ:AAPL","quotes.NASDAQ:MSFT","quotes.NYSE:IBM"],"snapshot":false}'
        expect: {match: 'op == "subscribed"', timeout: 2s}
    tasks:
      - name: again
        pause: 20ms
        steps:
          - name: resubscribe
            send: '{"op":"subscribe","streams":["quotes.NASDAQ:AAPL","quotes.NASDAQ:MSFT","quotes.NYSE:IBM"],"snapshot":false}'
            expect: {match: 'op == "subscribed"', timeout: 2s}
    count:
      - {name: quote, match: 'type == "quote"'}
assertions:
  - errors.total == 0
YAML
}
wire() { jqr "$1" ".wire.$2"; }
step_ok() { jqr "$1" ".steps[] | select(.name==\"$2\") | .ok"; }

start_server --deflate --quote-rate 50

# 1. deflate on
quotes_spec deflate-on "      compression: deflate" >"$WORK/on.yaml"
run_wsgate "$WORK/on" run "$WORK/on.yaml"
expect_rc 0
R="$WORK/on/result.json"
[ "$(wire "$R" deflate_offered)" -eq 3 ] || fail "offered: $(jq -c .wire "$R")"
[ "$(wire "$R" deflate_accepted)" -eq 3 ] || fail "accepted: $(jq -c .wire "$R")"
[ "$(wire "$R" connections)" -eq 3 ] || fail "measured connections: $(jq -c .wire "$R")"
check "$(step_ok "$R" quote) >= 60"
check "$(step_ok "$R" resubscribe) >= 30"
[ "$(wire "$R" payload_received)" -eq "$(jqr "$R" .messages.bytes_received)" ] ||
  fail "payload_received is not every message byte: $(jq -c '.wire, .messages' "$R")"
[ "$(wire "$R" payload_sent)" -eq "$(jqr "$R" .messages.bytes_sent)" ] ||
  fail "payload_sent is not every message byte: $(jq -c '.wire, .messages' "$R")"
on_rx=$(wire "$R" bytes_received) on_pay=$(wire "$R" payload_received)
check "$on_rx * 2 < $on_pay"
check "$(wire "$R" bytes_sent) * 2 < $(wire "$R" payload_sent)"
grep -q '^\*\*permessage-deflate:\*\* accepted on 3 of 3 connects; received .* on the wire for .* of messages' "$WORK/on/summary.md" ||
  fail "summary.md: $(grep -i deflate "$WORK/on/summary.md" || echo 'no deflate line')"
grep -q '<dt>permessage-deflate</dt><dd>accepted on 3 of 3 connects' "$WORK/on/report.html" ||
  fail "report.html has no deflate line"

# 2. no compression: nothing offered, the wire carries at least the payload
quotes_spec deflate-off "" >"$WORK/off.yaml"
run_wsgate "$WORK/off" run "$WORK/off.yaml"
expect_rc 0
O="$WORK/off/result.json"
[ "$(wire "$O" deflate_offered)" -eq 0 ] && [ "$(wire "$O" deflate_accepted)" -eq 0 ] ||
  fail "offered without compression: $(jq -c .wire "$O")"
[ "$(wire "$O" connections)" -eq 3 ] || fail "measured connections: $(jq -c .wire "$O")"
check "$(wire "$O" bytes_received) >= $(wire "$O" payload_received)"
check "$(wire "$O" bytes_sent) >= $(wire "$O" payload_sent)"
grep -q 'permessage-deflate' "$WORK/off/summary.md" && fail "summary.md names deflate without an offer"

# 3. every parameter
quotes_spec deflate-params "      compression: deflate
      deflate:
        client_max_window_bits: 9
        server_max_window_bits: 10
        client_no_context_takeover: true
        server_no_context_takeover: true" >"$WORK/params.yaml"
run_wsgate "$WORK/params" run "$WORK/params.yaml"
expect_rc 0
P="$WORK/params/result.json"
[ "$(wire "$P" deflate_accepted)" -eq 3 ] || fail "accepted: $(jq -c .wire "$P")"
check "$(step_ok "$P" quote) >= 60"
check "$(step_ok "$P" resubscribe) >= 30"
check "$(wire "$P" bytes_received) < $(wire "$P" payload_received)"
quotes_spec deflate-server-nct "      compression: deflate
      deflate: {server_no_context_takeover: true}" >"$WORK/snct.yaml"
run_wsgate "$WORK/snct" run "$WORK/snct.yaml"
expect_rc 0
P="$WORK/snct/result.json"
[ "$(jqr "$P" '.errors.reset.count')" -eq 0 ] || fail "server_no_context_takeover: $(jq -c '.errors.reset' "$P")"
check "$(step_ok "$P" quote) >= 60"
check "$(step_ok "$P" resubscribe) >= 30"

# 4. a server without --deflate declines: uncompressed, still fine
stop_server
start_server --quote-rate 50
sed "s/127.0.0.1:[0-9]*/127.0.0.1:$SERVER_PORT/" "$WORK/on.yaml" >"$WORK/declined.yaml"
run_wsgate "$WORK/declined" run "$WORK/declined.yaml"
expect_rc 0
D="$WORK/declined/result.json"
[ "$(wire "$D" deflate_offered)" -eq 3 ] && [ "$(wire "$D" deflate_accepted)" -eq 0 ] ||
  fail "declined offer: $(jq -c .wire "$D")"
check "$(wire "$D" bytes_received) >= $(wire "$D" payload_received)"
grep -q 'accepted on 0 of 3 connects' "$WORK/declined/summary.md" || fail "summary.md: declined offer not shown"

# 5. an extension nobody offered
stop_server
start_hostile deflate --seconds 10
quotes_spec unasked "" | sed "s/127.0.0.1:[0-9]*/127.0.0.1:$PEER_PORT/" >"$WORK/unasked.yaml"
run_wsgate "$WORK/unasked" run "$WORK/unasked.yaml"
expect_rc 1
U="$WORK/unasked/result.json"
check "$(jqr "$U" '.errors.protocol.count') >= 3"
[ "$(jqr "$U" '.steps[] | select(.name=="connect") | .ok')" -eq 0 ] || fail "connects ok: $(jq -c '.steps[0]' "$U")"
jqr "$U" '.errors.protocol.samples[0]' | grep -q 'server answered with an extension that was not offered' ||
  fail "sample: $(jqr "$U" '.errors.protocol.samples[0]')"
cat >"$WORK/unasked2.yaml" <<YAML
version: 1
name: unasked2
target: ws://127.0.0.1:$PEER_PORT
load: {users: 4, duration: 2s}
scenarios:
  - name: plain
    connect: {url: "{{target}}/ws/quotes"}
    tasks:
      - {name: wait, expect: {match: 'type == "quote"', timeout: 1s}}
  - name: compressed
    connect: {url: "{{target}}/ws/quotes", compression: deflate}
    tasks:
      - {name: wait2, expect: {match: 'type == "quote"', timeout: 1s}}
YAML
run_wsgate "$WORK/unasked2" run "$WORK/unasked2.yaml"
U="$WORK/unasked2/result.json"
check "$(jqr "$U" '.errors.protocol.count') >= 1"
jq -r '.errors.protocol.samples[]' "$U" | grep -q 'server turned on "permessage-deflate" that was not offered' ||
  fail "samples: $(jq -c '.errors.protocol.samples' "$U")"
check "$(jqr "$U" '.wire.deflate_accepted') >= 1"
pass "deflate: ${on_rx} B on the wire for ${on_pay} B of quotes; off, params and declined as expected"
