# syntax=docker/dockerfile:1
# Two images from one Dockerfile:
#
# - the default target (the LAST stage, published as
#   ghcr.io/shipgate/shipgate-action, which action.yml runs by tag):
#   Shipgate's GitHub Action, cmd/shipgate-action — `shipgate
#   action` alone, no server, no database drivers — with git, which the
#   version, notes and release commands run (githistory);
# - target `server`: the whole shipgate binary (`shipgate serve`,
#   `shipgate migrate`, the CLI) as a non-root user, for Docker, compose
#   and Kubernetes (deploy/):
#
#     docker build --target server -t shipgate-server .
#     docker run -p 8080:8080 -v shipgate-data:/var/lib/shipgate \
#       -e SHIPGATE_GITHUB_TOKEN -e SHIPGATE_GITHUB_WEBHOOK_SECRET shipgate-server
#
# Both are static Go binaries (CGO_ENABLED=0: modernc.org/sqlite is pure Go)
# on a distroless static base (CA certificates, tzdata, /etc/passwd, no
# shell and no package manager). The Action's image: the base (~2 MB) + git
# and its libraries (~5 MB) + its binary (see scripts/bench-action.sh).
# The tests in deploy/ (go test ./deploy/) check the targets, users and
# entry points.
#
# Where the binaries come from: BINARIES=build (the default) compiles them
# here from the source; BINARIES=context takes the release's own binaries,
# which GoReleaser (.goreleaser.yaml, dockers_v2) puts in the build context
# at $TARGETPLATFORM/<name>, so that an image holds exactly the binaries
# that were checksummed, described by the SBOM and signed.
ARG BINARIES=build

FROM golang:1.26-alpine AS source
WORKDIR /src
COPY . .
# No `go mod download`: each build below fetches only the modules its
# binary links, not the test-only ones (deploy/'s validators).

FROM source AS build-action
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/shipgate-action ./cmd/shipgate-action

FROM source AS build-server
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/shipgate ./cmd/shipgate \
 && mkdir -p /out/data

FROM scratch AS context-action
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/shipgate-action /out/shipgate-action

FROM scratch AS context-server
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/shipgate /out/shipgate
WORKDIR /out/data

FROM ${BINARIES}-action AS binaries-action
FROM ${BINARIES}-server AS binaries-server

# The server: the distroless nonroot user (65532), which owns the data
# directory, the only place it writes (a SQLite database; with PostgreSQL
# nothing is written, and the root filesystem may be read-only). Mount a
# volume there for SQLite; SQLite is for ONE serve process, PostgreSQL for
# several replicas (SHIPGATE_DATABASE_URL=postgres://…).
FROM gcr.io/distroless/static-debian12:nonroot AS server
COPY --from=binaries-server /out/shipgate /usr/local/bin/shipgate
COPY --from=binaries-server --chown=65532:65532 /out/data /var/lib/shipgate
ENV SHIPGATE_DATABASE_URL=/var/lib/shipgate/shipgate.db
USER 65532:65532
WORKDIR /var/lib/shipgate
EXPOSE 8080
# No shell for a health check: `shipgate health` asks /readyz.
ENTRYPOINT ["/usr/local/bin/shipgate"]
CMD ["serve"]

FROM alpine:3.22 AS git
RUN apk add --no-cache git \
 && for f in /usr/bin/git $(ldd /usr/bin/git | grep -o '/[^ ]*'); do \
      mkdir -p "/out$(dirname "$f")" && cp -L "$f" "/out$f"; \
    done

# The GitHub Action: keep it the last stage (the default target, which
# the release publishes as the Action's image).
FROM gcr.io/distroless/static-debian12 AS action
COPY --from=git /out/ /
COPY --from=binaries-action /out/shipgate-action /usr/local/bin/shipgate-action
# The runner mounts the workspace owned by its own user: without this git
# refuses it as "dubious ownership".
ENV GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
# No USER: GitHub runs Docker actions as the image's default user and
# documents that it must be root, or the action cannot write to
# GITHUB_WORKSPACE and the runner's file commands (GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY). This image runs the Action only: `shipgate serve`
# runs from the server target above.
ENTRYPOINT ["/usr/local/bin/shipgate-action"]
