// fuzz_dns: the DNS responder's message handling (net/dns/query_handler.hpp)
// on datagrams and TCP messages from anyone who can reach a listener,
// against a zone with v4 and v6 records, nested names (an empty
// non-terminal) and their PTR names; and the relaying of an upstream's
// answer (the input split in a query and an answer).
// Beyond "no crash":
//   - an answer is sent exactly when the outcome is neither `dropped` nor
//     `forward`, and `forward` only when forwarding is possible;
//   - every answer carries the query's id, is a DNS message ldns parses
//     whole, and over UDP fits the largest size we ever allow;
//   - a relayed upstream answer carries the client's id, not the upstream's.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.hpp"
#include "net/dns/query_handler.hpp"

// After the standard headers: ldns's own headers, read first, break
// libstdc++'s under clang.
#include <ldns/ldns.h>

using namespace overlayd::net;
using namespace overlayd::net::dns;

namespace {

const zone& test_zone() {
  static const zone z(zone_config{},
                      {{"web", *ip_address::parse("10.200.1.2")},
                       {"db.backend", *ip_address::parse("10.200.1.3")},
                       {"v6", *ip_address::parse("fd00:200::5")},
                       {"Mixed.Case", *ip_address::parse("10.200.1.4")}},
                      7);
  return z;
}

void check_answer(const handled& h, const std::uint8_t* query, std::size_t size, transport via) {
  const bool silent = h.result == outcome::dropped || h.result == outcome::forward;
  FUZZ_CHECK(silent == h.reply.empty());
  if (h.reply.empty())
    return;
  FUZZ_CHECK(h.reply.size() >= 12);
  FUZZ_CHECK(message_id(h.reply.data(), h.reply.size()) == message_id(query, size));
  if (via == transport::udp)
    FUZZ_CHECK(h.reply.size() <= max_udp_payload);
  ldns_pkt* parsed = nullptr;
  FUZZ_CHECK(ldns_wire2pkt(&parsed, h.reply.data(), h.reply.size()) == LDNS_STATUS_OK);
  ldns_pkt_free(parsed);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (transport via : {transport::udp, transport::tcp})
    for (bool can_forward : {false, true}) {
      auto h = handle_query(test_zone(), data, size, via, can_forward);
      FUZZ_CHECK(can_forward || h.result != outcome::forward);
      check_answer(h, data, size, via);
    }
  // The first byte says where the query ends and the upstream's answer starts.
  if (size > 1) {
    std::size_t split = 1 + data[0] % (size - 1);
    const std::uint8_t* query = data + 1;
    std::size_t query_size = split;
    if (query_size > size - 1)
      query_size = size - 1;
    auto relayed = relay_upstream_answer(query, query_size, data + 1 + query_size,
                                         size - 1 - query_size, transport::udp);
    if (!relayed.reply.empty()) {
      FUZZ_CHECK(relayed.reply.size() >= 12);
      FUZZ_CHECK(message_id(relayed.reply.data(), relayed.reply.size())
                 == message_id(query, query_size));
    }
  }
  return 0;
}
