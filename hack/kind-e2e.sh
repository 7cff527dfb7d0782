#!/usr/bin/env bash
# End-to-end test of chainmedic against a real cluster in kind (Docker). Not run in CI: the build machines
# have no container engine. See docs/e2e-kind.md.
#
#   hack/kind-e2e.sh            # create cluster, build + load image, install, break a node, wait for the fix
#   KEEP=1 hack/kind-e2e.sh     # keep the cluster afterwards (kind delete cluster --name chainmedic-e2e)
#
# Environment: CLUSTER (chainmedic-e2e), IMAGE (chainmedic:0.1.0), TIMEOUT seconds to wait for Succeeded (600).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER=${CLUSTER:-chainmedic-e2e}
IMAGE=${IMAGE:-chainmedic:0.1.0}
TIMEOUT=${TIMEOUT:-600}
KEEP=${KEEP:-0}
NODE="${CLUSTER}-worker"
KCTX=(--context "kind-${CLUSTER}")

log() { printf '\n=== %s\n' "$*" >&2; }
die() { printf 'kind-e2e: %s\n' "$*" >&2; exit 1; }
k() { kubectl "${KCTX[@]}" "$@"; }

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
docker info >/dev/null 2>&1 || die "docker is installed but no engine answers (docker info failed)"

cleanup() {
  local status=$?
  if [[ $status -ne 0 ]]; then
    log "FAILED: state for debugging"
    k get nrem -o wide || true
    k -n chainmedic-system get pods || true
    k -n chainmedic-agent get pods,jobs || true
    k -n chainmedic-system logs deploy/chainmedic-operator --tail=50 || true
  fi
  if [[ "$KEEP" != 1 ]]; then
    log "deleting cluster $CLUSTER (KEEP=1 keeps it)"
    kind delete cluster --name "$CLUSTER" || true
  fi
  exit "$status"
}
trap cleanup EXIT

log "creating kind cluster $CLUSTER (1 control plane, 2 workers)"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --wait 120s --config - <<'YAML'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
  - role: worker
YAML
fi

log "building $IMAGE and loading it into the nodes"
docker build -t "$IMAGE" "$ROOT"
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "installing chainmedic (kubectl apply -k manifests/)"
k apply -k "$ROOT/manifests"
k wait --for=condition=Established --timeout=60s crd/noderemediations.chainmedic.io crd/remediationpolicies.chainmedic.io
k -n chainmedic-system set env deploy/chainmedic-operator "CHAINMEDIC_AGENT_IMAGE=$IMAGE"
k -n chainmedic-system set image deploy/chainmedic-operator "operator=$IMAGE"
k -n chainmedic-system rollout status deploy/chainmedic-operator --timeout=180s

log "a stand-in for azure-npm: probes the node's chains as azure-npm does, crash-loops with its message"
# kind has no azure-npm. This DaemonSet runs `chainmedic agent probe` (the same four iptables checks) in the
# node's network namespace and exits with azure-npm's message when both chains are missing.
k apply -f - <<YAML
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: azure-npm
  namespace: kube-system
  labels: { k8s-app: azure-npm }
spec:
  selector:
    matchLabels: { k8s-app: azure-npm }
  template:
    metadata:
      labels: { k8s-app: azure-npm }
    spec:
      hostNetwork: true
      nodeSelector: { kubernetes.io/os: linux }
      tolerations: [{ operator: Exists }]
      containers:
        - name: azure-npm
          image: ${IMAGE}
          imagePullPolicy: IfNotPresent
          command: [/bin/sh, -c]
          args:
            - |
              if chainmedic agent probe >/dev/null 2>&1; then echo "iptables version detected"; exec sleep infinity; fi
              echo "failed to detect iptables version: unable to locate which iptables version kube proxy is using"
              exit 1
          securityContext:
            runAsUser: 0
            capabilities: { add: [NET_ADMIN, NET_RAW] }
YAML
k -n kube-system rollout status ds/azure-npm --timeout=120s

log "policy: act after 2 restarts, short cooldown"
k apply -f - <<'YAML'
apiVersion: chainmedic.io/v1alpha1
kind: RemediationPolicy
metadata:
  name: default
spec:
  crashLoopRestartThreshold: 2
  maxUnhealthy: 1
  cooldown: 1m
YAML

log "breaking $NODE: kubelet restarts while iptables fails, so its one-shot init fails (the incident)"
# Stop kubelet, remove its chains in both backends, make every iptables binary fail while kubelet starts
# (as a concurrent `systemctl restart iptables` would), then put the binaries back. kubelet logs
# "Failed to initialize iptables rules" and, its init having failed, never re-creates the chains.
docker exec "$NODE" sh -c '
  set -e
  systemctl stop kubelet
  for bin in iptables-nft iptables-legacy; do
    command -v "$bin" >/dev/null || continue
    for chain in KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      "$bin" -w -t mangle -F "$chain" 2>/dev/null || true
      "$bin" -w -t mangle -X "$chain" 2>/dev/null || true
    done
  done
  masked=""
  for bin in xtables-nft-multi xtables-legacy-multi; do
    path=$(command -v "$bin" || true)
    if [ -n "$path" ]; then mount --bind /bin/false "$path"; masked="$masked $path"; fi
  done
  systemctl start kubelet
  sleep 20
  for path in $masked; do umount "$path"; done
'
docker exec "$NODE" journalctl -u kubelet -b --no-pager | grep -m1 "Failed to initialize iptables rules" \
  || printf 'note: kubelet did not log the init failure on this kind version; the chains were removed anyway\n' >&2
k -n kube-system delete pod -l k8s-app=azure-npm --field-selector "spec.nodeName=$NODE" --wait=false

log "waiting (up to ${TIMEOUT}s) for chainmedic to detect, cordon, restart kubelet, verify and uncordon"
deadline=$((SECONDS + TIMEOUT))
phase=""
while ((SECONDS < deadline)); do
  phase=$(k get nrem -o jsonpath="{range .items[?(@.spec.nodeName=='$NODE')]}{.status.phase}{'\n'}{end}" | tail -1)
  printf '%s  node=%s  nrem-phase=%s  unschedulable=%s\n' "$(date +%T)" "$NODE" "${phase:-<none>}" \
    "$(k get node "$NODE" -o jsonpath='{.spec.unschedulable}')" >&2
  [[ "$phase" == Succeeded || "$phase" == Failed || "$phase" == Skipped ]] && break
  sleep 10
done
k get nrem -o wide
name=$(k get nrem -o jsonpath="{range .items[?(@.spec.nodeName=='$NODE')]}{.metadata.name}{'\n'}{end}" | tail -1)
[[ -n "$name" ]] && k describe nrem "$name"
[[ "$phase" == Succeeded ]] || die "expected Succeeded, got '${phase:-nothing}'"

log "checks"
docker exec "$NODE" sh -c 'iptables -w -t mangle -L KUBE-IPTABLES-HINT -n >/dev/null' || die "KUBE-IPTABLES-HINT is still missing"
[[ "$(k get node "$NODE" -o jsonpath='{.spec.unschedulable}')" != true ]] || die "$NODE is still cordoned"
k -n kube-system rollout status ds/azure-npm --timeout=120s
log "PASS: $NODE was healed by chainmedic"
