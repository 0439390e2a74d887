#!/usr/bin/env bash
# Installs every Debian package the build and the tests need. Idempotent and
# quiet when everything is already there.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config
  libcaf-dev libuv1-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libsodium-dev libssl-dev libmsgpack-cxx-dev libspdlog-dev catch2 libsystemd-dev
  # the DNS responder parses and builds messages with ldns
  libldns-dev
  # the unit check (systemd-analyze verify)
  systemd
  # test peers and host tools
  iproute2 iputils-ping iptables nftables wireguard-go wireguard-tools iperf3 coturn procps
  # the metrics test parses /metrics with Prometheus' own parser
  python3 python3-prometheus-client curl
  # the DNS tests and benchmark: real clients, a comparison server
  bind9-dnsutils dnsperf dnsmasq-base
  # the fuzz build (tools/fuzz.sh): clang, and libFuzzer with the clang
  # sanitizer runtimes
  clang libclang-rt-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: root is needed to install packages (run with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
