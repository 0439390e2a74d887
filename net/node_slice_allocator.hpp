// node_slice_allocator: container addresses from this node's slice
// (mechanics.md 3.1). The node IP is the first usable address; containers
// start at the second. Released addresses are reused first (LIFO).
// Unlike the original, releasing an address that was never handed out (or
// lies outside the slice) is a no-op (DECISIONS.md 11).
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "net/base/cidr.hpp"
#include "net/base/result.hpp"

namespace overlayd::net {

class node_slice_allocator {
public:
  explicit node_slice_allocator(cidr slice);

  const cidr& slice() const noexcept { return slice_; }
  ip_address node_ip() const noexcept { return slice_.network().plus(1); }

  // Error: "IP allocator exhausted: next address {addr} is outside slice {cidr}".
  result<ip_address> allocate();
  bool release(const ip_address& ip);
  bool mark_allocated(const ip_address& ip);
  bool is_allocated(const ip_address& ip) const { return leased_.count(ip) != 0; }
  std::size_t allocated_count() const noexcept { return leased_.size(); }

private:
  bool usable(const ip_address& ip) const;

  cidr slice_;
  std::uint64_t next_offset_ = 2;
  std::vector<ip_address> released_; // reused last-in first-out
  std::set<ip_address> leased_;
};

} // namespace overlayd::net
