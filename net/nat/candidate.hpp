// candidate: an address at which a peer may be reached (nat_transport.md
// 4.2): its own host address, the server-reflexive address a STUN server
// saw, or a relay allocation. No ICE formula: fixed priorities, higher is
// tried first. Also the connection type a winning candidate gives (4.2) and
// the order remote candidates are tried in (4.6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "messages/nested_types.hpp"
#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"

namespace overlayd::net::nat {

// Declaration order is the original's Ord (Host < ServerReflexive < Relay).
enum class candidate_type : std::uint8_t { host, server_reflexive, relay };

// Candidate::new's priorities: a direct path beats a punched one beats the
// relay.
inline constexpr std::uint32_t host_priority = 100;
inline constexpr std::uint32_t server_reflexive_priority = 50;
inline constexpr std::uint32_t relay_priority = 10;

std::uint32_t default_priority(candidate_type type) noexcept;

// The IPC contract's strings (NatCandidateWire.candidate_type):
// "host", "server-reflexive", "relay".
std::string_view to_wire(candidate_type type) noexcept;
std::optional<candidate_type> candidate_type_from_wire(std::string_view text) noexcept;

struct candidate {
  candidate_type type = candidate_type::host;
  // A server-reflexive candidate carries the reflexive IP with the
  // WireGuard port (4.4: port preservation is assumed); a relay candidate
  // the relay's public allocation (DECISIONS 21), not a loopback proxy.
  endpoint address;
  std::uint32_t priority = host_priority;

  // With the type's default priority.
  static candidate make(candidate_type type, const endpoint& address) noexcept;

  friend bool operator==(const candidate& a, const candidate& b) noexcept {
    return a.type == b.type && a.address == b.address && a.priority == b.priority;
  }
};

msg::nat_candidate_wire to_wire(const candidate& c);

// A peer's advertised candidate. The wire priority overrides the default:
// the advertiser ranked its own addresses. An unknown type or an address
// that is not a socket-address literal is an error; the caller drops that
// candidate and keeps the others.
result<candidate> candidate_from_wire(const msg::nat_candidate_wire& wire);

// How a peer ended up connected; Host -> direct, ServerReflexive ->
// hole-punched, Relay -> relayed.
enum class connection_type : std::uint8_t { direct, hole_punched, relayed };

// "direct", "hole-punched", "relayed" (NatPeerWire.connection_type).
std::string_view to_string(connection_type type) noexcept;
connection_type connection_type_for(candidate_type type) noexcept;

// NatConfig.max_candidate_pairs default (4.1); the config conversion turns
// a configured 0 into it.
inline constexpr std::size_t default_max_candidate_pairs = 10;

// The remote candidates in the order they are tried (4.6): by priority,
// highest first, ties kept in advertised order, at most `max_pairs` of
// them. Remote candidates only: there is no local x remote pairing.
std::vector<candidate> connection_attempt_order(std::vector<candidate> remote,
                                                std::size_t max_pairs
                                                = default_max_candidate_pairs);

} // namespace overlayd::net::nat
