# rabbitmq.sh: sourced by integration tests (after lib.sh) to run Debian's
# RabbitMQ with Web-STOMP on loopback, without systemd, in a private
# directory (docs: /usr/share/doc/rabbitmq-server; verified recipe in the
# team's reference notes). rabbitmq_start sets RMQ_STOMP_PORT (the
# Web-STOMP port, path /ws); rabbitmq_stop (also run on exit) stops the
# node by its PID and epmd when no node is left. Exits 77 (skip) when the
# package is not installed.
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

rabbitmq_start() {
  [ -x "$RMQ_BIN/rabbitmq-server" ] || { echo "SKIP: rabbitmq-server is not installed"; exit 77; }
  RMQ_DIR="$WORK/rabbitmq"
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
    kill -0 "$RMQ_PID" 2>/dev/null || fail "rabbitmq exited: $(tail -3 "$RMQ_DIR/server.out")"
    sleep 0.1
  done
  (rabbitmq_env; "$RMQ_BIN/rabbitmqctl" wait --timeout 90 "$RMQ_DIR/rabbitmq.pid" >/dev/null 2>&1 &&
    "$RMQ_BIN/rabbitmqctl" await_startup --timeout 90 >/dev/null 2>&1) ||
    fail "rabbitmq did not start: $(tail -3 "$RMQ_DIR/server.out")"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$RMQ_STOMP_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "Web-STOMP is not listening on $RMQ_STOMP_PORT"
}

rabbitmq_stop() {
  [ -n "$RMQ_PID" ] || return 0
  (rabbitmq_env; timeout 30 "$RMQ_BIN/rabbitmqctl" shutdown >/dev/null 2>&1) || kill "$RMQ_PID" 2>/dev/null || true
  wait "$RMQ_PID" 2>/dev/null || true
  RMQ_PID=""
  (rabbitmq_env; epmd -names 2>/dev/null | grep -q '^name ' || epmd -kill >/dev/null 2>&1) || true
}

trap 'rabbitmq_stop; cleanup' EXIT
