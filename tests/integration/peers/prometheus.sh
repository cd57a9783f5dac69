# prometheus.sh: sourced by integration tests (after lib.sh) to run Debian's
# Prometheus on a free loopback port, scraping the given endpoints every
# second into a private directory. prometheus_start HOST:PORT... sets
# PROM_PID and PROM_API (http://127.0.0.1:PORT) once the server is ready;
# the test stops it by PROM_PID in its own EXIT trap. Exits 77 (skip) when
# the binary is not installed.
PROM_PID=""
PROM_API=""

prometheus_start() {
  command -v prometheus >/dev/null || { echo "skip: no prometheus binary (apt-get install prometheus)"; exit 77; }
  local port targets="" t
  port=$(free_port)
  for t in "$@"; do
    [ "${t##*:}" != "$port" ] || port=$(free_port)
    targets="$targets${targets:+, }'$t'"
  done
  printf '%s\n' 'global: {scrape_interval: 1s, scrape_timeout: 1s}' 'scrape_configs:' \
    '  - job_name: wsgate' '    static_configs:' "      - targets: [$targets]" >"$WORK/prometheus.yml"
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$port" >"$WORK/prom.log" 2>&1 &
  PROM_PID=$!
  PROM_API="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -sf "$PROM_API/-/ready" >/dev/null 2>&1 && return 0
    kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited: $(tail -5 "$WORK/prom.log")"
    sleep 0.2
  done
  fail "prometheus not ready: $(tail -5 "$WORK/prom.log")"
}
