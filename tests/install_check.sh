#!/usr/bin/env bash
# `cmake --install --prefix P` gives what the ZLayer main daemon looks for:
# P/bin/zlayer-overlayd (and overlayd, overlayctl) and a systemd unit that
# starts it and passes `systemd-analyze verify`. Usage: install_check.sh BUILD_DIR
set -euo pipefail
build="$1"
prefix="$(mktemp -d /tmp/overlayd-install-XXXXXX)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

fail() { echo "install_check: $*" >&2; exit 1; }
for bin in overlayd overlayctl zlayer-overlayd; do
  [ -x "$prefix/bin/$bin" ] || fail "$prefix/bin/$bin missing"
done
"$prefix/bin/zlayer-overlayd" --version | grep -q '^overlayd ' \
  || fail "zlayer-overlayd --version does not answer"

unit="$prefix/lib/systemd/system/zlayer-overlayd.service"
[ -f "$unit" ] || fail "$unit missing"
grep -qx "ExecStart=$prefix/bin/zlayer-overlayd --data-dir /var/lib/zlayer" "$unit" \
  || fail "ExecStart does not start $prefix/bin/zlayer-overlayd"
for line in Type=notify Restart=always KillMode=process ProtectSystem=strict NoNewPrivileges=yes; do
  grep -qx "$line" "$unit" || fail "$line missing from the unit"
done
if command -v systemd-analyze >/dev/null; then
  # Offline: checks the unit's syntax, its settings and that ExecStart exists.
  if ! out="$(systemd-analyze verify "$unit" 2>&1)"; then
    echo "$out" >&2
    fail "systemd-analyze verify failed"
  fi
  if [ -n "$out" ]; then
    echo "$out" >&2
    fail "systemd-analyze verify complained"
  fi
fi
echo "install_check: $prefix has the binaries and a verified unit"
