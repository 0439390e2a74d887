#include "net/port_band.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace overlayd::net {

namespace {

constexpr unsigned band_size = 256;

std::uint16_t saturating_add(std::uint16_t base, unsigned n) {
  return static_cast<std::uint16_t>(std::min(unsigned{base} + n, 65535u));
}

} // namespace

port_band::port_band(std::uint16_t base, std::set<std::uint16_t> in_use)
    : first_(saturating_add(base, 1)), last_(saturating_add(base, band_size)),
      used_(std::move(in_use)) {}

result<std::uint16_t> port_band::allocate() {
  // unsigned loop counter: last_ may be 65535, where a u16 would wrap.
  for (unsigned port = first_; port <= last_; ++port) {
    auto p = static_cast<std::uint16_t>(port);
    if (used_.insert(p).second)
      return p;
  }
  // The original prints the nominal band size even when saturation
  // shortened the band.
  return make_error("dedicated-overlay port band exhausted (" + std::to_string(first_) + "..="
                    + std::to_string(last_) + ", " + std::to_string(band_size) + " ports)");
}

bool port_band::release(std::uint16_t port) {
  return used_.erase(port) != 0;
}

void port_band::reserve(std::uint16_t port) {
  used_.insert(port);
}

} // namespace overlayd::net
