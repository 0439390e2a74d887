// transport actor: owns one WireGuard device (the global one, or a
// Dedicated service's) and changes its configuration on request. Packets
// never come here: the device's own threads carry them (DESIGN.md).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>
#include <string>

#include "actors/ipam_actor.hpp"
#include "net/base/cidr.hpp"
#include "net/base/result.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd {

namespace platform {
class wg_device;
}

// -- requests ---------------------------------------------------------------------

// A UAPI set, applied as one change.
struct transport_set {
  net::wg::uapi_set_request set;
};

// Adds or removes one allowed IP of a peer, keeping the others
// (nat_transport.md 2.6): adding to an unknown peer is an error, removing
// from one is not.
struct transport_allowed_ip {
  net::wg::key32 peer;
  net::cidr prefix;
  bool add = true;
};

struct transport_status {};

// -- replies ------------------------------------------------------------------------

using transport_status_reply = net::wg::uapi_device_status;

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::transport_set)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::transport_allowed_ip)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::transport_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::transport_status_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<overlayd::platform::wg_device>)

namespace overlayd {

using transport_actor =
  caf::typed_actor<caf::replies_to<transport_set>::with<done_reply>,
                   caf::replies_to<transport_allowed_ip>::with<done_reply>,
                   caf::replies_to<transport_status>::with<transport_status_reply>>;

struct transport_state {
  static inline const char* name = "transport";
  std::shared_ptr<platform::wg_device> device;
};

// The device goes down when the actor ends.
transport_actor::behavior_type
transport(transport_actor::stateful_pointer<transport_state> self,
          std::shared_ptr<platform::wg_device> device);

} // namespace overlayd
