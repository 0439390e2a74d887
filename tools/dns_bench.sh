#!/usr/bin/env bash
# The DNS responder under dnsperf, with dnsmasq answering the same names and
# the same query file in the same run as the comparison (root: everything
# runs on the loopback of a namespace this script makes and removes).
# Each server gets the query file QUERIES/NAMES times over (every name
# asked as often); dnsperf waits for every answer, so "lost" is real loss.
# Usage: tools/dns_bench.sh [queries per server (1000000)] [names (1000)]
#        (after scripts/build.sh; dnsperf and dnsmasq from scripts/setup.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BIN_DIR:-$root/build/bin}"
queries="${1:-1000000}"
names="${2:-1000}"
for tool in dnsperf dnsmasq dig; do
  command -v "$tool" >/dev/null || { echo "dns_bench: $tool missing (scripts/setup.sh)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "dns_bench: needs root (a network namespace)" >&2; exit 1; }

ns="ovd-dnsbench-$$"
work="$(mktemp -d /tmp/ovd-dnsbench.XXXXXX)"
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.2
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
inside() { ip netns exec "$ns" "$@"; }

# The same names for both servers, and a query file asking for each.
: >"$work/dnsmasq.conf"
: >"$work/queries"
for i in $(seq 1 "$names"); do
  ip="10.200.$(( i / 250 )).$(( i % 250 + 1 ))"
  echo "host-record=svc-$i.overlay.local,$ip" >>"$work/dnsmasq.conf"
  echo "svc-$i.overlay.local A" >>"$work/queries"
  echo "{\"op\":\"register_dns\",\"name\":\"svc-$i\",\"ip\":\"$ip\"}" >>"$work/registrations"
done

inside "$bin/overlayd" --data-dir "$work/data" --socket "$work/overlayd.sock" \
  --uapi-dir "$work/wg" --log-level warn --dns-listen 127.0.0.1:5300 \
  --dns-resolv-conf /dev/null &
inside dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file="$work/dnsmasq.conf" \
  --user=root --pid-file="$work/dnsmasq.pid" --listen-address=127.0.0.1 --bind-interfaces \
  --port=5301 --cache-size=10000 2>/dev/null &
for _ in $(seq 50); do [ -S "$work/overlayd.sock" ] && break; sleep 0.1; done
while read -r request; do
  "$bin/overlayctl" --socket "$work/overlayd.sock" call "$request" >/dev/null
done <"$work/registrations"
check() { # both must know the last name before the runs
  local got
  got="$(inside dig +short -p "$1" @127.0.0.1 "svc-$names.overlay.local")"
  [ -n "$got" ] || { echo "dns_bench: port $1 does not answer svc-$names" >&2; exit 1; }
}
check 5300
check 5301

udp_errors() { # the namespace's UDP receive and send buffer errors so far
  inside awk '/^Udp:/ && $2 ~ /^[0-9]/ {print "rcvbuf errors " $6 ", sndbuf errors " $7}' /proc/net/snmp
}
run() { # name port
  inside dnsperf -s 127.0.0.1 -p "$2" -d "$work/queries" -n $(( queries / names )) -q 500 -c 4 \
    >"$work/$1.out" 2>&1
  local qps lost avg
  qps="$(awk '/Queries per second/ {print $4}' "$work/$1.out")"
  lost="$(awk '/Queries lost/ {print $3}' "$work/$1.out")"
  avg="$(awk '/Average Latency/ {print $4}' "$work/$1.out")"
  printf '%-9s %12.0f q/s  lost %-8s avg latency %s s  (%s)\n' "$1" "$qps" "$lost" "$avg" \
    "$(awk '/Latency StdDev/ {print "stddev " $4 " s"}' "$work/$1.out")"
  echo "          after it: $(udp_errors) (namespace totals)"
  echo "$qps" >"$work/$1.qps"
}
echo "dns_bench: $names names, $queries queries per server, dnsperf -q 500 -c 4, load $(cut -d' ' -f1-3 /proc/loadavg)"
run overlayd 5300
run dnsmasq 5301
awk -v a="$(cat "$work/overlayd.qps")" -v b="$(cat "$work/dnsmasq.qps")" \
  'BEGIN { printf "ratio     overlayd / dnsmasq = %.2f\n", a / b }'
