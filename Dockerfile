# syntax=docker/dockerfile:1
# render-check container image. Build context: the repository root.
#
#   docker build --target image --build-arg VERSION=v1.2.3 -t render-check .
#
# Targets:
#   image   the published image: static binary on Alpine (CA certificates, git,
#           a shell for GitLab CI's `entrypoint: [""]`), runs as a non-root user.
#   action  the GitHub Action's image (the default, last stage): the same image
#           as root, because GitHub runs container actions as the default Docker
#           user and root is what can write the workspace and $GITHUB_OUTPUT.

ARG GO_VERSION=1.26.8
ARG ALPINE_VERSION=3.22

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/render-check ./cmd/render-check \
 && /out/render-check version

FROM alpine:${ALPINE_VERSION} AS image
# safe.directory: the workspace a CI system mounts belongs to another uid, and
# git refuses such repositories (diff, --changed-since, the file lists) unless told.
RUN apk add --no-cache ca-certificates git \
 && git config --system --add safe.directory '*' \
 && adduser -D -u 10001 -h /home/render-check render-check
COPY --from=build /out/render-check /usr/local/bin/render-check
USER 10001:10001
WORKDIR /home/render-check
ENTRYPOINT ["/usr/local/bin/render-check"]
CMD ["--help"]

FROM image AS action
USER 0:0
WORKDIR /github/workspace
