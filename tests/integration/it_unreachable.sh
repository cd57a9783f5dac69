# A target with no route is not a refused port: the WebSocket connect and
# an http step count `refused` with "network unreachable" (no route) or
# "host unreachable" (an unreachable route) in the samples, never
# "connection refused". Runs in a network namespace of its own with only
# loopback, so the connects fail inside the kernel and no packet leaves.
if [ -z "${WSGATE_IT_NETNS:-}" ]; then
  unshare -n true 2>/dev/null || { echo "skip: no network namespaces here (unshare -n)"; exit 77; }
  WSGATE_IT_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
. "$(dirname "$0")/lib.sh"

unreachable_spec() {
  cat <<YAML
version: 1
name: unreachable
target: ws://192.0.2.1:9001
load: {users: 2, duration: 1s}
scenarios:
  - name: a
    connect: {url: "{{target}}/ws/chat"}
YAML
}
unreachable_spec >"$WORK/ws.yaml"

# check_samples DIR TEXT: every connect failed as refused with TEXT
check_samples() {
  local R="$1/result.json"
  check "$(jqr "$R" '.errors.refused.count') >= 2"
  [ "$(jqr "$R" '.errors.protocol.count')" -eq 0 ] || fail "counted as protocol: $(jq -c .errors "$R")"
  jqr "$R" '.errors.refused.samples[]' | grep -qxF "connect (a): $2" || fail "no \"$2\" sample: $(jq -c .errors.refused "$R")"
  ! jqr "$R" '.errors.refused.samples[]' | grep -q "connection refused" || fail "said refused"
}

run_wsgate "$WORK/net" run "$WORK/ws.yaml"
expect_rc 1
check_samples "$WORK/net" "network unreachable"

ip route add unreachable 192.0.2.0/24
run_wsgate "$WORK/host" run "$WORK/ws.yaml"
expect_rc 1
check_samples "$WORK/host" "host unreachable"

# an http step to the unreachable host; the WebSocket target is our server
export WSGATE_TEST_SECRET="pw-$RANDOM"
start_server
sed -e 's#{{target_http}}/api/auth/login#http://192.0.2.1:'"$SERVER_PORT"'/api/auth/login#' \
  "$DATA/it/http-login.yaml" >"$WORK/http.yaml"
run_wsgate "$WORK/http" run "$WORK/http.yaml" --target "ws://127.0.0.1:$SERVER_PORT"
expect_rc 1
R="$WORK/http/result.json"
n=$(jqr "$R" '.errors.refused.count')
check "$n >= 5"
jqr "$R" '.errors.refused.samples[0]' | grep -qxF "login: host unreachable" || fail "http sample: $(jq -c .errors "$R")"
[ "$(jqr "$R" '.errors.protocol.count')" -eq 0 ] || fail "http step counted as protocol"
stop_server
pass "unreachable: ws and http connects say network/host unreachable ($n login failures)"
