# --source-addrs spreads the users' connections over local addresses (user
# k from the k-th), and an address this machine does not have is refused
# before the run (exit 2).
. "$(dirname "$0")/lib.sh"
# established connections to the server made by process $1 (other runs on
# the machine may own sockets whose peer port happens to equal ours)
conns() { ss -Htnp state established "( dport = :$SERVER_PORT )" | grep "pid=$1," || true; }
start_server
cat >"$WORK/spec.yaml" <<YAML
version: 1
name: sources
target: ws://127.0.0.1:$SERVER_PORT
load: {users: 8, duration: 3s}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws/chat?token=t"}
YAML
"$WSGATE" run "$WORK/spec.yaml" --source-addrs 127.0.0.2-127.0.0.5 --quiet --out "$WORK/out" &
pid=$!
for _ in $(seq 1 40); do
  n=$(conns "$pid" | wc -l)
  [ "$n" -ge 8 ] && break
  sleep 0.1
done
conns "$pid" | awk '{print $3}' | cut -d: -f1 | sort | uniq -c >"$WORK/src"
wait "$pid" || fail "run failed"
[ "$(wc -l <"$WORK/src")" = 4 ] || fail "connections not spread over 4 addresses: $(cat "$WORK/src")"
awk '$1 != 2 { exit 1 }' "$WORK/src" || fail "not 2 users per address: $(cat "$WORK/src")"
[ "$(jqr "$WORK/out/result.json" '.steps[0].ok')" = 8 ] || fail "connects"
# a shard spreads its own users over every address too (user ids step by N)
"$WSGATE" run "$WORK/spec.yaml" --shard 2/2 --source-addrs 127.0.0.6-127.0.0.9 --quiet --out "$WORK/sh" &
pid=$!
for _ in $(seq 1 40); do
  n=$(conns "$pid" | wc -l)
  [ "$n" -ge 4 ] && break
  sleep 0.1
done
used=$(conns "$pid" | awk '{print $3}' | cut -d: -f1 | sort -u | tr '\n' ' ')
wait "$pid" || fail "sharded run failed"
[ "$used" = "127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9 " ] || fail "shard 2/2 used only: $used"
run_wsgate "$WORK/bad" run "$WORK/spec.yaml" --source-addrs 192.0.2.7 --quiet
expect_rc 2
grep -q 'cannot use source address 192.0.2.7' "$WORK/stderr" || fail "message: $(cat "$WORK/stderr")"
pass "8 users over 4 source addresses: $(tr -s ' \n' ' ' <"$WORK/src")"
