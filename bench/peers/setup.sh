#!/usr/bin/env bash
# A Python with the peers of the scale benchmark: polars and query-exporter
# (and the PostgreSQL driver it needs), in target/bench-venv. Prints its path.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/bench-venv
if [ ! -x "$venv/bin/query-exporter" ] || ! "$venv/bin/python" -c 'import polars' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet polars query-exporter psycopg2-binary >&2
fi
echo "$PWD/$venv/bin/python"
