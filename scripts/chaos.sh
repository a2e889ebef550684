#!/usr/bin/env bash
# The chaos test, long form (README, "Running several replicas"): three
# `shipgate serve` replicas on a PostgreSQL of the test's own, loadgen
# sending a scripted mix through them for DURATION (default 2m), one random
# replica SIGKILLed and restarted every 10 seconds, PostgreSQL crashed and
# restarted once. CI runs the short form (SHIPGATE_CHAOS=30s).
# Needs the PostgreSQL server binaries (Debian's postgresql package).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-2m}
SHIPGATE_CHAOS="$DURATION" go test -count=1 -timeout 20m -run '^TestChaosReplicasOnPostgreSQL$' -v ./cmd/shipgate \
  | grep -vE '^(=== RUN)' | grep -v '"level"'
