// forwarding: the IP-forwarding sysctls overlayd turns on for container
// traffic, and the record that lets global teardown put them back
// (mechanics.md 8 and 9).
// - IPv4 (every successful veth attach, also for IPv6 ones): the first time,
//   snapshot net.ipv4.ip_forward (an unreadable value counts as "0"), then
//   write 1; write errors are ignored.
// - IPv6 attach: write 1 to net.ipv6.conf.<host veth>.forwarding and, when
//   bridged, net.ipv6.conf.<bridge>.forwarding; remember each device whose
//   write succeeded. Never net.ipv6.conf.all.forwarding: it turns router
//   mode on for every interface (accept_ra=0, no SLAAC) host-wide.
//   Deviation from the seed: a device's `forwarding` alone forwards
//   nothing (the kernel forwards IPv6 only with all.forwarding=1 or, since
//   Linux 6.17, the ingress device's force_forwarding=1), so force_forwarding
//   is written as well, and the overlay device that brings traffic in gets
//   both (enable_ipv6). On older kernels with all.forwarding=0 a warning
//   says that IPv6 container traffic stays on the node.
// - Revert (global teardown only; detach never reverts): restore the IPv4
//   snapshot verbatim and forget it; write 0 to each remembered device and
//   forget them. Errors ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platform/sysctl_access.hpp"

namespace overlayd::platform {

class forwarding_sysctls {
public:
  explicit forwarding_sysctls(sysctl_access& sysctl);

  // -- effects --

  // After a successful veth attach. `bridge` is empty for the bridgeless
  // (eth1) path.
  void enable_for_attach(bool is_v6, const std::string& host_veth, const std::string& bridge);
  // IPv6 forwarding for packets arriving on `device` (and recorded for revert).
  void enable_ipv6(const std::string& device);

  // Global teardown. Idempotent: a second call finds nothing to revert.
  void revert();

  // -- the record --

  // net.ipv4.ip_forward as it was before the first attach, raw ("0\n").
  const std::optional<std::string>& ipv4_snapshot() const noexcept { return ipv4_snapshot_; }
  // Devices whose IPv6 forwarding overlayd switched on, in order, unique.
  const std::vector<std::string>& ipv6_devices() const noexcept { return ipv6_devices_; }

private:
  void warn_if_ipv6_cannot_forward();

  sysctl_access& sysctl_;
  bool warned_ = false;
  std::optional<std::string> ipv4_snapshot_;
  std::vector<std::string> ipv6_devices_;
};

// "net.ipv6.conf.<device>.<setting>" (default "forwarding"), or the slash
// form when the device name holds a dot (a VLAN such as "eth0.100").
std::string ipv6_forwarding_key(const std::string& device,
                                const std::string& setting = "forwarding");

} // namespace overlayd::platform
