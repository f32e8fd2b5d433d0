#!/usr/bin/env bash
# The scale benchmark (BENCHMARKS.md): PostgreSQL with 1,000,000 generated
# tickets, and the peers. Needs PostgreSQL on SUPPORT_METRICS_BENCH_PG
# (default postgres://postgres@127.0.0.1:5432) and python3 with venv.
# Takes about 10 minutes, most of it generating the data the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PEERS_PYTHON="${BENCH_PEERS_PYTHON:-$(bash bench/peers/setup.sh)}"
cargo bench --bench scale 2>&1 | tee target/bench-scale.txt
