#!/usr/bin/env bash
# Compares `render-check validate` with the upstream kubeconform CLI, built
# from the module version in go.mod, on the same N generated resources and the
# schemas exported by `render-check schemas export` (same machine, same run).
#
# Usage: bench/validate/run.sh [N] [KUBE_MINOR]     (defaults: 100000 1.34)
# Needs: go, GNU time (/usr/bin/time).
set -euo pipefail
n=${1:-100000}
minor=${2:-1.34}
cd "$(git rev-parse --show-toplevel)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/render-check" ./cmd/render-check
go build -o "$work/kubeconform" github.com/yannh/kubeconform/cmd/kubeconform
kcversion=$(go list -m -f '{{.Version}}' github.com/yannh/kubeconform)
go run ./bench/validate/gen -n "$n" >"$work/manifests.yaml"
"$work/render-check" schemas export --kube-version "$minor" "$work/schemas" >/dev/null

# measure LABEL CMD...: best of two runs; prints "seconds user sys maxrss_kb".
measure() {
	local best=""
	for _ in 1 2; do
		/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>&1 || true
		if ! grep -q "$n resources" "$work/out"; then
			echo "unexpected output from $1:" >&2
			tail -3 "$work/out" >&2
			exit 1
		fi
		local t
		t=$(cat "$work/time")
		if [ -z "$best" ] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
			best=$t
		fi
	done
	echo "$best"
}

rc=$(measure "$work/render-check" validate --kube-version "$minor" "$work/manifests.yaml")
kc=$(measure "$work/kubeconform" -strict -summary -schema-location "$work/schemas" -kubernetes-version "$minor.0" "$work/manifests.yaml")
echo "resources: $n ($(du -h "$work/manifests.yaml" | cut -f1)), Kubernetes $minor, kubeconform $kcversion, $(nproc) CPUs"
printf '%-14s %8s %8s %8s %10s\n' tool wall_s user_s sys_s maxrss_MB
for row in "render-check $rc" "kubeconform $kc"; do
	set -- $row
	printf '%-14s %8s %8s %8s %10d\n' "$1" "$2" "$3" "$4" $(($5 / 1024))
done
awk -v r="${rc%% *}" -v k="${kc%% *}" 'BEGIN{printf "kubeconform/render-check wall-time ratio: %.2f\n", k/r}'
