// first_usable_ip: the address a subnet's own device takes (mechanics.md
// 3.4): bridge gateways and a dedicated device's overlay IP. It is the
// network address + 1, wrapping inside the family, for IPv4 and IPv6 alike;
// callers that need it inside the subnet (a /32 or /128 has no such address)
// check containment themselves.
#pragma once

#include "net/base/cidr.hpp"
#include "net/base/ip_address.hpp"

namespace overlayd::net {

inline ip_address first_usable_ip(const cidr& subnet) {
  return subnet.network().plus(1);
}

} // namespace overlayd::net
