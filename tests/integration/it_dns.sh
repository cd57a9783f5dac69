# A host that does not resolve: an http step counts it as a `dns` error with
# the name in the sample (and the run goes on); a WebSocket target that does
# not resolve stops the run before it starts (exit 3, one line). Runs in a
# network namespace of its own with only loopback, so the failed lookups
# never leave the machine (the resolver is unreachable there).
if [ -z "${WSGATE_IT_NETNS:-}" ]; then
  unshare -n true 2>/dev/null || { echo "skip: no network namespaces here (unshare -n)"; exit 77; }
  WSGATE_IT_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
. "$(dirname "$0")/lib.sh"
export WSGATE_TEST_SECRET="pw-$RANDOM"
start_server
sed -e 's#{{target_http}}/api/auth/login#http://nosuch.invalid:'"$SERVER_PORT"'/api/auth/login#' \
  "$DATA/it/http-login.yaml" >"$WORK/dns.yaml"
run_wsgate "$WORK/out" run "$WORK/dns.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
expect_rc 1
R="$WORK/out/result.json"
n=$(jqr "$R" '.errors.dns.count')
check "$n >= 5"
jqr "$R" '.errors.dns.samples[0]' | grep -qF 'login: cannot resolve "nosuch.invalid"' || fail "dns sample"
[ "$(jqr "$R" '.errors.protocol.count')" -eq 0 ] || fail "dns failure counted as protocol"
[ "$(jqr "$R" '.steps[] | select(.name=="login") | .failed')" -eq "$n" ] || fail "login failures != dns errors"

cat >"$WORK/ws.yaml" <<YAML
version: 1
name: unresolvable
target: ws://nosuch.invalid:$SERVER_PORT
load: {users: 1, duration: 1s}
scenarios:
  - name: a
    connect: {url: "{{target}}/ws/chat"}
YAML
run_wsgate "$WORK/ws" run "$WORK/ws.yaml"
expect_rc 3
grep -qF 'cannot resolve "nosuch.invalid"' "$WORK/stderr" || fail "no resolve message: $(cat "$WORK/stderr")"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "more than one line on stderr"
[ ! -e "$WORK/ws/result.json" ] || fail "a result was written for a run that never started"
stop_server
pass "dns: $n login failures counted as dns"
