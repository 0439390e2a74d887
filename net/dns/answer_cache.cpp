#include "net/dns/answer_cache.hpp"

namespace overlayd::net::dns {

handled answer_cache::answer(const zone_pointer& z, const std::uint8_t* query, std::size_t size,
                             transport via, bool can_forward) {
  if (z != zone_) {
    entries_.clear();
    bytes_ = 0;
    zone_ = z;
  }
  if (size < 2 || size > max_query_bytes)
    return handle_query(*z, query, size, via, can_forward);
  std::string key;
  key.reserve(size);
  key.push_back(static_cast<char>(via));
  key.push_back(static_cast<char>(can_forward));
  key.append(reinterpret_cast<const char*>(query) + 2, size - 2);
  if (auto it = entries_.find(key); it != entries_.end()) {
    handled h{it->second.result, it->second.reply};
    h.reply[0] = query[0];
    h.reply[1] = query[1];
    return h;
  }
  handled h = handle_query(*z, query, size, via, can_forward);
  if (h.result == outcome::forward || h.result == outcome::dropped || h.reply.size() < 2)
    return h;
  std::size_t cost = key.size() + h.reply.size();
  if (bytes_ + cost > max_bytes) {
    entries_.clear(); // a flood of distinct queries: start over rather than track age
    bytes_ = 0;
  }
  bytes_ += cost;
  entries_.emplace(std::move(key), entry{h.result, h.reply});
  return h;
}

} // namespace overlayd::net::dns
