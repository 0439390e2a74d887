// coordinator actor: dispatches every request of the contract to its handler
// and owns the node's identity (DESIGN.md). Requests are handled one at a
// time in arrival order; a handler that needs another actor waits for it
// (await), so mutations never interleave (DECISIONS.md 3).
#pragma once

#include "actors/coordinator_actor.hpp"
#include "actors/coordinator_state.hpp"

namespace overlayd {

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, ipam_actor ipam,
            dns_actor dns, bridge_manager_actor bridges, nat_traversal_actor nat,
            transport_options transports);

} // namespace overlayd
