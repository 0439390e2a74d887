// answer_cache: handle_query memoized. Its answer depends only on the zone,
// the transport, whether it may forward, and the query's bytes; the id is
// merely copied into the reply. So a query whose bytes after the id equal
// an earlier one's gets the earlier reply with its own id, exactly what
// handle_query would build, without parsing and building again (ldns costs
// some 5 us a query, the cache a small fraction of that).
// One per responder thread, emptied when the zone changes.
#pragma once

#include <string>
#include <unordered_map>

#include "net/dns/query_handler.hpp"

namespace overlayd::net::dns {

class answer_cache {
public:
  static constexpr std::size_t max_bytes = 8 << 20; // keys and replies together
  static constexpr std::size_t max_query_bytes = 512;

  // handle_query(z, ...) through the cache. `forward` and `dropped` are
  // never cached (forwarded answers are the upstream's).
  handled answer(const zone_pointer& z, const std::uint8_t* query, std::size_t size,
                 transport via, bool can_forward);

  std::size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    outcome result;
    std::vector<std::uint8_t> reply;
  };
  zone_pointer zone_;
  std::unordered_map<std::string, entry> entries_;
  std::size_t bytes_ = 0;
};

} // namespace overlayd::net::dns
