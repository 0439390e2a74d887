#!/usr/bin/env bash
# Data-plane benchmark (issue 3): two namespaces joined by a veth pair, and
# iperf3 TCP through
#   (a) the plain veth,
#   (b) wireguard-go <-> wireguard-go,
#   (c) overlayd <-> overlayd (driven through their sockets, as the main
#       daemon would),
# printing the three figures (and for TCP the ratio c/b). Run as root from the
# checkout after scripts/build.sh; it touches nothing outside the two
# namespaces it creates (and removes). Prints figures; asserts nothing.
#
#   tools/dataplane_bench.sh [seconds] [tcp|tcp4|udp|latency]   (default 10 tcp)
#
# OVERLAYD_ARGS="--threads 2" passes flags to both daemons.
#
# udp: iperf3 -u at full speed with 1372-byte datagrams (they fit the
# tunnel's 1420 MTU); the figure is what arrived, and the loss.
# tcp4: four parallel TCP streams (iperf3 -P 4).
# latency: ping RTT p50/p99 over 300 pings 5 ms apart, idle and while one
# TCP stream runs the other way's path at full speed.
set -euo pipefail
seconds="${1:-10}"
protocol="${2:-tcp}"
root="$(cd "$(dirname "$0")/.." && pwd)"
overlayd="$root/build/bin/overlayd"
overlayctl="$root/build/bin/overlayctl"
a="ovdbench-a-$$"
b="ovdbench-b-$$"
umask 077 # the private keys below
work="$(mktemp -d /tmp/overlayd-bench-XXXXXX)"

cleanup() {
  for ns in "$a" "$b"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  sleep 0.3
  for ns in "$a" "$b"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f /var/run/wireguard/bwg-a-$$.sock /var/run/wireguard/bwg-b-$$.sock
  rm -rf "$work"
}
trap cleanup EXIT

in_a() { ip netns exec "$a" "$@"; }
in_b() { ip netns exec "$b" "$@"; }

ip netns add "$a"
ip netns add "$b"
in_a ip link set lo up
in_b ip link set lo up
in_a ip link add veth-a type veth peer name veth-b netns "$b"
in_a ip addr add 192.168.90.1/24 dev veth-a
in_b ip addr add 192.168.90.2/24 dev veth-b
in_a ip link set veth-a up
in_b ip link set veth-b up

# p50 and p99 of the ping RTTs on stdin.
rtt_percentiles() {
  /usr/bin/python3 -c 'import re,sys; t=sorted(float(m) for m in re.findall(r"time=([0-9.]+)", sys.stdin.read())); print("p50 %.3f p99 %.3f ms" % (t[len(t)//2], t[int(len(t)*0.99)]) if t else "no answer")'
}

# From a to $1: Gbit/s of the receiver (udp: also the loss), or the RTTs.
measure() {
  in_b iperf3 -s -1 -D -B "$1" >/dev/null 2>&1
  sleep 0.3
  case "$protocol" in
  udp)
    in_a iperf3 -c "$1" -t "$seconds" -u -b 0 -l 1372 -J |
      /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)["end"]["sum"]; print("%.2f Gbit/s arrived, %.1f%% lost" % (s["bits_per_second"]*(1-s["lost_percent"]/100)/1e9, s["lost_percent"]))' ;;
  tcp4)
    in_a iperf3 -c "$1" -t "$seconds" -P 4 -J |
      /usr/bin/python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' ;;
  latency)
    local idle loaded load
    idle=$(in_a ping -c 300 -i 0.005 "$1" | rtt_percentiles)
    in_a iperf3 -c "$1" -t "$seconds" >/dev/null 2>&1 &
    load=$!
    sleep 1
    loaded=$(in_a ping -c 300 -i 0.005 "$1" | rtt_percentiles)
    wait "$load" || true
    echo "idle $idle; under TCP load $loaded" ;;
  *)
    in_a iperf3 -c "$1" -t "$seconds" -J |
      /usr/bin/python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' ;;
  esac
}

