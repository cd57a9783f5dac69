# connect.compression: deflate against the Node `ws` server with
# perMessageDeflate on (tests/servers/graphql/deflate.js, on that
# directory's `ws`, installed by ./setup.sh test; skipped with 77 when node
# or its node_modules are missing). The server's first message names the
# offer it got and what it answered.
#  1. deflate: offered and accepted; echoes and quotes inflate, 0 errors;
#     fewer bytes on the wire than payload after inflation.
#  2. every parameter: the server's answer carries them
#     (server_max_window_bits=10, both no-context-takeover flags), 0 errors.
#  3. no compression: the upgrade offers no extension at all (the server
#     saw an empty Sec-WebSocket-Extensions), nothing offered in the result;
#     also beside a scenario that compresses (whose offer is its own, once).
#  4. a frame marked compressed whose payload does not inflate: the drop
#     is a protocol error (not a reset), no crash, every report written.
#  5. 20 kB incompressible binary messages (sent compressed in many
#     fragments) each followed by a small text: every echo comes back.
#  6. the server with perMessageDeflate off declines: uncompressed, 0 errors.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
DIR="$SRC/tests/servers/graphql"
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 77; }
[ -d "$DIR/node_modules/ws" ] || { echo "SKIP: run ./setup.sh test (npm ci in $DIR)"; exit 77; }
start_listener deflate node "$DIR/deflate.js" 0
T="ws://127.0.0.1:$LISTEN_PORT"

# node_spec NAME CONNECT_KEYS HELLO_MATCH: 3 users for 2 s; on_start
# waits for the hello matching HELLO_MATCH, then each task sends a JSON
# text and awaits its echo while quotes come every 20 ms.
node_spec() {
  cat <<YAML
version: 1
name: $1
target: ws://127.0.0.1:1
load: {users: 3, duration: 2s}
scenarios:
  - name: echo
    connect:
      url: "{{target}}/"
$2
    on_start:
      - name: hello
        expect: {match: '$3', timeout: 2s}
    tasks:
      - name: echo
        pause: 20ms
        steps:
          - name: echo
            send: '{"op":"subscribe","streams":["quotes.NASDAQ:AAPL","quotes.NASDAQ:MSFT","quotes.NYSE:IBM"],"user":"{{vu.id}}"}'
            expect: {match: 'type == "echo"', timeout: 2s}
    count:
      - {name: quote, match: 'type == "quote"'}
YAML
}
wire() { jqr "$1" ".wire.$2"; }
step() { jqr "$1" ".steps[] | select(.name==\"$2\") | .$3"; }
no_errors() {
  [ "$(jqr "$1" '[.errors[] | .count] | add')" -eq 0 ] || fail "errors: $(jq -c '[.errors | to_entries[] | select(.value.count > 0)]' "$1")"
}

# 1. deflate on
node_spec on "      compression: deflate" \
  'type == "hello" && offered == "permessage-deflate; client_max_window_bits" && accepted contains "permessage-deflate"' >"$WORK/on.yaml"
run_wsgate "$WORK/on" run "$WORK/on.yaml" --target "$T"
expect_rc 0
R="$WORK/on/result.json"
no_errors "$R"
[ "$(step "$R" hello ok)" -eq 3 ] || fail "hello: $(jq -c '.steps' "$R")"
[ "$(wire "$R" deflate_accepted)" -eq 3 ] || fail "accepted: $(jq -c .wire "$R")"
check "$(step "$R" echo ok) >= 30"
check "$(step "$R" quote ok) >= 30"
on_rx=$(wire "$R" bytes_received) on_pay=$(wire "$R" payload_received)
check "$on_rx * 2 < $on_pay"
check "$(wire "$R" bytes_sent) * 2 < $(wire "$R" payload_sent)"

# 2. every parameter, as the server answered them
node_spec params "      compression: deflate
      deflate:
        client_max_window_bits: 9
        server_max_window_bits: 10
        client_no_context_takeover: true
        server_no_context_takeover: true" \
  'type == "hello" && accepted contains "server_max_window_bits=10" && accepted contains "client_no_context_takeover" && accepted contains "server_no_context_takeover"' >"$WORK/params.yaml"
run_wsgate "$WORK/params" run "$WORK/params.yaml" --target "$T"
expect_rc 0
P="$WORK/params/result.json"
no_errors "$P"
[ "$(step "$P" hello ok)" -eq 3 ] || fail "hello (parameters not answered): $(jq -c '.steps' "$P")"
check "$(step "$P" echo ok) >= 30"
check "$(wire "$P" bytes_received) < $(wire "$P" payload_received)"

