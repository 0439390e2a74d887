#include "net/pool_allocator.hpp"

#include <iterator>
#include <limits>

#include "net/first_usable_ip.hpp"

namespace overlayd::net {

pool_allocator::pool_allocator(cidr network) : network_(network) {
  unsigned bits = network_.host_bits();
  if (network_.is_v4()) {
    // ipnet's hosts(): a /31 or /32 has no network/broadcast to skip.
    first_ = bits <= 1 ? network_.network() : network_.network().plus(1);
    last_ = bits <= 1 ? network_.broadcast() : network_.broadcast().minus(1);
  } else if (bits > 0) {
    first_ = network_.network().plus(1);
    last_ = network_.broadcast();
  }
}

pool_allocator pool_allocator::for_bridge(cidr subnet) {
  pool_allocator pool(subnet);
  // As the original: the result is ignored (a /32 has no gateway inside).
  (void)pool.allocate_specific(first_usable_ip(subnet));
  return pool;
}

std::map<ip_address, ip_address>::const_iterator
pool_allocator::run_of(const ip_address& ip) const {
  auto it = runs_.upper_bound(ip); // first run starting after ip
  if (it == runs_.begin())
    return runs_.end();
  --it;
  return ip < it->first || it->second < ip ? runs_.end() : it;
}

bool pool_allocator::is_allocated(const ip_address& ip) const {
  return run_of(ip) != runs_.end();
}

void pool_allocator::insert(const ip_address& ip) {
  // Neighbours never wrap: a run before ip ends below it, a run after it
  // starts above it, so end+1 == ip and ip+1 == start are true adjacency.
  auto next = runs_.upper_bound(ip);
  bool joins_next = next != runs_.end() && ip.plus(1) == next->first;
  if (next != runs_.begin()) {
    auto prev = std::prev(next);
    if (prev->second.plus(1) == ip) {
      prev->second = joins_next ? next->second : ip;
      if (joins_next)
        runs_.erase(next);
      ++count_;
      return;
    }
  }
  ip_address end = ip;
  if (joins_next) {
    end = next->second;
    runs_.erase(next);
  }
  runs_.emplace(ip, end);
  ++count_;
}

std::optional<ip_address> pool_allocator::allocate() {
  if (!first_)
    return std::nullopt;
  ip_address candidate = *first_;
  auto run = run_of(candidate);
  if (run != runs_.end()) {
    // Runs are maximal, so the address after the first run is free.
    if (!(run->second < *last_))
      return std::nullopt;
    candidate = run->second.plus(1);
  }
  insert(candidate);
  return candidate;
}

result<void> pool_allocator::allocate_specific(const ip_address& ip) {
  if (!contains(ip))
    return make_error("IP address " + ip.to_string() + " is not within CIDR range "
                      + network_.to_address_string());
  if (is_allocated(ip))
    return make_error("IP address " + ip.to_string() + " is already allocated");
  insert(ip);
  return {};
}

void pool_allocator::mark_allocated(const ip_address& ip) {
  if (contains(ip) && !is_allocated(ip))
    insert(ip);
}

bool pool_allocator::release(const ip_address& ip) {
  auto it = run_of(ip);
  if (it == runs_.end())
    return false;
  ip_address start = it->first, end = it->second;
  runs_.erase(it);
  if (start != ip)
    runs_.emplace(start, ip.minus(1));
  if (end != ip)
    runs_.emplace(ip.plus(1), end);
  --count_;
  return true;
}

std::uint64_t pool_allocator::usable_count() const noexcept {
  unsigned bits = network_.host_bits();
  if (network_.is_v4())
    return bits <= 1 ? 0 : (std::uint64_t{1} << bits) - 2;
  if (bits >= 64)
    return std::numeric_limits<std::uint64_t>::max();
  return (std::uint64_t{1} << bits) - 1;
}

std::vector<ip_address> pool_allocator::allocated() const {
  std::vector<ip_address> out;
  out.reserve(count_);
  for (const auto& [start, end] : runs_) {
    for (ip_address ip = start;; ip = ip.plus(1)) {
      out.push_back(ip);
      if (ip == end)
        break;
    }
  }
  return out;
}

} // namespace overlayd::net
