#!/usr/bin/env bash
# Load figures side by side (README, Performance): SQLite with one process,
# PostgreSQL with one replica, and PostgreSQL with three replicas on one
# database (the load spread round-robin over them), each at a fixed rate
# and then as fast as CONCURRENCY connections allow. Every run gets a fresh
# database: a SQLite file, or a PostgreSQL database created on PG_URL's
# server and dropped afterwards. Prints each run's report, then one table.
#
#   RATE=1000 DURATION=60s N=30000 scripts/load-compare.sh
#   CONFIGS="sqlite pg3" scripts/load-compare.sh     # a subset
#   QUOTA=1000000 scripts/load-compare.sh            # the fake GitHub's calls an hour
#   LATENCY=50ms scripts/load-compare.sh             # the fake GitHub's time to answer (default none)
#
# The fake GitHub holds the servers to GitHub's 5,000 API calls an hour by
# default: at 1,000 deliveries/s the workers use that up within seconds and
# then wait for the reset, so "jobs left" grows and the acks are measured
# with the workers mostly waiting; a large QUOTA keeps them busy throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-1000}
DURATION=${DURATION:-60s}
N=${N:-30000}
CONCURRENCY=${CONCURRENCY:-64}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
CONFIGS=${CONFIGS:-sqlite pg1 pg3}
QUOTA=${QUOTA:-5000}
LATENCY=${LATENCY:-0s}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=$tmp/rows log=$tmp/log bin=$tmp/shipgate.test
: >"$rows"
# The test binary is built once; each run builds and starts its servers.
go test -c -o "$bin" ./cmd/shipgate

measure() { # measure CONFIG LOADGEN_ARGS
  local db="" replicas=1
  case $1 in
    sqlite) ;;
    pg1) db=$PG_URL ;;
    pg3) db=$PG_URL replicas=3 ;;
    *) echo "unknown configuration $1: want sqlite, pg1 or pg3" >&2; exit 2 ;;
  esac
  echo "== $1: $2"
  # The test reads ../loadgen: run it from its package directory.
  (cd cmd/shipgate && SHIPGATE_LOAD=1 SHIPGATE_LOAD_ARGS="$2" SHIPGATE_LOAD_DATABASE_URL="$db" \
    SHIPGATE_LOAD_REPLICAS=$replicas SHIPGATE_LOAD_GITHUB_QUOTA=$QUOTA SHIPGATE_LOAD_GITHUB_LATENCY=$LATENCY "$bin" -test.count=1 -test.timeout=15m -test.run '^TestLoadServe$') |
    grep -vE '^(=== RUN|--- PASS|PASS|ok)' | tee "$log"
  grep '^| ' "$log" >>"$rows"
}

for c in $CONFIGS; do
  measure "$c" "-rate $RATE -duration $DURATION"
  measure "$c" "-rate 0 -n $N -concurrency $CONCURRENCY"
done
echo
echo "| configuration | run | deliveries/s | ack p50 | p90 | p99 | max | peak RSS per process | jobs processed / left |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
cat "$rows"
