// global_overlay: the cluster WireGuard device's life (mechanics.md 7.2
// steps 5-14 and 7.3 step 1): named after the deployment, a fresh key pair
// on every setup, the node IP with the cluster prefix (DECISIONS 7), a
// route for the cluster, and its transport actor.
#pragma once

#include <functional>

#include "actors/coordinator_actor.hpp"
#include "actors/coordinator_state.hpp"
#include "messages/responses.hpp"

namespace overlayd {

// Needs state.node_ip. Answers bridge_name with the interface, or the
// spec's error; an existing device is reused (idempotent). The device is
// made by the device maker, so `done` runs later.
void bring_up_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self,
                             std::function<void(msg::response)> done);

// Ends the device (its TUN and UAPI socket go with it); node_ip is kept.
void take_down_global_overlay(coordinator_actor::stateful_pointer<coordinator_state> self);

} // namespace overlayd
