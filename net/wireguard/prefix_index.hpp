// prefix_index: the stored prefixes of the allowed-IPs trie again, in one
// hash table per prefix length, so the longest match costs one probe per
// distinct length present (a cluster's allowed IPs come in a handful: node
// slices, service subnets, hosts), however many peers there are. The trie
// walks a node per branching bit and misses the cache at every one once
// thousands of peers are stored. Measured in one run (overlayd-peer-scale,
// a /32 and a /26 per peer, random destinations): the trie alone 19, 54
// and 105 ns a lookup at 10, 1,000 and 10,000 peers; with this index 14,
// 12 and 46 ns. With more distinct lengths than max_lengths the trie is
// faster, and the caller uses it.
//
// Keys are 128-bit, most significant half first (IPv4 in the top 32 bits),
// masked to their length; values are the trie's node indices. Open
// addressing with linear probing, at most half full, deletion by shifting
// back, so a lookup never allocates and never follows a pointer chain.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace overlayd::net::wg {

class prefix_index {
public:
  static constexpr std::uint32_t none = ~std::uint32_t{0};
  static constexpr std::size_t max_lengths = 12;

  void add(bool v4, std::uint64_t hi, std::uint64_t lo, unsigned bits, std::uint32_t node);
  void remove(bool v4, std::uint64_t hi, std::uint64_t lo, unsigned bits);
  void clear();

  // Whether longest() answers for this family (few enough distinct lengths).
  bool usable(bool v4) const noexcept { return family(v4).lengths.size() <= max_lengths; }
  // The node of the longest stored prefix containing the address, or none.
  std::uint32_t longest(bool v4, std::uint64_t hi, std::uint64_t lo) const noexcept;

private:
  struct slot {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    std::uint32_t node = none;
  };
  struct table {
    std::vector<slot> slots; // a power of two in size, or empty
    std::size_t used = 0;
  };
  struct family_tables {
    std::array<table, 129> by_length;
    std::vector<unsigned> lengths; // those with entries, longest first
  };

  const family_tables& family(bool v4) const noexcept { return v4 ? v4_ : v6_; }
  family_tables& family(bool v4) noexcept { return v4 ? v4_ : v6_; }

  static void put(table& t, std::uint64_t hi, std::uint64_t lo, std::uint32_t node);
  static std::uint32_t get(const table& t, std::uint64_t hi, std::uint64_t lo) noexcept;

  family_tables v4_;
  family_tables v6_;
};

} // namespace overlayd::net::wg
