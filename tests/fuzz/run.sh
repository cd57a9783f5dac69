#!/usr/bin/env bash
# run.sh TARGET WORKDIR SECONDS SEED_DIR... : copies the seeds into WORKDIR
# (a corpus the run may grow, outside the source tree) and fuzzes TARGET on
# it for SECONDS. Exit status: libFuzzer's (0 clean, non-zero on a crash,
# leak or timeout; the input is saved next to WORKDIR as crash-*).
set -euo pipefail
target=$1 work=$2 seconds=$3; shift 3
mkdir -p "$work"
for seeds in "$@"; do
  [ -d "$seeds" ] || continue
  find "$seeds" -maxdepth 1 -type f -exec cp -n -t "$work" {} +
done
cd "$(dirname "$work")"
# -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GiB;
# -max_len: 1 MiB, large enough for the long-predicate and deep-spec cases.
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=1048576 -print_final_stats=1 "$work"
