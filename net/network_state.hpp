// network_state: the host-level networks overlayd remembers across restarts
// (mechanics.md 2, file agent_network.json). On Linux only `wg-dedicated`
// entries are written: a Dedicated service's WireGuard identity and port.
// Pure data; platform/state_file_json.hpp is its JSON form and
// platform/state_file.hpp does the file I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace overlayd::net {

struct network_entry {
  std::string owner;  // "service:<name>", "iso:<net>", "base"
  std::string kind;   // "wg-dedicated" (Linux)
  std::string name;
  std::string id;     // the WireGuard public key for wg-dedicated
  std::string subnet; // CIDR text
  std::optional<std::uint16_t> wg_port;
  std::optional<std::string> wg_private_key;
  std::optional<std::string> wg_public_key;
  std::optional<std::string> interface;

  friend bool operator==(const network_entry& a, const network_entry& b) {
    return a.owner == b.owner && a.kind == b.kind && a.name == b.name && a.id == b.id
           && a.subnet == b.subnet && a.wg_port == b.wg_port
           && a.wg_private_key == b.wg_private_key && a.wg_public_key == b.wg_public_key
           && a.interface == b.interface;
  }
  friend bool operator!=(const network_entry& a, const network_entry& b) { return !(a == b); }
};

struct network_state {
  std::uint32_t version = 1;
  std::vector<network_entry> networks;

  // The first entry with that owner, or nullptr.
  const network_entry* get(const std::string& owner) const;
  // Replaces the first entry with the same owner in place, else appends.
  void upsert(network_entry entry);
  // Removes and returns the first entry with that owner.
  std::optional<network_entry> remove(const std::string& owner);

  friend bool operator==(const network_state& a, const network_state& b) {
    return a.version == b.version && a.networks == b.networks;
  }
  friend bool operator!=(const network_state& a, const network_state& b) { return !(a == b); }
};

} // namespace overlayd::net
