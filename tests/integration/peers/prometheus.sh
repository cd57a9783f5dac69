# prometheus.sh: sourced by integration tests (after lib.sh) to run Debian's
# Prometheus on a free loopback port, scraping the given endpoints every
# second into a private directory. prometheus_start HOST:PORT... sets
# PROM_PID and PROM_API (http://127.0.0.1:PORT) once the server is ready;
# the test stops it by PROM_PID in its own EXIT trap. A start whose port was
# taken before Prometheus bound it is tried again on a fresh port (3 tries).
# Exits 77 (skip) when the binary is not installed.
PROM_PID=""
PROM_API=""
PROM_LOG=/dev/null

# prometheus_try N TARGETS: one start on a fresh port (log in
# $WORK/prom.N.log); 0 once ready, 1 when the port was taken before
# Prometheus bound it.
prometheus_try() {
  local try=$1 targets=$2 port
  port=$(free_port)
  while [[ "$targets" == *":$port'"* ]]; do port=$(free_port); done
  PROM_LOG="$WORK/prom.$try.log"
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb.$try" \
    --web.listen-address="127.0.0.1:$port" >"$PROM_LOG" 2>&1 &
  PROM_PID=$!
  PROM_API="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -sf "$PROM_API/-/ready" >/dev/null 2>&1 && return 0
    if ! kill -0 "$PROM_PID" 2>/dev/null; then
      wait "$PROM_PID" 2>/dev/null || true
      PROM_PID=""
      grep -qi 'address already in use' "$PROM_LOG" && return 1
      fail "prometheus exited: $(tail -5 "$PROM_LOG")"
    fi
    sleep 0.2
  done
  fail "prometheus not ready: $(tail -5 "$PROM_LOG")"
}

# prometheus_start HOST:PORT...: scrapes those every second; a start whose
# port was taken meanwhile is tried again on a fresh one, 3 times in all.
prometheus_start() {
  command -v prometheus >/dev/null || { echo "skip: no prometheus binary (apt-get install prometheus)"; exit 77; }
  local targets="" t try
  for t in "$@"; do targets="$targets${targets:+, }'$t'"; done
  printf '%s\n' 'global: {scrape_interval: 1s, scrape_timeout: 1s}' 'scrape_configs:' \
    '  - job_name: wsgate' '    static_configs:' "      - targets: [$targets]" >"$WORK/prometheus.yml"
  for try in 1 2 3; do
    prometheus_try "$try" "$targets" && return 0
    echo "prometheus: start $try of 3 lost its port to another process (address already in use): trying a fresh port" >&2
  done
  fail "prometheus: 3 starts each lost their port to another process: $(grep -i -m1 'address already in use' "$PROM_LOG")"
}
