// dedicated_overlay: the WireGuard device a Dedicated service gets
// (mechanics.md 7.4 "Dedicated" steps 1-7 and 7.5 step 6): its own key
// pair, a port from the band above the cluster port, its subnet's first
// address, and an identity kept in the state file so that a restart brings
// back the same key, port and interface.
#pragma once

#include <string>

#include "actors/coordinator_actor.hpp"
#include "actors/coordinator_state.hpp"

namespace overlayd {

using coordinator_pointer = coordinator_actor::stateful_pointer<coordinator_state>;
using response_promise = caf::typed_response_promise<msg::response>;

// Answers service_overlay_info (mode dedicated) through `rp`.
void set_up_dedicated_overlay(coordinator_pointer self, const std::string& service,
                              response_promise rp);

// Adds every dedicated device to a Status answer (peer counts read from
// the devices), then delivers it.
void deliver_status_with_dedicated(coordinator_pointer self, msg::status_snapshot snapshot,
                                   response_promise rp);

// The global teardown's part: every Dedicated device goes down, their
// identities stay saved and their ports reserved, so the next setup of a
// service brings back the same key, port and interface.
void stop_dedicated_devices(coordinator_pointer self);

// Ends the device, releases its port and forgets its identity; a no-op for
// a service without one.
void take_down_dedicated_overlay(coordinator_pointer self, const std::string& service);

} // namespace overlayd
