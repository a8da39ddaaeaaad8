#!/usr/bin/env bash
# Soak test (not run by CI: it takes 10 minutes): a mixed load at saturation on PostgreSQL
# against the release binary, memory sampled, acknowledged writes checked in the database.
#
#   bash bench/soak.sh
#
# Variables: ADMIN_URL (a PostgreSQL URL whose user may create databases; default
# postgres://postgres@127.0.0.1:5432/postgres), DURATION (s, 600), WORKERS (64), POOL (10),
# SAMPLE (s between memory samples, 5), PORT (18089). Needs python3 and psql.
# The load generator runs under `nice` so the server gets the CPU it can take on a shared
# machine; it still competes with the server for the same cores: read the figures so.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v psql >/dev/null || { echo "psql is needed (postgresql-client)"; exit 1; }
cargo build --release -q --bin khuyencong
# As in the Dockerfile: a fixed malloc mmap threshold, so argon2's 19 MiB blocks are returned
# to the system (GLIBC_TUNABLES= bash bench/soak.sh measures without it).
export GLIBC_TUNABLES="${GLIBC_TUNABLES-glibc.malloc.mmap_threshold=1048576}"
echo "GLIBC_TUNABLES=${GLIBC_TUNABLES:-<unset>}"
exec nice -n 10 python3 bench/soak.py "$@"
