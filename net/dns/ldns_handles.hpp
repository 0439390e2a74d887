// ldns_handles: owning handles for ldns objects.
//
// Why a library and not a hand-written codec: DNS wire parsing is where
// responders historically crash (name compression loops, labels running
// past the message, counts that lie, OPT in the wrong place). ldns (NLnet
// Labs, packaged by Debian, used by drill and ldns-* tools) handles all of
// that, and builds messages with name compression. We only decide what to
// answer; ldns reads and writes the bytes.
#pragma once

#include <ldns/ldns.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace overlayd::net::dns {

struct pkt_free {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
struct rr_free {
  void operator()(ldns_rr* r) const noexcept { ldns_rr_free(r); }
};
struct rdf_free {
  void operator()(ldns_rdf* r) const noexcept { ldns_rdf_deep_free(r); }
};

using pkt_handle = std::unique_ptr<ldns_pkt, pkt_free>;
using rr_handle = std::unique_ptr<ldns_rr, rr_free>;
using rdf_handle = std::unique_ptr<ldns_rdf, rdf_free>;

// The message parsed, or null when it is not a well-formed DNS message.
inline pkt_handle parse_message(const std::uint8_t* data, std::size_t size) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK) {
    ldns_pkt_free(p);
    return nullptr;
  }
  return pkt_handle(p);
}

// The wire form, or empty when ldns cannot render it.
inline std::vector<std::uint8_t> to_wire(const ldns_pkt* p) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) {
    LDNS_FREE(wire);
    return {};
  }
  std::vector<std::uint8_t> out(wire, wire + size);
  LDNS_FREE(wire);
  return out;
}

} // namespace overlayd::net::dns
