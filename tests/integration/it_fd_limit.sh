# The open-file limit: wsgate raises its soft limit to the hard one by
# itself, and when the users still do not fit it says so before starting
# (exit 3, one line naming the numbers and what to do), not midway. wsgate
# serve sets its own to --max-connections (default 65,536) + 1,024 within
# the hard limit, lowering one far above it.
. "$(dirname "$0")/lib.sh"
start_server
spec() {
  cat <<YAML
version: 1
name: fd-limit
target: ws://127.0.0.1:$SERVER_PORT
load: {users: $1, ramp_up: 1s, duration: 2s}
scenarios:
  - name: idle
    connect: {url: "{{target}}/ws/chat?token=t{{vu.id}}", timeout: 5s}
YAML
}
spec 500 >"$WORK/too-many.yaml"
spec 150 >"$WORK/fits.yaml"
set +e
# hard limit 300: 500 users cannot fit
(ulimit -Sn 300 && ulimit -Hn 300 && "$WSGATE" run "$WORK/too-many.yaml" --out "$WORK/too" >"$WORK/stdout" 2>"$WORK/stderr")
RC=$?
set -e
expect_rc 3
grep -qE '500 users need about 564 open files but the limit is 300; raise it \(ulimit -n\) or run fewer users per process \(--shard\)' \
  "$WORK/stderr" || fail "message: $(cat "$WORK/stderr")"
[ ! -e "$WORK/too/result.json" ] || fail "a result was written for a run that never started"
# soft limit 100 (below the 214 needed), hard 300: raised, and all 150 connect
set +e
(ulimit -Sn 100 && ulimit -Hn 300 && "$WSGATE" run "$WORK/fits.yaml" --out "$WORK/fits" >"$WORK/stdout" 2>"$WORK/stderr")
RC=$?
set -e
expect_rc 0
[ "$(jqr "$WORK/fits/result.json" '.steps[] | select(.name=="connect") | .ok')" -eq 150 ] || fail "not all 150 connected"
# a soft limit far above what 150 users need is lowered to what they can use
# (engine.c fd_room): 150 + 150/4 + 1024 = 1211 for WebSockets alone, their
# ends counted twice with the embedded server in the process (--serve):
# 2 x 150 + 37 + 1024 = 1361. libwebsockets scans a table as long as the
# soft limit on every connect and close.
soft_during() { # EXPECTED SPEC-FILE OUT [RUN-OPTION...]: the run's soft limit
  local want=$1 file=$2 out=$3
  shift 3
  (ulimit -Sn "$hard" && exec "$WSGATE" run "$file" --out "$out" "$@" >"$WORK/stdout" 2>"$WORK/stderr") &
  local p=$!
  sleep 1.5
  soft=$(awk '/^Max open files/ { print $4 }' "/proc/$p/limits")
  wait "$p" || fail "the run failed: $(cat "$WORK/stderr")"
  [ "$soft" = "$want" ] || fail "soft limit $soft during the run, expected $want (hard $hard)"
}
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 1624 ]; then
  spec 150 | sed 's/duration: 2s/duration: 3s/' >"$WORK/lowered.yaml"
  soft_during 1211 "$WORK/lowered.yaml" "$WORK/lowered"
  soft_during 1361 "$WORK/lowered.yaml" "$WORK/lowered-serve" --serve
fi
stop_server

# serve_soft WANT HARD SOFT: the soft limit of a wsgate serve started under
# those limits with --max-connections WANT (the default when WANT is -);
# "?" when this shell may not set them
serve_soft() {
  local want=$1 P
  local args=(serve --port 0)
  [ "$want" = - ] || args+=(--max-connections "$want")
  rm -f "$WORK/serve-limit.out"
  # soft first when lowering (a hard limit below the soft one is refused)
  (ulimit -Sn "$3" 2>/dev/null; ulimit -Hn "$2" 2>/dev/null && ulimit -Sn "$3" && exec "$WSGATE" "${args[@]}" >"$WORK/serve-limit.out" 2>&1) &
  P=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/serve-limit.out" 2>/dev/null && break; sleep 0.05; done
  if grep -q listening "$WORK/serve-limit.out" 2>/dev/null; then
    awk '/^Max open files/ { print $4 }' "/proc/$P/limits"
  else
    echo "?"
  fi
  kill "$P" 2>/dev/null || true
  wait "$P" 2>/dev/null || true
}
if [ "$hard" = unlimited ] || [ "$hard" -gt 3024 ]; then
  s1=$(serve_soft 2000 "$hard" "$hard")
  [ "$s1" = 3024 ] || fail "serve --max-connections 2000: soft limit $s1, expected 3024 (hard $hard)"
fi
s2=$(serve_soft 100000 1500 1024)
[ "$s2" = 1500 ] || fail "serve under a hard limit of 1500: soft limit $s2, expected 1500"
# the default under a high hard limit (when this shell may raise it): 66,560
s3=$(serve_soft - 200000 200000)
if [ "$s3" != "?" ]; then
  [ "$s3" = 66560 ] || fail "serve by default under a hard limit of 200000: soft limit $s3, expected 66560"
fi
pass "fd limit: refused 500 users at 300 files before starting; raised 100 -> 300 for 150 users; lowered ${hard} -> ${soft:-?} for 150; serve ${s1:-?} for 2,000 connections, ${s2} under hard 1500, default ${s3}"
