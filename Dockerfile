# syntax=docker/dockerfile:1
# The image of Shipgate's GitHub Action (action.yml: runs.image), whose
# entry point is `shipgate action`.
#
# Three stages: the static Go binary; git, which the version, notes and
# release commands run (githistory), with only the libraries it links; and
# a distroless static base (CA certificates, tzdata, /etc/passwd, no shell
# and no package manager). Expected size: the base (~2 MB) + git and its
# libraries (~5 MB) + the binary (see scripts/bench-action.sh).

FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -tags shipgate_action: the Action's slim build (only `shipgate action`; no
# database drivers or server), about half the size of the full binary.
RUN CGO_ENABLED=0 go build -tags shipgate_action -trimpath -ldflags='-s -w' -o /out/shipgate ./cmd/shipgate

FROM alpine:3.22 AS git
RUN apk add --no-cache git \
 && for f in /usr/bin/git $(ldd /usr/bin/git | grep -o '/[^ ]*'); do \
      mkdir -p "/out$(dirname "$f")" && cp -L "$f" "/out$f"; \
    done

FROM gcr.io/distroless/static-debian12
COPY --from=git /out/ /
COPY --from=build /out/shipgate /usr/local/bin/shipgate
# The runner mounts the workspace owned by its own user: without this git
# refuses it as "dubious ownership".
ENV GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
# No USER: GitHub runs Docker actions as the image's default user and
# documents that it must be root, or the action cannot write to
# GITHUB_WORKSPACE and the runner's file commands (GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY). For `shipgate serve`, run the image with
# --user 65532:65532 (distroless's nonroot) and --entrypoint.
ENTRYPOINT ["/usr/local/bin/shipgate", "action"]
