#!/usr/bin/env bash
# Compares `render-check check --images off` with the shell pipeline it
# replaces (helm template / kustomize build | kubeconform -strict, with local
# schemas), on a synthetic repo, in one run on this machine. The upstream CLIs
# are built from the same module versions render-check embeds.
#
#   bench/run.sh [CLUSTERS APPS]...     default: 20 30 (600 apps)
#   bench/run.sh 5 30 20 30 80 30       150, 600 and 2,400 apps
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out}
mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
bin=$out/bin
kube_minor=${KUBE_VERSION:-1.34}
export KUBE_VERSION=$kube_minor.0

build() { echo "building $1" >&2; shift; "$@"; }
[ -x "$bin/render-check" ] || build render-check env CGO_ENABLED=0 go build -trimpath -o "$bin/render-check" ./cmd/render-check
if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kustomize" ] || [ ! -x "$bin/kubeconform" ]; then
  # Build the upstream CLIs in a scratch module that carries our go.mod, so
  # helm, kubeconform and kustomize/api are exactly the versions render-check
  # links; kustomize/v5 v5.8.2 is the CLI release built on kustomize/api v0.21.2.
  tmp=$(mktemp -d)
  { echo "module benchcli"; tail -n +2 go.mod; } > "$tmp/go.mod"
  cp go.sum "$tmp/go.sum"
  (cd "$tmp" && export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 &&
    go mod edit -require=sigs.k8s.io/kustomize/kustomize/v5@v5.8.2 &&
    echo "building helm, kubeconform, kustomize (upstream CLIs)" >&2 &&
    go build -trimpath -o "$bin/helm" helm.sh/helm/v3/cmd/helm &&
    go build -trimpath -o "$bin/kubeconform" github.com/yannh/kubeconform/cmd/kubeconform &&
    go build -trimpath -o "$bin/kustomize" sigs.k8s.io/kustomize/kustomize/v5 &&
    go list -m helm.sh/helm/v3 github.com/yannh/kubeconform sigs.k8s.io/kustomize/api >&2)
  rm -rf "$tmp"
fi
export HELM=$bin/helm KUSTOMIZE=$bin/kustomize KUBECONFORM=$bin/kubeconform
export SCHEMAS=$out/schemas
[ -d "$SCHEMAS" ] || "$bin/render-check" schemas export --kube-version "$kube_minor" "$SCHEMAS"

secs() { python3 -c 'import sys;print(f"{float(sys.argv[1]):.2f}")' "$1"; }
timed() { # prints "seconds maxrss_kb"
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/cmd.log" 2>&1 || { echo "failed: $*" >&2; tail -20 "$out/cmd.log" >&2; return 1; }
  cat "$out/time.txt"
}
[ $# -eq 0 ] && set -- 20 30
printf '%-6s %-10s %-12s %-12s %-14s %-8s %-8s\n' apps resources "shell -P1 s" "shell -P2 s" "render-check s" "ratio" "rss MB"
while [ $# -ge 2 ]; do
  c=$1 a=$2; shift 2
  repo=$out/repo-$c-$a
  rm -rf "$repo" && go run ./bench/gen -clusters "$c" -apps "$a" -out "$repo" -shell "$out/pipeline-$c-$a.sh"
  p1=$( cd "$repo" && timed xargs -d '\n' -P1 -I{} bash -o pipefail -c {} < "../pipeline-$c-$a.sh" | cut -d' ' -f1 )
  p2=$( cd "$repo" && timed xargs -d '\n' -P2 -I{} bash -o pipefail -c {} < "../pipeline-$c-$a.sh" | cut -d' ' -f1 )
  read -r rc rss < <(timed "$bin/render-check" check --root "$repo" --images off --kube-version "$kube_minor" --format json --output "json=$out/report-$c-$a.json")
  res=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["summary"]["resources"])' "$out/report-$c-$a.json")
  ratio=$(python3 -c 'import sys;print(f"{float(sys.argv[1])/float(sys.argv[2]):.1f}x")' "$p2" "$rc")
  printf '%-6s %-10s %-12s %-12s %-14s %-8s %-8s\n' $((c*a)) "$res" "$(secs "$p1")" "$(secs "$p2")" "$(secs "$rc")" "$ratio" $((rss/1024))
done
