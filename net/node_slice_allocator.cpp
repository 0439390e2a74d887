#include "net/node_slice_allocator.hpp"

#include <algorithm>

namespace overlayd::net {

node_slice_allocator::node_slice_allocator(cidr slice) : slice_(slice) {}

bool node_slice_allocator::usable(const ip_address& ip) const {
  if (!slice_.contains(ip) || ip == slice_.network() || ip == node_ip())
    return false;
  return !(ip.is_v4() && ip == slice_.broadcast());
}

result<ip_address> node_slice_allocator::allocate() {
  while (!released_.empty()) {
    ip_address ip = released_.back();
    released_.pop_back();
    if (leased_.insert(ip).second)
      return ip;
  }
  for (;;) {
    // Offsets past the slice size would wrap; stop at the first outside.
    bool beyond = slice_.host_bits() < 64 && next_offset_ >= (std::uint64_t{1} << slice_.host_bits());
    ip_address ip = slice_.network().plus(next_offset_);
    if (beyond || !usable(ip))
      return make_error("IP allocator exhausted: next address " + ip.to_string()
                        + " is outside slice " + slice_.to_string());
    ++next_offset_;
    if (leased_.insert(ip).second)
      return ip;
  }
}

bool node_slice_allocator::release(const ip_address& ip) {
  if (leased_.erase(ip) == 0)
    return false;
  released_.push_back(ip);
  return true;
}

bool node_slice_allocator::mark_allocated(const ip_address& ip) {
  if (!usable(ip) || !leased_.insert(ip).second)
    return false;
  released_.erase(std::remove(released_.begin(), released_.end(), ip), released_.end());
  return true;
}

} // namespace overlayd::net
