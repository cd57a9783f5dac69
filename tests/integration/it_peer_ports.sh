# The third-party peers survive a port taken between free_port and their
# bind (RabbitMQ binds its ports seconds after they are picked; EADDRINUSE
# was seen under load). free_port hands a port that another process holds
# to the first start of Prometheus (peers/prometheus.sh): it fails on it, is
# stopped, and the second start, on a fresh port, is ready. With
# WSGATE_IT_RABBITMQ_RETRY=1 the same for RabbitMQ (peers/rabbitmq.sh, its
# AMQP port; Web-STOMP listening after the second start): off by default,
# a failed boot and a second one took 6 min on a loaded 2-core machine,
# beyond CTest's 180 s. 77 when no part can run.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers/prometheus.sh"
. "$(dirname "$0")/peers/rabbitmq.sh"
HOLD_PID=""
stop_all() {
  for pid in $PROM_PID $HOLD_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rabbitmq_stop
  cleanup
}
trap stop_all EXIT

have_prom=0 have_rmq=0
command -v prometheus >/dev/null && have_prom=1
[ -x "$RMQ_BIN/rabbitmq-server" ] && [ "${WSGATE_IT_RABBITMQ_RETRY:-}" = 1 ] && have_rmq=1
[ $((have_prom + have_rmq)) -gt 0 ] || { echo "SKIP: no prometheus (and the RabbitMQ part is off)"; exit 77; }

# a port another process listens on (every address) for the whole test
hold_s=30; [ "$have_rmq" = 0 ] || hold_s=400
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(int(sys.argv[1]))' "$hold_s" >"$WORK/held" &
HOLD_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/held" ] && break; sleep 0.1; done
HELD=$(cat "$WORK/held")
[ -n "$HELD" ] || fail "no held port"

# free_port: the held port on its first call after hand_held, then free
# ones (a file remembers the call: free_port runs in $(...))
hand_held() { rm -f "$WORK/handed"; }
free_port() {
  if [ ! -e "$WORK/handed" ]; then
    : >"$WORK/handed"
    echo "$HELD"
  else
    python3 -c 'import socket; s = socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])'
  fi
}

if [ "$have_prom" = 1 ]; then
  hand_held
  prometheus_start 127.0.0.1:9
  grep -qi 'address already in use' "$WORK/prom.1.log" || fail "the first start did not meet the held port: $(tail -3 "$WORK/prom.1.log")"
  [ "$PROM_LOG" = "$WORK/prom.2.log" ] || fail "Prometheus started from $PROM_LOG, expected its second start"
  [ "${PROM_API##*:}" != "$HELD" ] || fail "Prometheus on the held port"
  curl -sf "$PROM_API/-/ready" >/dev/null || fail "Prometheus at $PROM_API is not ready"
  pass "prometheus: port $HELD taken, started again on ${PROM_API##*:}"
  kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""
else
  echo "skip part: no prometheus binary"
fi

if [ "$have_rmq" = 1 ]; then
  hand_held
  rabbitmq_start
  grep -rqi eaddrinuse "$WORK/rabbitmq.1" || fail "the first RabbitMQ start did not meet the held port"
  [ "$RMQ_DIR" = "$WORK/rabbitmq.2" ] || fail "RabbitMQ started from $RMQ_DIR, expected its second start"
  [ "$RMQ_NODE_PORT" != "$HELD" ] || fail "RabbitMQ on the held port"
  (exec 3<>"/dev/tcp/127.0.0.1/$RMQ_STOMP_PORT") 2>/dev/null || fail "Web-STOMP not listening on $RMQ_STOMP_PORT"
  pass "rabbitmq: port $HELD taken, started again (AMQP $RMQ_NODE_PORT, Web-STOMP $RMQ_STOMP_PORT)"
else
  echo "skip part: RabbitMQ (WSGATE_IT_RABBITMQ_RETRY=1 with rabbitmq-server installed)"
fi