echo "== (a) plain veth"
veth=$(measure 192.168.90.2)
echo "veth: $veth"

echo "== (b) wireguard-go <-> wireguard-go"
wg genkey > "$work/a.key"
wg genkey > "$work/b.key"
in_a wireguard-go -f "bwg-a-$$" >/dev/null 2>&1 &
in_b wireguard-go -f "bwg-b-$$" >/dev/null 2>&1 &
for _ in $(seq 50); do
  [ -S "/var/run/wireguard/bwg-a-$$.sock" ] && [ -S "/var/run/wireguard/bwg-b-$$.sock" ] && break
  sleep 0.1
done
in_a wg set "bwg-a-$$" private-key "$work/a.key" listen-port 51820 \
  peer "$(wg pubkey < "$work/b.key")" endpoint 192.168.90.2:51820 allowed-ips 10.99.0.2/32
in_b wg set "bwg-b-$$" private-key "$work/b.key" listen-port 51820 \
  peer "$(wg pubkey < "$work/a.key")" endpoint 192.168.90.1:51820 allowed-ips 10.99.0.1/32
in_a ip addr add 10.99.0.1/24 dev "bwg-a-$$"
in_b ip addr add 10.99.0.2/24 dev "bwg-b-$$"
in_a ip link set "bwg-a-$$" mtu 1420 up
in_b ip link set "bwg-b-$$" mtu 1420 up
wggo=$(measure 10.99.0.2)
echo "wireguard-go: $wggo"
in_a pkill -f "wireguard-go -f bwg-a-$$" || true
in_b pkill -f "wireguard-go -f bwg-b-$$" || true

echo "== (c) overlayd <-> overlayd"
for side in a b; do
  ns="ovdbench-$side-$$"
  mkdir -p "$work/$side"
  ip netns exec "$ns" "$overlayd" --data-dir "$work/$side" --socket "$work/$side.sock" \
    --uapi-dir "$work/$side/wg" --log-level warn ${OVERLAYD_ARGS:-} &
done
for _ in $(seq 50); do
  [ -S "$work/a.sock" ] && [ -S "$work/b.sock" ] && break
  sleep 0.1
done
call() { "$overlayctl" --socket "$work/$1.sock" call "$2"; }
call a '{"op":"setup_global_overlay","deployment":"bench","instance_id":"a","cluster_cidr":"10.200.0.0/16","slice_cidr":"10.200.1.0/24","wg_port":51820,"host_adapter_mandatory":false}' >/dev/null
call b '{"op":"setup_global_overlay","deployment":"bench","instance_id":"b","cluster_cidr":"10.200.0.0/16","slice_cidr":"10.200.2.0/24","wg_port":51820,"host_adapter_mandatory":false}' >/dev/null
key_of() { "$overlayctl" --socket "$work/$1.sock" status --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])'; }
key_a=$(key_of a)
key_b=$(key_of b)
add_peer() { # node key endpoint allowed
  call "$1" "{\"op\":\"add_peer\",\"public_key\":\"$2\",\"endpoint\":\"$3\",\"allowed_ips\":\"$4\",\"persistent_keepalive_secs\":0,\"candidates\":[],\"scope\":{\"scope\":\"global\"}}" >/dev/null
}
add_peer a "$key_b" 192.168.90.2:51820 10.200.2.0/24
add_peer b "$key_a" 192.168.90.1:51820 10.200.1.0/24
in_a ping -c 1 -W 3 10.200.2.1 >/dev/null
ours=$(measure 10.200.2.1)
echo "overlayd: $ours"

echo
unit=""
case "$protocol" in tcp | tcp4) unit=" Gbit/s" ;; esac
echo "veth          $veth$unit"
echo "wireguard-go  $wggo$unit"
echo "overlayd      $ours$unit"
[ -n "$unit" ] && /usr/bin/python3 -c "print('overlayd / wireguard-go = %.2f' % ($ours / $wggo))"
true
