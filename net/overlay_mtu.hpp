// overlay_mtu: the MTU of overlayd's WireGuard devices and of the veths
// of the containers behind them, derived from the underlay's.
//
// WireGuard puts 32 bytes (16 of header, a 16-byte tag) inside UDP (8)
// inside IP (20 for IPv4, 40 for IPv6). Like wg-quick, the IPv6 figure is
// reserved whatever the family, since a peer may be reached over either:
// 80 bytes, so a 1500-byte underlay gives the customary 1420. Never below
// the family's minimum (IPv6 needs 1280, IPv4 576): an underlay too small
// for that carries the overlay in fragments rather than not at all.
#pragma once

#include "net/base/ip_address.hpp"

namespace overlayd::net {

inline constexpr unsigned wireguard_overhead = 80;
// When the underlay's MTU cannot be read.
inline constexpr unsigned default_overlay_mtu = 1420;

unsigned overlay_mtu_for(unsigned underlay_mtu, ip_address::family overlay_family);

} // namespace overlayd::net
