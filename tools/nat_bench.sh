#!/usr/bin/env bash
# NAT traversal by hand (root): in the root tests' small internet (coturn, a
# relay node, two masquerading routers), how long two nodes take to connect
# and what iperf3 gets through the punched and the relayed path.
# Usage: tools/nat_bench.sh   (after scripts/build.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec "$root/build/bin/integration_tests" "[nat-bench]" 2>&1 | grep -E -A1 "connected \(|FAILED|passed"
