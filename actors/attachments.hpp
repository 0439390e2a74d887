// attachments actor: every container, host-shared container and VM guest
// attached on this node, and the members of each isolation network
// (mechanics.md 7.7-7.11). It plugs them in and out by asking the ipam and
// the bridge manager (and a guest's WireGuard device); it never blocks, so
// it runs scheduled. What it needs of the coordinator's state (bridges,
// the global device, the node's addressing) comes with each request, read
// when the coordinator forwards it.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "actors/bridge_manager.hpp"
#include "actors/ipam_actor.hpp"
#include "actors/service_bridge.hpp"
#include "actors/transport_actor.hpp"
#include "messages/requests.hpp"
#include "messages/responses.hpp"

namespace overlayd {

// -- what the coordinator knows ----------------------------------------------------------

// A WireGuard device a VM guest may join.
struct guest_device {
  transport_actor actor;
  std::string interface;
  std::string public_key; // base64
  std::uint16_t port = 0;
};

// The node's side of every attachment.
struct node_context {
  std::optional<net::ip_address> node_ip;
  net::cidr cluster_cidr; // isolation fences name it
  std::optional<std::string> global_interface;
  std::optional<transport_actor> global_transport;
  unsigned mtu = 0; // of the overlay's devices, for container veths (0: the kernel's default)
};

struct attach_context {
  node_context node;
  // The service's bridge (bridge_of), or why it has none.
  result<service_bridge> bridge = make_error("no bridge looked up");
  bool bridge_is_shared = false; // the node-wide shared bridge
  unsigned node_slice_prefix = 0;
  std::string cluster_cidr_text; // what a guest routes to the node
  std::optional<std::string> transport_public_key; // the cluster device's
  std::uint16_t overlay_port = 0;
  // The service's own device, when it is Dedicated and has one (DECISIONS 16).
  std::optional<guest_device> dedicated_device;
  // Node-level DNS defaults recorded from attach requests.
  std::optional<std::string> dns_server_addr; // "ip:53"
  std::optional<std::string> dns_domain;
};

struct detach_context {
  node_context node;
  // A guest leaves the device it joined: its service's own, if it has one.
  std::map<std::string, transport_actor> dedicated_devices;
};

// -- requests and replies ------------------------------------------------------------------

struct attach_order {
  msg::attach_container request;
  attach_context context;
};

struct detach_order {
  msg::attach_handle handle;
  detach_context context;
};

// The global teardown took the host plumbing down: forget every record and
// give its addresses back (DECISIONS 13).
struct forget_attachments {};

struct attach_outcome {
  msg::response answer; // attach_result, guest_overlay_config or the spec's error
  // Set when the attachment was recorded: the service its record names.
  std::optional<std::string> service;
  // A guest's entry for the coordinator's global peers.
  std::optional<msg::peer_spec> guest_peer;
};

// A detach always answers ok; this is what the coordinator has left to do.
struct detach_outcome {
  // An ephemeral container left this service: the last leaver tears it down.
  std::optional<std::string> ephemeral_service;
  // A guest's key, gone from the coordinator's global peers.
  std::optional<std::string> guest_public_key;
};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::attach_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::detach_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::forget_attachments)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::attach_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::detach_outcome)

namespace overlayd {

using attachments_actor =
  caf::typed_actor<caf::replies_to<attach_order>::with<attach_outcome>,
                   caf::replies_to<detach_order>::with<detach_outcome>,
                   caf::reacts_to<forget_attachments>>;

// The resource a handle names, "pid:42", "host-shared:<id>", "guest:<id>"
// (request_lanes.hpp); also the coordinator's key for what it attached.
std::string attachment_key(const msg::attach_handle& handle);

struct attachments_state;

attachments_actor::behavior_type
attachments(attachments_actor::stateful_pointer<attachments_state> self, ipam_actor ipam,
            bridge_manager_actor bridges);

} // namespace overlayd