# 3. no compression: no Sec-WebSocket-Extensions at all
node_spec off "" 'type == "hello" && offered == "" && accepted == ""' >"$WORK/off.yaml"
run_wsgate "$WORK/off" run "$WORK/off.yaml" --target "$T"
expect_rc 0
O="$WORK/off/result.json"
no_errors "$O"
[ "$(step "$O" hello ok)" -eq 3 ] || fail "hello (an extension offered): $(jq -c '.steps' "$O")"
[ "$(wire "$O" deflate_offered)" -eq 0 ] || fail "offered: $(jq -c .wire "$O")"
check "$(wire "$O" bytes_received) >= $(wire "$O" payload_received)"
cat >"$WORK/mixed.yaml" <<'YAML'
version: 1
name: mixed
target: ws://127.0.0.1:1
load: {users: 4, duration: 1s}
scenarios:
  - name: plain
    connect: {url: "{{target}}/"}
    on_start:
      - {name: plain hello, expect: {match: 'type == "hello" && offered == ""', timeout: 2s}}
  - name: compressed
    connect: {url: "{{target}}/", compression: deflate, deflate: {server_no_context_takeover: true}}
    on_start:
      - name: deflate hello
        expect:
          match: 'type == "hello" && offered == "permessage-deflate; client_max_window_bits; server_no_context_takeover"'
          timeout: 2s
YAML
run_wsgate "$WORK/mixed" run "$WORK/mixed.yaml" --target "$T"
expect_rc 0
M="$WORK/mixed/result.json"
no_errors "$M"
[ "$(step "$M" "plain hello" ok)" -eq 2 ] && [ "$(step "$M" "deflate hello" ok)" -eq 2 ] ||
  fail "mixed offers: $(jq -c '.steps' "$M")"
[ "$(wire "$M" deflate_offered)" -eq 2 ] && [ "$(wire "$M" deflate_accepted)" -eq 2 ] ||
  fail "mixed: $(jq -c .wire "$M")"

# 4. a corrupt compressed frame
cat >"$WORK/corrupt.yaml" <<'YAML'
version: 1
name: corrupt
target: ws://127.0.0.1:1
load: {users: 2, duration: 2s}
scenarios:
  - name: corrupt
    connect:
      url: "{{target}}/"
      compression: deflate
    on_start:
      - name: hello
        expect: {match: 'type == "hello"', timeout: 2s}
    tasks:
      - name: corrupt
        pause: 200ms
        steps:
          - name: corrupt
            send: corrupt
            expect: {match: 'type == "never"', timeout: 1s}
assertions:
  - errors.total == 0
YAML
run_wsgate "$WORK/corrupt" run "$WORK/corrupt.yaml" --target "$T"
expect_rc 1
C="$WORK/corrupt/result.json"
check "$(jqr "$C" '.errors.protocol.count') >= 2"
[ "$(jqr "$C" '.errors.reset.count')" -eq 0 ] || fail "counted as reset: $(jq -c '.errors.reset' "$C")"
jqr "$C" '.errors.protocol.samples[0]' | grep -q 'a compressed message from the server did not inflate' ||
  fail "sample: $(jqr "$C" '.errors.protocol.samples[0]')"
[ "$(step "$C" corrupt ok)" -eq 0 ] || fail "a corrupt frame matched: $(jq -c '.steps' "$C")"
for f in summary.md report.html junit.xml; do [ -s "$WORK/corrupt/$f" ] || fail "no $f"; done

# 5. large messages
cat >"$WORK/big.yaml" <<'YAML'
version: 1
name: big
target: ws://127.0.0.1:1
load: {users: 2, duration: 2s}
scenarios:
  - name: big
    connect: {url: "{{target}}/", compression: deflate}
    on_start:
      - {name: hello, expect: {match: 'type == "hello"', timeout: 2s}}
    tasks:
      - name: big
        pause: 10ms
        steps:
          - name: big
            send_binary: random(20000)
            expect: {match: 'type == "echo"', timeout: 2s}
          - name: small
            send: '{"op":"x"}'
            expect: {match: 'type == "echo" && data == "{\"op\":\"x\"}"', timeout: 2s}
YAML
run_wsgate "$WORK/big" run "$WORK/big.yaml" --target "$T"
expect_rc 0
B="$WORK/big/result.json"
no_errors "$B"
check "$(step "$B" big ok) >= 10"
check "$(step "$B" small ok) >= 10"
check "$(wire "$B" payload_sent) > 20000 * $(step "$B" big ok)"

# 6. perMessageDeflate off: the offer is declined
stop_server
start_listener deflate2 node "$DIR/deflate.js" 0 --no-deflate
run_wsgate "$WORK/declined" run "$WORK/on.yaml" --target "ws://127.0.0.1:$LISTEN_PORT"
D="$WORK/declined/result.json"
[ "$(step "$D" hello ok)" -eq 0 ] || fail "declined: hello still said accepted"
sed 's/ && accepted contains "permessage-deflate"/ \&\& accepted == ""/' "$WORK/on.yaml" >"$WORK/declined.yaml"
run_wsgate "$WORK/declined2" run "$WORK/declined.yaml" --target "ws://127.0.0.1:$LISTEN_PORT"
expect_rc 0
D="$WORK/declined2/result.json"
no_errors "$D"
[ "$(wire "$D" deflate_offered)" -eq 3 ] && [ "$(wire "$D" deflate_accepted)" -eq 0 ] ||
  fail "declined: $(jq -c .wire "$D")"
check "$(step "$D" echo ok) >= 30"
pass "deflate against ws: ${on_rx} B on the wire for ${on_pay} B of messages; parameters, no offer, corrupt frame and declined as expected"
