// isolation: membership of isolation networks (mechanics.md 7.11). Every
// attach with an isolation_network fences its address; every detach takes
// the fence down. The rules themselves are the bridge manager's.
#pragma once

#include <string>

#include "actors/attachments_state.hpp"

namespace overlayd {

// Adds `member` to `network` and asks for its fence (peers = the members
// before it).
void fence(attachments_pointer self, const node_context& node, const std::string& network,
           const net::ip_address& member);

// Drops `member` from `network`; returns the fence change for the bridge
// manager, which the caller sends (and may wait for).
unfence_member unfence(attachments_pointer self, const node_context& node,
                       const std::string& network, const net::ip_address& member);

} // namespace overlayd
