#!/usr/bin/env bash
# Measures `render-check` on synthetic repos (bench/gen) against the shell
# pipeline it replaces (helm template / kustomize build | kubeconform -strict,
# with local schemas, run with xargs -P1 and -P2), in one run on this machine.
# The upstream CLIs are built from the same module versions render-check
# embeds. Per repo size it prints one row: the shell pipeline, the cold full
# check, the pull-request loop (warm rerun, --changed-since after one edit,
# bump of one app's image with and without --cluster) as fractions of the
# cold check, and peak RSS. See bench/README.md for the columns.
#
#   bench/run.sh [CLUSTERS APPS]...     default: 20 30 (600 apps)
#   bench/run.sh 20 30 80 30            600 and 2,400 apps
#
# Environment: BENCH_OUT (default bench/out), KUBE_VERSION (default 1.34),
# BENCH_SHELL=0 skips the shell pipeline (its columns print "-").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out}
mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
bin=$out/bin
kube_minor=${KUBE_VERSION:-1.34}
export KUBE_VERSION=$kube_minor.0

build() { echo "building $1" >&2; shift; "$@"; }
# render-check is rebuilt on every run: the bench measures this checkout
build render-check env CGO_ENABLED=0 go build -trimpath -o "$bin/render-check" ./cmd/render-check
rev="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"
if [ "${BENCH_SHELL:-1}" != 0 ] && { [ ! -x "$bin/helm" ] || [ ! -x "$bin/kustomize" ] || [ ! -x "$bin/kubeconform" ]; }; then
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
[ "${BENCH_SHELL:-1}" = 0 ] || [ -d "$SCHEMAS" ] || "$bin/render-check" schemas export --kube-version "$kube_minor" "$SCHEMAS"

# The render cache (--cache-dir/--no-cache) may not exist in this build:
# then the cold check is the only check, and the warm column prints n/a.
rc=$bin/render-check
check_cache=0 bump_cache=0
"$rc" check --help | grep -q -- --cache-dir && check_cache=1
"$rc" bump --help | grep -q -- --cache-dir && bump_cache=1

py() { python3 -c "$@"; }
timed() { # runs a command, prints "seconds maxrss_kb cpu_seconds" (cpu: user+sys)
  /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$@" >"$out/cmd.log" 2>&1 || {
    local st=$?
    # check exits 1 on findings; anything else is a failed measurement
    if [ "$st" -ne 1 ] || [ "${1##*/}" != render-check ]; then echo "failed ($st): $*" >&2; tail -20 "$out/cmd.log" >&2; return 1; fi
  }
  tail -1 "$out/time.txt" | awk '{printf "%s %s %.2f\n", $1, $2, $3+$4}'
}
frac() { py 'import sys;print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")' "$1" "$2"; }
fmt() { py 'import sys;print(f"{float(sys.argv[1]):.2f}")' "$1"; }
maxkb=0
peak() { [ "$1" -gt "$maxkb" ] && maxkb=$1; return 0; }

