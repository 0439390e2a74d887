#!/usr/bin/env bash
# README command 1: install, build and start overlayd in the foreground with
# everything under the checkout: data dir ./var, socket
# ./var/run/zlayer-overlayd.sock, WireGuard UAPI sockets ./var/run/wireguard,
# networkd/NetworkManager drop-ins under ./var/host.
# Extra arguments go to overlayd (e.g. --log-level debug). Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
exec "$root/build/bin/overlayd" --data-dir "$root/var" --uapi-dir "$root/var/run/wireguard" \
  --dropin-root "$root/var/host" "$@"
