# TLS options against `wsgate serve --tls` (a self-signed certificate for
# 127.0.0.1): certificates are verified by default (errors.tls, exit 1);
# tls.ca_file trusts the server's certificate; insecure_skip_verify passes
# and every report says verification was off; with --tls-client-ca the
# server requires a client certificate (made here with the openssl CLI);
# an https:// login step uses the same options; the host name is checked.
# Bad tls: files are spec errors.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "the openssl CLI is needed (setup.sh installs it)"
ok_of() { jqr "$1" ".steps[] | select(.name==\"$2\") | .ok"; }
with_tls() { # NAME TLS-BLOCK [BASE]: a spec with that tls: block in $WORK
  { cat "$DATA/it/${3:-tls-chat}.yaml"; printf 'tls: %s\n' "$2"; } >"$WORK/$1.yaml"
}
start_server --tls --tls-cert-out "$WORK/server.pem"
T="wss://127.0.0.1:$SERVER_PORT"

# default: the self-signed certificate is refused, as a tls error
run_wsgate "$WORK/plain" run "$DATA/it/tls-chat.yaml" --target "$T"
expect_rc 1
R="$WORK/plain/result.json"
# each of the 2 users fails as tls, or (a slow handshake under load) is still
# connecting when the 1 s run ends and counts as abandoned
check "$(jqr "$R" .errors.tls.count) >= 1"
check "$(jqr "$R" .errors.tls.count) + $(jqr "$R" .connections.abandoned) >= 2"
[ "$(ok_of "$R" connect)" -eq 0 ] || fail "connected to an untrusted server"
jqr "$R" '.errors.tls.samples[0]' | grep -qF "connect (chatter): certificate verify failed: self-signed certificate" \
  || fail "tls sample: $(jq -c .errors.tls "$R")"
[ "$(jqr "$R" '.assertions[0].passed | tostring')" = false ] || fail "connect.success_rate held"
[ "$(jqr "$R" .tls_verify)" = true ] || fail "tls_verify"

# tls.ca_file (relative to the spec) trusts it
with_tls ca '{ca_file: server.pem}'
run_wsgate "$WORK/ca" run "$WORK/ca.yaml" --target "$T"
expect_rc 0
[ "$(ok_of "$WORK/ca/result.json" subscribe)" -eq 2 ] || fail "subscribe over wss with ca_file"
[ "$(jqr "$WORK/ca/result.json" .errors.tls.count)" -eq 0 ] || fail "tls errors with ca_file"
if grep -q "verification" "$WORK/ca/summary.md"; then fail "summary warns though verification was on"; fi

# insecure_skip_verify: passes, and says so loudly everywhere
with_tls insecure '{insecure_skip_verify: true}'
run_wsgate "$WORK/insecure" run "$WORK/insecure.yaml" --target "$T"
expect_rc 0
[ "$(ok_of "$WORK/insecure/result.json" subscribe)" -eq 2 ] || fail "subscribe with insecure_skip_verify"
[ "$(jqr "$WORK/insecure/result.json" .tls_verify)" = false ] || fail "tls_verify not false"
grep -qF "TLS certificate verification was OFF" "$WORK/insecure/summary.md" || fail "summary.md"
grep -qF '<property name="tls_verify" value="false' "$WORK/insecure/junit.xml" || fail "junit.xml"
grep -qF "TLS certificate verification was OFF" "$WORK/insecure/report.html" || fail "report.html"
grep -qF "warning: tls.insecure_skip_verify is true" "$WORK/stderr" || fail "stderr warning"

# an https:// login step before the wss:// connect, with ca_file; without
# it the login fails as a tls error and nothing connects
with_tls login '{ca_file: server.pem}' tls-login
run_wsgate "$WORK/login" run "$WORK/login.yaml" --target "$T"
expect_rc 0
[ "$(ok_of "$WORK/login/result.json" login)" -eq 2 ] || fail "https logins"
[ "$(ok_of "$WORK/login/result.json" subscribe)" -eq 2 ] || fail "bearer subscribe after https login"
run_wsgate "$WORK/login-plain" run "$DATA/it/tls-login.yaml" --target "$T"
expect_rc 1
R="$WORK/login-plain/result.json"
jqr "$R" '.errors.tls.samples[0]' | grep -qF "login: certificate verify failed: self-signed certificate" \
  || fail "https login sample: $(jq -c .errors "$R")"
