#!/usr/bin/env bash
# Compare shipgate's release commands with git-cliff on a large synthetic
# repository (100,000 commits, 500 tags, unreleased commits after the last):
#
#   git-cliff --unreleased --bumped-version   vs   shipgate version next
#   git-cliff --unreleased                    vs   shipgate notes
#   and the GitHub Action's version and notes (shipgate action) in the same run
#
# It builds shipgate, generates the repository with scripts/genrepo (git
# fast-import), installs git-cliff 2.14.2 from npm into a temp dir when it
# is not on PATH, checks that both tools compute the same next version, and
# prints median wall times and CPU times. With hyperfine on PATH it uses it;
# otherwise a bash loop of RUNS runs timed with `date +%s%N`.
#
# Usage: scripts/bench-release.sh            (RUNS=10 COMMITS=100000 TAGS=500)
#        RUNS=5 COMMITS=20000 TAGS=100 scripts/bench-release.sh
#        KEEP=1 scripts/bench-release.sh     (keep the temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-10}"
COMMITS="${COMMITS:-100000}"
TAGS="${TAGS:-500}"
CLIFF_VERSION=2.14.2

work="$(mktemp -d "${TMPDIR:-/tmp}/shipgate-bench.XXXXXX")"
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi; }
trap cleanup EXIT

step() { printf '==> %s\n' "$*" >&2; }

step "building shipgate"
go build -o "$work/shipgate" ./cmd/shipgate
shipgate="$work/shipgate"

step "generating a repository of $COMMITS commits and $TAGS tags"
go run ./scripts/genrepo -out "$work/repo" -commits "$COMMITS" -tags "$TAGS" >&2
repo="$work/repo"

cliff="$(command -v git-cliff || true)"
if [ -z "$cliff" ]; then
  step "installing git-cliff@$CLIFF_VERSION from npm into $work/cliff"
  command -v npm >/dev/null || { echo "npm is needed to install git-cliff (or put git-cliff on PATH)" >&2; exit 1; }
  npm install --silent --no-audit --no-fund --prefix "$work/cliff" "git-cliff@$CLIFF_VERSION" >&2
  # Time the native binary, not the Node wrapper that spawns it.
  native="$(ls "$work"/cliff/node_modules/git-cliff-*/bin/git-cliff 2>/dev/null | head -1 || true)"
  cliff="${native:-$work/cliff/node_modules/.bin/git-cliff}"
fi
step "git-cliff: $("$cliff" --version)"

# git-cliff configured like shipgate's defaults: conventional commits, v-prefixed
# stable tags only, feat → minor, fix/other → patch, breaking → major (also below
# 1.0.0), first version 0.1.0; notes grouped like shipgate's.
cat > "$work/cliff.toml" <<'TOML'
[changelog]
header = ""
body = """
{% if version %}## {{ version }} ({{ timestamp | date(format="%Y-%m-%d") }}){% else %}## Unreleased{% endif %}
{% for group, commits in commits | group_by(attribute="group") %}
### {{ group | striptags | trim }}

{% for commit in commits %}- {% if commit.scope %}**{{ commit.scope }}:** {% endif %}{{ commit.message | split(pat="\n") | first | trim }} ({{ commit.id | truncate(length=7, end="") }}) by {{ commit.author.name }}
{% endfor %}{% endfor %}
"""
trim = true
footer = ""

[git]
conventional_commits = true
filter_unconventional = false
split_commits = false
protect_breaking_commits = true
filter_commits = false
tag_pattern = "^v[0-9]+\\.[0-9]+\\.[0-9]+$"
sort_commits = "newest"
commit_parsers = [
  { message = "^Merge (branch|remote-tracking branch|tag|commit) ", skip = true },
  { field = "breaking", pattern = "true", group = "<!-- 0 -->Breaking changes" },
  { message = "^feat", group = "<!-- 1 -->Features" },
  { message = "^fix", group = "<!-- 2 -->Fixes" },
  { message = "^perf", group = "<!-- 3 -->Performance" },
  { message = ".*", group = "<!-- 4 -->Other" },
]

[bump]
features_always_bump_minor = true
breaking_always_bump_major = true
initial_tag = "v0.1.0"
TOML

cliff_cmd=("$cliff" --config "$work/cliff.toml" --repository "$repo" --tag-pattern '^v[0-9]+\.[0-9]+\.[0-9]+$')
export RUST_LOG=error # git-cliff's INFO lines are noise here

