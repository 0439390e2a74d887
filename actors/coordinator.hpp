// coordinator actor: dispatches every request of the contract to its handler
// and owns the node's identity (DESIGN.md); containers and guests are the
// attachments actor's (attachments.hpp). It never waits: a handler that
// needs another actor asks it with a timeout (ask.hpp) and answers when the
// reply comes. Reads are answered at once; mutations wait only for earlier
// mutations of the same resource (request_lanes.hpp, DECISIONS.md 3).
#pragma once

#include "actors/coordinator_actor.hpp"
#include "actors/coordinator_state.hpp"

namespace overlayd {

// The actors the coordinator asks; it monitors them.
struct coordinator_children {
  ipam_actor ipam;
  dns_actor dns;
  bridge_manager_actor bridges;
  nat_traversal_actor nat;
  device_maker_actor devices;
  attachments_actor attachments; // containers, guests, isolation networks
};

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            coordinator_children children, transport_options transports);

} // namespace overlayd