[ "$(ok_of "$R" login)" -eq 0 ] && [ "$(ok_of "$R" connect)" -eq 0 ] || fail "login without CA went through"
stop_server

# client certificates: a CA, a client certificate it signs, and another
# self-signed one it does not
( cd "$WORK"
  quiet() { "$@" >/dev/null 2>&1 || fail "openssl: $*"; }
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  quiet openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 1 -subj /CN=wsgate-test-ca
  quiet openssl req "${ec[@]}" -keyout client.key -out client.csr -subj /CN=wsgate-client
  quiet openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1
  quiet openssl req -x509 "${ec[@]}" -keyout other.key -out other.pem -days 1 -subj /CN=other )
start_server --tls --tls-cert-out "$WORK/server.pem" --tls-client-ca "$WORK/ca.pem"
T="wss://127.0.0.1:$SERVER_PORT"
run_wsgate "$WORK/nocert" run "$WORK/ca.yaml" --target "$T"
expect_rc 1
[ "$(ok_of "$WORK/nocert/result.json" connect)" -eq 0 ] || fail "connected without a client certificate"
check "$(jqr "$WORK/nocert/result.json" '.steps[0].failed') >= 1"
check "$(jqr "$WORK/nocert/result.json" '.steps[0].failed') + $(jqr "$WORK/nocert/result.json" .connections.abandoned) >= 2"
with_tls other '{ca_file: server.pem, client_cert: other.pem, client_key: other.key}'
run_wsgate "$WORK/other" run "$WORK/other.yaml" --target "$T"
expect_rc 1
[ "$(ok_of "$WORK/other/result.json" connect)" -eq 0 ] || fail "connected with a certificate the server's CA did not sign"
with_tls mtls '{ca_file: server.pem, client_cert: client.pem, client_key: client.key}'
run_wsgate "$WORK/mtls" run "$WORK/mtls.yaml" --target "$T"
expect_rc 0
[ "$(ok_of "$WORK/mtls/result.json" subscribe)" -eq 2 ] || fail "subscribe with a client certificate"
stop_server

# the host name is checked too: the certificate names 127.0.0.1, not .2
start_server --host 127.0.0.2 --tls --tls-cert-out "$WORK/server.pem"
grep -q 'listening on wss://127\.0\.0\.2:' "$WORK/serve.out" || fail "serve not on 127.0.0.2: $(cat "$WORK/serve.out")"
run_wsgate "$WORK/mismatch" run "$WORK/ca.yaml" --target "wss://127.0.0.2:$SERVER_PORT"
stop_server
expect_rc 1
jqr "$WORK/mismatch/result.json" '.errors.tls.samples[0]' | grep -qF "certificate verify failed: IP address mismatch" \
  || fail "host name check: $(jq -c .errors "$WORK/mismatch/result.json")"

# bad tls: blocks are spec errors (exit 2) with the line
spec_error() { # NAME TLS-BLOCK EXPECTED-TEXT
  with_tls "$1" "$2"
  run_wsgate "$WORK/out-$1" validate "$WORK/$1.yaml"
  expect_rc 2
  grep -qF -- "$3" "$WORK/stderr" || fail "$1: $(cat "$WORK/stderr")"
}
spec_error missing '{ca_file: nope.pem}' "missing.yaml:18: tls.ca_file: cannot read $WORK/nope.pem: No such file or directory"
spec_error notcert '{ca_file: client.key}' "notcert.yaml:18: tls.ca_file: $WORK/client.key has no PEM certificate"
spec_error mismatch '{client_cert: client.pem, client_key: other.key}' \
  "mismatch.yaml:18: tls.client_key: $WORK/other.key is not the private key of the certificate in $WORK/client.pem"
spec_error halfpair '{client_cert: client.pem}' "halfpair.yaml:18: tls.client_cert and tls.client_key go together"
spec_error both '{ca_file: server.pem, insecure_skip_verify: true}' "both.yaml:18: tls.insecure_skip_verify: true skips the check"
pass "tls: verified by default, ca_file, insecure_skip_verify reported, client certificates, https login, spec errors"
