// bridge manager actor: every change overlayd makes to the host for
// containers (mechanics.md 5, 7.4, 7.7-7.8, 8, 9): service bridges, veth
// pairs into container namespaces, host routes and forwarding sysctls. It
// records each change when made, so the global teardown reverts them
// (routes, then veths, then bridges), idempotently. Its work blocks on
// netlink and on threads entering namespaces: it runs detached, on a
// thread of its own, so it never holds up the other actors.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/host_access.hpp"
#include "actors/ipam_actor.hpp"
#include "net/base/cidr.hpp"

namespace overlayd {

// -- requests ----------------------------------------------------------------------

// Creates (or heals) the bridge: STP off, old addresses flushed, the
// gateway (first usable address) added, link up. Replies with the gateway.
struct make_bridge {
  std::string name;
  net::cidr subnet;
};

struct delete_bridge {
  std::string name;
};

struct bridge_port {
  std::string bridge;
  net::ip_address gateway;
  unsigned prefix = 0;
};

// attach_to_interface of mechanics 7.7: veth-<pid>-<tag> on the host,
// `ifname` with `ip` inside the container; enslaved to `bridge`, or routed
// by a host /32 (/128) when there is none.
struct attach_veth {
  std::uint32_t pid = 0;
  net::ip_address ip;
  std::string tag;    // "s" (service, eth0) or "g" (global, eth1)
  std::string ifname; // inside the container
  std::optional<bridge_port> bridge;
  std::optional<net::ip_address> node_ip; // preferred source of the host route
  unsigned mtu = 0; // both ends, the overlay's (0: the kernel's default)
};

// Deletes veth-<pid>-s and veth-<pid>-g (idempotent).
struct detach_veths {
  std::uint32_t pid = 0;
};

struct count_bridge_members {
  std::string name;
};

// The global setup's host part (mechanics 7.2 step 15): overlay links
// unmanaged for networkd/NetworkManager, the allow and masquerade rules
// (skipped when rootless), and for an IPv6 cluster IPv6 forwarding of what
// arrives on the device (forwarding.hpp). Failures are only logged.
struct secure_overlay {
  net::cidr cluster;
  std::string device; // the global WireGuard interface
};

// An isolation network's fence around one member (mechanics 7.11).
struct fence_member {
  std::string network;
  net::ip_address member;
  std::vector<net::ip_address> peers;
  net::ip_address node_ip;
  net::cidr cluster;
};

struct unfence_member {
  std::string network;
  net::ip_address member;
  std::vector<net::ip_address> remaining;
  net::ip_address node_ip;
  net::cidr cluster;
};

// Deletes the zl-*-b / zl-*-d links that are neither live nor protected
// and have no members (mechanics 7.16); replies with the names deleted.
struct prune_bridges {
  std::set<std::string> live;
  std::set<std::string> protected_names;
};

// A host-shared container's /32 (/128) as an extra address on the cluster
// device (mechanics 7.9's add_alias / remove_alias).
struct alias_address {
  std::string interface;
  net::cidr address;
  bool add = true;
};

// A route for `prefix` through a device (a Dedicated service's remote
// subnets through its own WireGuard device); it goes with the device.
struct device_route {
  std::string interface;
  net::cidr prefix;
  bool add = true;
};

// The global teardown's host part (mechanics 7.3 steps 2-5).
struct revert_host_changes {};

// -- replies -----------------------------------------------------------------------------

using count_reply = std::size_t;
using names_reply = std::vector<std::string>;

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::make_bridge)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::delete_bridge)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::attach_veth)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::detach_veths)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::count_bridge_members)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::revert_host_changes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::secure_overlay)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::fence_member)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::unfence_member)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::prune_bridges)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::alias_address)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::device_route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::names_reply)

namespace overlayd {

using bridge_manager_actor =
  caf::typed_actor<caf::replies_to<make_bridge>::with<address_reply>,
                   caf::replies_to<delete_bridge>::with<done_reply>,
                   caf::replies_to<attach_veth>::with<done_reply>,
                   caf::replies_to<detach_veths>::with<done_reply>,
                   caf::replies_to<count_bridge_members>::with<count_reply>,
                   caf::replies_to<revert_host_changes>::with<done_reply>,
                   caf::replies_to<secure_overlay>::with<done_reply>,
                   caf::replies_to<fence_member>::with<done_reply>,
                   caf::replies_to<unfence_member>::with<done_reply>,
                   caf::replies_to<prune_bridges>::with<names_reply>,
                   caf::replies_to<alias_address>::with<done_reply>,
                   caf::replies_to<device_route>::with<done_reply>>;

class bridge_manager_state;

bridge_manager_actor::behavior_type
bridge_manager(bridge_manager_actor::stateful_pointer<bridge_manager_state> self,
               host_access host);

} // namespace overlayd