step "checking that both tools agree on the next version"
ours="$("$shipgate" version next --repo "$repo" --format json | sed -E 's/.*"next": "([^"]*)".*/\1/')"
theirs="$("${cliff_cmd[@]}" --unreleased --bumped-version 2>/dev/null | tail -1)"
echo "shipgate version next: $ours; git-cliff --bumped-version: $theirs" >&2
if [ "$ours" != "$theirs" ]; then
  echo "the tools disagree on the next version: shipgate $ours, git-cliff $theirs" >&2
  exit 1
fi
"$shipgate" notes --repo "$repo" > "$work/shipgate-notes.md"
"${cliff_cmd[@]}" --unreleased > "$work/cliff-notes.md" 2>/dev/null
echo "notes entries: shipgate $(grep -c '^- ' "$work/shipgate-notes.md"), git-cliff $(grep -c '^- ' "$work/cliff-notes.md")" >&2

# loop_ms CMD...: runs CMD RUNS times (after one warm-up) and prints the
# median, min and max wall time and the median CPU time (user+sys of the
# command and its children, e.g. git), in milliseconds. CPU time is the
# steadier figure on a busy machine.
loop_ms() {
  "$@" >/dev/null 2>&1
  local walls=() cpus=() i start end cpu TIMEFORMAT='%U %S'
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    cpu=$({ time "$@" >/dev/null 2>&1; } 2>&1)
    end=$(date +%s%N)
    walls+=($(((end - start) / 1000)))
    cpus+=("$(awk '{ printf "%d", ($1 + $2) * 1e6 }' <<<"$cpu")")
  done
  local wall cpu_med
  wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f", m / 1000, a[1] / 1000, a[NR] / 1000 }')
  cpu_med=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.1f", m / 1000 }')
  echo "$wall $cpu_med"
}

# hyperfine_ms CMD...: the same figures from hyperfine's JSON export.
hyperfine_ms() {
  local json="$work/hf.json" cmd
  printf -v cmd '%q ' "$@"
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$json" "$cmd" >/dev/null 2>&1
  python3 -c 'import json,sys,statistics as s; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f %.1f %.1f %.1f" % (r["median"]*1e3, r["min"]*1e3, r["max"]*1e3, (s.median(r["user"]) if isinstance(r.get("user"), list) else r["user"])*1e3 + (s.median(r["system"]) if isinstance(r.get("system"), list) else r["system"])*1e3))' "$json"
}

measure() { if command -v hyperfine >/dev/null; then hyperfine_ms "$@"; else loop_ms "$@"; fi; }
timer="bash loop with date +%s%N"
command -v hyperfine >/dev/null && timer="hyperfine"

step "timing $RUNS runs each ($timer)"
read -r nv_s nv_s_min nv_s_max nv_s_cpu < <(measure "$shipgate" version next --repo "$repo")
read -r nv_c nv_c_min nv_c_max nv_c_cpu < <(measure "${cliff_cmd[@]}" --unreleased --bumped-version)
read -r nt_s nt_s_min nt_s_max nt_s_cpu < <(measure "$shipgate" notes --repo "$repo")
read -r nt_c nt_c_min nt_c_max nt_c_cpu < <(measure "${cliff_cmd[@]}" --unreleased)
# The GitHub Action's version and notes commands, as the runner starts them
# (same code as the CLI, through `shipgate action`; no token: git only).
action_env=(env -i PATH="$PATH" HOME="$work" GITHUB_WORKSPACE="$repo" GITHUB_REPOSITORY=acme/big
  INPUT_TOKEN= GITHUB_OUTPUT="$work/action-output" GITHUB_STEP_SUMMARY="$work/action-summary")
read -r av_s av_s_min av_s_max av_s_cpu < <(measure "${action_env[@]}" INPUT_COMMAND=version "$shipgate" action)
read -r an_s an_s_min an_s_max an_s_cpu < <(measure "${action_env[@]}" INPUT_COMMAND=notes "$shipgate" action)

echo
echo "Repository: $COMMITS commits, $TAGS tags; next version $ours (both tools); $RUNS runs, $timer"
echo
printf '| %-40s | %10s | %8s | %8s | %10s |\n' "command" "median ms" "min ms" "max ms" "CPU ms"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------------" "------------" "----------" "----------" "------------"
row() { printf '| %-40s | %10s | %8s | %8s | %10s |\n' "$@"; }
row "shipgate version next" "$nv_s" "$nv_s_min" "$nv_s_max" "$nv_s_cpu"
row "git-cliff --unreleased --bumped-version" "$nv_c" "$nv_c_min" "$nv_c_max" "$nv_c_cpu"
row "shipgate notes" "$nt_s" "$nt_s_min" "$nt_s_max" "$nt_s_cpu"
row "git-cliff --unreleased" "$nt_c" "$nt_c_min" "$nt_c_max" "$nt_c_cpu"
row "shipgate action (command: version)" "$av_s" "$av_s_min" "$av_s_max" "$av_s_cpu"
row "shipgate action (command: notes)" "$an_s" "$an_s_min" "$an_s_max" "$an_s_cpu"
echo
awk -v a="$nv_c" -v b="$nv_s" -v c="$nt_c" -v d="$nt_s" -v e="$nv_c_cpu" -v f="$nv_s_cpu" -v g="$nt_c_cpu" -v h="$nt_s_cpu" 'BEGIN {
  printf "version next: git-cliff / shipgate = %.1fx wall (median), %.1fx CPU\n", a / b, e / f
  printf "notes:        git-cliff / shipgate = %.1fx wall (median), %.1fx CPU\n", c / d, g / h }'
