// cidr: an address with a prefix length, as the Rust ipnetwork crate
// accepts it (host bits allowed, a bare address means /32 or /128).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"

namespace overlayd::net {

class cidr {
public:
  cidr() = default;
  cidr(ip_address address, unsigned prefix) : address_(address), prefix_(prefix) {}

  // Errors read like "invalid prefix length 33 (max 32)" or
  // "invalid address: 10.0.0.300"; callers add what they were parsing.
  static result<cidr> parse(std::string_view text);

  const ip_address& address() const noexcept { return address_; }
  unsigned prefix() const noexcept { return prefix_; }
  bool is_v4() const noexcept { return address_.is_v4(); }
  unsigned host_bits() const noexcept { return address_.max_prefix() - prefix_; }

  ip_address network() const noexcept;
  ip_address broadcast() const noexcept; // all host bits set
  bool contains(const ip_address& ip) const noexcept;

  // "network/prefix", e.g. "10.200.0.0/16".
  std::string to_string() const;
  // "address/prefix" exactly as given, e.g. "10.200.0.1/16".
  std::string to_address_string() const;

  friend bool operator==(const cidr& a, const cidr& b) noexcept {
    return a.address_ == b.address_ && a.prefix_ == b.prefix_;
  }
  friend bool operator!=(const cidr& a, const cidr& b) noexcept { return !(a == b); }

private:
  ip_address address_;
  unsigned prefix_ = 32;
};

} // namespace overlayd::net
