#!/usr/bin/env bash
# Runs a command in a new network namespace whose only interface is loopback, with a private /etc/hosts
# (root only). Everything the command starts (a real kube-apiserver, the operator, kubectl) can reach
# 127.0.0.1 and nothing else. The private hosts file names the operator's webhook Service on loopback, so a
# real apiserver calls the webhook by its Service DNS name (the name its certificate carries) at 127.0.0.1.
set -euo pipefail
if [[ "${1:-}" == "--inside" ]]; then
  shift
  ip link set lo up
  hosts="$(mktemp)"
  cat /etc/hosts > "$hosts"
  for name in chainmedic-operator.chainmedic-system.svc chainmedic-operator.chainmedic-system.svc.cluster.local; do
    echo "127.0.0.1 $name" >> "$hosts"
  done
  mount --bind "$hosts" /etc/hosts
  status=0
  "$@" || status=$?
  umount /etc/hosts
  rm -f "$hosts"
  exit "$status"
fi
(($# > 0)) || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
if [[ "$(id -u)" != 0 ]]; then
  echo "loopback-netns: needs root (unshare --net --mount); the integration, root and control-plane test groups do" >&2
  exit 2
fi
exec unshare --net --mount --propagation private -- "$0" --inside "$@"
