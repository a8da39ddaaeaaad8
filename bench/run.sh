#!/usr/bin/env bash
# One command: generate PostgreSQL data, then measure khuyencong (release), the raw-SQL floor
# (pgbench) and PostGraphile 5 (installed now from npm into a temporary folder) side by side,
# interleaved, with wrk. Writes bench/RESULTS.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
command -v pgbench >/dev/null || { echo "pgbench is needed (postgresql-client)"; exit 1; }
cargo build --release -q
exec python3 bench/run.py "$@"
