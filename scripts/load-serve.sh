#!/usr/bin/env bash
# Measures `shipgate serve` with SQLite under webhook load (README, Performance):
#   1. ack latency at a fixed rate (default 1,000/s for 60 s),
#   2. the highest sustained rate (as fast as 64 connections allow),
# with the server's resident memory. Everything runs on loopback: the fake
# GitHub answers the work the deliveries cause. scripts/load-compare.sh
# runs the same on PostgreSQL with one and three replicas. LATENCY=50ms
# makes the fake GitHub take that long to answer each call, as GitHub does
# (default: at once, which leaves the workers no wait).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-1000}
DURATION=${DURATION:-60s}
MAX_N=${MAX_N:-${N:-30000}}
export SHIPGATE_LOAD_GITHUB_LATENCY=${LATENCY:-0s}
echo "== fixed rate: $RATE/s for $DURATION"
SHIPGATE_LOAD=1 SHIPGATE_LOAD_ARGS="-rate $RATE -duration $DURATION" \
  go test -count=1 -timeout 10m ./cmd/shipgate -run '^TestLoadServe$' -v | grep -vE '^(=== RUN|--- PASS|PASS|ok)'
echo "== sustained: $MAX_N deliveries as fast as possible"
SHIPGATE_LOAD=1 SHIPGATE_LOAD_ARGS="-rate 0 -n $MAX_N -concurrency 64" \
  go test -count=1 -timeout 10m ./cmd/shipgate -run '^TestLoadServe$' -v | grep -vE '^(=== RUN|--- PASS|PASS|ok)'
