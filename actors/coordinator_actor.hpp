// The coordinator's interface: one request of the contract in, its response
// out. Everything that talks to overlayd (the socket gateway, the embedding
// API) goes through this.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/contract_messages.hpp"

namespace overlayd {

using coordinator_actor =
  caf::typed_actor<caf::replies_to<msg::request>::with<msg::response>>;

} // namespace overlayd
