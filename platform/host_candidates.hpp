// host_candidates: this node's own addresses as NAT candidates
// (nat_transport.md 4.4 steps 1-3): the physical egress address, or the
// kernel's choice toward a public address, for IPv4 and IPv6, each at the
// WireGuard port. Nothing is sent.
#pragma once

#include <cstdint>
#include <vector>

#include "net/nat/candidate.hpp"

namespace overlayd::platform {

std::vector<net::nat::candidate> gather_host_candidates(std::uint16_t wireguard_port);

} // namespace overlayd::platform
