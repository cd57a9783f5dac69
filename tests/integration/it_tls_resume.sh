# TLS session resumption against `wsgate serve --tls`: each user's
# reconnect offers the session of its previous connection
# (connect.tls_resume, on by default) and result.json counts the
# handshakes and how many resumed; with tls_resume: false none does. The
# session survives both a reconnect step and a close step. The server runs
# 2 threads (one port): a ticket one thread issued resumes on the other.
. "$(dirname "$0")/lib.sh"
start_server --tls --tls-cert-out "$WORK/server.pem" --threads 2
resume_spec() { # NAME CONNECT-EXTRA STEP
  cat >"$WORK/$1.yaml" <<YAML
version: 1
name: $1
target: wss://127.0.0.1:$SERVER_PORT
load: {users: 2, duration: 2s}
tls: {ca_file: server.pem}
scenarios:
  - name: again
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 5s$2}
    tasks:
      - name: cycle
        pause: 200ms
        steps: [$3]
YAML
}
conn() { jqr "$1/result.json" ".connections.$2"; }
ok_of() { jqr "$1/result.json" ".steps[] | select(.name==\"$2\") | .ok"; }

# default: every connect after a user's first resumes
resume_spec default "" "{name: reconnect, reconnect: true}"
run_wsgate "$WORK/default" run "$WORK/default.yaml"
expect_rc 0
R="$WORK/default"
check "$(ok_of "$R" reconnect) >= 2"
check "$(conn "$R" tls_handshakes) == $(ok_of "$R" connect)"
check "$(conn "$R" tls_resumed) > 0"
# the first connect of each of the 2 users is a full handshake; a reconnect
# still in flight when the run ends may be cut, so allow one more each
check "$(conn "$R" tls_resumed) >= $(conn "$R" tls_handshakes) - 4"
check "$(conn "$R" tls_resumed) <= $(conn "$R" tls_handshakes) - 2"
pass "resumed $(conn "$R" tls_resumed) of $(conn "$R" tls_handshakes) handshakes"

# tls_resume: false: every handshake is a full one
resume_spec off ", tls_resume: false" "{name: reconnect, reconnect: true}"
run_wsgate "$WORK/off" run "$WORK/off.yaml"
expect_rc 0
check "$(ok_of "$WORK/off" reconnect) >= 2"
check "$(conn "$WORK/off" tls_handshakes) == $(ok_of "$WORK/off" connect)"
[ "$(conn "$WORK/off" tls_resumed)" -eq 0 ] || fail "resumed with tls_resume: false"

# a close step (the user connects again at once) resumes too
resume_spec closing "" "{sleep: 50ms}, {name: bye, close: {code: 4000}}"
run_wsgate "$WORK/closing" run "$WORK/closing.yaml"
expect_rc 0
check "$(ok_of "$WORK/closing" bye) >= 2"
check "$(conn "$WORK/closing" tls_resumed) > 0"

# ws:// makes no TLS handshake
chat_spec plain "{users: 1, duration: 1s}" >"$WORK/plain.yaml"
stop_server
start_server
sed -i "s/127.0.0.1:[0-9]*/127.0.0.1:$SERVER_PORT/" "$WORK/plain.yaml"
run_wsgate "$WORK/plain" run "$WORK/plain.yaml"
expect_rc 0
[ "$(conn "$WORK/plain" tls_handshakes)" -eq 0 ] || fail "tls handshakes over ws://"
pass "tls_resume"
