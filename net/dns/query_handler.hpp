// query_handler: one DNS query in, the answer out, given a zone snapshot
// (mechanics.md 7.13). Pure: no sockets and no clock, so the unit tests and
// a fuzzer drive it with bytes. Forwarding is split in two: handle_query
// says `forward`, the caller exchanges the query with an upstream, and
// relay_upstream_answer turns what came back (or nothing) into the client's
// answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "net/dns/zone.hpp"

namespace overlayd::net::dns {

enum class transport : std::uint8_t { udp, tcp };

// What became of a query; the metrics' `result` label.
enum class outcome : std::uint8_t {
  answered,  // authoritative answer with records
  nodata,    // the name exists, not with that type (NOERROR, SOA)
  nxdomain,  // no such name in the zone (SOA in authority)
  truncated, // did not fit the client's UDP size: TC set, sent empty
  forward,   // out of the zone: the caller asks an upstream
  forwarded, // an upstream's answer relayed
  servfail,  // no upstream answered in time, or it failed
  refused,   // out of the zone and no upstream known, or a class we do not serve
  formerr,   // not a well-formed query
  notimp,    // an opcode other than QUERY
  dropped,   // not worth an answer (too short to carry an id, or a response)
};
inline constexpr std::size_t outcome_count = 11;

std::string_view to_string(outcome o) noexcept;

struct handled {
  outcome result = outcome::dropped;
  std::vector<std::uint8_t> reply; // empty for `dropped` and `forward`
};

// The size an answer may take: the client's EDNS0 UDP size (at least 512,
// at most max_udp_payload), 512 without EDNS0, 65535 over TCP.
inline constexpr std::uint16_t max_udp_payload = 4096;
// What our OPT record advertises (the DNS flag day 2020 value: no
// fragmentation on common paths).
inline constexpr std::uint16_t advertised_udp_payload = 1232;

handled handle_query(const zone& z, const std::uint8_t* query, std::size_t size, transport via,
                     bool can_forward);

// `answer` null: no upstream answered. Upstream NXDOMAIN -> NXDOMAIN, NOERROR
// (with or without records) -> NOERROR with its records, anything else or
// nothing -> SERVFAIL; never authoritative, RA set.
handled relay_upstream_answer(const std::uint8_t* query, std::size_t query_size,
                              const std::uint8_t* answer, std::size_t answer_size,
                              transport via);

// The query's id (first two bytes); 0 when it is shorter.
std::uint16_t message_id(const std::uint8_t* message, std::size_t size) noexcept;
// A copy of `message` with another id (what goes to an upstream).
std::vector<std::uint8_t> with_id(const std::uint8_t* message, std::size_t size,
                                  std::uint16_t id);

} // namespace overlayd::net::dns
