// nat_config: how NAT traversal behaves on this node, from the contract's
// NatConfigSpec (nat_transport.md 4.1, nat_config_spec_to_config) with one
// deliberate change: no public STUN server by default (DECISIONS 5), so
// without configured servers only host candidates are gathered.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/nested_types.hpp"

namespace overlayd::net::nat {

struct relay_server_config {
  std::uint16_t listen_port = 0;
  std::string external_addr;
  std::uint64_t max_sessions = 100;
};

struct nat_config {
  bool enabled = true;
  std::vector<std::string> stun_servers; // "host:port"; none by default
  std::vector<msg::turn_server_spec> turn_servers;
  std::chrono::seconds hole_punch_timeout{15};
  std::chrono::seconds stun_refresh_interval{60};
  std::size_t max_candidate_pairs = 10;
  std::optional<relay_server_config> relay_server;
};

// What applies when SetupGlobalOverlay brought no spec: enabled, nothing
// contacted.
nat_config default_nat_config();

// Zero timers and counts take the defaults; relay max_sessions 0 is 100.
// The relay credential is not part of the result: the caller keeps it
// apart so that nothing can print it.
nat_config nat_config_from_spec(const msg::nat_config_spec& spec);

} // namespace overlayd::net::nat
