// NAT traversal actor (nat_transport.md 4, 5; DECISIONS.md 5, 21, 22):
// this node's candidates (host addresses, the reflexive address STUN
// servers see for the WireGuard socket, an allocation on a relay), the
// candidates peers advertised, and per-peer connection attempts that switch
// the global device's endpoint candidate by candidate until a fresh
// handshake proves one. It also runs the built-in relay server when
// configured.
//
// STUN and relay exchanges block for up to a few seconds: the actor runs
// detached. Connection attempts do not block it: they advance on a
// one-second poll, so NatTick answers once candidates are gathered and
// NatStatus shows the attempts' progress.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/responses.hpp"
#include "net/metrics/published_gauges.hpp"
#include "net/nat/candidate.hpp"
#include "net/nat/nat_config.hpp"

namespace overlayd::platform {
class wg_device;
}

namespace overlayd {

// -- messages ------------------------------------------------------------------------

// From SetupGlobalOverlay: how traversal behaves, and the relay credential
// (kept here, never printed).
struct nat_configure {
  net::nat::nat_config config;
  std::optional<std::string> relay_credential;
};

// The global device came up (or went down: null). Candidates are gathered
// from its socket; attempts change its peers' endpoints.
struct nat_use_device {
  std::shared_ptr<platform::wg_device> device;
};

// AddPeer's candidates for a global peer (base64 key); empty: RemovePeer,
// or a peer without usable candidates.
struct nat_peer_candidates {
  std::string public_key;
  std::vector<net::nat::candidate> candidates;
};

struct nat_tick_request {};
struct nat_status_request {};
// Internal: advance the running connection attempts.
struct nat_poll {};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_configure)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_use_device)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_peer_candidates)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_tick_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_status_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::nat_poll)

namespace overlayd {

using nat_traversal_actor =
  caf::typed_actor<caf::reacts_to<nat_configure>, caf::reacts_to<nat_use_device>,
                   caf::reacts_to<nat_peer_candidates>,
                   caf::replies_to<nat_tick_request>::with<msg::response>,
                   caf::replies_to<nat_status_request>::with<msg::response>,
                   caf::reacts_to<nat_poll>>;

class nat_traversal_state;

// How long one exchange may block the actor.
struct nat_timeouts {
  std::chrono::milliseconds stun{3000};  // one binding answer (the original's 3 s)
  std::chrono::milliseconds relay{3000}; // one relay answer (the original waits 5 s)
};

// Spawn detached; its sockets are made in `netns` (host_access.hpp). Each
// peer's connection type and the relay server's sessions and bytes are
// published to `metrics` (may be null) after every tick and poll.
nat_traversal_actor::behavior_type
nat_traversal(nat_traversal_actor::stateful_pointer<nat_traversal_state> self,
              nat_timeouts timeouts, std::string netns,
              std::shared_ptr<net::metrics::published_gauges> metrics);

} // namespace overlayd
