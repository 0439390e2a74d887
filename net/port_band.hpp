// port_band: UDP ports for dedicated WireGuard devices (mechanics.md 2,
// "Dedicated port allocator"): base+1 ..= base+256, saturating at 65535,
// lowest free first. base is the default WireGuard port at construction
// (51420 -> 51421..=51676) and is never re-based. Ports outside the band
// may be marked used (rehydrated from the marker); they are harmless.
#pragma once

#include <cstdint>
#include <set>

#include "net/base/result.hpp"

namespace overlayd::net {

class port_band {
public:
  explicit port_band(std::uint16_t base, std::set<std::uint16_t> in_use = {});

  // Error: "dedicated-overlay port band exhausted ({first}..={last}, 256 ports)".
  result<std::uint16_t> allocate();
  bool release(std::uint16_t port); // true if it was used
  void reserve(std::uint16_t port); // no band check, as the original
  bool is_used(std::uint16_t port) const { return used_.count(port) != 0; }

  std::uint16_t first() const noexcept { return first_; }
  std::uint16_t last() const noexcept { return last_; }

private:
  std::uint16_t first_;
  std::uint16_t last_;
  std::set<std::uint16_t> used_;
};

} // namespace overlayd::net
