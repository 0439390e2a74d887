// The coordinator's interface: one request of the contract in, its response
// out. Everything that talks to overlayd (the socket gateway, the embedding
// API) goes through this.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/contract_messages.hpp"

namespace overlayd {

// Internal: the coordinator runs a queued mutation by asking itself, so that
// the answer tells it when the request's resource is free again.
struct lane_run {
  msg::request request;
};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::lane_run)

namespace overlayd {

using coordinator_actor =
  caf::typed_actor<caf::replies_to<msg::request>::with<msg::response>,
                   caf::replies_to<lane_run>::with<msg::response>>;

} // namespace overlayd
