// nat_link: the coordinator's side of the NAT traversal actor. A NatTick
// blocks that actor for seconds in STUN and relay exchanges; while one runs,
// NatStatus is answered from the status the actor gave as the tick started,
// instead of waiting behind a STUN server that may never answer. Otherwise
// NatStatus asks the actor, after everything sent to it before (so a
// RemovePeer's change shows at once). Every message to it is a request
// with a timeout, so a slow or gone actor is logged.
#pragma once

#include <caf/typed_response_promise.hpp>

#include "actors/coordinator_actor.hpp"
#include "actors/coordinator_state.hpp"

namespace overlayd {

using nat_link_pointer = coordinator_actor::stateful_pointer<coordinator_state>;

void tell_nat(nat_link_pointer self, nat_configure message);
void tell_nat(nat_link_pointer self, nat_use_device message);
void tell_nat(nat_link_pointer self, nat_peer_candidates message);

// NatTick: answered when the actor has gathered (or given up).
void run_nat_tick(nat_link_pointer self, caf::typed_response_promise<msg::response> rp);

// NatStatus: the actor's answer when it is free, else the last one.
void answer_nat_status(nat_link_pointer self, caf::typed_response_promise<msg::response> rp);

} // namespace overlayd