[ $# -eq 0 ] && set -- 20 30
hdr='%-6s %-9s %-9s %-9s %-8s %-8s %-9s %-14s %-14s %-14s %-14s %-7s\n'
rows=()
while [ $# -ge 2 ]; do
  c=$1 a=$2; shift 2
  repo=$out/repo-$c-$a
  rm -rf "$repo" && go run ./bench/gen -clusters "$c" -apps "$a" -out "$repo" -shell "$out/pipeline-$c-$a.sh"
  # a git repo with one commit: --changed-since and bump need history
  git -C "$repo" init -q && git -C "$repo" add -A &&
    git -C "$repo" -c user.name=bench -c user.email=bench@example.invalid commit -qm "bench/gen $c x $a"
  reset() { git -C "$repo" checkout -q -- . && git -C "$repo" clean -qfd; }
  p1=- p2=- ratio=- p2cpu=- cpuratio=-
  if [ "${BENCH_SHELL:-1}" != 0 ]; then
    t=$(cd "$repo" && timed xargs -d '\n' -P1 -I{} bash -o pipefail -c {} < "../pipeline-$c-$a.sh"); read -r p1 _ _ <<<"$t"
    t=$(cd "$repo" && timed xargs -d '\n' -P2 -I{} bash -o pipefail -c {} < "../pipeline-$c-$a.sh"); read -r p2 _ p2cpu <<<"$t"
  fi
  cache=$out/cache-$c-$a
  rm -rf "$cache"
  cflags=() bflags=()
  [ $check_cache = 1 ] && cflags=(--cache-dir "$cache")
  [ $bump_cache = 1 ] && bflags=(--cache-dir "$cache")
  common=(--root "$repo" --images off --kube-version "$kube_minor")
  maxkb=0
  # cold: an empty cache directory (or no cache at all)
  t=$(timed "$rc" check "${common[@]}" "${cflags[@]}" --format json --output "json=$out/report-$c-$a.json"); read -r cold kb coldcpu <<<"$t"
  peak "$kb"
  res=$(py 'import json,sys;print(json.load(open(sys.argv[1]))["summary"]["resources"])' "$out/report-$c-$a.json")
  if [ "$p2" != - ]; then
    ratio=$(py 'import sys;print(f"{float(sys.argv[1])/float(sys.argv[2]):.1f}x")' "$p2" "$cold")
    cpuratio=$(py 'import sys;print(f"{float(sys.argv[1])/float(sys.argv[2]):.1f}x")' "$p2cpu" "$coldcpu")
  fi
  # warm: the same cache, nothing changed
  warm=n/a
  if [ $check_cache = 1 ]; then
    t=$(timed "$rc" check "${common[@]}" "${cflags[@]}" --format json); read -r s kb _ <<<"$t"
    peak "$kb"; warm="$(frac "$s" "$cold") ($(fmt "$s")s)"
  fi
  # --changed-since HEAD after one edit of one app's values file
  values=$repo/clusters/cluster-00/values/svc-000.yaml
  sed -i 's/^replicaCount: .*/replicaCount: 5/' "$values"
  git -C "$repo" diff --quiet && { echo "the values edit changed nothing" >&2; exit 1; }
  t=$(timed "$rc" check "${common[@]}" "${cflags[@]}" --changed-since HEAD --format json); read -r s kb _ <<<"$t"
  peak "$kb"; changed="$(frac "$s" "$cold") ($(fmt "$s")s)"
  reset
  # bump one app's image: every cluster (20 files at 20 clusters), then one cluster
  img=ghcr.io/bench/svc-000
  bump=()
  for scope in all one; do
    cl=()
    [ $scope = one ] && cl=(--cluster cluster-00)
    t=$(timed "$rc" bump --root "$repo" "${bflags[@]}" --image "$img" --tag 9.9.9 --no-verify "${cl[@]}"); read -r s kb _ <<<"$t"
    peak "$kb"
    n=$(git -C "$repo" diff --name-only | wc -l)
    want=$c; [ $scope = one ] && want=1
    if [ "$n" -ne "$want" ]; then echo "bump ($scope) edited $n files, want $want" >&2; cat "$out/cmd.log" >&2; exit 1; fi
    bump+=("$(frac "$s" "$cold") ($(fmt "$s")s)")
    reset
  done
  rows+=("$(printf "$hdr" $((c*a)) "$res" "$( [ "$p1" = - ] && echo - || fmt "$p1")" "$( [ "$p2" = - ] && echo - || fmt "$p2")" \
    "$(fmt "$cold")" "$ratio" "$cpuratio" "$warm" "$changed" "${bump[0]}" "${bump[1]}" $((maxkb/1024)))")
  printf "$hdr" apps resources "shell-P1" "shell-P2" "cold s" "P2/cold" "CPU P2/c" "warm" "changed" "bump" "bump -c" "RSS MB" >&2
  printf '%s\n' "${rows[-1]}" >&2
done
echo
echo "$("$rc" version 2>/dev/null | head -1) at $rev, $(date -u '+%F %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), cache: $([ $check_cache = 1 ] && echo yes || echo 'n/a (no --cache-dir)')"
printf "$hdr" apps resources "shell-P1" "shell-P2" "cold s" "P2/cold" "CPU P2/c" "warm" "changed" "bump" "bump -c" "RSS MB"
printf '%s\n' "${rows[@]}"
