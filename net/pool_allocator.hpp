// pool_allocator: the lowest-free-first address pool behind every bridge and
// every dedicated device's guest pool (mechanics.md 3.2, zlayer_overlay's
// IpAllocator). Range: IPv4 as ipnet's hosts() (network+1 .. broadcast-1; a
// /31 or /32 hands out all its addresses), IPv6 offsets 1 .. 2^(128-p)-1 (the
// all-ones address is included, a /128 has nothing).
// Leases are kept as sorted runs of consecutive addresses, so finding the
// lowest gap costs O(log n) even in a /64 with many leases.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"

namespace overlayd::net {

class pool_allocator {
public:
  explicit pool_allocator(cidr network);
  // A bridge pool: its gateway (first_usable_ip) is taken at once, so
  // containers start at network+2; a /26 leaves 61 addresses (.2 .. .62).
  static pool_allocator for_bridge(cidr subnet);

  const cidr& network() const noexcept { return network_; } // as given

  // Lowest free address of the range; none when the range is full.
  std::optional<ip_address> allocate();
  // Any address of the network (network and broadcast included, as the
  // original). Errors: "IP address {ip} is not within CIDR range {cidr}",
  // "IP address {ip} is already allocated".
  result<void> allocate_specific(const ip_address& ip);
  bool release(const ip_address& ip); // true if it was allocated
  // Restoring state: marks an address of the network; one outside the
  // network is ignored, so a foreign address never enters this pool.
  void mark_allocated(const ip_address& ip);

  bool contains(const ip_address& ip) const noexcept { return network_.contains(ip); }
  bool is_allocated(const ip_address& ip) const;
  std::size_t allocated_count() const noexcept { return count_; }
  // The original's host count: IPv4 2^(32-p)-2 (0 for /31, /32), IPv6
  // 2^(128-p)-1 (0 for /128); saturates at 2^64-1 for big IPv6 pools.
  std::uint64_t usable_count() const noexcept;
  std::vector<ip_address> allocated() const; // ascending

private:
  // The run (start -> inclusive end) holding ip, or runs_.end().
  std::map<ip_address, ip_address>::const_iterator run_of(const ip_address& ip) const;
  void insert(const ip_address& ip); // ip must be in the network and free

  cidr network_;
  std::optional<ip_address> first_, last_; // allocate() range; none for a /128
  std::map<ip_address, ip_address> runs_;   // disjoint, never adjacent
  std::size_t count_ = 0;
};

} // namespace overlayd::net
