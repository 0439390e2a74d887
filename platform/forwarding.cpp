#include "platform/forwarding.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace overlayd::platform {

namespace {

constexpr const char* ipv4_forward_key = "net.ipv4.ip_forward";

} // namespace

std::string ipv6_forwarding_key(const std::string& device, const std::string& setting) {
  if (device.find('.') != std::string::npos)
    return "net/ipv6/conf/" + device + "/" + setting;
  return "net.ipv6.conf." + device + "." + setting;
}

forwarding_sysctls::forwarding_sysctls(sysctl_access& sysctl) : sysctl_(sysctl) {}

void forwarding_sysctls::enable_for_attach(bool is_v6, const std::string& host_veth,
                                           const std::string& bridge) {
  if (!ipv4_snapshot_) {
    auto previous = sysctl_.read(ipv4_forward_key);
    ipv4_snapshot_ = previous ? *previous : std::string("0");
  }
  // Written on every attach, not only the first: something else on the host
  // may have switched it off in between, and containers need it.
  if (auto written = sysctl_.write(ipv4_forward_key, "1"); !written)
    spdlog::debug("{} (ignored)", written.error_message());
  if (!is_v6)
    return;
  enable_ipv6(host_veth);
  if (!bridge.empty())
    enable_ipv6(bridge);
}

void forwarding_sysctls::enable_ipv6(const std::string& device) {
  auto written = sysctl_.write(ipv6_forwarding_key(device), "1");
  if (!written) {
    spdlog::debug("{} (ignored)", written.error_message());
    return;
  }
  if (std::find(ipv6_devices_.begin(), ipv6_devices_.end(), device) == ipv6_devices_.end())
    ipv6_devices_.push_back(device);
  if (!sysctl_.write(ipv6_forwarding_key(device, "force_forwarding"), "1"))
    warn_if_ipv6_cannot_forward(); // a kernel before 6.17
}

void forwarding_sysctls::warn_if_ipv6_cannot_forward() {
  auto all = sysctl_.read("net.ipv6.conf.all.forwarding");
  if (warned_ || (all && all->rfind("1", 0) == 0))
    return;
  warned_ = true;
  spdlog::warn("IPv6 containers stay on this node: the kernel forwards IPv6 only with "
               "net.ipv6.conf.all.forwarding=1 (no per-device force_forwarding before Linux "
               "6.17), which overlayd leaves to the operator (it stops router advertisements "
               "and SLAAC on every interface)");
}

void forwarding_sysctls::revert() {
  if (ipv4_snapshot_) {
    if (auto written = sysctl_.write(ipv4_forward_key, *ipv4_snapshot_); !written)
      spdlog::debug("{} (ignored)", written.error_message());
    else
      spdlog::info("restored {} to its value before the first attach", ipv4_forward_key);
    ipv4_snapshot_.reset();
  }
  for (const auto& device : ipv6_devices_) {
    // A device deleted since (its veth went with the container) has no key
    // any more; nothing is left to revert then.
    if (auto written = sysctl_.write(ipv6_forwarding_key(device), "0"); !written)
      spdlog::debug("{} (ignored)", written.error_message());
    (void)sysctl_.write(ipv6_forwarding_key(device, "force_forwarding"), "0");
  }
  ipv6_devices_.clear();
}

} // namespace overlayd::platform
