# rabbitmq.sh: sourced by integration tests (after lib.sh) to run Debian's
# RabbitMQ with Web-STOMP on loopback, without systemd, in a private
# directory (docs: /usr/share/doc/rabbitmq-server; verified recipe in the
# team's reference notes). rabbitmq_start sets RMQ_STOMP_PORT (the
# Web-STOMP port, path /ws), starting again on fresh ports (3 tries) when a
# port it picked was taken before the node bound it; rabbitmq_stop (also run
# on exit) stops the node by its PID and epmd when no node is left. Exits 77
# (skip) when the package is not installed.
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_PID=""

free_port() {
  # free on every address: the node checks its dist port with a wildcard listen
  python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0",0)); print(s.getsockname()[1])'
}

rabbitmq_env() {
  export HOME="$RMQ_DIR" RABBITMQ_HOME=/usr/lib/rabbitmq RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RMQ_DIR/log" RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RMQ_NODE_PORT" \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP="$RMQ_DIR/erl_crash.dump" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# rmq_bind_failed: whether the node's logs say a port it was given was
# taken meanwhile (free_port only saw it free; the node binds it seconds
# later).
rmq_bind_failed() { grep -rqiE 'eaddrinuse|address already in use' "$RMQ_DIR" 2>/dev/null; }

# rmq_give_up WHY: stops a node that did not start; returns 1 (try again
# with fresh ports) when it lost a port to another process, else fails.
rmq_give_up() {
  rabbitmq_stop
  rmq_bind_failed && return 1
  fail "$1"
}

# rabbitmq_try N: one start of the node on fresh ports in $WORK/rabbitmq.N;
# 0 once Web-STOMP listens, 1 when a port was taken before the node bound it.
rabbitmq_try() {
  RMQ_DIR="$WORK/rabbitmq.$1"
  mkdir -p "$RMQ_DIR/log" "$RMQ_DIR/mnesia"
  RMQ_NODE_PORT=$(free_port); RMQ_DIST_PORT=$(free_port); RMQ_STOMP_PORT=$(free_port)
  : >"$RMQ_DIR/rabbitmq-env.conf"
  cat >"$RMQ_DIR/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RMQ_NODE_PORT
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $RMQ_STOMP_PORT
web_stomp.ws_path = /ws
loopback_users.guest = true
default_user = guest
default_pass = guest
log.console = false
stomp.listeners.tcp.1 = 127.0.0.1:$(free_port)
CONF
  (rabbitmq_env; "$RMQ_BIN/rabbitmq-plugins" enable --offline rabbitmq_web_stomp >"$RMQ_DIR/plugins.log" 2>&1) ||
    fail "rabbitmq-plugins: $(cat "$RMQ_DIR/plugins.log")"
  # only the server gets the dist port: a CLI tool started with it would
  # take the port the server is about to bind
  (rabbitmq_env; export RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
    exec setsid "$RMQ_BIN/rabbitmq-server" >"$RMQ_DIR/server.out" 2>&1) &
  RMQ_PID=$!
  for _ in $(seq 1 900); do
    [ -s "$RMQ_DIR/rabbitmq.pid" ] && break
    kill -0 "$RMQ_PID" 2>/dev/null || { rmq_give_up "rabbitmq exited: $(tail -3 "$RMQ_DIR/server.out")"; return; }
    sleep 0.1
  done
  (rabbitmq_env; "$RMQ_BIN/rabbitmqctl" wait --timeout 90 "$RMQ_DIR/rabbitmq.pid" >/dev/null 2>&1 &&
    "$RMQ_BIN/rabbitmqctl" await_startup --timeout 90 >/dev/null 2>&1) ||
    { rmq_give_up "rabbitmq did not start: $(tail -3 "$RMQ_DIR/server.out")"; return; }
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$RMQ_STOMP_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  rmq_give_up "Web-STOMP is not listening on $RMQ_STOMP_PORT"
}

# rabbitmq_start: starts the node; a start that lost one of its ports to
# another process (EADDRINUSE in its logs) is stopped and tried again on
# fresh ports, at most 3 times in all.
rabbitmq_start() {
  [ -x "$RMQ_BIN/rabbitmq-server" ] || { echo "SKIP: rabbitmq-server is not installed"; exit 77; }
  local try
  for try in 1 2 3; do
    rabbitmq_try "$try" && return 0
    echo "rabbitmq: start $try of 3 lost a port to another process (eaddrinuse in $RMQ_DIR): trying fresh ports" >&2
  done
  fail "rabbitmq: 3 starts each lost a port to another process (eaddrinuse): $(grep -rhiE -m1 'eaddrinuse|address already in use' "$RMQ_DIR" | head -c 300)"
}

rabbitmq_stop() {
  [ -n "$RMQ_PID" ] || return 0
  (rabbitmq_env; timeout 30 "$RMQ_BIN/rabbitmqctl" shutdown >/dev/null 2>&1) || kill "$RMQ_PID" 2>/dev/null || true
  wait "$RMQ_PID" 2>/dev/null || true
  RMQ_PID=""
  (rabbitmq_env; epmd -names 2>/dev/null | grep -q '^name ' || epmd -kill >/dev/null 2>&1) || true
}

trap 'rabbitmq_stop; cleanup' EXIT
