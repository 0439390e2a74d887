// ipam actor: every address the node hands out. It owns the node-slice
// allocator, the service-subnet registry, the per-bridge pools, the
// dedicated WireGuard port band, the persisted network state file
// (mechanics.md sections 2 and 3) and the attachment records
// (net/attachment_records.hpp): a recorded address stays leased, in
// whichever pool or slice holds it, until its record is forgotten, across
// restarts too. It runs detached: it fsyncs both files.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/attachment_records.hpp"
#include "net/base/cidr.hpp"
#include "net/metrics/published_gauges.hpp"
#include "net/network_state.hpp"
#include "net/base/result.hpp"

namespace overlayd {

// -- requests ------------------------------------------------------------------

// (Re)binds the node slice. The same slice keeps its leases; a different one
// is refused while addresses are leased from the current one (DECISIONS 6).
// Replies with the node IP.
struct bind_node_slice {
  net::cidr slice;
};

struct allocate_node_address {};

// From a named per-bridge pool (opened with open_pool).
struct allocate_pool_address {
  std::string pool;
};

// Back to the pool whose subnet holds it, else to the node slice; an address
// outside all of them is ignored (DECISIONS 11). Replies whether it was leased.
struct release_address {
  net::ip_address ip;
};

// A pool over `subnet` with its gateway (first usable) reserved; replies with
// the gateway. Opening an existing pool with the same subnet keeps its leases.
struct open_pool {
  std::string name;
  net::cidr subnet;
};

struct close_pool {
  std::string name;
};

struct assign_service_subnet {
  std::string service;
  std::string node;
  net::cidr cluster; // used when the registry is first built
};

struct release_service_subnet {
  std::string service;
  std::string node;
};

struct allocate_dedicated_port {};

struct release_dedicated_port {
  std::uint16_t port;
};

// The persisted network entries (dedicated identities), keyed by owner.
struct save_network {
  net::network_entry entry;
};

struct forget_network {
  std::string owner;
};

struct find_network {
  std::string owner;
};

// The registry's assignments (empty before it is first used).
struct snapshot_service_subnets {};

// Records (replaces) a container's attachment on disk before the reply:
// an intent before the host is touched, then its confirmation. Addresses
// the replaced record leased and this one does not are given back.
struct record_attachment {
  net::attachment_record record;
};

// Forgets a container's record and gives its addresses back (the veths
// are gone). Replies whether there was one.
struct forget_attachment {
  std::uint32_t pid = 0;
};

// The global teardown took every veth down: every record goes, and its
// addresses with it.
struct forget_all_attachments {};

// The records loaded at start (and kept since), for the recovery.
struct recorded_attachments {};

// -- replies -------------------------------------------------------------------

using address_reply = result<net::ip_address>;
using subnet_reply = result<net::cidr>;
using port_reply = result<std::uint16_t>;
using done_reply = result<bool>;
using network_reply = std::optional<net::network_entry>;

struct service_subnet_assignment {
  std::string service;
  std::string node;
  net::cidr subnet;
};
using assignments_reply = std::vector<service_subnet_assignment>;
using records_reply = net::attachment_records;

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::bind_node_slice)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::allocate_node_address)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::allocate_pool_address)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::release_address)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::open_pool)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::close_pool)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::assign_service_subnet)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::release_service_subnet)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::allocate_dedicated_port)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::release_dedicated_port)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::save_network)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::forget_network)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::find_network)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::address_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::subnet_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::port_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::done_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::network_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::snapshot_service_subnets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::assignments_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::record_attachment)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::forget_attachment)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::recorded_attachments)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::forget_all_attachments)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::records_reply)

namespace overlayd {

using ipam_actor = caf::typed_actor<
  caf::replies_to<bind_node_slice>::with<address_reply>,
  caf::replies_to<allocate_node_address>::with<address_reply>,
  caf::replies_to<allocate_pool_address>::with<address_reply>,
  caf::replies_to<release_address>::with<done_reply>,
  caf::replies_to<open_pool>::with<address_reply>,
  caf::replies_to<close_pool>::with<done_reply>,
  caf::replies_to<assign_service_subnet>::with<subnet_reply>,
  caf::replies_to<release_service_subnet>::with<done_reply>,
  caf::replies_to<allocate_dedicated_port>::with<port_reply>,
  caf::replies_to<release_dedicated_port>::with<done_reply>,
  caf::replies_to<save_network>::with<done_reply>,
  caf::replies_to<forget_network>::with<done_reply>,
  caf::replies_to<find_network>::with<network_reply>,
  caf::replies_to<snapshot_service_subnets>::with<assignments_reply>,
  caf::replies_to<record_attachment>::with<done_reply>,
  caf::replies_to<forget_attachment>::with<done_reply>,
  caf::replies_to<forget_all_attachments>::with<done_reply>,
  caf::replies_to<recorded_attachments>::with<records_reply>>;

struct ipam_config {
  std::string state_file_path; // <data dir>/agent_network.json
  std::string attachments_file_path; // <data dir>/attachments.json; empty: not kept
  net::cidr default_slice;     // the node slice before SetupGlobalOverlay
  std::uint16_t port_band_base = 51420;
  // Where pool sizes and free addresses are published for /metrics.
  std::shared_ptr<net::metrics::published_gauges> metrics;
};

class ipam_state;

// Loads the state file and the attachment records at start (a corrupt
// file is kept aside as *.corrupt and logged, good entries are kept).
ipam_actor::behavior_type ipam(ipam_actor::stateful_pointer<ipam_state> self,
                               ipam_config config);

} // namespace overlayd
