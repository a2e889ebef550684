#!/usr/bin/env bash
# Prepares a release: action.yml must name the image of its own release
# (docker://ghcr.io/shipgate/shipgate-action:vX.Y.Z), and a tag cannot
# change what it points to, so the tag's image is set in a commit before
# the tag is made.
#
#   scripts/release-prepare.sh           # the next version, by `shipgate version next`
#   scripts/release-prepare.sh v1.0.0    # a version of your choice (the first release)
#
# It rewrites action.yml's image tag, checks it with the test the release
# workflow runs (TestReleaseNamesAgree), and commits "chore(release): vX.Y.Z"
# (a chore: it bumps nothing). Then merge that commit into main and push
# the tag on it; .github/workflows/release.yml does the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-}"
if [ -z "$version" ]; then
  # Shipgate's own version command: the commits since the last tag decide.
  version="$(go run ./cmd/shipgate version next --format json | sed -nE 's/.*"next": *"([^"]+)".*/\1/p')"
fi
case "$version" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "release-prepare: $version is not a version tag vX.Y.Z" >&2; exit 2 ;;
esac
if [ -n "$(git status --porcelain action.yml)" ]; then
  echo "release-prepare: action.yml has uncommitted changes: commit or stash them first" >&2
  exit 1
fi

sed -i.bak -E "s|^(  image: docker://ghcr.io/shipgate/shipgate-action:).*$|\1${version}|" action.yml
rm -f action.yml.bak
grep -q "image: docker://ghcr.io/shipgate/shipgate-action:${version}\$" action.yml \
  || { echo "release-prepare: action.yml has no runs.image line to rewrite" >&2; exit 1; }
SHIPGATE_RELEASE_TAG="$version" go test -count=1 -run '^TestReleaseNamesAgree$' ./actions/ >/dev/null \
  || { git checkout -- action.yml; echo "release-prepare: TestReleaseNamesAgree fails for $version (go test -run TestReleaseNamesAgree ./actions/)" >&2; exit 1; }

if git diff --quiet action.yml; then
  echo "action.yml already runs the image of $version"
else
  git commit -q -m "chore(release): $version" -- action.yml
  echo "committed: chore(release): $version ($(git rev-parse --short HEAD))"
fi
echo "next: merge it into main, then: git tag $version <that commit> && git push origin $version"
