// unmanaged_dropins: the systemd-networkd and NetworkManager drop-ins that
// tell those managers to leave overlayd's links alone (mechanics.md 12).
// With a permissive default match they otherwise bring zl-* links up, run
// DHCP on them, and networkd has been seen to abort on its watchdog while
// processing a zl-* link. Written at global setup (root mode), removed at
// global teardown; a manager's file is written only when its runtime
// directory exists (it is running), and that manager is then reloaded so it
// re-evaluates links that already exist. Best effort and idempotent: every
// step is tried, problems come back together as one error to log.
//   <root>/run/systemd/network/10-zlayer-unmanaged.network     (if <root>/run/systemd/netif)
//   <root>/run/NetworkManager/conf.d/10-zlayer-unmanaged.conf  (if <root>/run/NetworkManager)
#pragma once

#include <string>
#include <string_view>

#include "net/base/result.hpp"
#include "platform/command_runner.hpp"

namespace overlayd::platform {

// The drop-in bodies. Both match the link names overlayd creates: zl-*
// (bridges, TUN devices), veth-* (host ends), vc-* (container ends before
// they move into the container).
std::string_view networkd_dropin_body();
std::string_view networkmanager_dropin_body();

class unmanaged_dropins {
public:
  // `root` replaces "/" (tests use a temp directory); the runner is borrowed
  // and runs `networkctl reload` / `nmcli general reload`.
  explicit unmanaged_dropins(command_runner& runner, std::string root = "/");

  // mark_overlay_interfaces_unmanaged: writes each running manager's file
  // (unless already identical) and reloads that manager when it changed.
  result<void> mark();
  // unmark_overlay_interfaces_unmanaged: removes both files (a missing file
  // counts as removed) and reloads a running manager whose file went.
  result<void> unmark();

  std::string networkd_dropin_path() const;
  std::string networkmanager_dropin_path() const;

private:
  std::string under_root(const std::string& absolute) const;

  command_runner& runner_;
  std::string root_;
};

} // namespace overlayd::platform
