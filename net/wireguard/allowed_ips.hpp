// allowed_ips: WireGuard's cryptokey routing table (whitepaper §2; the
// kernel's allowedips.c, wireguard-go's device/allowedips.go). Each prefix
// belongs to one peer; the longest prefix containing an address names the
// peer a packet is sent to, and the only peer it may come from.
//
// One path-compressed binary trie per family, as in the kernel: a node
// holds a masked prefix and exists only where a stored prefix sits or two
// branches part (fewer than two nodes per prefix), so a lookup walks only
// those. Nodes live in one vector and link by index; a lookup neither
// allocates nor locks (the device swaps or guards the table itself). The
// stored prefixes are also kept per length in hash tables
// (prefix_index.hpp): while a family has few distinct lengths, lookups
// probe those instead of walking the trie, and stay flat as peers grow.
//
// Peers are opaque 32-bit handles chosen by the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/ip_address.hpp"
#include "net/wireguard/prefix_index.hpp"

namespace overlayd::net::wg {

using peer_id = std::uint32_t;

class allowed_ips {
public:
  // Stores `prefix` with its host bits cleared (10.1.0.5/24 is kept as
  // 10.1.0.0/24, as the kernel does). An exact prefix already stored moves
  // to `peer`: a prefix has one owner. False only for a prefix length
  // beyond the family's (a cidr built by hand; parsed ones cannot be).
  bool insert(const cidr& prefix, peer_id peer);

  // Removes `prefix` (masked as on insert) only if `peer` owns it.
  bool remove(const cidr& prefix, peer_id peer);

  // Removes every prefix of `peer`; returns how many.
  std::size_t remove_peer(peer_id peer);

  void clear();

  // Longest-prefix match on raw address bytes in network order: 4 bytes for
  // v4 (an IPv4 header's destination is at offset 16, source at 12), 16 for
  // v6 (destination at 24, source at 8).
  std::optional<peer_id> lookup_v4(const std::uint8_t* addr) const noexcept;
  std::optional<peer_id> lookup_v6(const std::uint8_t* addr) const noexcept;
  std::optional<peer_id> lookup(const std::uint8_t* addr, ip_address::family fam) const noexcept {
    return fam == ip_address::family::v4 ? lookup_v4(addr) : lookup_v6(addr);
  }
  std::optional<peer_id> lookup(const ip_address& addr) const noexcept {
    return lookup(addr.bytes().data(), addr.fam());
  }

  // The prefixes of `peer`, masked, in the order they were first given to
  // it (what `wg show` lists).
  std::vector<cidr> entries_of(peer_id peer) const;

  std::size_t size() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_ == 0; }

  // Trie nodes alive (stored prefixes plus branching nodes); compaction
  // keeps it below 2 * size().
  std::size_t nodes_in_use_for_test() const noexcept { return nodes_.size() - free_.size(); }

private:
  // 128-bit key, most significant half first; IPv4 sits in the top 32 bits.
  struct key128 {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
  };

  static constexpr std::uint32_t npos = ~std::uint32_t{0};

  // What a lookup reads, kept to half a cache line...
  struct node {
    key128 key;              // masked to `bits`
    std::uint32_t child[2] = {npos, npos};
    peer_id peer = 0;
    std::uint8_t bits = 0;   // prefix length
    bool has_peer = false;   // false: a branching node only
  };
  // ...and what only changes do, in a parallel vector.
  struct links {
    std::uint32_t parent = npos;
    // The owner's list of prefixes (insertion order), threaded through nodes.
    std::uint32_t peer_prev = npos;
    std::uint32_t peer_next = npos;
    bool v4 = false;
  };

  struct peer_list {
    std::uint32_t head = npos;
    std::uint32_t tail = npos;
  };

  static key128 load_v4(const std::uint8_t* addr) noexcept;
  static key128 load_v6(const std::uint8_t* addr) noexcept;
  static key128 key_of(const cidr& prefix) noexcept;

  std::optional<peer_id> find(std::uint32_t root, key128 addr) const noexcept;
  std::optional<peer_id> lookup_key(bool v4, key128 addr) const noexcept;
  std::uint32_t find_exact(std::uint32_t root, key128 key, unsigned bits) const noexcept;
  std::uint32_t& root_of(bool v4) noexcept { return v4 ? root_v4_ : root_v6_; }

  std::uint32_t new_node(key128 key, unsigned bits, bool v4);
  void free_node(std::uint32_t index);
  void replace_child(std::uint32_t parent, std::uint32_t old_child, std::uint32_t new_child, bool v4);
  void set_owner(std::uint32_t index, peer_id peer);
  void link_peer(std::uint32_t index, peer_id peer);
  void unlink_peer(std::uint32_t index);
  void erase_entry(std::uint32_t index);

  std::vector<node> nodes_;
  std::vector<links> links_; // same index as nodes_
  std::vector<std::uint32_t> free_;
  std::unordered_map<peer_id, peer_list> peers_;
  prefix_index index_;
  std::uint32_t root_v4_ = npos;
  std::uint32_t root_v6_ = npos;
  std::size_t entries_ = 0;
};

} // namespace overlayd::net::wg
