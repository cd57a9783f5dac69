# observe: over https://, against two `wsgate serve --tls` (each with its own
# self-signed certificate; /metrics is served over TLS on the same port):
# A's own metrics, trusted with tls.ca_file, are stored as series and judged;
# B's certificate is not trusted by that ca_file: every scrape of B fails
# as errors.observe with the certificate's reason (in result.json and once
# on stderr while the run goes on), never a crash, and the assertions on it
# fail (exit 1); tls.insecure_skip_verify scrapes B.
. "$(dirname "$0")/lib.sh"
B_PID=""
stop_all() {
  [ -z "$B_PID" ] || { kill "$B_PID" 2>/dev/null || true; wait "$B_PID" 2>/dev/null || true; }
  cleanup
}
trap stop_all EXIT

start_server --tls --tls-cert-out "$WORK/b.pem"
B_PID=$SERVER_PID B_PORT=$SERVER_PORT SERVER_PID=""
start_server --tls --tls-cert-out "$WORK/a.pem"
A_PORT=$SERVER_PORT

expect_rc_said() { # N: expect_rc, saying what the run printed on stdout too
  [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1; stdout: $(head -c 2000 "$WORK/stdout"); stderr: $(head -c 1000 "$WORK/stderr")"
}
tls_spec() { # NAME TLS-BLOCK OBSERVE-URL ASSERTION...: 2 users over wss:// to A for 3 s
  local name=$1 tls=$2 url=$3; shift 3
  { cat <<YAML
version: 1
name: $name
target: wss://127.0.0.1:$A_PORT
load: {users: 2, duration: 3s}
scenarios:
  - name: chatter
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 3s}
    tasks:
      - name: ping
        pause: 100ms
        send: '{"action":"ping"}'
        expect: {match: 'type == "pong"', timeout: 2s}
tls: $tls
observe:
  - prometheus: "$url"
    interval: 500ms
    metrics: ['wsgate_serve_connections{protocol="chat"}', process_resident_memory_bytes]
assertions:
YAML
    local a
    for a in "$@"; do echo "  - $a"; done; } >"$WORK/$name.yaml"
}

# trusted: {{target_http}} is https://127.0.0.1:A, its certificate in ca_file
tls_spec trusted '{ca_file: a.pem}' '{{target_http}}/metrics' \
  'max(server.wsgate_serve_connections{protocol="chat"}) >= 2' \
  'max(server.process_resident_memory_bytes) < 1GB' 'errors.observe == 0'
run_wsgate "$WORK/trusted" run "$WORK/trusted.yaml"
expect_rc_said 0
R="$WORK/trusted/result.json"
[ "$(jqr "$R" '.server.series[0].url')" = "https://127.0.0.1:$A_PORT/metrics" ] || fail "url $(jq -c '.server.series[0].url' "$R")"
n=$(jqr "$R" '.server.series[0].samples | length')
check "$n >= 3 && $n <= 8"
jq -e '.server.scrapes == '"$n"' and .server.scrape_errors == 0 and .errors.observe.count == 0' "$R" >/dev/null \
  || fail "scrape counts: $(jq -c '[.server.scrapes, .server.scrape_errors, .errors.observe]' "$R")"
[ "$(jq -c '.server.series[0].samples | [.[][1]] | max' "$R")" = 2 ] || fail "chat connections: $(jq -c '.server.series[0].samples' "$R")"
grep -qF 'PASS  max(server.wsgate_serve_connections{protocol="chat"}) >= 2' "$WORK/stdout" || fail "no PASS line: $(cat "$WORK/stdout")"
if grep -q "observe" "$WORK/stderr"; then fail "stderr speaks of observe though every scrape worked: $(cat "$WORK/stderr")"; fi

# wrong CA: B's certificate is not the one in ca_file; the WebSocket load to A still runs
tls_spec wrong '{ca_file: a.pem}' "https://127.0.0.1:$B_PORT/metrics" \
  'max(server.wsgate_serve_connections{protocol="chat"}) >= 2' 'errors.observe == 0'
run_wsgate "$WORK/wrong" run "$WORK/wrong.yaml"
expect_rc_said 1
R="$WORK/wrong/result.json"
errs=$(jqr "$R" .errors.observe.count)
check "$errs >= 3"
[ "$errs" = "$(jqr "$R" .server.scrapes)" ] && [ "$errs" = "$(jqr "$R" .server.scrape_errors)" ] \
  || fail "errors.observe $errs of $(jqr "$R" .server.scrapes) scrapes"
jq -e '[.server.series[].samples | length] == [0, 0]' "$R" >/dev/null || fail "samples from a server not trusted"
reason="observe https://127.0.0.1:$B_PORT/metrics: certificate verify failed: self-signed certificate (trust its CA with tls.ca_file)"
[ "$(jqr "$R" '.errors.observe.samples[0]')" = "$reason" ] || fail "sample: $(jq -c .errors.observe "$R")"
check "$(jqr "$R" '.steps[] | select(.name == "ping") | .ok') > 10"
[ "$(jqr "$R" '.assertions[] | select(.text == "errors.observe == 0") | .passed')" = false ] || fail "errors.observe == 0 held"
jqr "$R" '.assertions[0] | [.passed, .observed_text] | @tsv' | grep -q '^false' || fail "max() held without samples"
# told once on stderr, with the reason, while the run went on (not only in the summary)
[ "$(grep -cF "wsgate: warning: $reason; counted in errors.observe" "$WORK/stderr")" = 1 ] \
  || fail "stderr: $(cat "$WORK/stderr")"

# insecure_skip_verify: B is scraped
tls_spec insecure '{insecure_skip_verify: true}' "https://127.0.0.1:$B_PORT/metrics" \
  'max(server.process_resident_memory_bytes) < 1GB' 'errors.observe == 0'
run_wsgate "$WORK/insecure" run "$WORK/insecure.yaml"
expect_rc_said 0
R="$WORK/insecure/result.json"
check "$(jqr "$R" '.server.series[1].samples | length') >= 3"
[ "$(jqr "$R" .errors.observe.count)" = 0 ] || fail "errors with insecure_skip_verify: $(jq -c .errors.observe "$R")"
[ "$(jqr "$R" .tls_verify)" = false ] || fail "tls_verify"
pass "observe over https: $n scrapes with ca_file, $errs refused certificates counted, insecure scrapes B"
