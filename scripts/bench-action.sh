#!/usr/bin/env bash
# Measure the GitHub Action: the wall time of `shipgate action` (command
# check) as a cold process against a fake GitHub on loopback, and the size
# of the static binary the Dockerfile builds.
#
# The timing is BenchmarkActionCheckColdProcess (cmd/shipgate): it builds
# the binary as the Dockerfile does, serves a pull request under the
# example policy (reviews, files, commits, checks, teams, CODEOWNERS) from
# internal/fakegithub, and starts `shipgate action` RUNS times. ns/op is
# the wall time of one run; api-calls/op the requests it made.
#
# No Docker engine is needed: the image is the distroless static base
# (gcr.io/distroless/static-debian12, ~2 MB) + git with its libraries from
# Alpine (~5 MB) + this binary.
#
# Usage: scripts/bench-action.sh          (RUNS=50)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-50}"

work="$(mktemp -d "${TMPDIR:-/tmp}/shipgate-action.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "==> building the static binary as the Dockerfile does" >&2
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/shipgate" ./cmd/shipgate
size=$(stat -c %s "$work/shipgate")
printf 'binary: %d bytes (%.1f MiB)\n' "$size" "$(echo "$size / 1048576" | bc -l)"
if command -v file >/dev/null; then file -b "$work/shipgate" | cut -d, -f1-4; fi

echo "==> timing $RUNS cold runs of 'shipgate action' (check)" >&2
go test -run '^$' -bench 'BenchmarkActionCheckColdProcess' -benchtime "${RUNS}x" ./cmd/shipgate >"$work/bench.txt" ||
	{ cat "$work/bench.txt" >&2; exit 1; }
awk '/^Benchmark/ { printf "check: %.1f ms per run (%s runs), %s API calls per run\n", $3/1e6, $2, $5 }' "$work/bench.txt"
