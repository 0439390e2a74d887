#include "net/network_state.hpp"

namespace overlayd::net {

// -- lookups -----------------------------------------------------------------

const network_entry* network_state::get(const std::string& owner) const {
  for (const auto& entry : networks)
    if (entry.owner == owner)
      return &entry;
  return nullptr;
}

void network_state::upsert(network_entry entry) {
  for (auto& existing : networks) {
    if (existing.owner == entry.owner) {
      existing = std::move(entry);
      return;
    }
  }
  networks.push_back(std::move(entry));
}

std::optional<network_entry> network_state::remove(const std::string& owner) {
  for (auto it = networks.begin(); it != networks.end(); ++it) {
    if (it->owner == owner) {
      auto removed = std::move(*it);
      networks.erase(it);
      return removed;
    }
  }
  return std::nullopt;
}

} // namespace overlayd::net
