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
# Then, on a generated repository of COMMITS commits and TAGS tags
# (scripts/genrepo; 500 unreleased commits), the wall time of the Action's
# version and notes commands: the git part only (no token, so notes fall
# back to commit subjects; with a token, notes also look up each commit's
# pull request through the API, 8 at a time). COMMITS=0 skips it.
#
# Usage: scripts/bench-action.sh          (RUNS=50 COMMITS=100000 TAGS=500)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-50}"
COMMITS="${COMMITS:-100000}"
TAGS="${TAGS:-500}"

work="$(mktemp -d "${TMPDIR:-/tmp}/shipgate-action.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "==> building the static binary as the Dockerfile does" >&2
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/shipgate" ./cmd/shipgate-action
size=$(stat -c %s "$work/shipgate")
printf 'binary: %d bytes (%.1f MiB)\n' "$size" "$(echo "$size / 1048576" | bc -l)"
if command -v file >/dev/null; then file -b "$work/shipgate" | cut -d, -f1-4; fi

echo "==> timing $RUNS cold runs of 'shipgate action' (check)" >&2
go test -run '^$' -bench 'BenchmarkActionCheckColdProcess' -benchtime "${RUNS}x" ./cmd/shipgate >"$work/bench.txt" ||
	{ cat "$work/bench.txt" >&2; exit 1; }
awk '/^Benchmark/ { printf "check: %.1f ms per run (%s runs), %s API calls per run\n", $3/1e6, $2, $5 }' "$work/bench.txt"

[ "$COMMITS" -gt 0 ] || exit 0
echo "==> generating a repository of $COMMITS commits and $TAGS tags" >&2
go run ./scripts/genrepo -out "$work/repo" -commits "$COMMITS" -tags "$TAGS" >&2
for command in version notes; do
	ms=()
	for ((i = 0; i <= RUNS / 5; i++)); do
		start=$(date +%s%N)
		env -i PATH="$PATH" HOME="$work" GITHUB_WORKSPACE="$work/repo" GITHUB_REPOSITORY=acme/big \
			INPUT_COMMAND="$command" INPUT_TOKEN= GITHUB_OUTPUT="$work/output" "$work/shipgate" action >/dev/null
		end=$(date +%s%N)
		[ "$i" -gt 0 ] && ms+=($(((end - start) / 1000000))) # the first run warms the page cache
	done
	median=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "$command on $COMMITS commits: ${median} ms median of ${#ms[@]} runs"
done
