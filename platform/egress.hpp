// egress: the host's physical egress interface and address
// (mechanics.md 10, detect_physical_egress): the default route with the
// lowest metric through a non-virtual link that has a global address; else
// the first such link that is up; else the address the kernel would use
// toward a public address (a UDP connect sends nothing). The WireGuard
// socket binds to that address when its family matches the overlay's.
#pragma once

#include <optional>
#include <string>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"

namespace overlayd::platform {

struct egress {
  std::string interface; // empty when found by the connect probe
  net::ip_address address;
};

result<egress> detect_physical_egress();

// The source address the kernel would use toward a public address of that
// family (nothing is sent), if any route leads out.
std::optional<net::ip_address> kernel_source_toward_public(net::ip_address::family family);

// The MTU for the overlay's devices and container veths: the egress
// link's minus WireGuard's overhead (net/overlay_mtu.hpp); the default
// 1420 when no egress link is found. Logs how it was chosen.
unsigned derive_overlay_mtu(net::ip_address::family overlay_family);

// Names overlayd, containers and tunnels use (lo wt wg zl- utun tun tap
// docker br- veth nb): never the physical egress.
bool is_virtual_interface(const std::string& name);

} // namespace overlayd::platform

namespace overlayd::platform {

// The address a WireGuard socket binds (mechanics.md 10, build_config): the
// egress address when its family matches the overlay address, else the
// unspecified one; always unspecified when rootless (ZLAYER_ROOTLESS set).
net::ip_address wireguard_bind_address(const net::ip_address& overlay_ip);

} // namespace overlayd::platform
