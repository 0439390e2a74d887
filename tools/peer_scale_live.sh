#!/usr/bin/env bash
# Ten thousand peers on a live device (issue 14): starts overlayd in a
# network namespace of its own, sets up a global overlay through its
# socket, and runs overlayd-peer-scale-live against it (N peers through a
# UAPI set, N more through add_peer requests, times and RSS per peer).
# Run as root from the checkout after scripts/build.sh; it touches nothing
# outside the namespace it creates (and removes). Prints figures; asserts
# nothing.
#
#   tools/peer_scale_live.sh [peers]   (default 10000)
set -euo pipefail
peers="${1:-10000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin"
ns="ovdpeers-$$"
work="$(mktemp -d /tmp/overlayd-peers-XXXXXX)"

cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.3
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$bin/overlayd" --data-dir "$work/data" --socket "$work/overlayd.sock" \
  --uapi-dir "$work/wg" --log-level warn &
for _ in $(seq 50); do
  [ -S "$work/overlayd.sock" ] && break
  sleep 0.1
done
"$bin/overlayctl" --socket "$work/overlayd.sock" call '{"op":"setup_global_overlay","deployment":"peers","instance_id":"a","cluster_cidr":"10.200.0.0/16","slice_cidr":"10.200.1.0/24","wg_port":51820,"host_adapter_mandatory":false}' >/dev/null
uapi="$(ls "$work"/wg/*.sock | head -1)"
pid="$(ip netns pids "$ns" | head -1)"
"$bin/overlayd-peer-scale-live" "$work/overlayd.sock" "$uapi" "$pid" "$peers"
