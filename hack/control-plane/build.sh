#!/usr/bin/env bash
# Builds the real control plane the tests run against: kube-apiserver, kube-controller-manager,
# kube-scheduler and kubectl from k8s.io/kubernetes (go.mod here), etcd from go.etcd.io/etcd/server/v3
# (etcd/go.mod). Output: .tools/control-plane/bin/. A build whose inputs did not change is reused.
# KUBEBUILDER_ASSETS naming a folder that holds all five binaries (the envtest convention) skips the build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/control-plane/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)
k8s_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$here/go.mod")"

has_all() { local b; for b in "${binaries[@]}"; do [[ -x "$1/$b" ]] || return 1; done; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_all "$KUBEBUILDER_ASSETS"; then
    echo "control-plane: using the binaries in KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    exit 0
  fi
  echo "control-plane: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks one of: ${binaries[*]}" >&2
  exit 2
fi

go_minor() { go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }
minor="$(command -v go >/dev/null && go_minor || true)"
if [[ -z "$minor" || "$minor" -lt 24 ]]; then
  echo "control-plane: needs Go >= 1.24 on PATH to build kubernetes $k8s_version (found: $(command -v go >/dev/null && go env GOVERSION || echo none))" >&2
  exit 2
fi

stamp="$out/.inputs"
inputs="$(cat "$here/build.sh" "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/etcd/main.go" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if has_all "$out" && [[ -f "$stamp" && "$(cat "$stamp")" == "$inputs" ]]; then
  echo "control-plane: up to date in $out (kubernetes $k8s_version)"
  exit 0
fi

mkdir -p "$out"
rm -f "$stamp"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
# Version stamps are link-time only: without them the binaries say v0.0.0-master and kubectl warns.
minor_k8s="$(echo "$k8s_version" | cut -d. -f2)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor_k8s -X $pkg.gitTreeState=clean"
done

start=$SECONDS
echo "control-plane: building kubernetes $k8s_version (a cold build takes 10-15 minutes on 2 cores)"
(cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$out/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
echo "control-plane: building etcd $(grep -o 'go.etcd.io/etcd/server/v3 v[0-9.]*' "$here/etcd/go.mod" | cut -d" " -f2)"
(cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" .)
echo "$inputs" > "$stamp"
echo "control-plane: built in $((SECONDS - start)) s into $out"
