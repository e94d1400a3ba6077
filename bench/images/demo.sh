#!/usr/bin/env bash
# Runs `render-check check` on the example repo with its images verified
# against a local docker-registry instead of the internet: starts Debian's
# docker-registry on a free 127.0.0.1 port, seeds every rendered image
# except those named in $SKIP (default: one, to show a finding), and points
# ghcr.io/docker.io at it as mirrors.
#
#   bench/images/demo.sh [extra render-check check flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=testdata/clusters
SKIP=${SKIP-ghcr.io/example-org/billing-api:4.12.0}
command -v docker-registry >/dev/null || { echo "demo: docker-registry missing: make deps (or apt-get install docker-registry)" >&2; exit 2; }
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $tmp/data}}
http: {addr: 127.0.0.1:$port, secret: demo}
YAML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
{ cat "$ROOT/.render-check.yaml"; go run ./bench/images/seed --root "$ROOT" --registry "127.0.0.1:$port" --skip "$SKIP"; } >"$tmp/config.yaml"
go run ./cmd/render-check check --root "$ROOT" --config "$tmp/config.yaml" "$@"
