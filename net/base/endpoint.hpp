// endpoint: an IP address and a UDP port, written "1.2.3.4:51820" or
// "[fd00::1]:51820" as Rust's SocketAddr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/base/ip_address.hpp"

namespace overlayd::net {

struct endpoint {
  ip_address address;
  std::uint16_t port = 0;

  std::string to_string() const;

  friend bool operator==(const endpoint& a, const endpoint& b) noexcept {
    return a.address == b.address && a.port == b.port;
  }
  // By address, then port: endpoints as keys of ordered sets and maps.
  friend bool operator<(const endpoint& a, const endpoint& b) noexcept {
    if (a.address != b.address)
      return a.address < b.address;
    return a.port < b.port;
  }
};

// Accepts exactly what Rust's SocketAddr::from_str accepts (no host names).
std::optional<endpoint> parse_endpoint(std::string_view text);

} // namespace overlayd::net
